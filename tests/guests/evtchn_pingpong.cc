// SPDX-License-Identifier: Apache-2.0
// Event-channel ping-pong between two domains: "role=ping peer=<id>"
// allocates a port for its peer, "role=pong" binds to it (port 1: the ping
// side's first port), and they bounce an event `rounds` times. The ping side
// prints the round trips per second.
#include "tests/guests/lib/guest.h"

namespace {

constexpr uint8_t kVector = 0x41;

// Waits for the port's event: halts until the upcall, then takes the bit.
void Wait(uint32_t port) {
  for (;;) {
    guest::Cli();
    if (guest::TakePending(port)) break;
    guest::SafeHalt();
  }
}

}  // namespace

void test_main() {
  char role[8];
  GUEST_ASSERT(guest::CmdlineGet("role", role, sizeof(role)));
  const uint32_t peer = static_cast<uint32_t>(guest::CmdlineU64("peer", 0));
  const uint64_t rounds = guest::CmdlineU64("rounds", 1000);
  const bool ping = role[0] == 'p' && role[1] == 'i';
  guest::EnableEvents(kVector);
  uint32_t port;
  if (ping) {
    const int64_t p = guest::EvtchnAllocUnbound(peer);
    GUEST_ASSERT_EQ(p, 1);  // the pong side binds to port 1
    port = static_cast<uint32_t>(p);
    Wait(port);  // pong says it is bound
  } else {
    int64_t p;
    // The ping domain may not have allocated its port yet.
    for (int tries = 0; (p = guest::EvtchnBindInterdomain(peer, 1)) < 0; ++tries) {
      if (tries > 100000) guest::Failure("could not bind to d%u port 1: %ld", peer, p);
      guest::SchedYield();
    }
    port = static_cast<uint32_t>(p);
    GUEST_ASSERT_EQ(guest::EvtchnSend(port), HV_OK);
  }
  hv_evtchn_status st;
  GUEST_ASSERT_EQ(guest::EvtchnStatus(port, &st), HV_OK);
  GUEST_ASSERT_EQ(st.state, static_cast<uint32_t>(HV_EVTCHN_INTERDOMAIN));
  GUEST_ASSERT_EQ(st.remote_domain, peer);

  const uint64_t t0 = guest::Rdtsc();
  for (uint64_t i = 0; i < rounds; ++i) {
    if (ping) {
      GUEST_ASSERT_EQ(guest::EvtchnSend(port), HV_OK);
      Wait(port);
    } else {
      Wait(port);
      GUEST_ASSERT_EQ(guest::EvtchnSend(port), HV_OK);
    }
  }
  if (ping) {
    const uint64_t ticks = guest::Rdtsc() - t0;
    const uint64_t per_s = rounds * guest::StartInfo().tsc_hz / (ticks ? ticks : 1);
    guest::Printf("event-channel ping-pong: %lu round trips in %lu us: %lu round trips/s\n",
                  rounds, ticks / (guest::StartInfo().tsc_hz / 1000000), per_s);
  }
  GUEST_ASSERT(guest::UpcallCount() > 0);
}
