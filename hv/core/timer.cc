// SPDX-License-Identifier: Apache-2.0
#include "hv/core/timer.h"

#include "hv/core/arch.h"

namespace hv::timer {
namespace {

// Each CPU's armed timers, sorted by deadline. Only touched by that CPU with
// interrupts off, so no lock.
Timer* g_queue[kMaxCpus];

void Program(uint32_t cpu) {
  if (g_queue[cpu]) arch::TimerArm(g_queue[cpu]->deadline_ns);
}

void Unlink(Timer** head, Timer* t) {
  for (Timer** p = head; *p; p = &(*p)->next) {
    if (*p == t) {
      *p = t->next;
      break;
    }
  }
  t->next = nullptr;
  t->armed = false;
}

}  // namespace

void Set(Timer* t, uint64_t deadline_ns) {
  const uint64_t flags = arch::IrqSave();
  const uint32_t cpu = arch::CpuIndex();
  if (t->armed) Unlink(&g_queue[cpu], t);
  t->deadline_ns = deadline_ns;
  Timer** p = &g_queue[cpu];
  while (*p && (*p)->deadline_ns <= deadline_ns) p = &(*p)->next;
  t->next = *p;
  *p = t;
  t->armed = true;
  if (g_queue[cpu] == t) Program(cpu);
  arch::IrqRestore(flags);
}

void Cancel(Timer* t) {
  const uint64_t flags = arch::IrqSave();
  if (t->armed) Unlink(&g_queue[arch::CpuIndex()], t);
  arch::IrqRestore(flags);
}

void OnInterrupt() {
  const uint32_t cpu = arch::CpuIndex();
  const uint64_t now = arch::NowNs();
  while (g_queue[cpu] && g_queue[cpu]->deadline_ns <= now) {
    Timer* t = g_queue[cpu];
    g_queue[cpu] = t->next;
    t->next = nullptr;
    t->armed = false;
    t->fn(t);  // may re-arm itself
  }
  Program(cpu);
}

}  // namespace hv::timer
