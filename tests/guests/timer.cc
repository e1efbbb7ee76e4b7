// SPDX-License-Identifier: Apache-2.0
// One-shot timers (HV_SCHED_SET_TIMER) fire on time, measured against the
// TSC at the rate hv calibrated (±10%): through the VIRQ_TIMER upcall while
// the vCPU halts, and through HV_SCHED_BLOCK with no port bound.
#include "tests/guests/lib/guest.h"

namespace {

constexpr uint8_t kVector = 0x40;

uint64_t NsSince(uint64_t tsc0) {
  const uint64_t hz = guest::StartInfo().tsc_hz;
  return (guest::Rdtsc() - tsc0) * 1000 / (hz / 1000000);
}

void CheckOnTime(const char* how, uint64_t want_ns, uint64_t got_ns) {
  guest::Printf("%s: %lu ms timer fired after %lu us\n", how, want_ns / 1000000, got_ns / 1000);
  if (got_ns < want_ns) guest::Failure("%s: fired early: %lu ns < %lu ns", how, got_ns, want_ns);
  if (got_ns > want_ns + want_ns / 10) {
    guest::Failure("%s: %lu ns is more than 10%% late for %lu ns", how, got_ns, want_ns);
  }
}

}  // namespace

void test_main() {
  GUEST_ASSERT(guest::StartInfo().tsc_hz > 100000000);
  // Without a bound port, a block still ends when the timer fires.
  for (uint64_t ms : {20, 50}) {
    const uint64_t t0 = guest::Rdtsc();
    GUEST_ASSERT_EQ(guest::SchedSetTimer(ms * 1000000), HV_OK);
    while (NsSince(t0) < ms * 1000000) GUEST_ASSERT_EQ(guest::SchedBlock(), HV_OK);
    CheckOnTime("block", ms * 1000000, NsSince(t0));
  }
  // With VIRQ_TIMER bound: an upcall wakes the halted vCPU.
  guest::EnableEvents(kVector);
  const int64_t port = guest::EvtchnBindVirq(HV_VIRQ_TIMER, 0);
  GUEST_ASSERT(port > 0);
  for (uint64_t ms : {10, 20, 50, 100}) {
    const uint64_t before = guest::UpcallCount();
    const uint64_t t0 = guest::Rdtsc();
    GUEST_ASSERT_EQ(guest::SchedSetTimer(ms * 1000000), HV_OK);
    while (guest::UpcallCount() == before) guest::SafeHalt();
    guest::Cli();
    CheckOnTime("upcall", ms * 1000000, NsSince(t0));
    GUEST_ASSERT(guest::TakePending(static_cast<uint32_t>(port)));
  }
  // Cancelled: nothing fires.
  const uint64_t before = guest::UpcallCount();
  GUEST_ASSERT_EQ(guest::SchedSetTimer(5000000), HV_OK);
  GUEST_ASSERT_EQ(guest::SchedSetTimer(0), HV_OK);
  const uint64_t t0 = guest::Rdtsc();
  guest::Sti();
  while (NsSince(t0) < 30000000) guest::Pause();
  guest::Cli();
  GUEST_ASSERT_EQ(guest::UpcallCount(), before);
  GUEST_ASSERT_EQ(guest::SchedSetTimer(HV_SCHED_TIMER_MAX_NS + 1), HV_EINVAL);
}
