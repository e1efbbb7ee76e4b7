// SPDX-License-Identifier: Apache-2.0
#include "hv/core/timer.h"

#include "hv/core/arch.h"
#include "hv/lib/spinlock.h"

namespace hv::timer {
namespace {

// Each CPU's armed timers, sorted by deadline. Taken with interrupts off:
// the timer interrupt takes it too.
struct Queue {
  SpinLock lock;  // guards head and the links and `armed` of its timers
  Timer* head = nullptr;
};
Queue g_queue[kMaxCpus];

void Unlink(Queue& q, Timer* t) {
  for (Timer** p = &q.head; *p; p = &(*p)->next) {
    if (*p == t) {
      *p = t->next;
      break;
    }
  }
  t->next = nullptr;
  t->armed = false;
}

// Only for the calling CPU's own queue: the hardware timer is per CPU. A
// remote cancel leaves the hardware armed; it fires, finds nothing, re-arms.
void Program(Queue& q) {
  if (q.head) arch::TimerArm(q.head->deadline_ns);
}

void CancelLocked(Timer* t) {
  while (t->armed) {
    Queue& q = g_queue[t->cpu];
    SpinGuard guard(q.lock);
    if (t->armed && &g_queue[t->cpu] == &q) Unlink(q, t);
  }
}

}  // namespace

void Set(Timer* t, uint64_t deadline_ns) {
  const uint64_t flags = arch::IrqSave();
  CancelLocked(t);
  const uint32_t cpu = arch::CpuIndex();
  Queue& q = g_queue[cpu];
  {
    SpinGuard guard(q.lock);
    t->deadline_ns = deadline_ns;
    t->cpu = cpu;
    Timer** p = &q.head;
    while (*p && (*p)->deadline_ns <= deadline_ns) p = &(*p)->next;
    t->next = *p;
    *p = t;
    t->armed = true;
    if (q.head == t) Program(q);
  }
  arch::IrqRestore(flags);
}

void Cancel(Timer* t) {
  const uint64_t flags = arch::IrqSave();
  CancelLocked(t);
  arch::IrqRestore(flags);
}

void OnInterrupt() {
  Queue& q = g_queue[arch::CpuIndex()];
  for (;;) {
    Timer* t;
    {
      SpinGuard guard(q.lock);
      t = q.head;
      if (!t || t->deadline_ns > arch::NowNs()) {
        Program(q);
        return;
      }
      q.head = t->next;
      t->next = nullptr;
      t->armed = false;
    }
    t->fn(t);  // unlocked: it may re-arm itself or wake a vCPU
  }
}

}  // namespace hv::timer
