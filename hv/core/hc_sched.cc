// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_SCHED (api/hv/sched.h).
#include "hv/sched.h"

#include "hv/core/domain.h"
#include "hv/core/domains.h"
#include "hv/core/arch.h"
#include "hv/core/events.h"
#include "hv/core/hypercall.h"
#include "hv/lib/hot.h"
#include "hv/core/timer.h"

namespace hv::hypercall {
namespace {

Result Yield(Vcpu&, const Args&) { return {HV_OK, After::kYield}; }

Result Shutdown(Vcpu& v, const Args& a) {
  ShutdownReason reason;
  switch (a[0]) {
    case HV_SHUTDOWN_POWEROFF: reason = ShutdownReason::kPoweroff; break;
    case HV_SHUTDOWN_REBOOT: reason = ShutdownReason::kReboot; break;
    case HV_SHUTDOWN_CRASH: reason = ShutdownReason::kCrash; break;
    default: return Value(HV_EINVAL);
  }
  domains::Shutdown(v.domain, reason);
  return {HV_OK, After::kStop};
}

// Blocks unless something is already waiting; the arch re-checks after the
// vCPU is off its CPU, so a wake-up racing with this is never lost.
Result Block(Vcpu& v, const Args&) {
  if (v.upcall_pending.load() || v.wake_pending.exchange(false)) return Value(HV_OK);
  return {HV_OK, After::kBlock};
}

void TimerFired(Timer* t) { events::RaiseVirq(*static_cast<Vcpu*>(t->data), HV_VIRQ_TIMER); }

Result SetTimer(Vcpu& v, const Args& a) {
  if (a[0] > HV_SCHED_TIMER_MAX_NS) return Value(HV_EINVAL);
  timer::Cancel(&v.timer);
  if (a[0]) {
    v.timer.fn = TimerFired;
    v.timer.data = &v;
    timer::Set(&v.timer, arch::NowNs() + a[0]);
  }
  return Value(HV_OK);
}

void PollTimeout(Timer* t) { events::Kick(*static_cast<Vcpu*>(t->data), false); }

Result Poll(Vcpu& v, const Args& a) {
  const uint64_t gpa = a[0], count = a[1], timeout = a[2];
  if (!count || count > HV_SCHED_POLL_MAX || timeout > HV_SCHED_TIMER_MAX_NS) return Value(HV_EINVAL);
  uint32_t ports[HV_SCHED_POLL_MAX];
  if (!domains::CopyFromGuest(*v.domain, GuestPhysAddr(gpa), ports, count * sizeof(uint32_t))) {
    return Value(HV_EFAULT);
  }
  static_assert(sizeof(v.poll_ports) / sizeof(v.poll_ports[0]) == HV_SCHED_POLL_MAX);
  for (uint64_t i = 0; i < count; ++i) v.poll_ports[i] = ports[i];
  v.poll_count = static_cast<uint32_t>(count);
  v.wake_pending.store(false);   // only the polled ports and the timeout count from here
  v.polling.store(true);  // before the check: an event between the two still wakes it
  const int64_t r = events::PollCheck(*v.domain, ports, static_cast<uint32_t>(count));
  if (r != HV_EAGAIN) {
    v.polling.store(false);
    return Value(r);
  }
  timer::Cancel(&v.poll_timer);
  if (timeout) {
    v.poll_timer.fn = PollTimeout;
    v.poll_timer.data = &v;
    timer::Set(&v.poll_timer, arch::NowNs() + timeout);
  }
  // Woken by an event or the timeout: the guest checks its pending bits.
  return {HV_OK, After::kBlock};
}

HV_HOT_RODATA constexpr Op kOps[] = {
    {HV_OP_NUMBER(HV_SCHED_POLL), Poll},
    {HV_OP_NUMBER(HV_SCHED_BLOCK), Block},
    {HV_OP_NUMBER(HV_SCHED_SET_TIMER), SetTimer},
    {HV_OP_NUMBER(HV_SCHED_YIELD), Yield},
    {HV_OP_NUMBER(HV_SCHED_SHUTDOWN), Shutdown},
};

}  // namespace

HV_HOT_RODATA const Family kSchedFamily = {HV_FAMILY_SCHED, HV_SCHED_INTERFACE_VERSION, Permission::kSelf, kOps,
                             sizeof(kOps) / sizeof(kOps[0])};

}  // namespace hv::hypercall
