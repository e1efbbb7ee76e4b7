// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/smp.h"

#include "hv/arch/x86/address_space.h"
#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/lapic.h"
#include "hv/arch/x86/layout.h"
#include "hv/arch/x86/svm.h"
#include "hv/arch/x86/time.h"
#include "hv/arch/x86/vcpu.h"
#include "hv/core/sched.h"
#include "hv/arch/x86/traps.h"
#include "hv/lib/hot.h"
#include "hv/core/arch.h"
#include "hv/core/heap.h"
#include "hv/lib/log.h"

// The trampoline's own labels: its code is position-dependent on ap_trampoline.
extern "C" char ap_trampoline[], ap_trampoline_end[], ap_trampoline_params[];
extern "C" char ap_entry64[];
extern "C" void* memcpy(void* dst, const void* src, size_t n);

namespace hv::x86 {
namespace {

PerCpu* g_cpus[kCpuSlots];
uint32_t g_cpu_count = 0;
uint64_t g_cr4_extra = 0;  // SMEP/SMAP, chosen on the boot CPU

struct ApTrampolineParams {
  uint64_t entry;
  uint64_t stack;
  uint64_t arg;
  uint64_t cr3;
};

PerCpu* NewCpu() {
  static_assert(sizeof(PerCpu) <= kPageSize);
  const PhysAddr page = heap::AllocZeroedPage();
  if (page.value() == 0) return nullptr;
  auto* cpu = static_cast<PerCpu*>(arch::PhysToVirt(page));
  cpu->self = cpu;
  for (uint64_t& top : cpu->ist_tops) {
    top = address_space::MapStack(HV_IST_STACK_SIZE);
    if (!top) return nullptr;
  }
  return cpu;
}

}  // namespace

PerCpu* CpuByIndex(uint32_t index) { return index < g_cpu_count ? g_cpus[index] : nullptr; }
uint32_t CpuCount() { return g_cpu_count; }
void RegisterCpu(PerCpu* cpu) {
  cpu->index = g_cpu_count;
  g_cpus[g_cpu_count++] = cpu;
}

namespace smp {

void SetupThisCpu(PerCpu* cpu) {
  LoadDescriptors(cpu->gdt, cpu->tss, cpu->ist_tops);
  Wrmsr(kMsrGsBase,
        reinterpret_cast<uint64_t>(cpu));  // after the selector loads, which may clear it
  Wrmsr(kMsrKernelGsBase, 0);
  WriteCr4(ReadCr4() | kCr4Pge | kCr4Osfxsr | kCr4Osxmmexcpt | g_cr4_extra);
}

bool InitBootCpu(uint64_t stack_bottom, uint64_t stack_top) {
  BuildIdt();
  const CpuFeatures f = DetectFeatures();
  if (f.smep) g_cr4_extra |= kCr4Smep;
  if (f.smap) g_cr4_extra |= kCr4Smap;
  PerCpu* cpu = NewCpu();
  if (!cpu) return false;
  cpu->stack_bottom = stack_bottom;
  cpu->stack_top = stack_top;
  RegisterCpu(cpu);
  SetupThisCpu(cpu);
  // The initial APIC id; the local APIC itself is set up later (lapic::Init).
  cpu->apic_id = Cpuid(1).ebx >> 24;
  cpu->online.store(true);
  MarkPerCpuReady();
  return true;
}

void ApEntry(PerCpu* cpu) {
  SetupThisCpu(cpu);
  lapic::EnableThisCpu();
  if (svm::features().present && !svm::EnableThisCpu()) {
    HV_ERROR("CPU%u: cannot enable SVM (out of memory)", cpu->index);
  }
  if (lapic::Id() != cpu->apic_id) {
    HV_WARN("CPU%u: APIC id %u, expected %u", cpu->index, lapic::Id(), cpu->apic_id);
  }
  HV_INFO("CPU%u up (APIC id %u)", cpu->index, cpu->apic_id);
  cpu->online.store(true, std::memory_order_release);
  Idle(nullptr);
}

uint32_t StartAps(const uint32_t* apic_ids, uint32_t count, PhysAddr trampoline) {
  const uint64_t size = ap_trampoline_end - ap_trampoline;
  void* low = arch::PhysToVirt(trampoline);
  memcpy(low, ap_trampoline, size);
  auto* params = reinterpret_cast<ApTrampolineParams*>(
      static_cast<char*>(low) + (ap_trampoline_params - ap_trampoline));
  const uint32_t self = ThisCpu().apic_id;
  uint32_t started = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (apic_ids[i] == self) continue;
    if (g_cpu_count >= kCpuSlots) {
      HV_WARN("only %u CPUs are supported; the rest stay off", kCpuSlots);
      break;
    }
    PerCpu* cpu = NewCpu();
    const uint64_t stack_top = address_space::MapStack(HV_STACK_SIZE);
    if (!cpu || !stack_top) {
      HV_ERROR("out of memory starting the CPU with APIC id %u", apic_ids[i]);
      break;
    }
    cpu->apic_id = apic_ids[i];
    cpu->stack_top = stack_top;
    cpu->stack_bottom = stack_top - HV_STACK_SIZE;
    *params = {reinterpret_cast<uint64_t>(ap_entry64), stack_top, reinterpret_cast<uint64_t>(cpu),
               address_space::Root().value()};
    RegisterCpu(cpu);
    // The Intel MP spec's sequence: INIT, 10 ms, SIPI, 200 us, SIPI if still not up.
    lapic::SendInit(cpu->apic_id);
    time::Delay(10000000);
    const uint8_t vector = static_cast<uint8_t>(trampoline.pfn());
    lapic::SendStartup(cpu->apic_id, vector);
    time::Delay(200000);
    if (!cpu->online.load(std::memory_order_acquire)) lapic::SendStartup(cpu->apic_id, vector);
    const uint64_t deadline = Rdtsc() + time::NsToTsc(2000000000);
    while (!cpu->online.load(std::memory_order_acquire) && Rdtsc() < deadline) Pause();
    if (!cpu->online.load(std::memory_order_acquire)) {
      // It keeps its slot (its stack may still be in use) but is never called.
      HV_ERROR("CPU%u (APIC id %u) did not come up within 2 s", cpu->index, cpu->apic_id);
      continue;
    }
    ++started;
  }
  return started;
}

void CallAll(void (*fn)(void*), void* arg) {
  PerCpu& me = ThisCpu();
  for (uint32_t i = 0; i < g_cpu_count; ++i) {
    PerCpu* cpu = g_cpus[i];
    if (cpu == &me || !cpu->online.load(std::memory_order_acquire)) continue;
    cpu->call_arg = arg;
    cpu->call_fn.store(fn, std::memory_order_release);
    lapic::SendIpi(cpu->apic_id, kVectorCall);
  }
  fn(arg);
  for (uint32_t i = 0; i < g_cpu_count; ++i) {
    PerCpu* cpu = g_cpus[i];
    if (cpu == &me || !cpu->online.load(std::memory_order_acquire)) continue;
    while (cpu->call_fn.load(std::memory_order_acquire) != nullptr) Pause();
  }
}

namespace {
void (*g_cpu0_work)() = nullptr;
}  // namespace

namespace detail {
HV_HOT_DATA std::atomic<bool> g_cpu0_work_due{false};
void RunCpu0WorkDue() {
  if (g_cpu0_work && ThisCpu().index == 0 && g_cpu0_work_due.exchange(false)) g_cpu0_work();
}
}  // namespace detail

namespace {
uint64_t g_idle_poll_ns = 0;
}  // namespace

void SetIdlePoll(uint64_t idle_poll_ns) { g_idle_poll_ns = idle_poll_ns; }

void SetCpu0Work(void (*fn)()) { g_cpu0_work = fn; }
void RaiseCpu0Work() { detail::g_cpu0_work_due.store(true, std::memory_order_relaxed); }

// Whether something may wait for this CPU: a queued vCPU, a cross-CPU
// call, CPU0's work.
bool WorkWaits(const PerCpu& me) {
  return sched::Load(me.index) || me.call_fn.load(std::memory_order_relaxed) ||
         detail::g_cpu0_work_due.load(std::memory_order_relaxed);
}

void Idle(void (*poll)()) {
  PerCpu& me = ThisCpu();
  bool polled = false;  // once per time the CPU runs out of work
  for (;;) {
    RunCpu0Work();
    Cli();
    if (auto fn = me.call_fn.load(std::memory_order_acquire)) {
      Sti();
      fn(me.call_arg);
      me.call_fn.store(nullptr, std::memory_order_release);
      continue;
    }
    if (svm::features().present) {
      if (Vcpu* v = sched::PickNext(me.index)) {
        polled = false;
        RunVcpu(*v);
        continue;
      }
    }
    // Halt polling, as KVM does: a wake-up that comes soon (an event from a
    // vCPU on another CPU) then costs neither the halt nor the IPI's wake.
    if (!polled && g_idle_poll_ns) {
      polled = true;
      Sti();
      const uint64_t until = arch::NowNs() + g_idle_poll_ns;
      while (arch::NowNs() < until && !WorkWaits(me)) asm volatile("pause");
      continue;
    }
    polled = false;
    SafeHalt();  // an IPI arriving after the checks still wakes it: STI's shadow
    if (poll) poll();
  }
}

}  // namespace smp
}  // namespace hv::x86
