// SPDX-License-Identifier: Apache-2.0
// HV_SCHED_POLL: returns at once for a pending port, wakes for a masked one,
// times out on time, and refuses bad arguments.
#include "tests/guests/lib/guest.h"

namespace {

uint64_t Ms(uint64_t tsc0) { return (guest::Rdtsc() - tsc0) / (guest::StartInfo().tsc_hz / 1000); }

int64_t Poll(const uint32_t* ports, uint32_t n, uint64_t timeout_ns) {
  return guest::Hypercall3(HV_SCHED_POLL, guest::Gpa(ports), n, timeout_ns);
}

}  // namespace

void test_main() {
  uint32_t ports[2] = {1, 2};
  GUEST_ASSERT_EQ(Poll(ports, 1, 0), HV_EINVAL);  // no event page yet
  guest::EnableEvents(0x44);
  const int64_t timer_port = guest::EvtchnBindVirq(HV_VIRQ_TIMER, 0);
  const int64_t a = guest::EvtchnAllocUnbound(guest::DomainId());
  const int64_t b = guest::EvtchnBindInterdomain(guest::DomainId(), static_cast<uint32_t>(a));
  GUEST_ASSERT(timer_port > 0 && a > 0 && b > 0);
  ports[0] = static_cast<uint32_t>(a);
  ports[1] = static_cast<uint32_t>(timer_port);

  // Errors.
  GUEST_ASSERT_EQ(Poll(ports, 0, 0), HV_EINVAL);
  GUEST_ASSERT_EQ(Poll(ports, HV_SCHED_POLL_MAX + 1, 0), HV_EINVAL);
  GUEST_ASSERT_EQ(Poll(ports, 2, HV_SCHED_TIMER_MAX_NS + 1), HV_EINVAL);
  const uint32_t bad[1] = {900};  // closed
  GUEST_ASSERT_EQ(Poll(bad, 1, 0), HV_EINVAL);
  GUEST_ASSERT_EQ(guest::Hypercall3(HV_SCHED_POLL, guest::MemoryBytes() - 4, 2, 0), HV_EFAULT);

  // Already pending: at once.
  GUEST_ASSERT_EQ(guest::EvtchnSend(static_cast<uint32_t>(b)), HV_OK);
  uint64_t t0 = guest::Rdtsc();
  GUEST_ASSERT_EQ(Poll(ports, 2, 1000000000), HV_OK);
  GUEST_ASSERT(Ms(t0) < 20);
  GUEST_ASSERT(guest::TakePending(static_cast<uint32_t>(a)));

  // Nothing pending: the timeout (30 ms, +-10%).
  t0 = guest::Rdtsc();
  GUEST_ASSERT_EQ(Poll(ports, 2, 30000000), HV_OK);
  const uint64_t waited = Ms(t0);
  guest::Printf("poll timed out after %lu ms\n", waited);
  GUEST_ASSERT(waited >= 30 && waited <= 33);

  // A masked port still wakes the poller: the VIRQ timer fires in 20 ms.
  guest::EventPage().mask[timer_port / 64] |= uint64_t{1} << (timer_port % 64);
  GUEST_ASSERT_EQ(guest::SchedSetTimer(20000000), HV_OK);
  t0 = guest::Rdtsc();
  const uint32_t just_timer[1] = {static_cast<uint32_t>(timer_port)};
  while (!guest::TakePending(just_timer[0])) {
    GUEST_ASSERT_EQ(Poll(just_timer, 1, 1000000000), HV_OK);
    GUEST_ASSERT(Ms(t0) < 500);
  }
  const uint64_t woke = Ms(t0);
  guest::Printf("masked timer port woke the poll after %lu ms\n", woke);
  GUEST_ASSERT(woke >= 20 && woke <= 40);
}
