// SPDX-License-Identifier: Apache-2.0
// The host's hv/core/arch.h: "physical" addresses are host pointers, so code
// that walks structures through PhysToVirt (page tables, the heap) runs on
// ordinary host memory in unit tests. Threads play CPUs (fake_arch.h).
#include "hv/core/arch.h"

#include <stdio.h>

#include <atomic>

#include "hv/arch/fake/fake_arch.h"

namespace hv {
namespace fake {
namespace {

thread_local uint32_t t_cpu = 0;
thread_local bool t_irqs_on = true;
std::atomic<uint32_t> g_cpu_count{1};
std::atomic<uint64_t> g_now{0};
std::atomic<uint64_t> g_kicks[kMaxCpus];
std::atomic<uint64_t> g_timer[kMaxCpus];

}  // namespace

void SetCpu(uint32_t cpu) { t_cpu = cpu; }
void SetCpuCount(uint32_t count) { g_cpu_count.store(count); }
void SetNow(uint64_t ns) { g_now.store(ns); }
void Advance(uint64_t ns) { g_now.fetch_add(ns); }
uint64_t Kicks(uint32_t cpu) { return g_kicks[cpu].load(); }
uint64_t TimerDeadline(uint32_t cpu) { return g_timer[cpu].load(); }
void ResetCalls() {
  for (auto& k : g_kicks) k.store(0);
  for (auto& t : g_timer) t.store(0);
}
bool IrqsOn() { return t_irqs_on; }

}  // namespace fake

namespace arch {

void ConsoleWrite(const char* s, size_t n) { fwrite(s, 1, n, stderr); }
uint32_t CpuIndex() { return fake::t_cpu; }
uint64_t NowNs() { return fake::g_now.load(); }
void* PhysToVirt(PhysAddr pa) { return reinterpret_cast<void*>(pa.value()); }
uint32_t CpuCount() { return fake::g_cpu_count.load(); }
void TimerArm(uint64_t deadline_ns) { fake::g_timer[fake::t_cpu % fake::kMaxCpus].store(deadline_ns); }

uint64_t IrqSave() {
  const uint64_t was_on = fake::t_irqs_on;
  fake::t_irqs_on = false;
  return was_on;
}

void IrqRestore(uint64_t flags) { fake::t_irqs_on = flags != 0; }

void KickCpu(uint32_t cpu) { fake::g_kicks[cpu % fake::kMaxCpus].fetch_add(1); }

}  // namespace arch
}  // namespace hv
