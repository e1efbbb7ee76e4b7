// SPDX-License-Identifier: Apache-2.0
// Round robin: one FIFO per CPU, a fixed 10 ms slice, no weights or caps; a
// wake-up takes the CPU from the running vCPU. Kept as `sched=rr`.
#include "hv/core/sched.h"

namespace hv::sched {
namespace {

struct Fifo {  // under the run queue's lock
  Vcpu* head = nullptr;
  Vcpu* tail = nullptr;
};
Fifo g_fifo[kMaxCpus];

void RrInit(uint32_t) {
  for (Fifo& q : g_fifo) q = Fifo{};
}

void RrAdd(uint32_t, Vcpu*) {}

void RrEnqueue(uint32_t cpu, Vcpu* v, bool) {
  Fifo& q = g_fifo[cpu];
  v->next = nullptr;
  if (!q.head) {
    q.head = q.tail = v;
  } else {
    q.tail->next = v;
    q.tail = v;
  }
}

void Unlink(Fifo& q, Vcpu* prev, Vcpu* v) {
  (prev ? prev->next : q.head) = v->next;
  if (q.tail == v) q.tail = prev;
  v->next = nullptr;
}

Vcpu* RrDequeue(uint32_t cpu, uint64_t) {
  Fifo& q = g_fifo[cpu];
  Vcpu* v = q.head;
  if (v) Unlink(q, nullptr, v);
  return v;
}

void RrRemove(uint32_t cpu, Vcpu* v) {
  Fifo& q = g_fifo[cpu];
  Vcpu* prev = nullptr;
  for (Vcpu* p = q.head; p; prev = p, p = p->next) {
    if (p == v) return Unlink(q, prev, p);
  }
}

// The last in line that may run on `to`.
Vcpu* RrSteal(uint32_t from, uint32_t to, bool take) {
  Fifo& q = g_fifo[from];
  Vcpu *found = nullptr, *found_prev = nullptr, *prev = nullptr;
  for (Vcpu* p = q.head; p; prev = p, p = p->next) {
    if (Allows(p, to)) {
      found = p;
      found_prev = prev;
    }
  }
  if (found && take) Unlink(q, found_prev, found);
  return found;
}

void RrMigrate(Vcpu*, uint32_t, uint32_t) {}
uint64_t RrSlice(uint32_t, const Vcpu*) { return 10000000; }  // 10 ms
void RrCharge(uint32_t, Vcpu*, uint64_t) {}
bool RrPreempts(uint32_t, const Vcpu*, const Vcpu*, uint64_t) { return true; }
uint64_t RrWakeupNs(uint32_t) { return 0; }

void RrForEach(uint32_t cpu, void (*fn)(Vcpu*, void*), void* arg) {
  for (Vcpu* p = g_fifo[cpu].head; p; p = p->next) fn(p, arg);
}

}  // namespace

const SchedulerOps kRoundRobin = {
    "rr",       RrInit,  RrAdd,   RrEnqueue,  RrDequeue,  RrRemove, RrSteal,
    RrMigrate, RrSlice, RrCharge, RrPreempts, RrWakeupNs, RrForEach,
};

}  // namespace hv::sched
