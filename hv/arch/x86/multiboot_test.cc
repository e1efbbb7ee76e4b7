// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/multiboot.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "hv/arch/fake/log.h"
#include "hv/arch/x86/testing/fake_phys.h"

namespace hv::x86 {
namespace {

using fake::CountLogged;

constexpr uint64_t kMbiAddr = 0x9500;
constexpr uint64_t kMmapAddr = 0x9600;
constexpr uint64_t kCmdlineAddr = 0x8000;
constexpr uint64_t kModsAddr = 0x9000;
constexpr uint64_t kModStringsAddr = 0xA000;

constexpr uint32_t kUsable = 1;
constexpr uint32_t kReserved = 2;
constexpr uint32_t kAcpiReclaim = 3;
constexpr uint32_t kBad = 5;

struct Entry {
  uint64_t base;
  uint64_t length;
  uint32_t type;
};

struct Module {
  uint32_t start;
  uint32_t end;
  std::string cmdline;
};

// Shorthands for expectations.
struct Want {
  uint64_t start;
  uint64_t end;
  MemType type;
};

// What QEMU 7.2's -kernel passes for -m 512M (its e820 table).
const std::vector<Entry> kQemuMap = {
    {0x0, 0x9fc00, kUsable},          {0x9fc00, 0x400, kReserved},
    {0xf0000, 0x10000, kReserved},    {0x100000, 0x1fee0000, kUsable},
    {0x1ffe0000, 0x20000, kReserved}, {0xfffc0000, 0x40000, kReserved},
};

class MultibootTest : public ::testing::Test {
 protected:
  MultibootTest() : info_(std::make_unique<BootInfo>()) {
    fake::ClearLog();
    mbi_.flags = kMbFlagMem | kMbFlagCmdline | kMbFlagMods | kMbFlagMmap;
    mbi_.mem_lower = 639;
    mbi_.mem_upper = 523136;
    SetCmdline("/hv.elf console=com1");
    SetMmap(kQemuMap);
    SetModules({{0x400000, 0x9a3000, "dom0 console=hvc0"}, {0xa00000, 0x1234567, "initrd"}});
  }

  void SetCmdline(const std::string& s) {
    mem_.Add(PhysAddr(kCmdlineAddr), s.c_str(), s.size() + 1);
    mbi_.cmdline = kCmdlineAddr;
  }

  void SetMmap(const std::vector<Entry>& entries) {
    std::vector<uint8_t> bytes;
    for (const Entry& e : entries) {
      const MultibootMmapEntry raw{20, e.base, e.length, e.type};
      const auto* p = reinterpret_cast<const uint8_t*>(&raw);
      bytes.insert(bytes.end(), p, p + sizeof(raw));
    }
    mem_.Add(PhysAddr(kMmapAddr), bytes);
    mbi_.mmap_addr = kMmapAddr;
    mbi_.mmap_length = static_cast<uint32_t>(bytes.size());
  }

  void SetModules(const std::vector<Module>& mods) {
    std::vector<uint8_t> bytes;
    uint64_t strings = kModStringsAddr;
    for (const Module& m : mods) {
      mem_.Add(PhysAddr(strings), m.cmdline.c_str(), m.cmdline.size() + 1);
      const MultibootModule raw{m.start, m.end, static_cast<uint32_t>(strings), 0};
      strings += m.cmdline.size() + 1;
      const auto* p = reinterpret_cast<const uint8_t*>(&raw);
      bytes.insert(bytes.end(), p, p + sizeof(raw));
    }
    if (!bytes.empty()) mem_.Add(PhysAddr(kModsAddr), bytes);
    mbi_.mods_addr = kModsAddr;
    mbi_.mods_count = static_cast<uint32_t>(mods.size());
  }

  MultibootStatus Parse() {
    mem_.Add(PhysAddr(kMbiAddr), &mbi_, sizeof(mbi_));
    return ParseMultiboot(kMultibootBootloaderMagic, PhysAddr(kMbiAddr), mem_, info_.get());
  }

  void ExpectMap(const std::vector<Want>& want) {
    ASSERT_EQ(info_->mem_count, want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      SCOPED_TRACE(i);
      EXPECT_EQ(info_->mem[i].range.start.value(), want[i].start);
      EXPECT_EQ(info_->mem[i].range.end.value(), want[i].end);
      EXPECT_EQ(info_->mem[i].type, want[i].type) << MemTypeName(info_->mem[i].type);
    }
  }

  static int Warnings(const std::string& substring = "") {
    return CountLogged(LogLevel::kWarn, substring);
  }
  static int Errors(const std::string& substring = "") {
    return CountLogged(LogLevel::kError, substring);
  }

  testing::FakePhys mem_;
  MultibootInfo mbi_{};
  std::unique_ptr<BootInfo> info_;
};

TEST_F(MultibootTest, QemuLikeInfo) {
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  EXPECT_STREQ(info_->cmdline, "/hv.elf console=com1");
  EXPECT_TRUE(info_->mem_from_mmap);
  ExpectMap({
      {0x0, 0x9fc00, MemType::kUsable},
      {0x9fc00, 0xa0000, MemType::kReserved},
      {0xf0000, 0x100000, MemType::kReserved},
      {0x100000, 0x1ffe0000, MemType::kUsable},
      {0x1ffe0000, 0x20000000, MemType::kReserved},
      {0xfffc0000, 0x100000000, MemType::kReserved},
  });
  ASSERT_EQ(info_->module_count, 2u);
  EXPECT_EQ(info_->modules[0].range.start.value(), 0x400000u);
  EXPECT_EQ(info_->modules[0].range.end.value(), 0x9a3000u);
  EXPECT_STREQ(info_->modules[0].cmdline, "dom0 console=hvc0");
  EXPECT_EQ(info_->modules[1].range.size(), 0x1234567u - 0xa00000u);
  EXPECT_STREQ(info_->modules[1].cmdline, "initrd");
  EXPECT_EQ(Warnings(), 0);
  EXPECT_EQ(Errors(), 0);
}

TEST_F(MultibootTest, BadMagic) {
  mem_.Add(PhysAddr(kMbiAddr), &mbi_, sizeof(mbi_));
  EXPECT_EQ(ParseMultiboot(0x36D76289 /* multiboot2 */, PhysAddr(kMbiAddr), mem_, info_.get()),
            MultibootStatus::kBadMagic);
  EXPECT_EQ(info_->mem_count, 0u);
  EXPECT_EQ(Errors("bad multiboot magic"), 1);
}

TEST_F(MultibootTest, NullInfo) {
  EXPECT_EQ(ParseMultiboot(kMultibootBootloaderMagic, PhysAddr(0), mem_, info_.get()),
            MultibootStatus::kNullInfo);
  EXPECT_EQ(Errors("null multiboot info"), 1);
}

TEST_F(MultibootTest, UnreadableInfo) {
  EXPECT_EQ(ParseMultiboot(kMultibootBootloaderMagic, PhysAddr(0x7000000), mem_, info_.get()),
            MultibootStatus::kUnreadableInfo);
  // Only part of the structure readable.
  mem_.Add(PhysAddr(0x50000), &mbi_, 40);
  EXPECT_EQ(ParseMultiboot(kMultibootBootloaderMagic, PhysAddr(0x50000), mem_, info_.get()),
            MultibootStatus::kUnreadableInfo);
  EXPECT_EQ(Errors("unreadable multiboot info"), 2);
}

TEST_F(MultibootTest, NoMmapFlagFallsBackToMemLowerUpper) {
  mbi_.flags &= ~kMbFlagMmap;
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  EXPECT_FALSE(info_->mem_from_mmap);
  ExpectMap({
      {0x0, 639 * 1024, MemType::kUsable},
      {0x100000, 0x100000 + uint64_t{523136} * 1024, MemType::kUsable},
  });
  EXPECT_EQ(Warnings("mem_lower"), 1);
}

TEST_F(MultibootTest, MmapWithoutUsableMemoryFallsBack) {
  SetMmap({{0xf0000, 0x10000, kReserved}});
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  EXPECT_FALSE(info_->mem_from_mmap);
  EXPECT_EQ(info_->mem_count, 2u);
  EXPECT_EQ(Warnings("no usable memory"), 1);
  EXPECT_EQ(Warnings("mem_lower"), 1);
}

TEST_F(MultibootTest, NoMemoryInformationAtAll) {
  mbi_.flags &= ~(kMbFlagMmap | kMbFlagMem);
  EXPECT_EQ(Parse(), MultibootStatus::kNoMemoryInfo);
  EXPECT_EQ(Errors("no memory information"), 1);
}

TEST_F(MultibootTest, OverlappingAndUnsortedEntries) {
  SetMmap({
      {0x100000, 0x700000, kUsable},       // [1M, 8M)
      {0x400000, 0x100000, kReserved},     // [4M, 5M) inside it
      {0x0, 0x9fc00, kUsable},             // out of order
      {0x7f0000, 0x110000, kAcpiReclaim},  // straddles the end of [1M, 8M)
      {0x200000, 0x1000, kBad},            // one bad page
      {0x480000, 0x180000, kUsable},       // usable cannot override reserved
  });
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  ExpectMap({
      {0x0, 0x9fc00, MemType::kUsable},
      {0x100000, 0x200000, MemType::kUsable},
      {0x200000, 0x201000, MemType::kBad},
      {0x201000, 0x400000, MemType::kUsable},
      {0x400000, 0x500000, MemType::kReserved},
      {0x500000, 0x7f0000, MemType::kUsable},
      {0x7f0000, 0x900000, MemType::kAcpi},
  });
  EXPECT_EQ(Warnings("overlaps"), 4);
}

TEST_F(MultibootTest, ZeroLengthAndWrappingEntriesDropped) {
  SetMmap({
      {0x0, 0x9fc00, kUsable},
      {0x100000, 0, kReserved},
      {0xfffffffffffff000, 0x2000, kReserved},
      {0x100000, 0x1000000, kUsable},
      {0xffffffffffff0000, 0x10000, kReserved},  // ends at 2^64 exactly: unrepresentable
  });
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  ExpectMap({
      {0x0, 0x9fc00, MemType::kUsable},
      {0x100000, 0x1100000, MemType::kUsable},
  });
  EXPECT_EQ(Warnings("zero-length"), 1);
  EXPECT_EQ(Warnings("wraps"), 2);
}

TEST_F(MultibootTest, TooManyEntries) {
  std::vector<Entry> entries;
  for (uint64_t i = 0; i < 200; ++i) entries.push_back({i * 0x2000, 0x1000, kUsable});
  SetMmap(entries);
  fake::SetLogEcho(false);
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  fake::SetLogEcho(true);
  EXPECT_EQ(info_->mem_count, kMaxMemRanges);
  EXPECT_EQ(info_->mem[kMaxMemRanges - 1].range.start.value(), (kMaxMemRanges - 1) * 0x2000);
  EXPECT_EQ(Warnings("more than 128 entries"), 1);
}

TEST_F(MultibootTest, EntrySizeTooSmallCutsTheMap) {
  SetMmap(kQemuMap);
  // The second entry claims size 8: the walk cannot continue past it.
  uint8_t* second = mem_.Mutable(PhysAddr(kMmapAddr + 24), 4);
  ASSERT_NE(second, nullptr);
  second[0] = 8;
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  ExpectMap({{0x0, 0x9fc00, MemType::kUsable}});
  EXPECT_EQ(Warnings("size 8 < 20"), 1);
}

TEST_F(MultibootTest, MmapRunningIntoUnreadableMemory) {
  SetMmap(kQemuMap);
  mbi_.mmap_length += 24 * 3;  // three entries more than were written
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  EXPECT_EQ(info_->mem_count, kQemuMap.size());
  EXPECT_EQ(Warnings("unreadable"), 1);
}

TEST_F(MultibootTest, ModulesWithBadRanges) {
  SetModules({
      {0x400000, 0x9a3000, "good"},
      {0x900000, 0x800000, "end before start"},
      {0x9fc00, 0xa0100, "in the reserved EBDA"},
      {0x30000000, 0x30001000, "beyond RAM"},
      {0x1ffd0000, 0x1ffe1000, "runs into reserved memory"},
      {0xb00000, 0xb00000, "empty"},
  });
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  ASSERT_EQ(info_->module_count, 2u);
  EXPECT_STREQ(info_->modules[0].cmdline, "good");
  EXPECT_STREQ(info_->modules[1].cmdline, "empty");
  EXPECT_EQ(info_->modules[1].range.size(), 0u);
  EXPECT_EQ(Warnings("bad range"), 1);
  EXPECT_EQ(Warnings("not in usable memory"), 3);
}

TEST_F(MultibootTest, TooManyModulesAndUnreadableDescriptors) {
  std::vector<Module> mods;
  for (uint32_t i = 0; i < 20; ++i)
    mods.push_back({0x400000 + i * 0x1000, 0x400800 + i * 0x1000, "m"});
  SetModules(mods);
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  EXPECT_EQ(info_->module_count, kMaxBootModules);
  EXPECT_EQ(Warnings("20 modules, only the first 16"), 1);

  fake::ClearLog();
  SetModules({{0x400000, 0x401000, "a"}});
  mbi_.mods_addr = 0x7000000;  // nothing there
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  EXPECT_EQ(info_->module_count, 0u);
  EXPECT_EQ(Warnings("descriptor"), 1);
}

TEST_F(MultibootTest, MissingCmdline) {
  mbi_.flags &= ~kMbFlagCmdline;
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  EXPECT_STREQ(info_->cmdline, "");
  EXPECT_EQ(Warnings("no command line"), 1);
}

TEST_F(MultibootTest, NullPointersAreNotFollowed) {
  // Address 0 is readable here, as on a PC: it must not be taken for data.
  mem_.AddZeros(PhysAddr(0), 0x400);
  mbi_.cmdline = 0;
  mbi_.mods_addr = 0;
  mbi_.mmap_addr = 0;
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  EXPECT_STREQ(info_->cmdline, "");
  EXPECT_EQ(info_->module_count, 0u);
  EXPECT_FALSE(info_->mem_from_mmap);  // mem_lower/mem_upper instead
  EXPECT_EQ(Warnings("no command line"), 1);
  EXPECT_EQ(Warnings("modules at address 0"), 1);
  EXPECT_EQ(Warnings("null memory map"), 1);
}

TEST_F(MultibootTest, OverlongCmdlineIsCut) {
  const std::string s(2000, 'x');
  SetCmdline(s);
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  EXPECT_EQ(std::string(info_->cmdline), s.substr(0, kMaxCmdline - 1));
  EXPECT_EQ(Warnings("longer than 1023"), 1);
}

TEST_F(MultibootTest, UnreadableCmdlines) {
  mbi_.cmdline = 0x7000000;
  SetModules({{0x400000, 0x401000, "a"}});
  const MultibootModule raw{0x400000, 0x401000, 0x7100000, 0};
  mem_.Add(PhysAddr(kModsAddr), &raw, sizeof(raw));
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  EXPECT_STREQ(info_->cmdline, "");
  ASSERT_EQ(info_->module_count, 1u);
  EXPECT_STREQ(info_->modules[0].cmdline, "");
  EXPECT_EQ(Warnings("unreadable"), 2);
}

TEST_F(MultibootTest, OverlongModuleCmdlineIsCut) {
  SetModules({{0x400000, 0x401000, std::string(300, 'y')}});
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  ASSERT_EQ(info_->module_count, 1u);
  EXPECT_EQ(std::string(info_->modules[0].cmdline), std::string(kMaxModuleCmdline - 1, 'y'));
  EXPECT_EQ(Warnings("longer than 255"), 1);
}

TEST(AddMemRangeTest, FullMapCoarsensTowardsRestrictive) {
  MemRange ranges[kMaxMemRanges];
  size_t n = 0;
  for (uint64_t i = 0; i < kMaxMemRanges; ++i) {
    ASSERT_TRUE(AddMemRange(ranges, &n, PhysAddr(i * 0x10000), 0x8000, MemType::kUsable));
  }
  ASSERT_EQ(n, kMaxMemRanges);
  // Reserving the middle of range 5 would need two more slots: all of it goes.
  EXPECT_FALSE(AddMemRange(ranges, &n, PhysAddr(5 * 0x10000 + 0x1000), 0x1000, MemType::kReserved));
  EXPECT_EQ(n, kMaxMemRanges);
  EXPECT_EQ(ranges[5].type, MemType::kReserved);
  EXPECT_EQ(ranges[5].range.start.value(), 5u * 0x10000);
  EXPECT_EQ(ranges[5].range.end.value(), 5u * 0x10000 + 0x8000);
  // A new range in a gap cannot be recorded at all: not handed out either.
  EXPECT_FALSE(AddMemRange(ranges, &n, PhysAddr(0x9000), 0x1000, MemType::kUsable));
  EXPECT_EQ(n, kMaxMemRanges);
  // Merging frees slots again: fill the gap between ranges 0 and 1.
  EXPECT_TRUE(AddMemRange(ranges, &n, PhysAddr(0x8000), 0x8000, MemType::kUsable));
  EXPECT_EQ(n, kMaxMemRanges - 1);
  EXPECT_EQ(ranges[0].range.end.value(), 0x18000u);
}

TEST(AddMemRangeTest, LessRestrictiveTypeDoesNotOverride) {
  MemRange ranges[kMaxMemRanges];
  size_t n = 0;
  ASSERT_TRUE(AddMemRange(ranges, &n, PhysAddr(0x1000), 0x3000, MemType::kNvs));
  ASSERT_TRUE(AddMemRange(ranges, &n, PhysAddr(0x0), 0x10000, MemType::kUsable));
  ASSERT_TRUE(AddMemRange(ranges, &n, PhysAddr(0x2000), 0x1000, MemType::kAcpi));
  ASSERT_EQ(n, 3u);
  EXPECT_EQ(ranges[0].type, MemType::kUsable);
  EXPECT_EQ(ranges[0].range.end.value(), 0x1000u);
  EXPECT_EQ(ranges[1].type, MemType::kNvs);
  EXPECT_EQ(ranges[1].range.end.value(), 0x4000u);
  EXPECT_EQ(ranges[2].type, MemType::kUsable);
  EXPECT_EQ(ranges[2].range.end.value(), 0x10000u);
}

TEST_F(MultibootTest, FreeMemoryExcludesImageModulesAndExtras) {
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  const PhysRange image{PhysAddr(0x100000), PhysAddr(0x2a5123)};
  const PhysRange extra[] = {{PhysAddr(0x0), PhysAddr(0x1000)},
                             {PhysAddr(0x8000), PhysAddr(0x8001)}};
  PhysRange out[16];
  const size_t n = FreeMemory(*info_, image, extra, 2, out, 16);
  const std::vector<std::pair<uint64_t, uint64_t>> want = {
      {0x1000, 0x8000},     {0x9000, 0x9f000},       {0x2a6000, 0x400000},
      {0x9a3000, 0xa00000}, {0x1235000, 0x1ffe0000},
  };
  ASSERT_EQ(n, want.size());
  for (size_t i = 0; i < n; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(out[i].start.value(), want[i].first);
    EXPECT_EQ(out[i].end.value(), want[i].second);
  }
  EXPECT_EQ(Warnings(), 0);

  // Not enough room: the first ranges, and a warning.
  EXPECT_EQ(FreeMemory(*info_, image, nullptr, 0, out, 2), 2u);
  EXPECT_EQ(out[0].start.value(), 0x0u);
  EXPECT_EQ(out[0].end.value(), 0x9f000u);
  EXPECT_EQ(Warnings("free memory ranges"), 1);
}

TEST_F(MultibootTest, FreeMemoryAlignsInward) {
  SetMmap({{0x1001, 0x2fff, kUsable}, {0x10800, 0x800, kUsable}, {0x100000, 0x100000, kUsable}});
  SetModules({});
  ASSERT_EQ(Parse(), MultibootStatus::kOk);
  PhysRange out[4];
  // An image that covers everything above 1 MiB, unaligned.
  const size_t n = FreeMemory(*info_, {PhysAddr(0xfffff), PhysAddr(0x200001)}, nullptr, 0, out, 4);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(out[0].start.value(), 0x2000u);
  EXPECT_EQ(out[0].end.value(), 0x4000u);
}

}  // namespace
}  // namespace hv::x86
