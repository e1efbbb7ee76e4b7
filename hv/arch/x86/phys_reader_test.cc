// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/phys_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hv/arch/x86/testing/fake_phys.h"

namespace hv::x86 {
namespace {

using testing::FakePhys;

TEST(FakePhysTest, MapsOnlyWhatWasAdded) {
  FakePhys mem;
  mem.Add(PhysAddr(0x1000), std::vector<uint8_t>{1, 2, 3, 4});
  const auto* p = static_cast<const uint8_t*>(mem.Map(PhysAddr(0x1001), 3));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p[0], 2);
  EXPECT_EQ(p[2], 4);
  EXPECT_EQ(mem.Map(PhysAddr(0x1001), 4), nullptr);  // one past the end
  EXPECT_EQ(mem.Map(PhysAddr(0xFFF), 2), nullptr);   // one before the start
  EXPECT_EQ(mem.Map(PhysAddr(0x1004), 1), nullptr);
  EXPECT_NE(mem.Map(PhysAddr(0x1003), 0), nullptr);  // zero length names one byte
  EXPECT_EQ(mem.Map(PhysAddr(0x1004), 0), nullptr);
}

TEST(FakePhysTest, RejectsWrappingRanges) {
  FakePhys mem;
  mem.Add(PhysAddr(~uint64_t{0} - 15), std::vector<uint8_t>(16, 0xAA));
  EXPECT_NE(mem.Map(PhysAddr(~uint64_t{0} - 15), 16), nullptr);
  EXPECT_EQ(mem.Map(PhysAddr(~uint64_t{0} - 15), 17), nullptr);
  EXPECT_EQ(mem.Map(PhysAddr(~uint64_t{0}), ~uint64_t{0}), nullptr);
}

TEST(FakePhysTest, MergesOverlappingAndAdjacentRegions) {
  FakePhys mem;
  mem.AddZeros(PhysAddr(0x2000), 0x100);
  mem.Add(PhysAddr(0x2100), std::vector<uint8_t>{7, 8});  // adjacent
  mem.Add(PhysAddr(0x20FF), std::vector<uint8_t>{9});     // overlapping, newest wins
  const auto* p = static_cast<const uint8_t*>(mem.Map(PhysAddr(0x2000), 0x102));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p[0xFF], 9);
  EXPECT_EQ(p[0x100], 7);
  EXPECT_EQ(p[0x101], 8);
  uint8_t* w = mem.Mutable(PhysAddr(0x2101), 1);
  ASSERT_NE(w, nullptr);
  *w = 42;
  EXPECT_EQ(static_cast<const uint8_t*>(mem.Map(PhysAddr(0x2101), 1))[0], 42);
}

TEST(PhysReaderTest, ReadPhysCopiesOrFails) {
  FakePhys mem;
  mem.Add(PhysAddr(0x10), std::vector<uint8_t>{0x78, 0x56, 0x34, 0x12});
  uint32_t v = 0;
  ASSERT_TRUE(ReadPhys(mem, PhysAddr(0x10), &v));
  EXPECT_EQ(v, 0x12345678u);
  uint64_t big = 0;
  EXPECT_FALSE(ReadPhys(mem, PhysAddr(0x10), &big));
}

TEST(PhysReaderTest, ReadPhysStringBounds) {
  FakePhys mem;
  const std::string s = "hello";
  mem.Add(PhysAddr(0x100), s.c_str(), s.size() + 1);
  char buf[16];
  EXPECT_EQ(ReadPhysString(mem, PhysAddr(0x100), buf, sizeof(buf)), StringStatus::kOk);
  EXPECT_STREQ(buf, "hello");
  // Exactly fits with its NUL.
  char six[6];
  EXPECT_EQ(ReadPhysString(mem, PhysAddr(0x100), six, sizeof(six)), StringStatus::kOk);
  EXPECT_STREQ(six, "hello");
  char five[5];
  EXPECT_EQ(ReadPhysString(mem, PhysAddr(0x100), five, sizeof(five)), StringStatus::kTruncated);
  EXPECT_STREQ(five, "hell");
  // No NUL before the end of readable memory.
  mem.Add(PhysAddr(0x200), "abc", 3);
  EXPECT_EQ(ReadPhysString(mem, PhysAddr(0x200), buf, sizeof(buf)), StringStatus::kUnreadable);
  EXPECT_STREQ(buf, "abc");
  EXPECT_EQ(ReadPhysString(mem, PhysAddr(0x300), buf, sizeof(buf)), StringStatus::kUnreadable);
  EXPECT_STREQ(buf, "");
}

TEST(PhysReaderTest, ReadPhysStringStopsAtWrap) {
  FakePhys mem;
  mem.Add(PhysAddr(~uint64_t{0} - 1), "ab", 2);
  mem.Add(PhysAddr(0), "cd", 3);
  char buf[16];
  EXPECT_EQ(ReadPhysString(mem, PhysAddr(~uint64_t{0} - 1), buf, sizeof(buf)),
            StringStatus::kUnreadable);
  EXPECT_STREQ(buf, "ab");
}

TEST(PhysReaderTest, LinearPhysReaderChecksTheLimit) {
  static const uint8_t kMem[64] = {5};
  const LinearPhysReader mem(reinterpret_cast<uintptr_t>(kMem), sizeof(kMem));
  EXPECT_EQ(mem.Map(PhysAddr(0), 64), kMem);
  EXPECT_EQ(mem.Map(PhysAddr(8), 8), kMem + 8);
  EXPECT_EQ(mem.Map(PhysAddr(60), 5), nullptr);
  EXPECT_EQ(mem.Map(PhysAddr(64), 1), nullptr);
  EXPECT_EQ(mem.Map(PhysAddr(1), ~uint64_t{0}), nullptr);
}

}  // namespace
}  // namespace hv::x86
