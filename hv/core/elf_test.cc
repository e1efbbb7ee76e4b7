// SPDX-License-Identifier: Apache-2.0
#include "hv/core/elf.h"

#include <gtest/gtest.h>
#include <string.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "hv/arch/fake/log.h"

namespace hv {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kMemSize = 16 * kMiB;

// An ELF file under construction: a header, program headers written right
// after it (at offset 64, whatever e_phoff says) and zero bytes up to `size`.
struct TestImage {
  Elf64Ehdr eh;
  std::vector<Elf64Phdr> ph;
  size_t size;

  std::vector<uint8_t> Bytes() const {
    std::vector<uint8_t> bytes(size, 0);
    memcpy(bytes.data(), &eh, sizeof(eh) < size ? sizeof(eh) : size);
    for (size_t i = 0; i < ph.size(); ++i) {
      size_t at = sizeof(Elf64Ehdr) + i * sizeof(Elf64Phdr);
      if (at + sizeof(Elf64Phdr) <= size) memcpy(bytes.data() + at, &ph[i], sizeof(Elf64Phdr));
    }
    // Recognisable contents for the segments' file bytes.
    for (size_t i = 0x1000; i < size; ++i) bytes[i] = static_cast<uint8_t>(i * 7);
    return bytes;
  }

  void SetPhnum() { eh.e_phnum = static_cast<uint16_t>(ph.size()); }
};

Elf64Phdr Load(uint32_t flags, uint64_t offset, uint64_t paddr, uint64_t filesz, uint64_t memsz) {
  return {kElfPtLoad, flags, offset, paddr, paddr, filesz, memsz, 0x1000};
}

// Text (R+X) at 1 MiB from file offset 0x1000, data (RW, with bss) at 2 MiB.
TestImage ValidImage() {
  TestImage t{};
  memcpy(t.eh.e_ident, kElfMagic, sizeof(kElfMagic));
  t.eh.e_ident[kElfIdentClass] = kElfClass64;
  t.eh.e_ident[kElfIdentData] = kElfDataLsb;
  t.eh.e_ident[kElfIdentVersion] = kElfVersionCurrent;
  t.eh.e_type = kElfTypeExec;
  t.eh.e_machine = kElfMachineX86_64;
  t.eh.e_version = kElfVersionCurrent;
  t.eh.e_entry = 0x100010;
  t.eh.e_phoff = sizeof(Elf64Ehdr);
  t.eh.e_ehsize = sizeof(Elf64Ehdr);
  t.eh.e_phentsize = sizeof(Elf64Phdr);
  t.ph = {Load(kElfPfR | kElfPfX, 0x1000, 0x100000, 0x100, 0x100),
          Load(kElfPfR | kElfPfW, 0x1100, 0x200000, 0x80, 0x1000)};
  t.SetPhnum();
  t.size = 0x1180;
  return t;
}

class ElfTest : public ::testing::Test {
 protected:
  void SetUp() override { fake::ClearLog(); }

  // Parses t; on failure also checks that *out was cleared and that exactly
  // one warning was logged.
  static ElfStatus Parse(const TestImage& t, ElfImage* out, uint64_t mem_size = kMemSize) {
    fake::ClearLog();
    std::vector<uint8_t> bytes = t.Bytes();
    ElfStatus s = ParseElf(bytes.data(), bytes.size(), mem_size, out);
    if (s != ElfStatus::kOk) {
      EXPECT_EQ(fake::CountLogged(LogLevel::kWarn), 1) << ElfStatusName(s);
      EXPECT_EQ(out->segment_count, 0u);
      EXPECT_EQ(out->entry.value(), 0u);
      EXPECT_EQ(out->end.value(), 0u);
    } else {
      EXPECT_EQ(fake::CountLogged(LogLevel::kWarn), 0);
    }
    return s;
  }
  static ElfStatus Parse(const TestImage& t, uint64_t mem_size = kMemSize) {
    ElfImage image;
    return Parse(t, &image, mem_size);
  }
  static bool Warned(const std::string& text) { return fake::Logged(LogLevel::kWarn, text); }
};

TEST_F(ElfTest, ValidImage) {
  ElfImage image;
  ASSERT_EQ(Parse(ValidImage(), &image), ElfStatus::kOk);
  EXPECT_EQ(image.entry.value(), 0x100010u);
  EXPECT_EQ(image.entry_vaddr, 0x100010u);
  ASSERT_EQ(image.segment_count, 2u);
  EXPECT_EQ(image.segments[0].guest_addr.value(), 0x100000u);
  EXPECT_EQ(image.segments[0].file_offset, 0x1000u);
  EXPECT_EQ(image.segments[0].file_size, 0x100u);
  EXPECT_EQ(image.segments[0].mem_size, 0x100u);
  EXPECT_EQ(image.segments[0].flags, kElfPfR | kElfPfX);
  EXPECT_EQ(image.segments[1].guest_addr.value(), 0x200000u);
  EXPECT_EQ(image.segments[1].file_offset, 0x1100u);
  EXPECT_EQ(image.segments[1].file_size, 0x80u);
  EXPECT_EQ(image.segments[1].mem_size, 0x1000u);
  EXPECT_EQ(image.segments[1].flags, kElfPfR | kElfPfW);
  EXPECT_EQ(image.lowest.value(), 0x100000u);
  EXPECT_EQ(image.end.value(), 0x201000u);
}

TEST_F(ElfTest, LowestAndEndDoNotDependOnOrder) {
  TestImage t = ValidImage();
  std::swap(t.ph[0], t.ph[1]);
  ElfImage image;
  ASSERT_EQ(Parse(t, &image), ElfStatus::kOk);
  EXPECT_EQ(image.segments[0].guest_addr.value(), 0x200000u);  // file order kept
  EXPECT_EQ(image.lowest.value(), 0x100000u);
  EXPECT_EQ(image.end.value(), 0x201000u);
  EXPECT_EQ(image.entry.value(), 0x100010u);
}

TEST_F(ElfTest, LooksLikeElf) {
  std::vector<uint8_t> bytes = ValidImage().Bytes();
  EXPECT_TRUE(LooksLikeElf(bytes.data(), bytes.size()));
  EXPECT_TRUE(LooksLikeElf(bytes.data(), 4));
  EXPECT_FALSE(LooksLikeElf(bytes.data(), 3));
  EXPECT_FALSE(LooksLikeElf(bytes.data(), 0));
  EXPECT_FALSE(LooksLikeElf(nullptr, 100));
  const uint8_t bzimage[] = {'M', 'Z', 0, 0, 0, 0};  // a bzImage starts like a PE file
  EXPECT_FALSE(LooksLikeElf(bzimage, sizeof(bzimage)));
  const uint8_t almost[] = {0x7f, 'E', 'L', 'G'};
  EXPECT_FALSE(LooksLikeElf(almost, sizeof(almost)));
  EXPECT_EQ(fake::CountLogged(LogLevel::kWarn), 0);
}

TEST_F(ElfTest, TruncatedHeader) {
  std::vector<uint8_t> bytes = ValidImage().Bytes();
  for (size_t size : {size_t{0}, size_t{1}, size_t{4}, size_t{63}}) {
    fake::ClearLog();
    ElfImage image;
    EXPECT_EQ(ParseElf(bytes.data(), size, kMemSize, &image), ElfStatus::kTooSmall) << size;
    EXPECT_TRUE(Warned("elf: image of " + std::to_string(size) +
                       " bytes is shorter than the ELF header (64 bytes)"))
        << size;
    EXPECT_EQ(fake::CountLogged(LogLevel::kWarn), 1);
  }
  fake::ClearLog();
  ElfImage image;
  EXPECT_EQ(ParseElf(nullptr, 4096, kMemSize, &image), ElfStatus::kTooSmall);
  EXPECT_TRUE(Warned("elf: image of 0 bytes is shorter than the ELF header"));
}

TEST_F(ElfTest, BadMagic) {
  TestImage t = ValidImage();
  t.eh.e_ident[0] = 'M';
  t.eh.e_ident[1] = 'Z';
  EXPECT_EQ(Parse(t), ElfStatus::kBadMagic);
  EXPECT_TRUE(Warned("elf: bad magic 4d 5a 4c 46"));
  t = ValidImage();
  t.eh.e_ident[3] = 'f';
  EXPECT_EQ(Parse(t), ElfStatus::kBadMagic);
  EXPECT_TRUE(Warned("elf: bad magic 7f 45 4c 66"));
}

TEST_F(ElfTest, Class32) {
  TestImage t = ValidImage();
  t.eh.e_ident[kElfIdentClass] = kElfClass32;
  EXPECT_EQ(Parse(t), ElfStatus::kNotElf64);
  EXPECT_TRUE(Warned("elf: class 1 is not ELFCLASS64 (2)"));
  t.eh.e_ident[kElfIdentClass] = 0;
  EXPECT_EQ(Parse(t), ElfStatus::kNotElf64);
  EXPECT_TRUE(Warned("elf: class 0 is not ELFCLASS64"));
}

TEST_F(ElfTest, BigEndian) {
  TestImage t = ValidImage();
  t.eh.e_ident[kElfIdentData] = kElfDataMsb;
  EXPECT_EQ(Parse(t), ElfStatus::kNotLittleEndian);
  EXPECT_TRUE(Warned("elf: data encoding 2 is not little-endian (1)"));
  t.eh.e_ident[kElfIdentData] = 0;
  EXPECT_EQ(Parse(t), ElfStatus::kNotLittleEndian);
}

TEST_F(ElfTest, Version) {
  TestImage t = ValidImage();
  t.eh.e_ident[kElfIdentVersion] = 0;
  EXPECT_EQ(Parse(t), ElfStatus::kBadVersion);
  EXPECT_TRUE(Warned("elf: version 0/1 is not EV_CURRENT (1)"));
  t = ValidImage();
  t.eh.e_version = 2;
  EXPECT_EQ(Parse(t), ElfStatus::kBadVersion);
  EXPECT_TRUE(Warned("elf: version 1/2 is not EV_CURRENT (1)"));
}

TEST_F(ElfTest, WrongMachine) {
  TestImage t = ValidImage();
  t.eh.e_machine = 3;  // EM_386
  EXPECT_EQ(Parse(t), ElfStatus::kNotX86_64);
  EXPECT_TRUE(Warned("elf: machine 3 is not EM_X86_64 (62)"));
  t.eh.e_machine = 183;  // EM_AARCH64
  EXPECT_EQ(Parse(t), ElfStatus::kNotX86_64);
  EXPECT_TRUE(Warned("elf: machine 183 is not EM_X86_64 (62)"));
}

TEST_F(ElfTest, NotExecutable) {
  TestImage t = ValidImage();
  t.eh.e_type = kElfTypeDyn;
  EXPECT_EQ(Parse(t), ElfStatus::kNotExecutable);
  EXPECT_TRUE(Warned("elf: type 3 is not ET_EXEC (2): position-independent (ET_DYN) images"));
  t.eh.e_type = 1;  // ET_REL
  EXPECT_EQ(Parse(t), ElfStatus::kNotExecutable);
  EXPECT_TRUE(Warned("elf: type 1 is not ET_EXEC (2)"));
  t.eh.e_type = 4;  // ET_CORE
  EXPECT_EQ(Parse(t), ElfStatus::kNotExecutable);
}

TEST_F(ElfTest, ProgramHeaderEntrySize) {
  TestImage t = ValidImage();
  t.eh.e_phentsize = 32;
  EXPECT_EQ(Parse(t), ElfStatus::kBadProgramHeaders);
  EXPECT_TRUE(Warned("elf: program header size 32, expected 56"));
  t.eh.e_phentsize = 64;
  EXPECT_EQ(Parse(t), ElfStatus::kBadProgramHeaders);
  t.eh.e_phentsize = 0;
  EXPECT_EQ(Parse(t), ElfStatus::kBadProgramHeaders);
}

TEST_F(ElfTest, ProgramHeaderCount) {
  TestImage t = ValidImage();
  t.eh.e_phnum = 0;
  EXPECT_EQ(Parse(t), ElfStatus::kBadProgramHeaders);
  EXPECT_TRUE(Warned("elf: 0 program headers, expected 1..64"));
  t.eh.e_phnum = 65;
  t.size = 0x10000;  // the table would fit in the file
  EXPECT_EQ(Parse(t), ElfStatus::kBadProgramHeaders);
  EXPECT_TRUE(Warned("elf: 65 program headers, expected 1..64"));
  t.eh.e_phnum = 0xffff;  // PN_XNUM: extended numbering, not supported
  EXPECT_EQ(Parse(t), ElfStatus::kBadProgramHeaders);
  EXPECT_TRUE(Warned("elf: 65535 program headers, expected 1..64"));
}

TEST_F(ElfTest, ProgramHeadersPastTheEnd) {
  TestImage t = ValidImage();
  t.eh.e_phoff = t.size;  // table starts at the end
  EXPECT_EQ(Parse(t), ElfStatus::kBadProgramHeaders);
  EXPECT_TRUE(
      Warned("elf: program header table at 0x1180 (2 entries) is past the end of the file (4480 "
             "bytes)"));
  t.eh.e_phoff = t.size - sizeof(Elf64Phdr);  // the second entry crosses the end
  EXPECT_EQ(Parse(t), ElfStatus::kBadProgramHeaders);
  t.eh.e_phoff = 0x100000;
  EXPECT_EQ(Parse(t), ElfStatus::kBadProgramHeaders);
  t.eh.e_phoff = ~uint64_t{0} - 8;  // phoff + table size wraps
  EXPECT_EQ(Parse(t), ElfStatus::kBadProgramHeaders);
  EXPECT_TRUE(Warned("elf: program header table at 0xfffffffffffffff7 (2 entries)"));
  // The table may end exactly at the end of the file.
  t = ValidImage();
  t.size = sizeof(Elf64Ehdr) + 2 * sizeof(Elf64Phdr);
  t.ph = {Load(kElfPfR | kElfPfX, 0, 0x100000, t.size, 0x1000)};
  t.SetPhnum();
  t.eh.e_phnum = 2;  // second entry: all zero, type PT_NULL
  EXPECT_EQ(Parse(t), ElfStatus::kOk);
}

TEST_F(ElfTest, FileSizeAboveMemorySize) {
  TestImage t = ValidImage();
  t.ph[1].p_filesz = 0x1001;
  EXPECT_EQ(Parse(t), ElfStatus::kBadSegmentSize);
  EXPECT_TRUE(Warned("elf: segment 1: file size 0x1001 is above its memory size 0x1000"));
}

TEST_F(ElfTest, SegmentPastTheFile) {
  TestImage t = ValidImage();
  t.ph[1].p_filesz = 0x81;  // one byte past the end
  EXPECT_EQ(Parse(t), ElfStatus::kSegmentOutsideFile);
  EXPECT_TRUE(
      Warned("elf: segment 1: file bytes [0x1100, +0x81) are past the end of the file (4480 "
             "bytes)"));
  t = ValidImage();
  t.ph[0].p_offset = 0x2000;
  EXPECT_EQ(Parse(t), ElfStatus::kSegmentOutsideFile);
  EXPECT_TRUE(Warned("elf: segment 0: file bytes [0x2000, +0x100)"));
  t = ValidImage();
  t.ph[0].p_offset = ~uint64_t{0} - 0x10;  // offset + size wraps
  EXPECT_EQ(Parse(t), ElfStatus::kSegmentOutsideFile);
  // A segment with no file bytes may sit at the very end (or anywhere up to it).
  t = ValidImage();
  t.ph[1].p_offset = t.size;
  t.ph[1].p_filesz = 0;
  EXPECT_EQ(Parse(t), ElfStatus::kOk);
}

TEST_F(ElfTest, SegmentPastGuestMemory) {
  TestImage t = ValidImage();
  t.ph[1].p_paddr = kMemSize - 0x800;  // the bss crosses the end
  EXPECT_EQ(Parse(t), ElfStatus::kSegmentOutsideMemory);
  EXPECT_TRUE(
      Warned("elf: segment 1: guest range [0xfff800, 0x1000800) is outside guest memory [0, "
             "0x1000000)"));
  t.ph[1].p_paddr = 0x40000000;
  EXPECT_EQ(Parse(t), ElfStatus::kSegmentOutsideMemory);
  // Ending exactly at the end of memory is fine.
  t.ph[1].p_paddr = kMemSize - 0x1000;
  ElfImage image;
  EXPECT_EQ(Parse(t, &image), ElfStatus::kOk);
  EXPECT_EQ(image.end.value(), kMemSize);
  // A guest too small for the image.
  EXPECT_EQ(Parse(ValidImage(), kMiB), ElfStatus::kSegmentOutsideMemory);
  EXPECT_TRUE(Warned("elf: segment 0: guest range [0x100000, 0x100100) is outside guest memory"));
  EXPECT_EQ(Parse(ValidImage(), uint64_t{0}), ElfStatus::kSegmentOutsideMemory);
}

TEST_F(ElfTest, AddressOverflow) {
  TestImage t = ValidImage();
  t.ph[1].p_paddr = ~uint64_t{0} - 0xfff;  // 2^64 - 4 KiB
  t.ph[1].p_memsz = 0x2000;
  EXPECT_EQ(Parse(t, ~uint64_t{0}), ElfStatus::kSegmentOutsideMemory);
  EXPECT_TRUE(Warned("elf: segment 1: guest range 0xfffffffffffff000+0x2000 wraps past 2^64"));
  t.ph[1].p_memsz = ~uint64_t{0};
  EXPECT_EQ(Parse(t, ~uint64_t{0}), ElfStatus::kSegmentOutsideMemory);
  EXPECT_TRUE(Warned("wraps past 2^64"));
  // The highest possible range that does not wrap, in the largest guest.
  t.ph[1].p_memsz = 0xfff;
  ElfImage image;
  EXPECT_EQ(Parse(t, &image, ~uint64_t{0}), ElfStatus::kOk);
  EXPECT_EQ(image.end.value(), ~uint64_t{0});
}

TEST_F(ElfTest, OverlappingSegments) {
  TestImage t = ValidImage();
  t.ph[1].p_paddr = 0x1000ff;  // the last byte of the text segment
  EXPECT_EQ(Parse(t), ElfStatus::kOverlap);
  EXPECT_TRUE(
      Warned("elf: segment 1 [0x1000ff, 0x1010ff) overlaps [0x100000, 0x100100) of an earlier "
             "segment"));
  t.ph[1].p_paddr = 0xff000;  // the data segment covers the text segment
  t.ph[1].p_memsz = 0x10000;
  EXPECT_EQ(Parse(t), ElfStatus::kOverlap);
  t = ValidImage();
  t.ph[1].p_paddr = t.ph[0].p_paddr;  // identical start
  EXPECT_EQ(Parse(t), ElfStatus::kOverlap);
  // Touching is not overlapping.
  t.ph[1].p_paddr = 0x100100;
  EXPECT_EQ(Parse(t), ElfStatus::kOk);
  // Overlapping file bytes are fine (linkers share pages between segments).
  t = ValidImage();
  t.ph[1].p_offset = 0x1000;
  EXPECT_EQ(Parse(t), ElfStatus::kOk);
}

TEST_F(ElfTest, NoLoadSegment) {
  TestImage t = ValidImage();
  t.ph[0].p_type = 4;           // PT_NOTE
  t.ph[1].p_type = 0x6474e551;  // PT_GNU_STACK
  EXPECT_EQ(Parse(t), ElfStatus::kNoLoadSegment);
  EXPECT_TRUE(Warned("elf: no loadable segment (PT_LOAD with a non-zero memory size)"));
  t = ValidImage();
  t.ph[0].p_memsz = t.ph[0].p_filesz = 0;  // empty PT_LOADs load nothing
  t.ph[1].p_memsz = t.ph[1].p_filesz = 0;
  EXPECT_EQ(Parse(t), ElfStatus::kNoLoadSegment);
}

TEST_F(ElfTest, OtherSegmentsAreIgnored) {
  TestImage t = ValidImage();
  // A note with nonsense ranges and an empty PT_LOAD far outside memory.
  t.ph.push_back({4, 0, ~uint64_t{0}, 0, ~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}, 0});
  t.ph.push_back(Load(kElfPfR, ~uint64_t{0}, ~uint64_t{0}, 0, 0));
  t.SetPhnum();
  ElfImage image;
  EXPECT_EQ(Parse(t, &image), ElfStatus::kOk);
  EXPECT_EQ(image.segment_count, 2u);
}

TEST_F(ElfTest, EntryOutsideAnySegment) {
  TestImage t = ValidImage();
  t.eh.e_entry = 0x100100;  // one past the text segment
  EXPECT_EQ(Parse(t), ElfStatus::kBadEntry);
  EXPECT_TRUE(Warned("elf: entry point 0x100100 is outside every loadable segment"));
  t.eh.e_entry = 0;
  EXPECT_EQ(Parse(t), ElfStatus::kBadEntry);
  t.eh.e_entry = ~uint64_t{0};
  EXPECT_EQ(Parse(t), ElfStatus::kBadEntry);
  t.eh.e_entry = 0x100000;  // the first byte is fine
  EXPECT_EQ(Parse(t), ElfStatus::kOk);
  t.eh.e_entry = 0x1000ff;  // and the last
  EXPECT_EQ(Parse(t), ElfStatus::kOk);
}

TEST_F(ElfTest, EntryInNonExecutableSegment) {
  TestImage t = ValidImage();
  t.eh.e_entry = 0x200010;
  EXPECT_EQ(Parse(t), ElfStatus::kBadEntry);
  EXPECT_TRUE(Warned("elf: entry point 0x200010 is in a segment that is not executable"));
  t = ValidImage();
  t.ph[0].p_flags = kElfPfR;
  EXPECT_EQ(Parse(t), ElfStatus::kBadEntry);
  EXPECT_TRUE(Warned("elf: entry point 0x100010 is in a segment that is not executable"));
}

// A kernel linked high (vaddr) but loaded low (paddr): the entry is translated.
TEST_F(ElfTest, EntryIsTranslatedToGuestPhysical) {
  TestImage t = ValidImage();
  constexpr uint64_t kHigh = 0xffffffff80000000;
  t.ph[0].p_vaddr = kHigh + 0x100000;
  t.ph[1].p_vaddr = kHigh + 0x200000;
  t.eh.e_entry = kHigh + 0x100040;
  ElfImage image;
  ASSERT_EQ(Parse(t, &image), ElfStatus::kOk);
  EXPECT_EQ(image.entry.value(), 0x100040u);
  EXPECT_EQ(image.entry_vaddr, kHigh + 0x100040);
  EXPECT_EQ(image.segments[0].guest_addr.value(), 0x100000u);  // loaded at p_paddr
  // The physical address is not a valid entry when the link address differs.
  t.eh.e_entry = 0x100040;
  EXPECT_EQ(Parse(t), ElfStatus::kBadEntry);
}

TEST_F(ElfTest, SegmentLimit) {
  TestImage t = ValidImage();
  t.ph.clear();
  for (uint64_t i = 0; i < kMaxElfSegments; ++i) {
    t.ph.push_back(Load(kElfPfR | kElfPfX, 0x1000, 0x100000 + i * 0x1000, 0x100, 0x1000));
  }
  t.SetPhnum();
  ElfImage image;
  ASSERT_EQ(Parse(t, &image), ElfStatus::kOk);
  EXPECT_EQ(image.segment_count, kMaxElfSegments);
  EXPECT_EQ(image.end.value(), 0x100000 + kMaxElfSegments * 0x1000);
  t.ph.push_back(Load(kElfPfR, 0x1000, 0x800000, 0x100, 0x1000));
  t.SetPhnum();
  EXPECT_EQ(Parse(t), ElfStatus::kTooManySegments);
  EXPECT_TRUE(Warned("elf: more than 16 loadable segments"));
}

TEST_F(ElfTest, StatusNamesAreDistinct) {
  std::set<std::string> names;
  for (int s = 0; s <= static_cast<int>(ElfStatus::kBadEntry); ++s) {
    std::string name = ElfStatusName(static_cast<ElfStatus>(s));
    EXPECT_NE(name, "unknown") << s;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(ElfStatus::kBadEntry) + 1);
  EXPECT_STREQ(ElfStatusName(static_cast<ElfStatus>(200)), "unknown");
}

// Checks what ParseElf promises about an accepted image.
void ExpectConsistent(const ElfImage& image, size_t size, uint64_t mem_size) {
  ASSERT_GE(image.segment_count, 1u);
  ASSERT_LE(image.segment_count, kMaxElfSegments);
  bool entry_found = false;
  for (size_t i = 0; i < image.segment_count; ++i) {
    const ElfSegment& s = image.segments[i];
    ASSERT_GT(s.mem_size, 0u);
    ASSERT_LE(s.file_size, s.mem_size);
    ASSERT_LE(s.file_offset, size);
    ASSERT_LE(s.file_size, size - s.file_offset);
    ASSERT_LE(s.guest_addr.value(), mem_size);
    ASSERT_LE(s.mem_size, mem_size - s.guest_addr.value());
    ASSERT_GE(s.guest_addr, image.lowest);
    ASSERT_LE(s.guest_addr.value() + s.mem_size, image.end.value());
    for (size_t j = 0; j < i; ++j) {
      const ElfSegment& o = image.segments[j];
      ASSERT_TRUE(s.guest_addr.value() + s.mem_size <= o.guest_addr.value() ||
                  o.guest_addr.value() + o.mem_size <= s.guest_addr.value());
    }
    if ((s.flags & kElfPfX) != 0 && image.entry >= s.guest_addr &&
        image.entry.value() - s.guest_addr.value() < s.mem_size) {
      entry_found = true;
    }
  }
  ASSERT_TRUE(entry_found);
}

TEST_F(ElfTest, RandomMutationsNeverCrash) {
  fake::SetLogEcho(false);
  const std::vector<uint8_t> valid = ValidImage().Bytes();
  std::mt19937_64 rng(0x5eed);
  int accepted = 0;
  for (int iter = 0; iter < 10000; ++iter) {
    std::vector<uint8_t> bytes = valid;
    // Mostly the headers (where the parser looks), sometimes anywhere.
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f) {
      size_t limit = rng() % 4 == 0 ? bytes.size() : 64 + 2 * sizeof(Elf64Phdr);
      size_t at = rng() % limit;
      switch (rng() % 4) {
        case 0:
          bytes[at] = static_cast<uint8_t>(rng());
          break;
        case 1:
          bytes[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 2:
          bytes[at] = (rng() % 2) ? 0xff : 0x00;
          break;
        default:  // an interesting 64-bit value at a random place
          if (at + 8 <= bytes.size()) {
            const uint64_t values[] = {
                0, 1, ~uint64_t{0}, uint64_t{1} << 63, kMemSize, kMemSize - 1, 0x100000, 0x1180};
            uint64_t v = values[rng() % 8];
            memcpy(bytes.data() + at, &v, 8);
          }
      }
    }
    if (rng() % 8 == 0) bytes.resize(rng() % (bytes.size() + 1));
    // An exactly sized copy, so a read past the end is a heap overflow that
    // sanitizers (and often malloc) catch.
    std::vector<uint8_t> exact(bytes.begin(), bytes.end());
    const uint64_t mem_size = rng() % 4 == 0 ? rng() : kMemSize;
    fake::ClearLog();
    ElfImage image;
    ElfStatus s = ParseElf(exact.empty() ? nullptr : exact.data(), exact.size(), mem_size, &image);
    if (s == ElfStatus::kOk) {
      ++accepted;
      ExpectConsistent(image, exact.size(), mem_size);
      ASSERT_EQ(fake::CountLogged(LogLevel::kWarn), 0);
    } else {
      ASSERT_EQ(fake::CountLogged(LogLevel::kWarn), 1) << ElfStatusName(s);
      ASSERT_EQ(image.segment_count, 0u);
    }
  }
  fake::SetLogEcho(true);
  // Many mutations hit bytes the parser ignores; some must still parse.
  EXPECT_GT(accepted, 100);
}

}  // namespace
}  // namespace hv
