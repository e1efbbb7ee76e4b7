// SPDX-License-Identifier: Apache-2.0
// Bringing up the other CPUs (INIT-SIPI-SIPI through a real-mode trampoline)
// and running work on all of them through IPIs.
#pragma once

#include <stdint.h>

#include <atomic>

#include "hv/arch/x86/percpu.h"
#include "hv/lib/addr.h"

namespace hv::x86::smp {

// The boot CPU: its per-CPU area, descriptors and GS. Returns false if out of memory.
[[nodiscard]] bool InitBootCpu(uint64_t stack_bottom, uint64_t stack_top);

// Starts the CPUs whose APIC ids are given (the boot CPU's own id is skipped),
// one at a time, through the trampoline copied to `trampoline` (a free page
// below 1 MiB). Returns how many came up.
uint32_t StartAps(const uint32_t* apic_ids, uint32_t count, PhysAddr trampoline);

// Runs fn(arg) on every online CPU, the caller included, and returns when all
// have finished. Not reentrant; boot CPU only for now.
void CallAll(void (*fn)(void*), void* arg);

// Per-CPU setup shared by the boot CPU and the APs: descriptors, GS, CR4
// protections, the local APIC.
void SetupThisCpu(PerCpu* cpu);

// The idle loop: runs cross-CPU calls; `poll`, if given, after every wake-up.
// A CPU that runs out of work polls for more for idle_poll_ns before it
// halts (set once at boot; 0: halt at once).
void SetIdlePoll(uint64_t idle_poll_ns);
[[noreturn]] void Idle(void (*poll)());

// Work for CPU0 outside interrupt context (the console poll): raised from
// an interrupt, run from the idle loop or between guest entries.
void SetCpu0Work(void (*fn)());
void RaiseCpu0Work();
namespace detail {
extern std::atomic<bool> g_cpu0_work_due;
void RunCpu0WorkDue();
}  // namespace detail
// Runs the work if it was raised and this is CPU0. Inline: asked on every #VMEXIT.
inline void RunCpu0Work() {
  if (detail::g_cpu0_work_due.load(std::memory_order_relaxed)) detail::RunCpu0WorkDue();
}

// AP entry from ap_entry64 (ap_trampoline.S).
[[noreturn]] void ApEntry(PerCpu* cpu);

}  // namespace hv::x86::smp
