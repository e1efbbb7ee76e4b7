// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/mmio_decode.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace hv::x86 {
namespace {

MmioAccess Decode(std::vector<uint8_t> bytes, DecodeStatus want = DecodeStatus::kOk) {
  MmioAccess a;
  EXPECT_EQ(DecodeMmio(bytes.data(), bytes.size(), &a), want);
  return a;
}

TEST(MmioDecode, LoadsAndStores) {
  auto a = Decode({0x8b, 0x00});  // mov (%rax), %eax
  EXPECT_FALSE(a.write);
  EXPECT_EQ(a.size, 4);
  EXPECT_EQ(a.reg, 0);
  EXPECT_EQ(a.length, 2);
  a = Decode({0x89, 0x5f, 0x10});  // mov %ebx, 0x10(%rdi)
  EXPECT_TRUE(a.write);
  EXPECT_EQ(a.reg, 3);
  EXPECT_EQ(a.length, 3);
  a = Decode({0x45, 0x8b, 0x8c, 0x24, 0x00, 0x01, 0x00, 0x00});  // mov 0x100(%r12), %r9d
  EXPECT_EQ(a.reg, 9);
  EXPECT_EQ(a.size, 4);
  EXPECT_EQ(a.length, 8);
  a = Decode({0x48, 0x8b, 0x00});  // mov (%rax), %rax
  EXPECT_EQ(a.size, 8);
  a = Decode({0x66, 0x89, 0x03});  // mov %ax, (%rbx)
  EXPECT_EQ(a.size, 2);
  EXPECT_TRUE(a.write);
  a = Decode({0x8b, 0x05, 1, 2, 3, 4});  // mov disp32(%rip), %eax
  EXPECT_EQ(a.length, 6);
  a = Decode({0x8b, 0x04, 0x25, 0, 0, 0xc0, 0xfe});  // mov 0xfec00000, %eax (SIB, no base)
  EXPECT_EQ(a.length, 7);
}

TEST(MmioDecode, Immediates) {
  auto a = Decode({0xc7, 0x00, 0x78, 0x56, 0x34, 0x12});  // movl $0x12345678, (%rax)
  EXPECT_TRUE(a.write && a.has_imm);
  EXPECT_EQ(a.imm, 0x12345678u);
  EXPECT_EQ(a.length, 6);
  a = Decode({0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff});  // movq $-1, (%rax)
  EXPECT_EQ(a.imm, ~0ull);
  a = Decode({0xc6, 0x40, 0x04, 0x7f});  // movb $0x7f, 4(%rax)
  EXPECT_EQ(a.size, 1);
  EXPECT_EQ(a.imm, 0x7fu);
  EXPECT_EQ(a.length, 4);
  Decode({0xc7, 0x08, 0, 0, 0, 0}, DecodeStatus::kUnsupported);  // C7 /1 is not MOV
}

TEST(MmioDecode, ByteRegistersAndZeroExtension) {
  auto a = Decode({0x88, 0x01});  // mov %al, (%rcx)
  EXPECT_EQ(a.size, 1);
  EXPECT_FALSE(a.high_byte);
  a = Decode({0x8a, 0x20});  // mov (%rax), %ah
  EXPECT_TRUE(a.high_byte);
  EXPECT_EQ(a.reg, 0);
  a = Decode({0x40, 0x8a, 0x20});  // with REX: %spl, not %ah
  EXPECT_FALSE(a.high_byte);
  EXPECT_EQ(a.reg, 4);
  a = Decode({0x0f, 0xb6, 0x06});  // movzbl (%rsi), %eax
  EXPECT_TRUE(a.zero_extend);
  EXPECT_EQ(a.size, 1);
  a = Decode({0x0f, 0xb7, 0x06});
  EXPECT_EQ(a.size, 2);
}

TEST(MmioDecode, Refusals) {
  Decode({0xf0, 0x89, 0x00}, DecodeStatus::kUnsupported);  // lock
  Decode({0xf3, 0xa5}, DecodeStatus::kUnsupported);        // rep movs
  Decode({0x01, 0x00}, DecodeStatus::kUnsupported);        // add
  Decode({0x89, 0xc0}, DecodeStatus::kNotMemory);          // register to register
  Decode({0x8b}, DecodeStatus::kTruncated);
  Decode({0x8b, 0x80, 0, 0}, DecodeStatus::kTruncated);    // disp32 cut short
  Decode({0xc7, 0x00, 1, 2}, DecodeStatus::kTruncated);
  Decode({}, DecodeStatus::kTruncated);
  // Only prefixes up to the 15-byte limit: not an instruction.
  Decode({0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66},
         DecodeStatus::kUnsupported);
}

TEST(MmioDecode, RegisterMerging) {
  MmioAccess a;
  a.size = 4;
  EXPECT_EQ(MergeRead(0xffffffffffffffff, a, 0x12345678), 0x12345678u);
  a.size = 2;
  EXPECT_EQ(MergeRead(0xffffffffffffffff, a, 0x1234), 0xffffffffffff1234u);
  a.size = 1;
  a.high_byte = true;
  EXPECT_EQ(MergeRead(0xffff, a, 0x12), 0x12ffu);
  EXPECT_EQ(WriteValue(0xabcd, a), 0xabu);
  a = MmioAccess{};
  a.size = 1;
  a.zero_extend = true;
  EXPECT_EQ(MergeRead(0xffffffffffffffff, a, 0x1ff), 0xffu);
}

TEST(MmioDecode, RandomBytesNeverOverrun) {
  std::mt19937 rng(7);
  for (int i = 0; i < 100000; ++i) {
    uint8_t bytes[15];
    const size_t n = rng() % 16;
    for (auto& x : bytes) x = static_cast<uint8_t>(rng());
    MmioAccess a;
    if (DecodeMmio(bytes, n, &a) == DecodeStatus::kOk) {
      ASSERT_LE(a.length, n);
      ASSERT_TRUE(a.size == 1 || a.size == 2 || a.size == 4 || a.size == 8);
      ASSERT_LT(a.reg, 16);
    }
  }
}

}  // namespace
}  // namespace hv::x86
