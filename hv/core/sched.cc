// SPDX-License-Identifier: Apache-2.0
#include "hv/core/sched.h"

#include <atomic>

#include "hv/core/arch.h"
#include "hv/core/domain.h"
#include "hv/core/domains.h"
#include "hv/lib/log.h"
#include "hv/lib/spinlock.h"

namespace hv::sched {
namespace {

struct RunQueue {
  SpinLock lock;  // guards the ops' queue state and `load`
  uint32_t load = 0;  // vCPUs assigned to this CPU
  std::atomic<bool> need_resched{false};
};

const SchedulerOps* g_ops = nullptr;
uint32_t g_cpus = 1;
RunQueue g_rq[kMaxCpus];

// --- Round robin: one FIFO per CPU, a fixed slice. ---
struct Fifo {
  Vcpu* head = nullptr;
  Vcpu* tail = nullptr;
};
Fifo g_fifo[kMaxCpus];

void RrEnqueue(uint32_t cpu, Vcpu* v, bool at_front) {
  Fifo& q = g_fifo[cpu];
  v->next = nullptr;
  if (!q.head) {
    q.head = q.tail = v;
  } else if (at_front) {
    v->next = q.head;
    q.head = v;
  } else {
    q.tail->next = v;
    q.tail = v;
  }
}

Vcpu* RrDequeue(uint32_t cpu) {
  Fifo& q = g_fifo[cpu];
  Vcpu* v = q.head;
  if (v) {
    q.head = v->next;
    if (!q.head) q.tail = nullptr;
    v->next = nullptr;
  }
  return v;
}

void RrRemove(uint32_t cpu, Vcpu* v) {
  Fifo& q = g_fifo[cpu];
  Vcpu* prev = nullptr;
  for (Vcpu* p = q.head; p; prev = p, p = p->next) {
    if (p != v) continue;
    (prev ? prev->next : q.head) = p->next;
    if (q.tail == p) q.tail = prev;
    p->next = nullptr;
    return;
  }
}

uint64_t RrSlice(const Vcpu*) { return 10000000; }  // 10 ms
void RrCharge(Vcpu*, uint64_t) {}

void Enqueue(Vcpu* v, bool at_front) {
  RunQueue& rq = g_rq[v->cpu];
  {
    SpinGuard guard(rq.lock);
    v->state = VcpuState::kRunnable;
    g_ops->enqueue(v->cpu, v, at_front);
  }
  if (v->cpu != arch::CpuIndex()) arch::KickCpu(v->cpu);
}

}  // namespace

const SchedulerOps kRoundRobin = {"rr", RrEnqueue, RrDequeue, RrRemove, RrSlice, RrCharge};

void Init(const SchedulerOps* ops, uint32_t cpus) {
  g_ops = ops;
  g_cpus = cpus < kMaxCpus ? cpus : kMaxCpus;
}

const char* Name() { return g_ops ? g_ops->name : "none"; }

void AddVcpu(Vcpu* v) {
  // The least-loaded CPU the vCPU may run on.
  uint32_t best = kMaxCpus;
  for (uint32_t c = 0; c < g_cpus; ++c) {
    if (!(v->affinity & (uint64_t{1} << c))) continue;
    if (best == kMaxCpus || g_rq[c].load < g_rq[best].load) best = c;
  }
  if (best == kMaxCpus) {
    HV_WARN("d%u v%u: no online CPU in its affinity; using CPU0", v->domain->id, v->id);
    best = 0;
  }
  v->cpu = best;
  {
    SpinGuard guard(g_rq[best].lock);
    ++g_rq[best].load;
  }
  Enqueue(v, false);
}

void Wake(Vcpu* v) {
  {
    // Checked and queued under one lock, so two wake-ups queue it once.
    SpinGuard guard(g_rq[v->cpu].lock);
    if (v->state != VcpuState::kBlocked) return;
    v->state = VcpuState::kRunnable;
    g_ops->enqueue(v->cpu, v, false);
  }
  SetNeedResched(v->cpu);
  if (v->cpu != arch::CpuIndex()) arch::KickCpu(v->cpu);
}

void Stop(Vcpu* v) {
  bool stopped_now = false;
  {
    RunQueue& rq = g_rq[v->cpu];
    SpinGuard guard(rq.lock);
    if (v->state == VcpuState::kRunnable) g_ops->remove(v->cpu, v);
    if (v->state == VcpuState::kRunnable || v->state == VcpuState::kBlocked ||
        v->state == VcpuState::kOffline) {
      if (v->state != VcpuState::kOffline) --rq.load;
      v->state = VcpuState::kDead;
      stopped_now = true;
    }
    // kRunning: its CPU sees the domain shutting down at the next exit.
  }
  if (stopped_now) domains::VcpuStopped(v);
  else SetNeedResched(v->cpu);
}

Vcpu* PickNext(uint32_t cpu) {
  if (!g_ops) return nullptr;  // idle CPUs ask before the boot CPU sets one up
  RunQueue& rq = g_rq[cpu];
  SpinGuard guard(rq.lock);
  rq.need_resched.store(false);
  Vcpu* v = g_ops->dequeue(cpu);
  if (v) v->state = VcpuState::kRunning;
  return v;
}

void Put(Vcpu* v, PutReason why, uint64_t ran_ns) {
  RunQueue& rq = g_rq[v->cpu];
  bool stopped = false;
  {
    SpinGuard guard(rq.lock);
    g_ops->charge(v, ran_ns);
    const DomainState ds = v->domain->state;
    if (why == PutReason::kStopped || ds == DomainState::kShuttingDown ||
        ds == DomainState::kDead) {
      --rq.load;
      v->state = VcpuState::kDead;
      stopped = true;
    } else if (why == PutReason::kBlocked) {
      v->state = VcpuState::kBlocked;
    } else {
      v->state = VcpuState::kRunnable;
      g_ops->enqueue(v->cpu, v, false);
    }
  }
  if (stopped) domains::VcpuStopped(v);
}

uint64_t SliceNs(const Vcpu* v) { return g_ops->slice_ns(v); }

bool NeedResched(uint32_t cpu) { return g_rq[cpu].need_resched.load(std::memory_order_relaxed); }
void SetNeedResched(uint32_t cpu) { g_rq[cpu].need_resched.store(true, std::memory_order_relaxed); }

}  // namespace hv::sched
