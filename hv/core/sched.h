// SPDX-License-Identifier: Apache-2.0
// The scheduler: per-CPU run queues of vCPUs behind an ops table, so that
// schedulers are swappable: credit2 (the default, sched_credit2.cc) and
// round-robin (sched_rr.cc); RTDS or ARINC653 later.
//
// sched.cc owns what every scheduler shares: the run queues' locks, vCPU
// states, the load of each CPU, where a vCPU goes when it joins or wakes,
// load balancing (an idle or lightly loaded CPU pulls queued vCPUs from a
// busier one, within their hard affinity), preemption on wake-up, stopping.
// A scheduler owns the order of its queues, the accounting of run time and
// the length of time slices.
//
// Locking: one lock per CPU's run queue, always taken with interrupts off
// (timer callbacks wake vCPUs from interrupt context). It guards that queue,
// and the state, `cpu` and scheduler-private fields of every vCPU whose `cpu`
// it is (queued, running or blocked there). A vCPU's `cpu` changes only with
// the locks of the old and the new CPU held (taken in CPU order), never while
// it runs. Nothing else is locked inside a run-queue lock except credit2's
// cap budgets and the timer queues.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <atomic>

#include "hv/core/vcpu.h"

namespace hv {

// One scheduler. Every function but `init` is called with the lock of the run
// queue `cpu` held (and of both, for `steal` and `migrate`), interrupts off.
struct SchedulerOps {
  const char* name;
  // Forgets everything, for `cpus` CPUs (sched::Init).
  void (*init)(uint32_t cpus);
  // v joins the scheduler on `cpu` (before its first enqueue there).
  void (*add)(uint32_t cpu, Vcpu* v);
  // Queues a runnable v (not running) on cpu. `yielded`: it just gave up the
  // CPU of its own accord and should let others go first.
  void (*enqueue)(uint32_t cpu, Vcpu* v, bool yielded);
  // Takes the vCPU to run next off the queue, or null if none may run now.
  Vcpu* (*dequeue)(uint32_t cpu, uint64_t now_ns);
  void (*remove)(uint32_t cpu, Vcpu* v);
  // A queued vCPU of `from` that sched::Allows on `to`, or null; taken off
  // `from`'s queue if `take` (then sched.cc calls migrate and enqueue).
  // Without `take` only the lock of `from` is held.
  Vcpu* (*steal)(uint32_t from, uint32_t to, bool take);
  // v (on no queue, not running) moves from one run queue to another.
  void (*migrate)(Vcpu* v, uint32_t from, uint32_t to);
  // How long v, just picked on cpu, may run before it is preempted.
  uint64_t (*slice_ns)(uint32_t cpu, const Vcpu* v);
  // v ran ran_ns on cpu and is coming off it.
  void (*charge)(uint32_t cpu, Vcpu* v, uint64_t ran_ns);
  // Whether `woken`, just queued on cpu, should take the CPU from `running`,
  // which has run ran_ns of its slice.
  bool (*preempts)(uint32_t cpu, const Vcpu* woken, const Vcpu* running, uint64_t ran_ns);
  // dequeue found nothing that may run now: when something queued may (a
  // capped vCPU's budget comes back), or 0 for never.
  uint64_t (*wakeup_ns)(uint32_t cpu);
  // Calls fn for every queued vCPU, in the order they would run.
  void (*for_each)(uint32_t cpu, void (*fn)(Vcpu* v, void* arg), void* arg);
};

namespace sched {

inline constexpr uint32_t kMaxCpus = 64;

// The schedulers: "credit2" (the default) and "rr".
extern const SchedulerOps kCredit2;
extern const SchedulerOps kRoundRobin;
// The scheduler of that name, or null (e.g. for sched= on the command line).
const SchedulerOps* Find(const char* name);

// Sets up `cpus` run queues under `ops` (null: the default, credit2). Called
// once on the boot CPU before any vCPU runs; host tests call it to start over.
void Init(const SchedulerOps* ops, uint32_t cpus);
const char* Name();

// A vCPU joins (offline, or kBlocked as HV_VCPU_UP claims one): it is placed
// on the least-loaded CPU its affinity allows. A no-op if it is already
// runnable, running or dead.
void AddVcpu(Vcpu* v);
// blocked -> runnable (from any CPU, also from interrupt context). It goes
// to the least-loaded CPU its affinity allows, the one it last ran on when
// that is as good; it takes the CPU from the running vCPU if the scheduler
// says so. A no-op for a vCPU that is not blocked.
void Wake(Vcpu* v);
// The vCPU will not run again (its domain is going away). A vCPU on a CPU
// now stops at its next exit (that CPU is kicked); others stop at once.
void Stop(Vcpu* v);
// Sets v's hard affinity. A queued vCPU outside it moves at once; a running
// one at its next Put; a blocked one when it wakes. A mask with no online CPU
// means every CPU.
void SetAffinity(Vcpu* v, uint64_t mask);

// The next vCPU for `cpu` to run (state becomes kRunning), or null: then the
// CPU may halt until an interrupt (a kick, or its timer). Called on `cpu`
// itself, with interrupts off or on. It first pulls a vCPU from a busier CPU
// when the loads differ by two or more (load balancing), and arms the CPU's
// timer when queued vCPUs are waiting for their cap budget.
Vcpu* PickNext(uint32_t cpu);
// Why a vCPU came off its CPU.
enum class PutReason : uint8_t { kPreempted, kYielded, kBlocked, kStopped, kOffline };
// v came off its CPU after running ran_ns: charged, then queued again,
// blocked, taken offline (kOffline: it may be added again) or stopped.
void Put(Vcpu* v, PutReason why, uint64_t ran_ns);
// Whether the running vCPU on `cpu` should give up the CPU (set by the slice
// timer and by wake-ups of others). Inline: asked on every #VMEXIT.
namespace detail {
extern std::atomic<bool> g_need_resched[kMaxCpus];
}  // namespace detail
inline bool NeedResched(uint32_t cpu) {
  return detail::g_need_resched[cpu].load(std::memory_order_relaxed);
}
inline void SetNeedResched(uint32_t cpu) {
  detail::g_need_resched[cpu].store(true, std::memory_order_relaxed);
}
// How long v, now running, may run before it is preempted.
uint64_t SliceNs(const Vcpu* v);
// The longest a vCPU runs without being preempted when others wait (both
// schedulers); what HV_SYSCTL_SCHED_INFO reports.
inline constexpr uint64_t kDefaultSliceNs = 10000000;

// Whether v may run on cpu: its affinity, or any CPU if its affinity holds no
// online one.
bool Allows(const Vcpu* v, uint32_t cpu);
// vCPUs queued on or running on `cpu` (not blocked ones).
uint32_t Load(uint32_t cpu);
// Checks the run queues with every lock held: every queued vCPU is runnable,
// on exactly one queue, the one of its `cpu`, within its affinity; every
// running one is its CPU's current and on no queue; loads add up. On the
// first failure, says why in `why` and returns false.
bool Check(char* why, size_t len);
// The run queues on the console.
void Dump();

}  // namespace sched
}  // namespace hv
