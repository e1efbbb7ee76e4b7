// SPDX-License-Identifier: Apache-2.0
// Exceptions a guest raises in itself reach its own IDT, with the right
// vector, error code and RIP (and the library's guest::Catch works).
#include "tests/guests/lib/guest.h"

void test_main() {
  GUEST_ASSERT_EQ(guest::Catch([] {}), 0u);
  GUEST_EXPECT_EXCEPTION(guest::kVectorBP, [] { asm volatile("int3"); });
  GUEST_EXPECT_EXCEPTION(guest::kVectorUD, [] { asm volatile("ud2"); });
  GUEST_EXPECT_EXCEPTION(guest::kVectorDE, [] {
    asm volatile("xorl %%ecx, %%ecx; movl $1, %%eax; xorl %%edx, %%edx; divl %%ecx"
                 :
                 :
                 : "eax", "ecx", "edx");
  });
  // A non-canonical address is a #GP with error code 0.
  uint64_t exinfo = GUEST_EXPECT_EXCEPTION(guest::kVectorGP, [] {
    asm volatile("movq (%0), %%rax" : : "r"(0x8000000000000000ull) : "rax", "memory");
  });
  GUEST_ASSERT_EQ(guest::ExErrorCode(exinfo), 0u);
  // A selector beyond the GDT's limit is a #GP whose error code names it.
  exinfo = GUEST_EXPECT_EXCEPTION(guest::kVectorGP, [] {
    asm volatile("movw $0xfff8, %%ax; movw %%ax, %%fs" : : : "eax");
  });
  GUEST_ASSERT_EQ(guest::ExErrorCode(exinfo), 0xfff8u);
}
