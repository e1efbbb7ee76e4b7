// SPDX-License-Identifier: Apache-2.0
// An SMP guest: vCPU 0 starts vCPU 1 (HV_VCPU_UP), and while both spin they
// run at the same time on different physical CPUs.
#include "tests/guests/lib/guest.h"

namespace {

alignas(16) uint8_t g_stack[8192];
volatile uint64_t g_count = 0;
volatile uint64_t g_arg = 0;
volatile bool g_stop = false;

volatile int64_t g_down_result = 1;

// vCPU 1: interrupts off, no console; counts until told to stop, then goes
// offline (HV_VCPU_DOWN does not return).
extern "C" [[noreturn]] void Secondary(uint64_t arg) {
  g_arg = arg;
  while (!g_stop) g_count = g_count + 1;
  g_down_result = guest::Hypercall0(HV_VCPU_DOWN);
  for (;;) guest::SafeHalt();  // only if DOWN failed
}

}  // namespace

void test_main() {
  GUEST_ASSERT_EQ(guest::VcpuCount(), 2u);
  hv_vcpu_info info;
  GUEST_ASSERT_EQ(guest::VcpuInfo(1, &info), HV_OK);
  GUEST_ASSERT_EQ(info.state, static_cast<uint32_t>(HV_VCPU_STATE_OFFLINE));
  GUEST_ASSERT_EQ(guest::VcpuInfo(2, &info), HV_ENOENT);
  GUEST_ASSERT_EQ(guest::Hypercall2(HV_VCPU_INFO, 0, guest::MemoryBytes()), HV_EFAULT);
  GUEST_ASSERT_EQ(guest::VcpuUp(7, 0, 0, 0), HV_ENOENT);

  const uint64_t rip = reinterpret_cast<uint64_t>(&Secondary);
  const uint64_t rsp = reinterpret_cast<uint64_t>(g_stack + sizeof(g_stack));
  GUEST_ASSERT_EQ(guest::VcpuUp(1, rip, rsp, 0x1234), HV_OK);
  GUEST_ASSERT_EQ(guest::VcpuUp(1, rip, rsp, 0), HV_EBUSY);
  GUEST_ASSERT_EQ(guest::VcpuUp(0, rip, rsp, 0), HV_EBUSY);

  // Both at once, on different CPUs: vCPU 1 counts while vCPU 0 watches.
  const uint64_t deadline = guest::Rdtsc() + guest::StartInfo().tsc_hz * 5;
  while (g_count < 1000000 && guest::Rdtsc() < deadline) guest::Pause();
  GUEST_ASSERT(g_count >= 1000000);
  GUEST_ASSERT_EQ(g_arg, 0x1234u);
  hv_vcpu_info me;
  GUEST_ASSERT_EQ(guest::VcpuInfo(0, &me), HV_OK);
  GUEST_ASSERT_EQ(guest::VcpuInfo(1, &info), HV_OK);
  GUEST_ASSERT_EQ(me.state, static_cast<uint32_t>(HV_VCPU_STATE_RUNNING));
  GUEST_ASSERT_EQ(info.state, static_cast<uint32_t>(HV_VCPU_STATE_RUNNING));
  GUEST_ASSERT_NE(me.cpu, info.cpu);
  guest::Printf("vCPU 0 on CPU %u, vCPU 1 on CPU %u, both running\n", me.cpu, info.cpu);
  g_stop = true;
  // vCPU 1 goes offline; then it can be started again.
  const uint64_t until = guest::Rdtsc() + guest::StartInfo().tsc_hz * 5;
  do {
    GUEST_ASSERT_EQ(guest::VcpuInfo(1, &info), HV_OK);
  } while (info.state != HV_VCPU_STATE_OFFLINE && guest::Rdtsc() < until);
  GUEST_ASSERT_EQ(info.state, static_cast<uint32_t>(HV_VCPU_STATE_OFFLINE));
  GUEST_ASSERT_EQ(g_down_result, 1);  // DOWN never returned to it
  // The last vCPU standing cannot go down.
  GUEST_ASSERT_EQ(guest::Hypercall0(HV_VCPU_DOWN), HV_EBUSY);
  g_stop = false;
  g_count = 0;
  GUEST_ASSERT_EQ(guest::VcpuUp(1, rip, rsp, 0x5678), HV_OK);
  while (g_count < 1000 && guest::Rdtsc() < until + guest::StartInfo().tsc_hz * 5) guest::Pause();
  GUEST_ASSERT(g_count >= 1000);
  GUEST_ASSERT_EQ(g_arg, 0x5678u);
  g_stop = true;
}
