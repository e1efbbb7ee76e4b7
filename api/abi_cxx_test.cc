// SPDX-License-Identifier: Apache-2.0
// Every ABI header compiles as C++; the numbers that may never change are pinned.
#include <gtest/gtest.h>

#include "hv/console.h"
#include "hv/domctl.h"
#include "hv/evtchn.h"
#include "hv/hypercall.h"
#include "hv/memory.h"
#include "hv/sched.h"
#include "hv/start_info.h"
#include "hv/sysctl.h"
#include "hv/vcpu.h"
#include "hv/version.h"

TEST(Abi, OpNumbersArePinned) {
  // Changing any of these breaks every guest built before: never do it.
  EXPECT_EQ(HV_VERSION_GET, 0x000u);
  EXPECT_EQ(HV_VERSION_FAMILY, 0x001u);
  EXPECT_EQ(HV_CONSOLE_WRITE, 0x100u);
  EXPECT_EQ(HV_CONSOLE_READ, 0x101u);
  EXPECT_EQ(sizeof(hv_console_read), 40u);
  EXPECT_EQ(HV_SCHED_YIELD, 0x200u);
  EXPECT_EQ(HV_SCHED_SHUTDOWN, 0x201u);
  EXPECT_EQ(HV_SCHED_BLOCK, 0x202u);
  EXPECT_EQ(HV_SCHED_SET_TIMER, 0x203u);
  EXPECT_EQ(HV_SCHED_POLL, 0x204u);
  EXPECT_EQ(HV_VCPU_UP, 0x300u);
  EXPECT_EQ(HV_VCPU_INFO, 0x302u);
  EXPECT_EQ(HV_EVTCHN_INIT, 0x400u);
  EXPECT_EQ(HV_EVTCHN_UNMASK, 0x408u);
  EXPECT_EQ(HV_MEMORY_QUERY, 0x500u);
  EXPECT_EQ(HV_MEMORY_POPULATE, 0x501u);
  EXPECT_EQ(HV_MEMORY_RELEASE, 0x502u);
  EXPECT_EQ(HV_DOMCTL_CREATE, 0x600u);
  EXPECT_EQ(HV_DOMCTL_DESTROY, 0x601u);
  EXPECT_EQ(HV_DOMCTL_PAUSE, 0x602u);
  EXPECT_EQ(HV_DOMCTL_UNPAUSE, 0x603u);
  EXPECT_EQ(HV_DOMCTL_INFO, 0x604u);
  EXPECT_EQ(HV_DOMCTL_LIST, 0x605u);
  EXPECT_EQ(HV_DOMCTL_SET_MAX_MEMORY, 0x606u);
  EXPECT_EQ(HV_DOMCTL_SET_VCPU_COUNT, 0x607u);
  EXPECT_EQ(HV_DOMCTL_SET_VCPU_AFFINITY, 0x608u);
  EXPECT_EQ(HV_SYSCTL_PHYSINFO, 0x700u);
  EXPECT_EQ(HV_SYSCTL_CPU_TOPOLOGY, 0x701u);
  EXPECT_EQ(HV_SYSCTL_SCHED_INFO, 0x702u);
}

TEST(Abi, InterfaceVersionsArePinned) {
  // A version changes only on an incompatible change (and then in this test).
  EXPECT_EQ(HV_DOMCTL_INTERFACE_VERSION, 2);
  EXPECT_EQ(HV_SYSCTL_INTERFACE_VERSION, 1);
  EXPECT_EQ(HV_MEMORY_INTERFACE_VERSION, 1);
}

TEST(Abi, ValuesArePinned) {
  EXPECT_EQ(HV_DOMAIN_STATE_CREATED, 0);
  EXPECT_EQ(HV_DOMAIN_STATE_RUNNING, 1);
  EXPECT_EQ(HV_DOMAIN_STATE_PAUSED, 2);
  EXPECT_EQ(HV_DOMAIN_STATE_SHUTTING_DOWN, 3);
  EXPECT_EQ(HV_DOMAIN_STATE_DEAD, 4);
  EXPECT_EQ(HV_DOMCTL_NO_SHUTDOWN, 0xffffffffu);
  EXPECT_EQ(HV_DOMCTL_INFO_PRIVILEGED, 1u);
  EXPECT_EQ(HV_SYSCTL_CPU_ONLINE, 1u);
}

TEST(Abi, ErrorsArePinned) {
  EXPECT_EQ(HV_EPERM, -1);
  EXPECT_EQ(HV_EFAULT, -14);
  EXPECT_EQ(HV_EINVAL, -22);
  EXPECT_EQ(HV_ENOSYS, -38);
  EXPECT_EQ(HV_EVERSION, -1000);
}

TEST(Abi, LayoutsAreTheSameInCxx) {
  EXPECT_EQ(sizeof(hv_version_info), 72u);
  EXPECT_EQ(offsetof(hv_version_info, build_id), 24u);
  EXPECT_EQ(sizeof(hv_start_info), 48u);
  EXPECT_EQ(offsetof(hv_start_info, free_gpa), 32u);
  EXPECT_EQ(offsetof(hv_start_info, tsc_hz), 40u);
  EXPECT_EQ(sizeof(hv_vcpu_info), 24u);
  EXPECT_EQ(sizeof(hv_event_page), 4096u);
  EXPECT_EQ(offsetof(hv_event_page, mask), 128u);
  EXPECT_EQ(sizeof(hv_evtchn_status), 24u);
  EXPECT_EQ(sizeof(hv_domctl_create), 64u);
  EXPECT_EQ(offsetof(hv_domctl_create, domain_id), 4u);
  EXPECT_EQ(offsetof(hv_domctl_create, name), 8u);
  EXPECT_EQ(offsetof(hv_domctl_create, memory_bytes), 40u);
  EXPECT_EQ(offsetof(hv_domctl_create, vcpus), 48u);
  EXPECT_EQ(offsetof(hv_domctl_create, flags), 60u);
  EXPECT_EQ(sizeof(hv_domctl_domain), 8u);
  EXPECT_EQ(sizeof(hv_domctl_info), 96u);
  EXPECT_EQ(offsetof(hv_domctl_info, state), 8u);
  EXPECT_EQ(offsetof(hv_domctl_info, memory_bytes), 16u);
  EXPECT_EQ(offsetof(hv_domctl_info, pages), 32u);
  EXPECT_EQ(offsetof(hv_domctl_info, flags), 52u);
  EXPECT_EQ(offsetof(hv_domctl_info, name), 56u);
  EXPECT_EQ(offsetof(hv_domctl_info, ram_bytes), 88u);
  EXPECT_EQ(sizeof(hv_domctl_list), 24u);
  EXPECT_EQ(offsetof(hv_domctl_list, ids_gpa), 8u);
  EXPECT_EQ(sizeof(hv_domctl_max_memory), 16u);
  EXPECT_EQ(sizeof(hv_domctl_vcpu_count), 16u);
  EXPECT_EQ(sizeof(hv_domctl_vcpu_affinity), 24u);
  EXPECT_EQ(offsetof(hv_domctl_vcpu_affinity, cpu_mask), 16u);
  EXPECT_EQ(sizeof(hv_sysctl_physinfo), 96u);
  EXPECT_EQ(offsetof(hv_sysctl_physinfo, free_pages), 24u);
  EXPECT_EQ(offsetof(hv_sysctl_physinfo, capabilities), 40u);
  EXPECT_EQ(offsetof(hv_sysctl_physinfo, build_id), 48u);
  EXPECT_EQ(sizeof(hv_sysctl_cpu), 8u);
  EXPECT_EQ(sizeof(hv_sysctl_cpu_topology), 24u);
  EXPECT_EQ(sizeof(hv_sysctl_sched_info), 32u);
  EXPECT_EQ(offsetof(hv_sysctl_sched_info, name), 8u);
  EXPECT_EQ(sizeof(hv_memory_info), 24u);
}
