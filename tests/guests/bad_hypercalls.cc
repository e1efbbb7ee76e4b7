// SPDX-License-Identifier: Apache-2.0
// The hypercall dispatcher refuses what it does not know (HV_ENOSYS) and
// control ops from a domU (HV_EPERM), before any handler runs.
#include "tests/guests/lib/guest.h"

void test_main() {
  // Unknown ops in known families.
  GUEST_ASSERT_EQ(guest::Hypercall0(HV_OP(HV_FAMILY_VERSION, 0xff)), HV_ENOSYS);
  GUEST_ASSERT_EQ(guest::Hypercall0(HV_OP(HV_FAMILY_CONSOLE, 0xff)), HV_ENOSYS);
  GUEST_ASSERT_EQ(guest::Hypercall0(HV_OP(HV_FAMILY_SCHED, 0xff)), HV_ENOSYS);
  // Unknown families.
  GUEST_ASSERT_EQ(guest::Hypercall0(HV_OP(HV_FAMILY_COUNT, 0)), HV_ENOSYS);
  GUEST_ASSERT_EQ(guest::Hypercall0(HV_OP(0xffffff, 0)), HV_ENOSYS);
  GUEST_ASSERT_EQ(guest::Hypercall0(~0ull), HV_ENOSYS);
  // Privileged families, from a domU (boot domains are not dom0).
  GUEST_ASSERT_NE(guest::DomainId(), 0u);
  GUEST_ASSERT_EQ(guest::Hypercall5(HV_OP(HV_FAMILY_DOMCTL, 0), 0, 0, 0, 0, 0), HV_EPERM);
  GUEST_ASSERT_EQ(guest::Hypercall5(HV_OP(HV_FAMILY_SYSCTL, 0), 0, 0, 0, 0, 0), HV_EPERM);
  GUEST_ASSERT_EQ(guest::Hypercall5(HV_OP(HV_FAMILY_LIVEPATCH, 0), 0, 0, 0, 0, 0), HV_EPERM);
  // An unknown reason does not shut us down.
  GUEST_ASSERT_EQ(guest::SchedShutdown(0xdead), HV_EINVAL);
  GUEST_ASSERT_EQ(guest::SchedYield(), HV_OK);
}
