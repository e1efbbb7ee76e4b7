// SPDX-License-Identifier: Apache-2.0
// credit2, the default scheduler: after Xen's (xen/common/sched/credit2.c),
// cut down to what gives its behaviour.
//
// Credit. Every vCPU has credit, counted in nanoseconds of run time at the
// default weight 256. Running burns it at a rate inversely proportional to
// its domain's weight: ran_ns * 256 / weight. A weight-512 vCPU burns half as
// fast as a weight-256 one, so between two resets it runs twice as long.
//
// Order. Each CPU's run queue is sorted by credit, most first: the runnable
// vCPU with the most credit runs (first come first among equals).
//
// Reset. When the vCPU picked to run has no credit left (<= 0), every vCPU
// queued on that CPU gets kCreditInit more (a multiple if it is that deep in
// debt), clipped at kCreditInit + kCarryMax so that a vCPU that was not
// competing does not hoard credit. Blocked vCPUs get the resets they missed
// when they are queued again (each run queue counts its resets in `epoch`).
// Debt is kept, so over many resets each busy vCPU's share of the CPU is its
// weight over the sum of the weights.
//
// Slice. A vCPU runs until its credit would fall to that of the next one in
// the queue (to 0 if none waits), at its burn rate, but at least kMinSlice
// and at most kMaxSlice. A vCPU that wakes with more credit than the running
// one has left takes the CPU at once (sched.cc asks `preempts`).
//
// Yield. A vCPU that yields is queued as if it had kYieldBias less credit.
//
// Caps. A domain capped at C% (of one CPU, for the whole domain: C may pass
// 100 with several vCPUs) gets a budget of C% of kCapPeriod every kCapPeriod.
// A capped vCPU takes a piece of the budget when it is picked (its share,
// the budget over the domain's vCPUs, and at most kMaxSlice; it may come back
// for more), its slice ends when that is spent, and what it did not use is
// returned when it comes off the CPU; an overrun is debt for the next period.
// While its domain has no budget a capped vCPU is parked: it stays queued but
// is passed over, and an idle CPU sets its timer for the refill.
//
// Moving. Placement and load balancing are sched.cc's; `steal` gives away
// the queued vCPU with the least credit that may run on the other CPU (it
// would wait longest here). A vCPU keeps its credit when it moves.
#include "hv/core/arch.h"
#include "hv/core/domain.h"
#include "hv/core/sched.h"
#include "hv/lib/spinlock.h"

namespace hv::sched {
namespace {

constexpr int64_t kCreditInit = 10000000;  // 10 ms at weight 256
constexpr int64_t kCarryMax = 500000;      // credit kept over a reset beyond kCreditInit
constexpr uint64_t kMinSlice = 1000000;    // 1 ms
constexpr uint64_t kMaxSlice = kDefaultSliceNs;  // 10 ms
constexpr int64_t kYieldBias = 1000000;    // 1 ms of credit
constexpr uint64_t kCapPeriod = 10000000;  // 10 ms
constexpr int64_t kBaseWeight = 256;

struct Queue {         // one per CPU, under its run queue's lock
  Vcpu* head = nullptr;  // by credit, most first
  uint32_t epoch = 0;    // resets so far, in kCreditInit units
  // The capped vCPU running here and the budget it took from its domain.
  const Vcpu* grabber = nullptr;
  int64_t grabbed = 0;
};
Queue g_queue[kMaxCpus];

// A capped domain's budget. The table is indexed by domain id; an entry
// starts afresh when another domain turns up under that id.
struct Budget {
  const Domain* domain = nullptr;
  int64_t left = 0;
  uint64_t refill_at = 0;
};
SpinLock g_budget_lock;  // guards g_budget; taken inside run-queue locks
Budget g_budget[kMaxDomains];

int64_t Min(int64_t a, int64_t b) { return a < b ? a : b; }

int64_t Weight(const Vcpu* v) {
  const uint32_t w = v->domain->weight;
  return w ? w : 1;
}

// Credit burnt by running ns, and run time worth `credit`, at v's weight.
int64_t Burn(const Vcpu* v, uint64_t ns) { return static_cast<int64_t>(ns) * kBaseWeight / Weight(v); }
int64_t RunTime(const Vcpu* v, int64_t credit) { return credit * Weight(v) / kBaseWeight; }

bool Capped(const Vcpu* v) { return v->domain->cap != 0; }

// A capped domain's budget for one period.
int64_t Quota(const Domain* d) {
  return static_cast<int64_t>(d->cap) * static_cast<int64_t>(kCapPeriod) / 100;
}

// The domain's budget, refilled for the periods that have passed. Budget lock held.
Budget& BudgetOf(const Domain* d, uint64_t now) {
  Budget& b = g_budget[d->id % kMaxDomains];
  const int64_t quota = Quota(d);
  if (b.domain != d) {
    b = Budget{d, quota, now + kCapPeriod};
  } else if (now >= b.refill_at) {
    const uint64_t periods = (now - b.refill_at) / kCapPeriod + 1;
    b.left = periods > 64 ? quota : Min(b.left + static_cast<int64_t>(periods) * quota, quota);
    b.refill_at += periods * kCapPeriod;
  }
  return b;
}

// A capped vCPU whose domain has no budget left now.
bool Parked(const Vcpu* v, uint64_t now) {
  if (!Capped(v)) return false;
  SpinGuard guard(g_budget_lock);
  return BudgetOf(v->domain, now).left <= 0;
}

Vcpu* FirstEligible(const Queue& q, uint64_t now) {
  for (Vcpu* p = q.head; p; p = p->next) {
    if (!Parked(p, now)) return p;
  }
  return nullptr;
}

// The resets of q that v has not had yet.
void CatchUp(Vcpu* v, const Queue& q) {
  const uint32_t missed = q.epoch - v->sched_epoch;
  if (missed) {
    v->credit = Min(v->credit + static_cast<int64_t>(missed < 64 ? missed : 64) * kCreditInit,
                    kCreditInit + kCarryMax);
  }
  v->sched_epoch = q.epoch;
}

void Insert(Queue& q, Vcpu* v, int64_t key) {
  Vcpu** p = &q.head;
  while (*p && (*p)->credit >= key) p = &(*p)->next;
  v->next = *p;
  *p = v;
}

void Unlink(Queue& q, Vcpu* v) {
  for (Vcpu** p = &q.head; *p; p = &(*p)->next) {
    if (*p == v) {
      *p = v->next;
      v->next = nullptr;
      return;
    }
  }
}

void Reset(Queue& q, uint32_t times) {
  q.epoch += times;
  for (Vcpu* p = q.head; p; p = p->next) CatchUp(p, q);
}

// --- The ops ----------------------------------------------------------------

void C2Init(uint32_t) {
  for (Queue& q : g_queue) q = Queue{};
  SpinGuard guard(g_budget_lock);
  for (Budget& b : g_budget) b = Budget{};
}

void C2Add(uint32_t cpu, Vcpu* v) {
  v->credit = kCreditInit;
  v->sched_epoch = g_queue[cpu].epoch;
}

void C2Enqueue(uint32_t cpu, Vcpu* v, bool yielded) {
  Queue& q = g_queue[cpu];
  CatchUp(v, q);
  Insert(q, v, yielded ? v->credit - kYieldBias : v->credit);
}

Vcpu* C2Dequeue(uint32_t cpu, uint64_t now) {
  Queue& q = g_queue[cpu];
  Vcpu* v = FirstEligible(q, now);
  if (!v) return nullptr;
  if (v->credit <= 0) {
    const int64_t debt = -v->credit;
    Reset(q, static_cast<uint32_t>(1 + Min(debt / kCreditInit, 63)));
  }
  Unlink(q, v);
  if (Capped(v)) {
    SpinGuard guard(g_budget_lock);
    Budget& b = BudgetOf(v->domain, now);
    // At most the vCPU's share of a period's budget, so that every vCPU
    // of the domain gets some; it may come back for more.
    const int64_t share = (Quota(v->domain) + v->domain->vcpu_count - 1) /
                          (v->domain->vcpu_count ? v->domain->vcpu_count : 1);
    q.grabber = v;
    q.grabbed = Min(Min(b.left, share > 0 ? share : 1), static_cast<int64_t>(kMaxSlice));
    b.left -= q.grabbed;
  }
  return v;
}

void C2Remove(uint32_t cpu, Vcpu* v) { Unlink(g_queue[cpu], v); }

Vcpu* C2Steal(uint32_t from, uint32_t to, bool take) {
  Queue& q = g_queue[from];
  Vcpu* found = nullptr;
  for (Vcpu* p = q.head; p; p = p->next) {
    if (Allows(p, to)) found = p;
  }
  if (found && take) Unlink(q, found);
  return found;
}

void C2Migrate(Vcpu* v, uint32_t from, uint32_t to) {
  CatchUp(v, g_queue[from]);
  v->sched_epoch = g_queue[to].epoch;
}

uint64_t C2Slice(uint32_t cpu, const Vcpu* v) {
  const Queue& q = g_queue[cpu];
  const Vcpu* next = FirstEligible(q, arch::NowNs());
  const int64_t margin = next ? v->credit - next->credit : v->credit;
  int64_t slice = margin <= 0 ? static_cast<int64_t>(kMinSlice) : RunTime(v, margin);
  if (slice < static_cast<int64_t>(kMinSlice)) slice = kMinSlice;
  if (slice > static_cast<int64_t>(kMaxSlice)) slice = kMaxSlice;
  if (q.grabber == v) slice = Min(slice, q.grabbed > 0 ? q.grabbed : 0);
  return static_cast<uint64_t>(slice);
}

void C2Charge(uint32_t cpu, Vcpu* v, uint64_t ran_ns) {
  v->credit -= Burn(v, ran_ns);
  Queue& q = g_queue[cpu];
  if (q.grabber != v) return;
  q.grabber = nullptr;
  SpinGuard guard(g_budget_lock);
  Budget& b = BudgetOf(v->domain, arch::NowNs());
  b.left = Min(b.left + q.grabbed - static_cast<int64_t>(ran_ns), Quota(v->domain));
}

bool C2Preempts(uint32_t, const Vcpu* woken, const Vcpu* running, uint64_t ran_ns) {
  if (Parked(woken, arch::NowNs())) return false;
  return woken->credit > running->credit - Burn(running, ran_ns);
}

uint64_t C2WakeupNs(uint32_t cpu) {
  uint64_t at = 0;
  const uint64_t now = arch::NowNs();
  SpinGuard guard(g_budget_lock);
  for (const Vcpu* p = g_queue[cpu].head; p; p = p->next) {
    if (!Capped(p)) continue;
    const uint64_t t = BudgetOf(p->domain, now).refill_at;
    if (!at || t < at) at = t;
  }
  return at;
}

void C2ForEach(uint32_t cpu, void (*fn)(Vcpu*, void*), void* arg) {
  for (Vcpu* p = g_queue[cpu].head; p; p = p->next) fn(p, arg);
}

}  // namespace

const SchedulerOps kCredit2 = {
    "credit2", C2Init,  C2Add,    C2Enqueue,  C2Dequeue,  C2Remove, C2Steal,
    C2Migrate, C2Slice, C2Charge, C2Preempts, C2WakeupNs, C2ForEach,
};

}  // namespace hv::sched
