// SPDX-License-Identifier: Apache-2.0
// A virtual CPU: what the scheduler runs. Its architectural state (VMCB,
// registers, FPU) is the arch's ArchVcpu.
#pragma once

#include <atomic>
#include <stdint.h>

#include "hv/core/timer.h"

namespace hv {

struct Domain;
namespace arch {
struct ArchVcpu;
}

enum class VcpuState : uint8_t {
  kOffline,   // not started, or taken down
  kRunnable,  // on a run queue
  kRunning,   // on a CPU now
  kBlocked,   // waiting for an event or a timer (HLT, block)
  kDead,      // its domain is going away
};
constexpr const char* VcpuStateName(VcpuState s) {
  switch (s) {
    case VcpuState::kOffline: return "offline";
    case VcpuState::kRunnable: return "runnable";
    case VcpuState::kRunning: return "running";
    case VcpuState::kBlocked: return "blocked";
    case VcpuState::kDead: return "dead";
  }
  return "?";
}

struct Vcpu {
  Domain* domain = nullptr;
  uint32_t id = 0;
  VcpuState state = VcpuState::kOffline;
  uint32_t cpu = 0;               // the CPU whose run queue holds it
  uint64_t affinity = ~uint64_t{0};  // hard affinity: CPUs it may run on
  Vcpu* next = nullptr;           // run-queue link
  uint64_t runtime_ns = 0;        // time spent running the guest
  uint64_t exits = 0;
  // Events: an upcall waits to be delivered (the arch injects it on the
  // registered vector); a wake-up (timer) waits to end a block.
  uint8_t upcall_vector = 0;
  std::atomic<bool> upcall_pending{false};
  std::atomic<bool> wake_pending{false};
  Timer timer;       // HV_SCHED_SET_TIMER
  // HV_SCHED_POLL: while polling, only these ports (masked or not) and the
  // timeout wake it; other events wait.
  Timer poll_timer;
  std::atomic<bool> polling{false};
  uint32_t poll_ports[128];  // HV_SCHED_POLL_MAX
  uint32_t poll_count = 0;
  bool going_offline = false;  // HV_VCPU_DOWN taken, not yet off its CPU (domain lock)
  // Scheduler-private (hv/core/sched*.cc), under the lock of the run queue
  // of `cpu`.
  int64_t credit = 0;         // credit2: ns of run time at weight 256
  uint32_t sched_epoch = 0;   // credit2: credit resets of its run queue it has had
  arch::ArchVcpu* arch = nullptr;
};

}  // namespace hv
