// SPDX-License-Identifier: Apache-2.0
// CPUID as a guest sees it: hv says it is there, and keeps SVM to itself.
#include "tests/guests/lib/guest.h"

void test_main() {
  guest::CpuidResult leaf1 = guest::Cpuid(1);
  GUEST_ASSERT((leaf1.ecx >> 31) & 1);  // hypervisor present

  guest::CpuidResult hv = guest::Cpuid(0x40000000);
  char signature[13];
  for (int i = 0; i < 4; ++i) {
    signature[i] = static_cast<char>(hv.ebx >> (8 * i));
    signature[4 + i] = static_cast<char>(hv.ecx >> (8 * i));
    signature[8 + i] = static_cast<char>(hv.edx >> (8 * i));
  }
  signature[12] = '\0';
  guest::Printf("CPUID 0x40000000: max leaf %#x, signature \"%s\"\n", hv.eax, signature);
  GUEST_ASSERT(hv.eax >= 0x40000000u && hv.eax < 0x40000100u);
  GUEST_ASSERT(hv.ebx != 0 || hv.ecx != 0 || hv.edx != 0);
  for (int i = 0; i < 12; ++i) GUEST_ASSERT(signature[i] >= 0x20 && signature[i] < 0x7f);

  // SVM is not visible: not in 0x80000001 ECX, and leaf 0x8000000A says nothing.
  guest::CpuidResult ext = guest::Cpuid(0x80000000);
  GUEST_ASSERT(ext.eax >= 0x80000001u);
  GUEST_ASSERT_EQ((guest::Cpuid(0x80000001).ecx >> 2) & 1, 0u);
  if (ext.eax >= 0x8000000au) {
    guest::CpuidResult svm = guest::Cpuid(0x8000000a);
    GUEST_ASSERT_EQ(svm.eax | svm.ebx | svm.edx, 0u);
  }
}
