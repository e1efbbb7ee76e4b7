// SPDX-License-Identifier: Apache-2.0
// The scheduler: per-CPU run queues of vCPUs behind an ops table, so that
// schedulers (round-robin now; credit2, RTDS, ARINC653 later) are swappable.
#pragma once

#include <stdint.h>

#include "hv/core/vcpu.h"

namespace hv {

// One scheduler. Every function is called with the run queue's lock held,
// except init; `cpu` is a run queue (one per CPU).
struct SchedulerOps {
  const char* name;
  void (*enqueue)(uint32_t cpu, Vcpu* v, bool at_front);
  Vcpu* (*dequeue)(uint32_t cpu);  // the next to run, or null
  void (*remove)(uint32_t cpu, Vcpu* v);
  uint64_t (*slice_ns)(const Vcpu* v);  // how long v may run before preemption
  void (*charge)(Vcpu* v, uint64_t ran_ns);
};

namespace sched {

inline constexpr uint32_t kMaxCpus = 64;

void Init(const SchedulerOps* ops, uint32_t cpus);
const char* Name();

// A vCPU joins: it is placed on the least-loaded CPU its affinity allows.
void AddVcpu(Vcpu* v);
// blocked -> runnable (from any CPU).
void Wake(Vcpu* v);
// The vCPU will not run again (its domain is going away). A vCPU on a CPU
// now stops at its next exit; others are taken off their queue at once.
void Stop(Vcpu* v);

// The next vCPU for `cpu` to run (state becomes kRunning), or null.
Vcpu* PickNext(uint32_t cpu);
// Why a vCPU came off its CPU.
enum class PutReason : uint8_t { kPreempted, kYielded, kBlocked, kStopped };
void Put(Vcpu* v, PutReason why, uint64_t ran_ns);
// Whether the running vCPU on `cpu` should give up the CPU (set by the slice
// timer and by wake-ups of others).
bool NeedResched(uint32_t cpu);
// How long v may run now before it is preempted.
uint64_t SliceNs(const Vcpu* v);
void SetNeedResched(uint32_t cpu);

extern const SchedulerOps kRoundRobin;

}  // namespace sched
}  // namespace hv
