// SPDX-License-Identifier: Apache-2.0
// Each CPU's own state, reached through GS (gs:0 holds the area's address).
#pragma once

#include <stdint.h>

#include <atomic>

#include "hv/arch/x86/asid.h"
#include "hv/arch/x86/descriptors.h"

namespace hv::x86 {

inline constexpr uint32_t kCpuSlots = 64;

struct PerCpu {
  PerCpu* self;    // must stay first: ThisCpu() reads gs:0
  uint32_t index;  // logical CPU number, 0 = boot CPU
  uint32_t apic_id;
  uint64_t stack_top;  // the main stack's range, for backtraces
  uint64_t stack_bottom;
  uint64_t ist_tops[kIstCount];
  Gdt gdt;
  Tss tss;
  std::atomic<bool> online;
  // Cross-CPU calls (smp.cc): the function to run, taken by the idle loop.
  std::atomic<void (*)(void*)> call_fn;
  void* call_arg;
  // SVM: where this CPU's host state goes across VMRUN (VMSAVE/VMLOAD).
  uint64_t host_vmcb_pa;
  AsidCpu asids;  // the guest ASIDs this CPU hands out (asid.h)
  // The vCPU whose FPU/SSE state is in this CPU's registers (lazy switch).
  void* fpu_owner;
  // #VMEXITs on this CPU by reason (see exit_stats.h).
  uint64_t exit_counts[64];
  // Counted by the interrupt handlers; read by the boot self-check.
  std::atomic<uint64_t> timer_interrupts;
  std::atomic<uint64_t> ipis_received;
};

inline PerCpu& ThisCpu() {
  PerCpu* p;
  asm volatile("movq %%gs:0, %0" : "=r"(p));
  return *p;
}

// Every CPU hv knows of, by logical number; null past cpu_count().
PerCpu* CpuByIndex(uint32_t index);
uint32_t CpuCount();
// Registers a CPU's area under its index (the boot CPU first).
void RegisterCpu(PerCpu* cpu);

}  // namespace hv::x86
