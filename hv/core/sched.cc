// SPDX-License-Identifier: Apache-2.0
// What every scheduler shares (see sched.h): run-queue locks, vCPU states,
// loads, placement, load balancing, wake-ups and stops. The ops table decides
// order, accounting and slices (sched_credit2.cc, sched_rr.cc).
//
// Load is the number of vCPUs queued on or running on a CPU; blocked ones do
// not count. Balancing is done by the CPU that is about to pick (PickNext):
// it pulls one queued vCPU from the busiest CPU whose load exceeds its own by
// two or more and which holds a vCPU allowed here. A running vCPU is never
// moved; a vCPU outside the new CPU's affinity never either. An idle CPU
// halts; it is kicked when work arrives that it could take: a wake-up placed
// on it, or a requeue on a CPU with a vCPU to spare (Put).
#include "hv/core/sched.h"

#include <atomic>

#include "hv/core/arch.h"
#include "hv/core/domain.h"
#include "hv/core/domains.h"
#include "hv/core/timer.h"
#include "hv/lib/format.h"
#include "hv/lib/hot.h"
#include "hv/lib/log.h"
#include "hv/lib/spinlock.h"

namespace hv::sched {
namespace {

struct RunQueue {
  // Guards the scheduler's queue for this CPU, `curr`, `curr_start`, and the
  // state, `cpu` and scheduler fields of the vCPUs whose `cpu` this is.
  SpinLock lock;
  std::atomic<uint32_t> load{0};  // queued + running; written under the lock
  Vcpu* curr = nullptr;           // running here
  uint64_t curr_start = 0;        // when curr was picked
  Timer wakeup;  // armed by an idle CPU whose queued vCPUs wait for budget
};

std::atomic<const SchedulerOps*> g_ops{nullptr};
uint32_t g_cpus = 1;
uint64_t g_online = 1;  // CPUs 0 .. g_cpus-1
RunQueue g_rq[kMaxCpus];

constexpr uint32_t kNone = kMaxCpus;

const SchedulerOps* Ops() { return g_ops.load(std::memory_order_acquire); }
uint64_t Bit(uint32_t cpu) { return uint64_t{1} << cpu; }

uint64_t Mask(const Vcpu* v) {
  const uint64_t m = v->affinity & g_online;
  return m ? m : g_online;
}

uint32_t LoadOf(uint32_t cpu) { return g_rq[cpu].load.load(std::memory_order_relaxed); }
void AddLoad(uint32_t cpu, int32_t delta) {
  g_rq[cpu].load.store(LoadOf(cpu) + delta, std::memory_order_relaxed);
}

// v->cpu is read without a lock to find the lock that guards it.
uint32_t CpuOf(const Vcpu* v) { return __atomic_load_n(&v->cpu, __ATOMIC_ACQUIRE); }
void SetCpu(Vcpu* v, uint32_t cpu) { __atomic_store_n(&v->cpu, cpu, __ATOMIC_RELEASE); }

void Lock(uint32_t cpu) { g_rq[cpu].lock.Lock(); }
void Unlock(uint32_t cpu) { g_rq[cpu].lock.Unlock(); }
// Two run queues, in CPU order (the one order every path uses).
void Lock2(uint32_t a, uint32_t b) {
  if (a == b) return Lock(a);
  Lock(a < b ? a : b);
  Lock(a < b ? b : a);
}
void Unlock2(uint32_t a, uint32_t b) {
  Unlock(a);
  if (a != b) Unlock(b);
}

// Locks the run queue that holds v and returns its CPU. Interrupts off.
uint32_t LockVcpu(const Vcpu* v) {
  for (;;) {
    const uint32_t c = CpuOf(v);
    Lock(c);
    if (v->cpu == c) return c;
    Unlock(c);  // it moved meanwhile
  }
}

// The CPU for v: the least loaded one its affinity allows; `prefer` (or the
// lowest-numbered) among equals.
uint32_t PickCpu(const Vcpu* v, uint32_t prefer) {
  const uint64_t m = Mask(v);
  uint32_t best = prefer < g_cpus && (m & Bit(prefer)) ? prefer : kNone;
  for (uint32_t c = 0; c < g_cpus; ++c) {
    if (!(m & Bit(c))) continue;
    if (best == kNone || LoadOf(c) < LoadOf(best)) best = c;
  }
  return best;
}

// Queues v (not running, v->cpu == cpu, its lock held). Returns whether
// `cpu` must be kicked: it is idle, or v takes it from its running vCPU.
bool Queue(const SchedulerOps* ops, uint32_t cpu, Vcpu* v) {
  RunQueue& q = g_rq[cpu];
  v->state = VcpuState::kRunnable;
  ops->enqueue(cpu, v, false);
  AddLoad(cpu, 1);
  if (!q.curr) return true;
  const uint64_t now = arch::NowNs();
  const uint64_t ran = now > q.curr_start ? now - q.curr_start : 0;
  if (!ops->preempts(cpu, v, q.curr, ran)) return false;
  SetNeedResched(cpu);
  return true;
}

void Kick(uint32_t cpu) {
  if (cpu != kNone && cpu != arch::CpuIndex()) arch::KickCpu(cpu);
}

// An idle CPU that could take one of the vCPUs waiting on `cpu` (its lock
// held), or kNone.
uint32_t IdleCpuFor(const SchedulerOps* ops, uint32_t cpu) {
  if (LoadOf(cpu) < 2) return kNone;
  for (uint32_t c = 0; c < g_cpus; ++c) {
    if (c != cpu && LoadOf(c) == 0 && ops->steal(cpu, c, false)) return c;
  }
  return kNone;
}

// Pulls one queued vCPU to `me` from the busiest CPU that has two or more
// vCPUs more and one that may run here. Interrupts off, no lock held.
void Balance(const SchedulerOps* ops, uint32_t me) {
  uint64_t tried = Bit(me);
  for (int attempt = 0; attempt < 4; ++attempt) {
    uint32_t src = kNone, most = LoadOf(me) + 1;
    for (uint32_t c = 0; c < g_cpus; ++c) {
      if (!(tried & Bit(c)) && LoadOf(c) > most) {
        most = LoadOf(c);
        src = c;
      }
    }
    if (src == kNone) return;
    tried |= Bit(src);
    Lock2(me, src);
    Vcpu* v = LoadOf(src) >= LoadOf(me) + 2 ? ops->steal(src, me, true) : nullptr;
    if (v) {
      ops->migrate(v, src, me);
      SetCpu(v, me);
      AddLoad(src, -1);
      AddLoad(me, 1);
      ops->enqueue(me, v, false);
    }
    Unlock2(me, src);
    if (v) return;
  }
}

void WakeupFired(Timer* t) { SetNeedResched(static_cast<uint32_t>(reinterpret_cast<uintptr_t>(t->data))); }

bool Same(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

}  // namespace

const SchedulerOps* Find(const char* name) {
  if (Same(name, kCredit2.name)) return &kCredit2;
  if (Same(name, kRoundRobin.name)) return &kRoundRobin;
  return nullptr;
}

void Init(const SchedulerOps* ops, uint32_t cpus) {
  if (!ops) ops = &kCredit2;
  g_cpus = cpus == 0 ? 1 : cpus < kMaxCpus ? cpus : kMaxCpus;
  g_online = g_cpus == 64 ? ~uint64_t{0} : Bit(g_cpus) - 1;
  for (uint32_t c = 0; c < kMaxCpus; ++c) {
    RunQueue& q = g_rq[c];
    q.load.store(0);
    q.curr = nullptr;
    q.curr_start = 0;
    detail::g_need_resched[c].store(false);
    // Only fn and data: a host test's earlier run may have left it armed.
    q.wakeup.fn = WakeupFired;
    q.wakeup.data = reinterpret_cast<void*>(uintptr_t{c});
  }
  ops->init(g_cpus);
  g_ops.store(ops, std::memory_order_release);
  HV_INFO("scheduler: %s on %u CPU%s", ops->name, g_cpus, g_cpus == 1 ? "" : "s");
}

const char* Name() {
  const SchedulerOps* ops = Ops();
  return ops ? ops->name : "none";
}

bool Allows(const Vcpu* v, uint32_t cpu) { return cpu < g_cpus && (Mask(v) & Bit(cpu)); }

uint32_t Load(uint32_t cpu) { return cpu < kMaxCpus ? LoadOf(cpu) : 0; }

void AddVcpu(Vcpu* v) {
  const SchedulerOps* ops = Ops();
  if (!ops) {
    HV_ERROR("d%u v%u: added before the scheduler is set up", v->domain->id, v->id);
    return;
  }
  if (Mask(v) != (v->affinity & g_online)) {
    HV_WARN("d%u v%u: no online CPU in its affinity 0x%lx; it may run on any", v->domain->id,
            v->id, v->affinity);
  }
  for (;;) {
    const uint64_t flags = arch::IrqSave();
    const uint32_t c = CpuOf(v);  // < kMaxCpus: every run queue exists
    const uint32_t t = PickCpu(v, kNone);
    Lock2(c, t);
    if (v->cpu != c) {
      Unlock2(c, t);
      arch::IrqRestore(flags);
      continue;  // moved meanwhile
    }
    bool kick = false;
    if (v->state == VcpuState::kOffline || v->state == VcpuState::kBlocked) {
      SetCpu(v, t);
      ops->add(t, v);
      kick = Queue(ops, t, v);
    }
    Unlock2(c, t);
    arch::IrqRestore(flags);
    if (kick) Kick(t);
    return;
  }
}

void Wake(Vcpu* v) {
  const SchedulerOps* ops = Ops();
  if (!ops) return;
  for (;;) {
    const uint64_t flags = arch::IrqSave();
    const uint32_t c = LockVcpu(v);
    if (v->state != VcpuState::kBlocked) {
      Unlock(c);
      arch::IrqRestore(flags);
      return;
    }
    const uint32_t t = PickCpu(v, c);
    if (t != c) {
      Unlock(c);
      Lock2(c, t);
      if (v->cpu != c || v->state != VcpuState::kBlocked) {
        Unlock2(c, t);
        arch::IrqRestore(flags);
        continue;  // moved or woken meanwhile: look again
      }
      ops->migrate(v, c, t);
      SetCpu(v, t);
    }
    const bool kick = Queue(ops, t, v);
    Unlock2(c, t);
    arch::IrqRestore(flags);
    if (kick) Kick(t);
    return;
  }
}

void Stop(Vcpu* v) {
  const SchedulerOps* ops = Ops();
  const uint64_t flags = arch::IrqSave();
  const uint32_t c = LockVcpu(v);
  bool stopped = false, kick = false;
  switch (v->state) {
    case VcpuState::kRunnable:
      ops->remove(c, v);
      AddLoad(c, -1);
      [[fallthrough]];
    case VcpuState::kBlocked:
    case VcpuState::kOffline:
      v->state = VcpuState::kDead;
      stopped = true;
      break;
    case VcpuState::kRunning:
      // Its CPU sees the domain shutting down at the next exit: make it exit.
      SetNeedResched(c);
      kick = true;
      break;
    case VcpuState::kDead: break;
  }
  Unlock(c);
  arch::IrqRestore(flags);
  if (kick) Kick(c);
  if (stopped) domains::VcpuStopped(v);
}

void SetAffinity(Vcpu* v, uint64_t mask) {
  const SchedulerOps* ops = Ops();
  const uint64_t flags = arch::IrqSave();
  const uint32_t c = LockVcpu(v);
  v->affinity = mask;
  bool rewake = false, kick = false;
  if (ops && !Allows(v, c)) {
    if (v->state == VcpuState::kRunnable) {
      // Off the queue and woken again: Wake places it within the new mask.
      ops->remove(c, v);
      AddLoad(c, -1);
      v->state = VcpuState::kBlocked;
      rewake = true;
    } else if (v->state == VcpuState::kRunning) {
      SetNeedResched(c);
      kick = true;
    }
  }
  Unlock(c);
  arch::IrqRestore(flags);
  if (kick) Kick(c);
  if (rewake) Wake(v);
}

Vcpu* PickNext(uint32_t cpu) {
  const SchedulerOps* ops = Ops();
  if (!ops || cpu >= g_cpus) return nullptr;  // idle CPUs ask before the boot CPU sets one up
  RunQueue& q = g_rq[cpu];
  const uint64_t flags = arch::IrqSave();
  Balance(ops, cpu);
  Lock(cpu);
  detail::g_need_resched[cpu].store(false, std::memory_order_relaxed);
  const uint64_t now = arch::NowNs();
  Vcpu* v = ops->dequeue(cpu, now);
  uint64_t wake_at = 0;
  if (v) {
    v->state = VcpuState::kRunning;
    q.curr = v;
    q.curr_start = now;
  } else {
    wake_at = ops->wakeup_ns(cpu);
  }
  Unlock(cpu);
  if (wake_at) timer::Set(&q.wakeup, wake_at);
  arch::IrqRestore(flags);
  return v;
}

void Put(Vcpu* v, PutReason why, uint64_t ran_ns) {
  const SchedulerOps* ops = Ops();
  const uint64_t flags = arch::IrqSave();
  const uint32_t c = LockVcpu(v);
  RunQueue& q = g_rq[c];
  if (v->state != VcpuState::kRunning || q.curr != v) {
    Unlock(c);
    arch::IrqRestore(flags);
    HV_ERROR("d%u v%u: put while %s on CPU%u", v->domain->id, v->id, VcpuStateName(v->state), c);
    return;
  }
  q.curr = nullptr;
  ops->charge(c, v, ran_ns);
  const DomainState ds = v->domain->state;
  bool stopped = false, rewake = false;
  uint32_t idle = kNone;
  if (why == PutReason::kStopped || ds == DomainState::kShuttingDown || ds == DomainState::kDead) {
    AddLoad(c, -1);
    v->state = VcpuState::kDead;
    stopped = true;
  } else if (why == PutReason::kOffline) {
    AddLoad(c, -1);
    v->state = VcpuState::kOffline;
  } else if (why == PutReason::kBlocked) {
    AddLoad(c, -1);
    v->state = VcpuState::kBlocked;
  } else if (!Allows(v, c)) {
    // Its affinity changed while it ran: Wake places it within the new mask.
    AddLoad(c, -1);
    v->state = VcpuState::kBlocked;
    rewake = true;
  } else {
    v->state = VcpuState::kRunnable;
    ops->enqueue(c, v, why == PutReason::kYielded);
    idle = IdleCpuFor(ops, c);
  }
  Unlock(c);
  arch::IrqRestore(flags);
  if (idle != kNone) Kick(idle);
  if (rewake) Wake(v);
  if (stopped) domains::VcpuStopped(v);
}

uint64_t SliceNs(const Vcpu* v) {
  const SchedulerOps* ops = Ops();
  if (!ops) return 10000000;
  const uint64_t flags = arch::IrqSave();
  const uint32_t c = LockVcpu(v);
  const uint64_t ns = ops->slice_ns(c, v);
  Unlock(c);
  arch::IrqRestore(flags);
  return ns;
}

namespace detail {
HV_HOT_DATA std::atomic<bool> g_need_resched[kMaxCpus];
}  // namespace detail

// --- Checks and dumps -------------------------------------------------------

namespace {

SpinLock g_check_lock;  // guards g_check
struct CheckState {
  static constexpr size_t kMaxSeen = 1024;
  const Vcpu* seen[kMaxSeen];
  size_t seen_count;
  uint32_t cpu;
  uint32_t queued;
  char* why;
  size_t len;
  bool ok;
} g_check;

void Fail(CheckState& s, const char* what, const Vcpu* v) {
  if (!s.ok) return;
  s.ok = false;
  Format(s.why, s.len, "CPU%u: d%u v%u (%s, cpu %u, affinity 0x%lx): %s", s.cpu,
         v->domain ? v->domain->id : 0, v->id, VcpuStateName(v->state), v->cpu, v->affinity, what);
}

void See(CheckState& s, const Vcpu* v) {
  for (size_t i = 0; i < s.seen_count; ++i) {
    if (s.seen[i] == v) return Fail(s, "on two run queues (or queued and running)", v);
  }
  if (s.seen_count < CheckState::kMaxSeen) s.seen[s.seen_count++] = v;
}

void CheckQueued(Vcpu* v, void* arg) {
  CheckState& s = *static_cast<CheckState*>(arg);
  ++s.queued;
  if (v->state != VcpuState::kRunnable) Fail(s, "queued but not runnable", v);
  if (v->cpu != s.cpu) Fail(s, "queued on another CPU's queue", v);
  if (!Allows(v, s.cpu)) Fail(s, "queued outside its affinity", v);
  See(s, v);
}

}  // namespace

bool Check(char* why, size_t len) {
  const SchedulerOps* ops = Ops();
  if (why && len) why[0] = '\0';
  if (!ops) return true;
  const uint64_t flags = arch::IrqSave();
  g_check_lock.Lock();
  for (uint32_t c = 0; c < g_cpus; ++c) Lock(c);
  CheckState& s = g_check;
  s.seen_count = 0;
  s.why = why;
  s.len = why ? len : 0;
  s.ok = true;
  for (uint32_t c = 0; c < g_cpus && s.ok; ++c) {
    s.cpu = c;
    s.queued = 0;
    ops->for_each(c, CheckQueued, &s);
    const Vcpu* curr = g_rq[c].curr;
    if (curr) {
      if (curr->state != VcpuState::kRunning) Fail(s, "current but not running", curr);
      if (curr->cpu != c) Fail(s, "current on another CPU", curr);
      See(s, curr);
    }
    if (s.ok && LoadOf(c) != s.queued + (curr ? 1 : 0)) {
      s.ok = false;
      Format(why, s.len, "CPU%u: load %u, but %u queued and %u running", c, LoadOf(c), s.queued,
             curr ? 1 : 0);
    }
  }
  const bool ok = s.ok;
  for (uint32_t c = g_cpus; c-- > 0;) Unlock(c);
  g_check_lock.Unlock();
  arch::IrqRestore(flags);
  return ok;
}

namespace {

struct DumpLine {
  char text[240];
  size_t len;
};

void DumpQueued(Vcpu* v, void* arg) {
  DumpLine& l = *static_cast<DumpLine*>(arg);
  if (l.len >= sizeof(l.text)) return;
  l.len += Format(l.text + l.len, sizeof(l.text) - l.len, " d%u.v%u(%ld)", v->domain->id, v->id,
                  v->credit);
}

}  // namespace

void Dump() {
  const SchedulerOps* ops = Ops();
  if (!ops) return;
  for (uint32_t c = 0; c < g_cpus; ++c) {
    DumpLine l;
    const uint64_t flags = arch::IrqSave();
    Lock(c);
    const Vcpu* curr = g_rq[c].curr;
    l.len = curr ? Format(l.text, sizeof(l.text), "running d%u.v%u(%ld), queued:", curr->domain->id,
                          curr->id, curr->credit)
                 : Format(l.text, sizeof(l.text), "idle, queued:");
    ops->for_each(c, DumpQueued, &l);
    const uint32_t load = LoadOf(c);
    Unlock(c);
    arch::IrqRestore(flags);
    HV_INFO("sched %s CPU%u: load %u, %s", ops->name, c, load, l.text);
  }
}

}  // namespace hv::sched
