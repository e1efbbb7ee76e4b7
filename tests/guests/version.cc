// SPDX-License-Identifier: Apache-2.0
// Discovery (HV_FAMILY_VERSION): HV_VERSION_GET describes the caller, and
// HV_VERSION_FAMILY knows the console family and no others beyond the ABI's.
#include "tests/guests/lib/guest.h"

void test_main() {
  hv_version_info info;
  for (size_t i = 0; i < sizeof(info); ++i) reinterpret_cast<volatile char*>(&info)[i] = 0x5a;
  GUEST_ASSERT_EQ(guest::VersionGet(&info), HV_OK);
  guest::Printf("hv %u.%u.%u, build id %.48s, capabilities %#lx, vCPU %u\n", info.major, info.minor,
                info.patch, info.build_id, info.capabilities, info.vcpu_id);
  GUEST_ASSERT_EQ(info.domain_id, guest::DomainId());
  GUEST_ASSERT_EQ(info.pad0, 0);
  GUEST_ASSERT_EQ(info.vcpu_id, 0);  // test_main runs on the first vCPU
  bool terminated = false;
  for (char c : info.build_id) terminated = terminated || c == '\0';
  GUEST_ASSERT(terminated);

  GUEST_ASSERT(guest::VersionFamily(HV_FAMILY_CONSOLE) >= 1);
  GUEST_ASSERT(guest::VersionFamily(HV_FAMILY_SCHED) >= 1);
  GUEST_ASSERT_EQ(guest::VersionFamily(HV_FAMILY_COUNT + 0x40), HV_ENOSYS);
  GUEST_ASSERT_EQ(guest::VersionFamily(0xffffffffu), HV_ENOSYS);
}
