// SPDX-License-Identifier: Apache-2.0
// Every ABI header compiles as C++; the numbers that may never change are pinned.
#include <gtest/gtest.h>

#include "hv/console.h"
#include "hv/evtchn.h"
#include "hv/hypercall.h"
#include "hv/sched.h"
#include "hv/start_info.h"
#include "hv/vcpu.h"
#include "hv/version.h"

TEST(Abi, OpNumbersArePinned) {
  // Changing any of these breaks every guest built before: never do it.
  EXPECT_EQ(HV_VERSION_GET, 0x000u);
  EXPECT_EQ(HV_VERSION_FAMILY, 0x001u);
  EXPECT_EQ(HV_CONSOLE_WRITE, 0x100u);
  EXPECT_EQ(HV_SCHED_YIELD, 0x200u);
  EXPECT_EQ(HV_SCHED_SHUTDOWN, 0x201u);
  EXPECT_EQ(HV_SCHED_BLOCK, 0x202u);
  EXPECT_EQ(HV_SCHED_SET_TIMER, 0x203u);
  EXPECT_EQ(HV_VCPU_UP, 0x300u);
  EXPECT_EQ(HV_VCPU_INFO, 0x302u);
  EXPECT_EQ(HV_EVTCHN_INIT, 0x400u);
  EXPECT_EQ(HV_EVTCHN_UNMASK, 0x408u);
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
}
