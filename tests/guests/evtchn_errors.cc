// SPDX-License-Identifier: Apache-2.0
// Every event-channel op with bad arguments gets its documented error.
#include "tests/guests/lib/guest.h"

namespace {
alignas(4096) uint8_t g_other_page[4096];
}

void test_main() {
  const uint32_t self = guest::DomainId();
  // Before the event page exists.
  GUEST_ASSERT_EQ(guest::EvtchnUnmask(1), HV_EINVAL);
  // The page: misaligned, outside memory, then twice.
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_EVTCHN_INIT, guest::Gpa(g_other_page) + 8), HV_EFAULT);
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_EVTCHN_INIT, guest::MemoryBytes()), HV_EFAULT);
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_EVTCHN_INIT, ~0ull & ~0xfffull), HV_EFAULT);
  guest::EnableEvents(0x42);
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_EVTCHN_INIT, guest::Gpa(g_other_page)), HV_EEXIST);
  // Upcall vectors: exceptions' vectors are refused; 0 turns it off.
  GUEST_ASSERT_EQ(guest::EvtchnSetUpcall(5), HV_EINVAL);
  GUEST_ASSERT_EQ(guest::EvtchnSetUpcall(256), HV_EINVAL);
  GUEST_ASSERT_EQ(guest::EvtchnSetUpcall(0x42), HV_OK);
  // Ports out of range or never bound.
  for (uint64_t bad : {0ull, 1ull, 1023ull, 1024ull, ~0ull}) {
    GUEST_ASSERT_EQ(guest::Hypercall1(HV_EVTCHN_SEND, bad), HV_EINVAL);
    GUEST_ASSERT_EQ(guest::Hypercall1(HV_EVTCHN_CLOSE, bad), HV_EINVAL);
  }
  hv_evtchn_status st;
  GUEST_ASSERT_EQ(guest::EvtchnStatus(0, &st), HV_EINVAL);
  GUEST_ASSERT_EQ(guest::EvtchnStatus(1024, &st), HV_EINVAL);
  // Domains that do not exist.
  GUEST_ASSERT_EQ(guest::EvtchnAllocUnbound(200), HV_ESRCH);
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_EVTCHN_ALLOC_UNBOUND, ~0ull), HV_ESRCH);
  GUEST_ASSERT_EQ(guest::EvtchnBindInterdomain(200, 1), HV_ESRCH);
  // VIRQs: unknown virq or vCPU, bound twice.
  GUEST_ASSERT_EQ(guest::EvtchnBindVirq(HV_VIRQ_COUNT, 0), HV_EINVAL);
  GUEST_ASSERT_EQ(guest::EvtchnBindVirq(HV_VIRQ_TIMER, 7), HV_EINVAL);
  const int64_t virq = guest::EvtchnBindVirq(HV_VIRQ_TIMER, 0);
  GUEST_ASSERT(virq > 0);
  GUEST_ASSERT_EQ(guest::EvtchnBindVirq(HV_VIRQ_TIMER, 0), HV_EEXIST);
  GUEST_ASSERT_EQ(guest::EvtchnStatus(static_cast<uint32_t>(virq), &st), HV_OK);
  GUEST_ASSERT_EQ(st.state, static_cast<uint32_t>(HV_EVTCHN_VIRQ));
  GUEST_ASSERT_EQ(st.virq, static_cast<uint32_t>(HV_VIRQ_TIMER));
  // A VIRQ port cannot be sent on; a status into bad memory faults.
  GUEST_ASSERT_EQ(guest::EvtchnSend(static_cast<uint32_t>(virq)), HV_EINVAL);
  GUEST_ASSERT_EQ(guest::Hypercall2(HV_EVTCHN_STATUS, virq, guest::MemoryBytes()), HV_EFAULT);
  // A loop-back channel to ourselves: unbound, bound, send, close.
  const int64_t a = guest::EvtchnAllocUnbound(self);
  GUEST_ASSERT(a > 0);
  GUEST_ASSERT_EQ(guest::EvtchnSend(static_cast<uint32_t>(a)), HV_EINVAL);  // not bound yet
  GUEST_ASSERT_EQ(guest::EvtchnBindInterdomain(self, 1000), HV_EINVAL);     // not allocated
  const int64_t b = guest::EvtchnBindInterdomain(self, static_cast<uint32_t>(a));
  GUEST_ASSERT(b > 0 && b != a);
  GUEST_ASSERT_EQ(guest::EvtchnBindInterdomain(self, static_cast<uint32_t>(a)), HV_EINVAL);
  // Masked: pending is set, no upcall; unmask delivers it.
  guest::EventPage().mask[a / 64] |= uint64_t{1} << (a % 64);
  const uint64_t upcalls = guest::UpcallCount();
  GUEST_ASSERT_EQ(guest::EvtchnSend(static_cast<uint32_t>(b)), HV_OK);
  guest::Sti();
  for (int i = 0; i < 1000; ++i) guest::Pause();
  guest::Cli();
  GUEST_ASSERT_EQ(guest::UpcallCount(), upcalls);
  GUEST_ASSERT_EQ(guest::EvtchnUnmask(static_cast<uint32_t>(a)), HV_OK);
  guest::Sti();
  for (int i = 0; i < 100000 && guest::UpcallCount() == upcalls; ++i) guest::Pause();
  guest::Cli();
  GUEST_ASSERT(guest::UpcallCount() > upcalls);
  GUEST_ASSERT(guest::TakePending(static_cast<uint32_t>(a)));
  // Closing one end leaves the other unbound.
  GUEST_ASSERT_EQ(guest::EvtchnClose(static_cast<uint32_t>(b)), HV_OK);
  GUEST_ASSERT_EQ(guest::EvtchnStatus(static_cast<uint32_t>(a), &st), HV_OK);
  GUEST_ASSERT_EQ(st.state, static_cast<uint32_t>(HV_EVTCHN_UNBOUND));
  GUEST_ASSERT_EQ(guest::EvtchnStatus(static_cast<uint32_t>(b), &st), HV_OK);
  GUEST_ASSERT_EQ(st.state, static_cast<uint32_t>(HV_EVTCHN_CLOSED));
  GUEST_ASSERT_EQ(guest::EvtchnClose(static_cast<uint32_t>(b)), HV_EINVAL);
}
