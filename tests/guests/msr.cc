// SPDX-License-Identifier: Apache-2.0
// MSRs: hv's own SVM MSRs are not the guest's (#GP), and EFER.SVME is hidden.
#include "tests/guests/lib/guest.h"

void test_main() {
  uint64_t value = 0, exinfo = 0;

  // VM_HSAVE_PA holds hv's host save area: reading or writing it is a #GP.
  GUEST_ASSERT(!guest::ProbeRdmsr(guest::kMsrVmHsavePa, &value, &exinfo));
  GUEST_ASSERT_EQ(guest::ExVector(exinfo), guest::kVectorGP);
  GUEST_ASSERT_EQ(guest::ExErrorCode(exinfo), 0u);
  GUEST_ASSERT(!guest::ProbeWrmsr(guest::kMsrVmHsavePa, 0x1000, &exinfo));
  GUEST_ASSERT_EQ(guest::ExVector(exinfo), guest::kVectorGP);

  // An MSR that exists nowhere.
  GUEST_ASSERT(!guest::ProbeRdmsr(0xdeadbeef, &value, &exinfo));
  GUEST_ASSERT_EQ(guest::ExVector(exinfo), guest::kVectorGP);

  // EFER: long mode on, SVME clear; setting SVME is refused.
  uint64_t efer = 0;
  GUEST_ASSERT(guest::ProbeRdmsr(guest::kMsrEfer, &efer));
  guest::Printf("EFER %#lx\n", efer);
  GUEST_ASSERT(efer & guest::kEferLme);
  GUEST_ASSERT(efer & guest::kEferLma);
  GUEST_ASSERT_EQ(efer & guest::kEferSvme, 0u);
  GUEST_ASSERT(!guest::ProbeWrmsr(guest::kMsrEfer, efer | guest::kEferSvme, &exinfo));
  GUEST_ASSERT_EQ(guest::ExVector(exinfo), guest::kVectorGP);
  GUEST_ASSERT(guest::ProbeRdmsr(guest::kMsrEfer, &value));
  GUEST_ASSERT_EQ(value, efer);
  GUEST_ASSERT(guest::ProbeWrmsr(guest::kMsrEfer, efer));  // the same value is fine
}
