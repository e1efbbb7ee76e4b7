// SPDX-License-Identifier: Apache-2.0
#include "hv/core/bzimage.h"

#include <gtest/gtest.h>
#include <string.h>

#include <random>
#include <string>
#include <vector>

#include "hv/arch/fake/log.h"

namespace hv {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = uint64_t{1} << 30;
// Debian 12's 6.1 cloud kernel (linux-guest-platform.md, section 1).
constexpr uint32_t kDebianInitSize = 0x3378000;
constexpr uint64_t kMemSize = 256 * kMiB;
constexpr uint8_t kElfMagic[4] = {0x7F, 'E', 'L', 'F'};

template <typename T>
T At(const uint8_t* p, size_t offset) {
  T v;
  memcpy(&v, p + offset, sizeof(T));
  return v;
}

// A bzImage under construction: the setup header at 0x1F1 of a boot sector,
// setup_sects more sectors of setup code, syssize * 16 bytes of protected-
// mode code and `trailing` bytes after it (a signature, say).
struct TestKernel {
  LinuxSetupHeader h;
  size_t trailing = 0;
  uint8_t sentinel = 0xFF;  // a real bzImage has 0xFF at 0x1EF

  size_t SetupBytes() const { return (size_t{h.setup_sects == 0 ? 4u : h.setup_sects} + 1) * 512; }
  size_t Size() const { return SetupBytes() + size_t{h.syssize} * 16 + trailing; }

  std::vector<uint8_t> Bytes() const {
    std::vector<uint8_t> bytes(Size(), 0);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 13 + 1);
    memcpy(bytes.data() + kSetupHeaderOffset, &h, sizeof(h));
    bytes[kZpSentinel] = sentinel;
    return bytes;
  }
};

// Like Debian's kernel (section 1 of the doc), with a small payload.
TestKernel ValidKernel() {
  TestKernel k{};
  k.h.setup_sects = 3;
  k.h.syssize = 0x400;  // 16 KiB
  k.h.boot_flag = kBootFlag;
  k.h.jump = 0x6AEB;  // jmp short +0x6A: the header ends at 0x26C
  k.h.header = kSetupHeaderMagic;
  k.h.version = 0x020F;
  k.h.loadflags = kLoadflagLoadedHigh;
  k.h.code32_start = 0x100000;
  k.h.initrd_addr_max = 0x7FFFFFFF;
  k.h.kernel_alignment = 0x200000;
  k.h.relocatable_kernel = 1;
  k.h.min_alignment = 21;
  k.h.xloadflags = 0x7F;
  k.h.cmdline_size = 2047;
  k.h.payload_offset = 0x2CC;
  k.h.payload_length = 0x3000;
  k.h.pref_address = 0x1000000;
  k.h.init_size = kDebianInitSize;
  k.h.handover_offset = 0x1F10;
  k.h.kernel_info_offset = 0x2000;
  return k;
}

class BzImageTest : public ::testing::Test {
 protected:
  void SetUp() override { fake::ClearLog(); }

  // Parses k; on failure also checks that *out was cleared and that exactly
  // one warning was logged; on success, that none was.
  static BzImageStatus Parse(const TestKernel& k, BzImage* out, uint64_t mem = kMemSize) {
    fake::ClearLog();
    std::vector<uint8_t> bytes = k.Bytes();
    BzImageStatus s = ParseBzImage(bytes.data(), bytes.size(), mem, out);
    CheckOutcome(s, *out);
    return s;
  }
  static BzImageStatus Parse(const TestKernel& k, uint64_t mem = kMemSize) {
    BzImage image;
    return Parse(k, &image, mem);
  }
  static void CheckOutcome(BzImageStatus s, const BzImage& out) {
    if (s != BzImageStatus::kOk) {
      EXPECT_EQ(fake::CountLogged(LogLevel::kWarn), 1) << BzImageStatusName(s);
      EXPECT_EQ(out.init_size, 0u);
      EXPECT_EQ(out.load_address.value(), 0u);
      EXPECT_EQ(out.setup_header_size, 0u);
    } else {
      EXPECT_EQ(fake::CountLogged(LogLevel::kWarn), 0);
    }
  }
  static bool Warned(const std::string& text) { return fake::Logged(LogLevel::kWarn, text); }
};

TEST_F(BzImageTest, ValidImage) {
  const TestKernel k = ValidKernel();
  BzImage image;
  ASSERT_EQ(Parse(k, &image), BzImageStatus::kOk);
  EXPECT_EQ(image.protocol, 0x020F);
  EXPECT_EQ(image.xloadflags, 0x7F);
  EXPECT_TRUE(image.relocatable);
  EXPECT_EQ(image.setup_sects, 3u);
  EXPECT_EQ(image.payload_offset, 0x800u);
  EXPECT_EQ(image.payload_size, 0x4000u);
  EXPECT_EQ(image.load_address.value(), 0x1000000u);
  EXPECT_EQ(image.entry64.value(), 0x1000200u);
  EXPECT_EQ(image.init_size, kDebianInitSize);
  EXPECT_EQ(image.kernel_alignment, 0x200000u);
  EXPECT_EQ(image.pref_address, 0x1000000u);
  EXPECT_EQ(image.cmdline_size, 2047u);
  EXPECT_EQ(image.initrd_addr_max, 0x7FFFFFFFu);
  ASSERT_EQ(image.setup_header_size, 0x26Cu - 0x1F1u);
  const std::vector<uint8_t> bytes = k.Bytes();
  EXPECT_EQ(memcmp(image.setup_header, bytes.data() + 0x1F1, image.setup_header_size), 0);
}

TEST_F(BzImageTest, TrailingBytesAreIgnored) {
  TestKernel k = ValidKernel();
  k.trailing = 0x5C0;  // Debian's signed vmlinuz carries its signature there
  BzImage image;
  ASSERT_EQ(Parse(k, &image), BzImageStatus::kOk);
  EXPECT_EQ(image.payload_size, 0x4000u);
}

TEST_F(BzImageTest, SetupSectsZeroMeansFour) {
  TestKernel k = ValidKernel();
  k.h.setup_sects = 0;
  BzImage image;
  ASSERT_EQ(Parse(k, &image), BzImageStatus::kOk);
  EXPECT_EQ(image.setup_sects, 4u);
  EXPECT_EQ(image.payload_offset, 5u * 512);
}

TEST_F(BzImageTest, LongerHeaderIsCopiedOnlyUpTo0x290) {
  TestKernel k = ValidKernel();
  k.h.jump = 0xFFEB;  // header "ends" at 0x301
  BzImage image;
  ASSERT_EQ(Parse(k, &image), BzImageStatus::kOk);
  EXPECT_EQ(image.setup_header_size, kSetupHeaderCopyMax);
  EXPECT_EQ(kSetupHeaderOffset + image.setup_header_size, 0x290u);
}

TEST_F(BzImageTest, ShorterHeaderReachingInitSize) {
  TestKernel k = ValidKernel();
  k.h.jump = 0x62EB;  // ends at 0x264: handover_offset and kernel_info_offset absent
  BzImage image;
  ASSERT_EQ(Parse(k, &image), BzImageStatus::kOk);
  EXPECT_EQ(image.setup_header_size, 0x264u - 0x1F1u);
  EXPECT_EQ(image.init_size, kDebianInitSize);
}

TEST_F(BzImageTest, LooksLikeBzImage) {
  const std::vector<uint8_t> bytes = ValidKernel().Bytes();
  EXPECT_TRUE(LooksLikeBzImage(bytes.data(), bytes.size()));
  EXPECT_TRUE(LooksLikeBzImage(bytes.data(), 0x206));
  EXPECT_FALSE(LooksLikeBzImage(bytes.data(), 0x205));
  EXPECT_FALSE(LooksLikeBzImage(nullptr, 0x1000));
  std::vector<uint8_t> elf(0x1000, 0);
  memcpy(elf.data(), kElfMagic, sizeof(kElfMagic));
  EXPECT_FALSE(LooksLikeBzImage(elf.data(), elf.size()));
  EXPECT_EQ(fake::CountLogged(LogLevel::kWarn), 0);
}

TEST_F(BzImageTest, TooSmall) {
  const std::vector<uint8_t> bytes = ValidKernel().Bytes();
  for (size_t size : {size_t{0}, size_t{1}, size_t{0x1FF}, size_t{0x205}}) {
    fake::ClearLog();
    BzImage image;
    EXPECT_EQ(ParseBzImage(bytes.data(), size, kMemSize, &image), BzImageStatus::kTooSmall) << size;
    CheckOutcome(BzImageStatus::kTooSmall, image);
    EXPECT_TRUE(Warned("too small to be a bzImage")) << size;
  }
  fake::ClearLog();
  BzImage image;
  EXPECT_EQ(ParseBzImage(nullptr, 0x10000, kMemSize, &image), BzImageStatus::kTooSmall);
  CheckOutcome(BzImageStatus::kTooSmall, image);
}

TEST_F(BzImageTest, NoBootFlag) {
  TestKernel k = ValidKernel();
  k.h.boot_flag = 0x55AA;
  EXPECT_EQ(Parse(k), BzImageStatus::kNotBzImage);
  EXPECT_TRUE(Warned("no boot flag 0xaa55 at 0x1fe (found 0x55aa)"));
}

TEST_F(BzImageTest, AnElfFileIsNamed) {
  std::vector<uint8_t> elf(0x4000, 0);
  memcpy(elf.data(), kElfMagic, sizeof(kElfMagic));
  BzImage image;
  EXPECT_EQ(ParseBzImage(elf.data(), elf.size(), kMemSize, &image), BzImageStatus::kNotBzImage);
  CheckOutcome(BzImageStatus::kNotBzImage, image);
  EXPECT_TRUE(Warned("this is an ELF file (a vmlinux?), not a bzImage"));
}

TEST_F(BzImageTest, NoHdrS) {
  TestKernel k = ValidKernel();
  k.h.header = 0x53726449;
  EXPECT_EQ(Parse(k), BzImageStatus::kNotBzImage);
  EXPECT_TRUE(Warned("no \"HdrS\" setup header magic at 0x202"));
}

TEST_F(BzImageTest, OldProtocol) {
  for (uint16_t version : {uint16_t{0x0200}, uint16_t{0x020B}}) {
    TestKernel k = ValidKernel();
    k.h.version = version;
    EXPECT_EQ(Parse(k), BzImageStatus::kOldProtocol) << version;
  }
  EXPECT_TRUE(Warned("boot protocol 2.11 is older than 2.12"));
  TestKernel k = ValidKernel();
  k.h.version = 0x020C;
  EXPECT_EQ(Parse(k), BzImageStatus::kOk);
}

TEST_F(BzImageTest, Not64Bit) {
  TestKernel k = ValidKernel();
  k.h.xloadflags = 0x7E;
  EXPECT_EQ(Parse(k), BzImageStatus::kNot64Bit);
  EXPECT_TRUE(Warned("no 64-bit entry point"));
}

TEST_F(BzImageTest, HeaderEndingBeforeInitSize) {
  TestKernel k = ValidKernel();
  k.h.jump = 0x5EEB;  // ends at 0x260
  EXPECT_EQ(Parse(k), BzImageStatus::kBadHeader);
  EXPECT_TRUE(Warned("setup header ends at 0x260, before init_size (0x264)"));
}

TEST_F(BzImageTest, TruncatedInsideTheHeader) {
  const std::vector<uint8_t> bytes = ValidKernel().Bytes();
  BzImage image;
  EXPECT_EQ(ParseBzImage(bytes.data(), 0x26B, kMemSize, &image), BzImageStatus::kTruncated);
  CheckOutcome(BzImageStatus::kTruncated, image);
  EXPECT_TRUE(Warned("ends inside its setup header"));
}

TEST_F(BzImageTest, TruncatedInsideTheSetupCode) {
  const std::vector<uint8_t> bytes = ValidKernel().Bytes();
  BzImage image;
  EXPECT_EQ(ParseBzImage(bytes.data(), 0x7FF, kMemSize, &image), BzImageStatus::kTruncated);
  CheckOutcome(BzImageStatus::kTruncated, image);
  EXPECT_TRUE(Warned("ends inside its setup code (0x800 bytes)"));
}

TEST_F(BzImageTest, TruncatedInsideTheProtectedModeCode) {
  const std::vector<uint8_t> bytes = ValidKernel().Bytes();
  for (size_t size : {size_t{0x800}, size_t{0x801}, bytes.size() - 1}) {
    fake::ClearLog();
    BzImage image;
    EXPECT_EQ(ParseBzImage(bytes.data(), size, kMemSize, &image), BzImageStatus::kTruncated)
        << size;
    CheckOutcome(BzImageStatus::kTruncated, image);
    EXPECT_TRUE(Warned("truncated: protected-mode code needs 0x4000 bytes from offset 0x800"));
  }
}

TEST_F(BzImageTest, NoProtectedModeCode) {
  TestKernel k = ValidKernel();
  k.h.syssize = 0;
  EXPECT_EQ(Parse(k), BzImageStatus::kBadHeader);
  EXPECT_TRUE(Warned("syssize is 0"));
}

TEST_F(BzImageTest, BadKernelAlignment) {
  for (uint32_t align : {0u, 0x1000u - 1, 0x300000u, 0x800u, 0x80000000u}) {
    TestKernel k = ValidKernel();
    k.h.kernel_alignment = align;
    EXPECT_EQ(Parse(k), BzImageStatus::kBadHeader) << align;
    EXPECT_TRUE(Warned("kernel_alignment")) << align;
  }
}

TEST_F(BzImageTest, BadMinAlignment) {
  for (uint8_t min : {uint8_t{11}, uint8_t{22}, uint8_t{31}, uint8_t{64}, uint8_t{200}}) {
    TestKernel k = ValidKernel();
    k.h.min_alignment = min;
    EXPECT_EQ(Parse(k), BzImageStatus::kBadHeader) << int{min};
    EXPECT_TRUE(Warned("min_alignment")) << int{min};
  }
  // Not relocatable: min_alignment means nothing.
  TestKernel k = ValidKernel();
  k.h.relocatable_kernel = 0;
  k.h.min_alignment = 200;
  EXPECT_EQ(Parse(k), BzImageStatus::kOk);
}

TEST_F(BzImageTest, ImpossibleSizes) {
  TestKernel k = ValidKernel();
  k.h.cmdline_size = 0;
  EXPECT_EQ(Parse(k), BzImageStatus::kBadHeader);
  EXPECT_TRUE(Warned("cmdline_size is 0"));

  k = ValidKernel();
  k.h.initrd_addr_max = 0xFFFFF;
  EXPECT_EQ(Parse(k), BzImageStatus::kBadHeader);
  EXPECT_TRUE(Warned("initrd_addr_max 0xfffff is below 1 MiB"));

  k = ValidKernel();
  k.h.init_size = 0x3FFF;
  EXPECT_EQ(Parse(k), BzImageStatus::kBadHeader);
  EXPECT_TRUE(Warned("init_size 0x3fff is smaller than the kernel's own code (0x4000 bytes)"));

  k = ValidKernel();
  k.h.init_size = 0;
  EXPECT_EQ(Parse(k), BzImageStatus::kBadHeader);
}

TEST_F(BzImageTest, PayloadOutsideTheCode) {
  struct Case {
    uint32_t offset, length;
  };
  for (Case c : {Case{0, 0}, Case{0x4000, 1}, Case{0x3000, 0x1001}, Case{0xFFFFFFFF, 2},
                 Case{1, 0xFFFFFFFF}}) {
    TestKernel k = ValidKernel();
    k.h.payload_offset = c.offset;
    k.h.payload_length = c.length;
    EXPECT_EQ(Parse(k), BzImageStatus::kBadHeader) << c.offset << "+" << c.length;
    EXPECT_TRUE(Warned("compressed payload"));
  }
  TestKernel k = ValidKernel();
  k.h.payload_offset = 0x3000;
  k.h.payload_length = 0x1000;  // exactly to the end
  EXPECT_EQ(Parse(k), BzImageStatus::kOk);
}

TEST_F(BzImageTest, PrefAddress) {
  struct Case {
    uint64_t pref;
    uint32_t align;
    uint64_t load;
  };
  // Relocatable: 2 MiB-aligned (or kernel_alignment), at least 1 MiB.
  for (Case c : {Case{0x1000000, 0x200000, 0x1000000}, Case{0, 0x200000, 0x200000},
                 Case{0x1100000, 0x200000, 0x1200000}, Case{0x1000000, 0x1000, 0x1000000},
                 Case{0x1000, 0x1000, 0x200000}, Case{0x1000000, 0x1000000, 0x1000000},
                 Case{0x1200000, 0x1000000, 0x2000000}}) {
    TestKernel k = ValidKernel();
    k.h.pref_address = c.pref;
    k.h.kernel_alignment = c.align;
    k.h.min_alignment = 12;
    BzImage image;
    ASSERT_EQ(Parse(k, &image), BzImageStatus::kOk) << c.pref;
    EXPECT_EQ(image.load_address.value(), c.load) << c.pref;
    EXPECT_EQ(image.entry64.value(), c.load + 0x200) << c.pref;
  }
  TestKernel k = ValidKernel();
  k.h.pref_address = kGuestMmioHoleStart;
  EXPECT_EQ(Parse(k, 8 * kGiB), BzImageStatus::kBadHeader);
  EXPECT_TRUE(Warned("pref_address 0xfec00000 is not below 0xfec00000"));
  k.h.pref_address = ~uint64_t{0};
  EXPECT_EQ(Parse(k, 8 * kGiB), BzImageStatus::kBadHeader);
}

TEST_F(BzImageTest, NotRelocatable) {
  TestKernel k = ValidKernel();
  k.h.relocatable_kernel = 0;
  BzImage image;
  ASSERT_EQ(Parse(k, &image), BzImageStatus::kOk);
  EXPECT_FALSE(image.relocatable);
  EXPECT_EQ(image.load_address.value(), 0x1000000u);
  for (uint64_t pref : {uint64_t{0x1100000}, uint64_t{0x80000}, uint64_t{0}}) {
    k.h.pref_address = pref;
    EXPECT_EQ(Parse(k), BzImageStatus::kBadHeader) << pref;
    EXPECT_TRUE(Warned("not relocatable")) << pref;
  }
}

TEST_F(BzImageTest, LargerThanTheDomainsMemory) {
  const TestKernel k = ValidKernel();
  const uint64_t needed = 0x1000000 + kDebianInitSize;  // 67.5 MiB
  EXPECT_EQ(Parse(k, needed), BzImageStatus::kOk);
  EXPECT_EQ(Parse(k, needed - 1), BzImageStatus::kTooLarge);
  EXPECT_EQ(Parse(k, 64 * kMiB), BzImageStatus::kTooLarge);
  EXPECT_TRUE(
      Warned("bzImage: kernel larger than the domain's memory: it needs guest RAM [0x1000000, "
             "0x4378000) (68 MiB) and the domain has 64 MiB"));
  EXPECT_EQ(Parse(k, uint64_t{0}), BzImageStatus::kTooLarge);
  EXPECT_STREQ(BzImageStatusName(BzImageStatus::kTooLarge), "larger than the domain's memory");
}

TEST_F(BzImageTest, InitSizeAcrossTheMmioHole) {
  TestKernel k = ValidKernel();
  k.h.init_size = 0xFFFFFFFF;  // to 0x100FFFFFF: into the hole, whatever the memory
  EXPECT_EQ(Parse(k, 16 * kGiB), BzImageStatus::kTooLarge);
  EXPECT_TRUE(Warned("usable below the MMIO hole: less"));
  k.h.init_size = kGuestMmioHoleStart - 0x1000000;
  EXPECT_EQ(Parse(k, 16 * kGiB), BzImageStatus::kOk);
}

TEST_F(BzImageTest, StatusNames) {
  for (int i = 0; i <= static_cast<int>(BzImageStatus::kTooLarge); ++i) {
    EXPECT_STRNE(BzImageStatusName(static_cast<BzImageStatus>(i)), "?") << i;
  }
  for (int i = 0; i <= static_cast<int>(LayoutStatus::kInitrdTooLarge); ++i) {
    EXPECT_STRNE(LayoutStatusName(static_cast<LayoutStatus>(i)), "?") << i;
  }
  for (int i = 0; i <= static_cast<int>(ZeroPageStatus::kInitrdTooHigh); ++i) {
    EXPECT_STRNE(ZeroPageStatusName(static_cast<ZeroPageStatus>(i)), "?") << i;
  }
}

// Random corruption of the header and random truncation: never a crash, and
// every outcome keeps the contract.
TEST_F(BzImageTest, RandomCorruption) {
  fake::SetLogEcho(false);
  std::mt19937_64 rng(12345);
  const std::vector<uint8_t> good = ValidKernel().Bytes();
  int ok = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<uint8_t> bytes = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      bytes[0x1F1 + rng() % (0x26C - 0x1F1)] = static_cast<uint8_t>(rng());
    }
    size_t size = bytes.size();
    if (rng() % 4 == 0) size = rng() % (bytes.size() + 1);
    const uint64_t mem = (rng() % 2 == 0) ? kMemSize : (rng() % (8 * kGiB));
    fake::ClearLog();
    BzImage image;
    const BzImageStatus s = ParseBzImage(bytes.data(), size, mem, &image);
    CheckOutcome(s, image);
    if (s != BzImageStatus::kOk) continue;
    ++ok;
    EXPECT_GE(image.load_address.value(), kMiB);
    EXPECT_EQ(image.load_address.value() % (2 * kMiB), 0u);
    EXPECT_LE(image.load_address.value() + image.init_size, mem);
    EXPECT_LE(image.load_address.value() + image.init_size, kGuestMmioHoleStart);
    EXPECT_LE(image.payload_offset + image.payload_size, size);
    EXPECT_LE(image.payload_size, image.init_size);
    EXPECT_LE(kSetupHeaderOffset + image.setup_header_size, kSetupHeaderCopyEnd);
  }
  fake::SetLogEcho(true);
  EXPECT_GT(ok, 100);
}

// --- Layout. ---

BzImage ParsedKernel(const TestKernel& k = ValidKernel(), uint64_t mem = kMemSize) {
  std::vector<uint8_t> bytes = k.Bytes();
  BzImage image;
  EXPECT_EQ(ParseBzImage(bytes.data(), bytes.size(), mem, &image), BzImageStatus::kOk);
  return image;
}

bool InsideE820(const GuestLayout& l, uint64_t start, uint64_t size, uint32_t type) {
  for (size_t i = 0; i < l.e820_count; ++i) {
    const BootE820Entry& e = l.e820[i];
    if (e.type == type && start >= e.addr && start + size <= e.addr + e.size) return true;
  }
  return false;
}

void CheckE820Sane(const GuestLayout& l, uint64_t mem) {
  ASSERT_GE(l.e820_count, 3u);
  for (size_t i = 0; i < l.e820_count; ++i) {
    EXPECT_GT(l.e820[i].size, 0u) << i;
    EXPECT_EQ(l.e820[i].addr % kPageSize == 0 || l.e820[i].addr == kLowRamEnd, true) << i;
    EXPECT_LE(l.e820[i].addr + l.e820[i].size, mem) << i;  // all of it is backed
    if (i > 0) {
      EXPECT_LE(l.e820[i - 1].addr + l.e820[i - 1].size, l.e820[i].addr) << i;
    }
    // Never RAM over the IOAPIC or the local APICs.
    if (l.e820[i].type == kE820Ram) {
      EXPECT_FALSE(l.e820[i].addr < kGuestMmioHoleEnd &&
                   l.e820[i].addr + l.e820[i].size > kGuestMmioHoleStart)
          << i;
    }
  }
}

class LayoutTest : public BzImageTest {};

TEST_F(LayoutTest, Basic) {
  const BzImage k = ParsedKernel();
  GuestLayout l;
  ASSERT_EQ(PlanGuestLayout(kMemSize, k, 2 * kMiB + 123, 100, &l), LayoutStatus::kOk);
  EXPECT_EQ(fake::CountLogged(LogLevel::kWarn), 0);
  EXPECT_EQ(l.page_tables.value(), kBootPageTables);
  EXPECT_EQ(l.gdt.value(), kBootGdt);
  EXPECT_EQ(l.stack_top.value(), kBootStackTop);
  EXPECT_EQ(l.zero_page.value(), kBootZeroPage);
  EXPECT_EQ(l.cmdline.value(), kBootCmdline);
  EXPECT_EQ(l.cmdline_len, 100u);
  EXPECT_EQ(l.acpi.value(), 0xE0000u);
  EXPECT_EQ(l.acpi_max, 0x20000u);
  EXPECT_EQ(l.kernel.value(), 0x1000000u);
  EXPECT_EQ(l.kernel_size, kDebianInitSize);
  EXPECT_EQ(l.entry.value(), 0x1000200u);
  // As high as it goes, page aligned.
  EXPECT_EQ(l.initrd.value(), kMemSize - 2 * kMiB - kPageSize);
  EXPECT_EQ(l.initrd_size, 2 * kMiB + 123);
  ASSERT_EQ(l.e820_count, 3u);
  EXPECT_EQ(l.e820[0].addr, 0u);
  EXPECT_EQ(l.e820[0].size, 0x9FC00u);
  EXPECT_EQ(l.e820[0].type, kE820Ram);
  EXPECT_EQ(l.e820[1].addr, 0x9FC00u);
  EXPECT_EQ(l.e820[1].size, 0x100000u - 0x9FC00u);
  EXPECT_EQ(l.e820[1].type, kE820Reserved);
  EXPECT_EQ(l.e820[2].addr, 0x100000u);
  EXPECT_EQ(l.e820[2].size, kMemSize - 0x100000u);
  EXPECT_EQ(l.e820[2].type, kE820Ram);
  CheckE820Sane(l, kMemSize);
}

TEST_F(LayoutTest, EverythingSitsWhereTheMapSays) {
  const BzImage k = ParsedKernel();
  GuestLayout l;
  ASSERT_EQ(PlanGuestLayout(kMemSize, k, 10 * kMiB, 2047, &l), LayoutStatus::kOk);
  // Low tables in low RAM, clear of the decompressor's trampoline pages.
  constexpr uint64_t kTrampoline = 0x9D000;
  for (auto [at, size] : {std::pair{l.page_tables.value(), kBootPageTablesSize},
                          std::pair{l.gdt.value(), uint64_t{sizeof(kLinuxBootGdt)}},
                          std::pair{l.stack_top.value() - 0x8000, uint64_t{0x8000}},
                          std::pair{l.zero_page.value(), uint64_t{kZeroPageSize}},
                          std::pair{l.cmdline.value(), l.cmdline_len + 1}}) {
    EXPECT_TRUE(InsideE820(l, at, size, kE820Ram)) << at;
    EXPECT_LE(at + size, kTrampoline) << at;
    EXPECT_GE(at, 0x1000u) << at;  // the IVT and the BDA stay zero
  }
  // Pairwise disjoint.
  std::vector<std::pair<uint64_t, uint64_t>> ranges = {{l.page_tables.value(), kBootPageTablesSize},
                                                       {l.gdt.value(), 0x1000},
                                                       {l.stack_top.value() - 0x8000, 0x8000},
                                                       {l.zero_page.value(), kZeroPageSize},
                                                       {l.cmdline.value(), kBootCmdlineMax},
                                                       {l.acpi.value(), l.acpi_max},
                                                       {l.kernel.value(), l.kernel_size},
                                                       {l.initrd.value(), l.initrd_size}};
  for (size_t i = 0; i < ranges.size(); ++i) {
    for (size_t j = i + 1; j < ranges.size(); ++j) {
      const bool overlap = ranges[i].first < ranges[j].first + ranges[j].second &&
                           ranges[j].first < ranges[i].first + ranges[i].second;
      EXPECT_FALSE(overlap) << i << " " << j;
    }
  }
  // ACPI tables: memory-backed but not RAM, where the legacy scan looks.
  EXPECT_TRUE(InsideE820(l, l.acpi.value(), l.acpi_max, kE820Reserved));
  EXPECT_TRUE(InsideE820(l, l.kernel.value(), l.kernel_size, kE820Ram));
  EXPECT_TRUE(InsideE820(l, l.initrd.value(), l.initrd_size, kE820Ram));
  EXPECT_EQ(l.initrd.value() % kPageSize, 0u);
}

TEST_F(LayoutTest, NoInitrd) {
  GuestLayout l;
  ASSERT_EQ(PlanGuestLayout(kMemSize, ParsedKernel(), 0, 0, &l), LayoutStatus::kOk);
  EXPECT_EQ(l.initrd.value(), 0u);
  EXPECT_EQ(l.initrd_size, 0u);
}

TEST_F(LayoutTest, InitrdBelowInitrdAddrMax) {
  TestKernel tk = ValidKernel();
  tk.h.initrd_addr_max = 0x37FFFFFF;  // a 32-bit kernel's
  const BzImage k = ParsedKernel(tk, 2 * kGiB);
  GuestLayout l;
  ASSERT_EQ(PlanGuestLayout(2 * kGiB, k, 5000, 0, &l), LayoutStatus::kOk);
  EXPECT_EQ(l.initrd.value(), 0x38000000u - 0x2000u);
  EXPECT_LE(l.initrd.value() + l.initrd_size - 1, 0x37FFFFFFu);
  // Debian's: 2 GiB - 1.
  ASSERT_EQ(PlanGuestLayout(6 * kGiB, ParsedKernel(ValidKernel(), 6 * kGiB), 64 * kMiB, 0, &l),
            LayoutStatus::kOk);
  EXPECT_EQ(l.initrd.value(), 0x80000000u - 64 * kMiB);
}

TEST_F(LayoutTest, InitrdAgainstTheKernel) {
  const BzImage k = ParsedKernel();
  const uint64_t room = kMemSize - (0x1000000 + kDebianInitSize);  // the kernel ends page aligned
  GuestLayout l;
  ASSERT_EQ(PlanGuestLayout(kMemSize, k, room, 0, &l), LayoutStatus::kOk);
  EXPECT_EQ(l.initrd.value(), 0x1000000u + kDebianInitSize);
  EXPECT_EQ(PlanGuestLayout(kMemSize, k, room + 1, 0, &l), LayoutStatus::kInitrdTooLarge);
  EXPECT_EQ(l.initrd_size, 0u);
  EXPECT_EQ(l.e820_count, 0u);
  EXPECT_TRUE(Warned("initrd of 189 MiB does not fit between the kernel's end (0x4378000)"));
  EXPECT_EQ(PlanGuestLayout(kMemSize, k, 8 * kGiB, 0, &l), LayoutStatus::kInitrdTooLarge);
  EXPECT_EQ(PlanGuestLayout(kMemSize, k, ~uint64_t{0}, 0, &l), LayoutStatus::kInitrdTooLarge);
}

TEST_F(LayoutTest, CommandLineLength) {
  const BzImage k = ParsedKernel();
  GuestLayout l;
  EXPECT_EQ(PlanGuestLayout(kMemSize, k, 0, 2047, &l), LayoutStatus::kOk);
  EXPECT_EQ(PlanGuestLayout(kMemSize, k, 0, 2048, &l), LayoutStatus::kCmdlineTooLong);
  EXPECT_TRUE(Warned("command line of 2048 bytes is longer than the 2047 the kernel takes"));
  EXPECT_EQ(l.cmdline.value(), 0u);
  // A kernel that claims to take more than hv's area is held to the area.
  TestKernel big = ValidKernel();
  big.h.cmdline_size = 0xFFFFFFFF;
  const BzImage kb = ParsedKernel(big);
  EXPECT_EQ(PlanGuestLayout(kMemSize, kb, 0, kBootCmdlineMax - 1, &l), LayoutStatus::kOk);
  EXPECT_EQ(PlanGuestLayout(kMemSize, kb, 0, kBootCmdlineMax, &l), LayoutStatus::kCmdlineTooLong);
  EXPECT_EQ(PlanGuestLayout(kMemSize, kb, 0, ~uint64_t{0}, &l), LayoutStatus::kCmdlineTooLong);
}

TEST_F(LayoutTest, GuestsAbove4GiB) {
  const uint64_t mem = 6 * kGiB + 0x800;  // not a page multiple: the tail is left out
  GuestLayout l;
  ASSERT_EQ(PlanGuestLayout(mem, ParsedKernel(ValidKernel(), mem), kMiB, 10, &l),
            LayoutStatus::kOk);
  ASSERT_EQ(l.e820_count, 4u);
  EXPECT_EQ(l.e820[2].addr, 0x100000u);
  EXPECT_EQ(l.e820[2].addr + l.e820[2].size, kGuestMmioHoleStart);
  EXPECT_EQ(l.e820[3].addr, 4 * kGiB);
  EXPECT_EQ(l.e820[3].size, 2 * kGiB);
  EXPECT_EQ(l.e820[3].type, kE820Ram);
  CheckE820Sane(l, mem);
  // The initrd stays below initrd_addr_max (2 GiB), not above 4 GiB.
  EXPECT_EQ(l.initrd.value(), 2 * kGiB - kMiB);
}

TEST_F(LayoutTest, GuestsEndingInTheHole) {
  for (uint64_t mem :
       {kGuestMmioHoleStart, kGuestMmioHoleStart + 0x1000, uint64_t{4} * kGiB, 4 * kGiB + 0xFFF}) {
    GuestLayout l;
    ASSERT_EQ(PlanGuestLayout(mem, ParsedKernel(ValidKernel(), mem), 0, 0, &l), LayoutStatus::kOk)
        << mem;
    ASSERT_EQ(l.e820_count, 3u) << mem;
    EXPECT_EQ(l.e820[2].addr + l.e820[2].size, kGuestMmioHoleStart) << mem;
    CheckE820Sane(l, mem);
  }
  GuestLayout l;
  const uint64_t mem = 4 * kGiB + 0x1000;
  ASSERT_EQ(PlanGuestLayout(mem, ParsedKernel(ValidKernel(), mem), 0, 0, &l), LayoutStatus::kOk);
  ASSERT_EQ(l.e820_count, 4u);
  EXPECT_EQ(l.e820[3].size, 0x1000u);
}

TEST_F(LayoutTest, KernelMustFit) {
  GuestLayout l;
  EXPECT_EQ(PlanGuestLayout(kMemSize, BzImage{}, 0, 0, &l), LayoutStatus::kNotParsed);
  EXPECT_TRUE(Warned("no parsed kernel"));
  // Parsed for a bigger domain than the one planned.
  const BzImage k = ParsedKernel();
  EXPECT_EQ(PlanGuestLayout(64 * kMiB, k, 0, 0, &l), LayoutStatus::kKernelTooLarge);
  EXPECT_TRUE(Warned("layout: kernel [0x1000000, 0x4378000) is not inside guest RAM"));
  EXPECT_EQ(l.kernel.value(), 0u);
}

TEST_F(LayoutTest, BootPageTables) {
  std::vector<uint8_t> pt(kBootPageTablesSize, 0xCC);
  BuildBootPageTables(kBootPageTables, pt.data());
  EXPECT_EQ(At<uint64_t>(pt.data(), 0), 0x2003u);  // PML4[0] -> PDPT
  for (size_t i = 1; i < 512; ++i) ASSERT_EQ(At<uint64_t>(pt.data(), 8 * i), 0u) << i;
  for (uint64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(At<uint64_t>(pt.data(), 0x1000 + 8 * i), (0x3000 + 0x1000 * i) | 3) << i;
  }
  EXPECT_EQ(At<uint64_t>(pt.data(), 0x1000 + 8 * 4), 0u);
  for (uint64_t i = 0; i < 2048; ++i) {
    ASSERT_EQ(At<uint64_t>(pt.data(), 0x2000 + 8 * i), (i << 21) | 0x83) << i;
  }
  // The GDT: __BOOT_CS is 64-bit code, __BOOT_DS flat data, both present.
  const uint64_t cs = kLinuxBootGdt[kBootCs >> 3];
  const uint64_t ds = kLinuxBootGdt[kBootDs >> 3];
  EXPECT_EQ((cs >> 53) & 1, 1u);  // L
  EXPECT_EQ((cs >> 54) & 1, 0u);  // D
  EXPECT_EQ((cs >> 40) & 0x9A, 0x9Au);
  EXPECT_EQ((ds >> 40) & 0x92, 0x92u);
  EXPECT_EQ(kLinuxBootGdt[0], 0u);
}

// --- Zero page. ---

struct ZeroPageFixture {
  TestKernel tk = ValidKernel();
  BzImage kernel;
  GuestLayout layout;
  ZeroPageParams params;
  std::vector<uint8_t> zp = std::vector<uint8_t>(kZeroPageSize, 0xCC);

  explicit ZeroPageFixture(uint64_t mem = kMemSize) {
    tk.h.hardware_subarch = 2;  // Xen PV: must not reach the guest
    tk.h.setup_data = 0x1234;
    tk.h.ramdisk_image = 0x5000;
    tk.h.ramdisk_size = 0x6000;
    tk.h.cmd_line_ptr = 0x7000;
    tk.h.type_of_loader = 0;
    tk.h.loadflags = 0xE1;  // CAN_USE_HEAP, KEEP_SEGMENTS, QUIET
    tk.h.heap_end_ptr = 0x9E00;
    kernel = ParsedKernel(tk, mem);
    EXPECT_EQ(PlanGuestLayout(mem, kernel, 3 * kMiB, 42, &layout), LayoutStatus::kOk);
    params.cmdline = layout.cmdline;
    params.cmdline_len = layout.cmdline_len;
    params.initrd = layout.initrd;
    params.initrd_size = layout.initrd_size;
    params.e820 = layout.e820;
    params.e820_count = layout.e820_count;
    params.acpi_rsdp = layout.acpi;
  }
  ZeroPageStatus Build() { return BuildZeroPage(kernel, params, zp.data()); }
  bool AllZero() const {
    for (uint8_t b : zp) {
      if (b != 0) return false;
    }
    return true;
  }
};

class ZeroPageTest : public BzImageTest {};

TEST_F(ZeroPageTest, FollowsTheBootProtocol) {
  ZeroPageFixture f;
  ASSERT_EQ(f.Build(), ZeroPageStatus::kOk);
  EXPECT_EQ(fake::CountLogged(LogLevel::kWarn), 0);
  const uint8_t* z = f.zp.data();
  const std::vector<uint8_t> file = f.tk.Bytes();
  // Everything outside the header and the fields hv fills is zero.
  for (size_t i = 0; i < kZeroPageSize; ++i) {
    const bool header = i >= 0x1F1 && i < 0x26C;
    const bool filled = (i >= 0x070 && i < 0x078) || i == 0x1E8 ||
                        (i >= 0x2D0 && i < 0x2D0 + 20 * f.params.e820_count);
    if (!header && !filled) {
      ASSERT_EQ(z[i], 0) << std::hex << i;
    }
  }
  EXPECT_EQ(z[kZpSentinel], 0);  // the file has 0xFF there
  // The header as in the file, but for what the loader owns.
  EXPECT_EQ(At<uint16_t>(z, 0x1FE), kBootFlag);
  EXPECT_EQ(At<uint32_t>(z, 0x202), kSetupHeaderMagic);
  EXPECT_EQ(At<uint16_t>(z, 0x206), 0x020F);
  EXPECT_EQ(z[0x1F1], 3);
  EXPECT_EQ(At<uint32_t>(z, 0x230), 0x200000u);  // kernel_alignment, read by the decompressor
  EXPECT_EQ(At<uint32_t>(z, 0x260), kDebianInitSize);
  EXPECT_EQ(At<uint16_t>(z, 0x236), 0x7F);
  EXPECT_EQ(At<uint64_t>(z, 0x258), 0x1000000u);
  EXPECT_EQ(z[0x210], 0xFF);  // type_of_loader
  EXPECT_EQ(z[0x211], kLoadflagLoadedHigh);
  EXPECT_EQ(At<uint16_t>(z, 0x224), 0);   // heap_end_ptr
  EXPECT_EQ(At<uint32_t>(z, 0x23C), 0u);  // hardware_subarch
  EXPECT_EQ(At<uint64_t>(z, 0x240), 0u);
  EXPECT_EQ(At<uint64_t>(z, 0x250), 0u);  // setup_data
  EXPECT_EQ(At<uint32_t>(z, 0x218), f.layout.initrd.value());
  EXPECT_EQ(At<uint32_t>(z, 0x21C), 3 * kMiB);
  EXPECT_EQ(At<uint32_t>(z, 0x228), kBootCmdline);
  EXPECT_EQ(At<uint32_t>(z, kZpExtRamdiskImage), 0u);
  EXPECT_EQ(At<uint32_t>(z, kZpExtRamdiskSize), 0u);
  EXPECT_EQ(At<uint32_t>(z, kZpExtCmdLinePtr), 0u);
  EXPECT_EQ(At<uint64_t>(z, kZpAcpiRsdpAddr), 0xE0000u);
  ASSERT_EQ(z[kZpE820Entries], 3);
  for (size_t i = 0; i < 3; ++i) {
    const BootE820Entry e = At<BootE820Entry>(z, kZpE820Table + 20 * i);
    EXPECT_EQ(e.addr, f.layout.e820[i].addr);
    EXPECT_EQ(e.size, f.layout.e820[i].size);
    EXPECT_EQ(e.type, f.layout.e820[i].type);
  }
  // Unchanged header bytes match the file.
  for (size_t i = 0x1F1; i < 0x26C; ++i) {
    const bool owned = (i >= 0x210 && i < 0x212) || (i >= 0x218 && i < 0x220) ||
                       (i >= 0x224 && i < 0x22C) || (i >= 0x23C && i < 0x248) ||
                       (i >= 0x250 && i < 0x258);
    if (!owned) {
      EXPECT_EQ(z[i], file[i]) << std::hex << i;
    }
  }
}

TEST_F(ZeroPageTest, NoInitrdClearsTheHeadersRamdisk) {
  ZeroPageFixture f;
  f.params.initrd = GuestPhysAddr(0);
  f.params.initrd_size = 0;
  f.params.acpi_rsdp = GuestPhysAddr(0);
  ASSERT_EQ(f.Build(), ZeroPageStatus::kOk);
  EXPECT_EQ(At<uint32_t>(f.zp.data(), 0x218), 0u);
  EXPECT_EQ(At<uint32_t>(f.zp.data(), 0x21C), 0u);
  EXPECT_EQ(At<uint64_t>(f.zp.data(), kZpAcpiRsdpAddr), 0u);
}

TEST_F(ZeroPageTest, Above4GiBUsesTheExtFields) {
  ZeroPageFixture f(8 * kGiB);
  f.params.initrd = GuestPhysAddr(0x123456000);
  f.params.initrd_size = 0x100001000;
  f.params.cmdline = GuestPhysAddr(0x200000010);
  ASSERT_EQ(f.Build(), ZeroPageStatus::kOk);
  const uint8_t* z = f.zp.data();
  EXPECT_EQ(At<uint32_t>(z, 0x218), 0x23456000u);
  EXPECT_EQ(At<uint32_t>(z, kZpExtRamdiskImage), 1u);
  EXPECT_EQ(At<uint32_t>(z, 0x21C), 0x1000u);
  EXPECT_EQ(At<uint32_t>(z, kZpExtRamdiskSize), 1u);
  EXPECT_EQ(At<uint32_t>(z, 0x228), 0x10u);
  EXPECT_EQ(At<uint32_t>(z, kZpExtCmdLinePtr), 2u);
  EXPECT_EQ(z[kZpSentinel], 0);  // else the kernel wipes the ext_* fields
}

TEST_F(ZeroPageTest, Above4GiBNeedsTheKernelsConsent) {
  ZeroPageFixture f(8 * kGiB);
  f.kernel.xloadflags &= ~kXlfCanBeLoadedAbove4G;
  f.params.initrd = GuestPhysAddr(0x7FFFF000);
  f.params.initrd_size = 0x1000;  // ends exactly at initrd_addr_max
  EXPECT_EQ(f.Build(), ZeroPageStatus::kOk);
  f.params.initrd_size = 0x1001;
  EXPECT_EQ(f.Build(), ZeroPageStatus::kInitrdTooHigh);
  EXPECT_TRUE(Warned("ends above initrd_addr_max 0x7fffffff"));
  EXPECT_TRUE(f.AllZero());
  f.params.initrd_size = 0x1000;
  f.params.cmdline = GuestPhysAddr(0x100000000);
  EXPECT_EQ(f.Build(), ZeroPageStatus::kCmdlineTooHigh);
  EXPECT_TRUE(f.AllZero());
  // The NUL is read too.
  f.params.cmdline = GuestPhysAddr(0x100000000 - f.params.cmdline_len - 1);
  EXPECT_EQ(f.Build(), ZeroPageStatus::kOk);
  f.params.cmdline = GuestPhysAddr(0x100000000 - f.params.cmdline_len);
  EXPECT_EQ(f.Build(), ZeroPageStatus::kCmdlineTooHigh);
  // Wrapping is refused whatever the flags.
  f.kernel.xloadflags |= kXlfCanBeLoadedAbove4G;
  f.params.cmdline = GuestPhysAddr(~uint64_t{0} - 3);
  EXPECT_EQ(f.Build(), ZeroPageStatus::kCmdlineTooHigh);
  f.params.cmdline = GuestPhysAddr(kBootCmdline);
  f.params.initrd = GuestPhysAddr(~uint64_t{0} - 0xFFF);
  f.params.initrd_size = 0x2000;
  EXPECT_EQ(f.Build(), ZeroPageStatus::kInitrdTooHigh);
}

TEST_F(ZeroPageTest, CommandLine) {
  ZeroPageFixture f;
  f.params.cmdline_len = 2047;
  EXPECT_EQ(f.Build(), ZeroPageStatus::kOk);
  f.params.cmdline_len = 2048;
  EXPECT_EQ(f.Build(), ZeroPageStatus::kCmdlineTooLong);
  EXPECT_TRUE(f.AllZero());
  f.params.cmdline_len = 5;
  f.params.cmdline = GuestPhysAddr(0);
  EXPECT_EQ(f.Build(), ZeroPageStatus::kCmdlineTooLong);
  f.params.cmdline_len = 0;  // no command line at all
  ASSERT_EQ(f.Build(), ZeroPageStatus::kOk);
  EXPECT_EQ(At<uint32_t>(f.zp.data(), 0x228), 0u);
}

TEST_F(ZeroPageTest, E820Bounds) {
  ZeroPageFixture f;
  std::vector<BootE820Entry> map(129, BootE820Entry{0, 0x1000, kE820Ram});
  f.params.e820 = map.data();
  f.params.e820_count = 128;
  ASSERT_EQ(f.Build(), ZeroPageStatus::kOk);
  EXPECT_EQ(f.zp[kZpE820Entries], 128);
  f.params.e820_count = 129;
  EXPECT_EQ(f.Build(), ZeroPageStatus::kBadE820);
  EXPECT_TRUE(Warned("129 E820 entries, expected 1..128"));
  f.params.e820_count = 0;
  EXPECT_EQ(f.Build(), ZeroPageStatus::kBadE820);
  f.params.e820 = nullptr;
  f.params.e820_count = 3;
  EXPECT_EQ(f.Build(), ZeroPageStatus::kBadE820);
  EXPECT_TRUE(f.AllZero());
}

TEST_F(ZeroPageTest, NotParsed) {
  ZeroPageFixture f;
  f.kernel = BzImage{};
  EXPECT_EQ(f.Build(), ZeroPageStatus::kNotParsed);
  EXPECT_TRUE(f.AllZero());
}

}  // namespace
}  // namespace hv
