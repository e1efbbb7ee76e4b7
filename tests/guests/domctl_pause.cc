// SPDX-License-Identifier: Apache-2.0
// A control domain pauses a running domU (peer=<id>, the ticker): while
// paused it writes nothing to its console and shows as PAUSED; unpaused, it
// goes on. Its console is watched through HV_CONSOLE_READ.
#include "hv/domctl.h"
#include "tests/guests/lib/guest.h"

namespace {

uint32_t g_peer;

uint64_t ConsoleEnd() {
  hv_console_read r{};
  r.interface_version = HV_CONSOLE_INTERFACE_VERSION;
  r.domain_id = g_peer;
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_CONSOLE_READ, guest::Gpa(&r)), HV_OK);
  return r.end;
}

int64_t Control(uint64_t op) {
  hv_domctl_domain arg{};
  arg.interface_version = HV_DOMCTL_INTERFACE_VERSION;
  arg.domain_id = g_peer;
  return guest::Hypercall1(op, guest::Gpa(&arg));
}

uint32_t State() {
  hv_domctl_info info{};
  info.interface_version = HV_DOMCTL_INTERFACE_VERSION;
  info.domain_id = g_peer;
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_DOMCTL_INFO, guest::Gpa(&info)), HV_OK);
  return info.state;
}

void Spin(uint64_t ms) {
  const uint64_t until = guest::Rdtsc() + guest::StartInfo().tsc_hz / 1000 * ms;
  while (guest::Rdtsc() < until) guest::SchedYield();
}

}  // namespace

void test_main() {
  g_peer = static_cast<uint32_t>(guest::CmdlineU64("peer", 0));
  // Let it run a little.
  const uint64_t give_up = guest::Rdtsc() + guest::StartInfo().tsc_hz * 20;
  while (ConsoleEnd() < 30 && guest::Rdtsc() < give_up) Spin(10);
  GUEST_ASSERT(ConsoleEnd() >= 30);
  GUEST_ASSERT_EQ(State(), static_cast<uint32_t>(HV_DOMAIN_STATE_RUNNING));
  GUEST_ASSERT_EQ(Control(HV_DOMCTL_PAUSE), HV_OK);
  GUEST_ASSERT_EQ(State(), static_cast<uint32_t>(HV_DOMAIN_STATE_PAUSED));
  const uint64_t frozen = ConsoleEnd();
  Spin(300);  // 15 ticks' worth: none may appear
  GUEST_ASSERT_EQ(ConsoleEnd(), frozen);
  // Destroying a paused, running domain is refused: it must shut down first.
  GUEST_ASSERT_EQ(Control(HV_DOMCTL_DESTROY), HV_EBUSY);
  GUEST_ASSERT_EQ(Control(HV_DOMCTL_UNPAUSE), HV_OK);
  GUEST_ASSERT_EQ(State(), static_cast<uint32_t>(HV_DOMAIN_STATE_RUNNING));
  while (ConsoleEnd() <= frozen + 20 && guest::Rdtsc() < give_up) Spin(10);
  GUEST_ASSERT(ConsoleEnd() > frozen + 20);
  guest::Printf("paused at %lu bytes, nothing for 300 ms, then on again\n", frozen);
}
