// SPDX-License-Identifier: Apache-2.0
// A control domain hears (VIRQ_DOMAIN_STATE) when another domain ends, then
// finds it dead through HV_DOMCTL_INFO. Its sibling (peer=<id>) must end with
// on_poweroff=preserve so that it is still there to look at.
#include "hv/domctl.h"
#include "tests/guests/lib/guest.h"

namespace {
constexpr uint8_t kVector = 0x43;
}  // namespace

void test_main() {
  const uint32_t peer = static_cast<uint32_t>(guest::CmdlineU64("peer", 0));
  guest::EnableEvents(kVector);
  const int64_t port = guest::EvtchnBindVirq(HV_VIRQ_DOMAIN_STATE, 0);
  GUEST_ASSERT(port > 0);
  hv_domctl_info info{};
  const uint64_t give_up = guest::Rdtsc() + guest::StartInfo().tsc_hz * 20;
  for (;;) {
    info = hv_domctl_info{};
    info.interface_version = HV_DOMCTL_INTERFACE_VERSION;
    info.domain_id = peer;
    GUEST_ASSERT_EQ(guest::Hypercall1(HV_DOMCTL_INFO, guest::Gpa(&info)), HV_OK);
    if (info.state == HV_DOMAIN_STATE_DEAD) break;
    if (guest::Rdtsc() > give_up) guest::Failure("d%u did not end within 20 s", peer);
    // Sleep until hv says a domain changed state.
    guest::Cli();
    if (!guest::TakePending(static_cast<uint32_t>(port))) guest::SafeHalt();
    guest::Cli();
  }
  GUEST_ASSERT(guest::UpcallCount() > 0);
  GUEST_ASSERT_EQ(info.shutdown_reason, static_cast<uint32_t>(HV_SHUTDOWN_POWEROFF));
  guest::Printf("heard d%u end\n", peer);
}
