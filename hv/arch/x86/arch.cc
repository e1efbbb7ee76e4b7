// SPDX-License-Identifier: Apache-2.0
// x86's side of hv/core/arch.h, and the console devices.
#include "hv/core/arch.h"

#include "hv/arch/x86/console_devices.h"
#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/lapic.h"
#include "hv/arch/x86/layout.h"
#include "hv/arch/x86/percpu.h"
#include "hv/arch/x86/time.h"

namespace hv::x86 {
namespace {
Uart g_uarts[2];
bool g_percpu = false;
}  // namespace

void InitConsoleDevices(bool com1, bool com2) {
  if (com1 && !g_uarts[0].Init(Uart::kCom1)) com1 = false;
  if (com2) (void)g_uarts[1].Init(Uart::kCom2);
}

int ConsoleGetChar() {
  for (Uart& u : g_uarts) {
    const int c = u.TryGet();
    if (c >= 0) return c;
  }
  return -1;
}

void EnablePerCpuIndex() { g_percpu = true; }

}  // namespace hv::x86

namespace hv::arch {

void ConsoleWrite(const char* s, size_t n) {
  for (x86::Uart& u : x86::g_uarts) {
    if (!u.present()) continue;
    for (size_t i = 0; i < n; ++i) u.Put(s[i]);
  }
}

uint32_t CpuIndex() { return x86::g_percpu ? x86::ThisCpu().index : 0; }

uint64_t NowNs() {
  if (!x86::time::TscHz()) return 0;
  return x86::time::TscToNs(x86::Rdtsc() - x86::time::BootTsc());
}

void* PhysToVirt(PhysAddr pa) { return reinterpret_cast<void*>(HV_DIRECT_MAP_BASE + pa.value()); }

PhysAddr VirtToPhys(const void* p) {
  return PhysAddr(reinterpret_cast<uint64_t>(p) - HV_DIRECT_MAP_BASE);
}

uint32_t CpuCount() { return x86::CpuCount(); }

bool CpuInfo(uint32_t index, uint32_t* hw_id, bool* online) {
  const x86::PerCpu* p = x86::CpuByIndex(index);
  if (!p) return false;
  *hw_id = p->apic_id;
  *online = p->online.load(std::memory_order_acquire);
  return true;
}

uint64_t ClockHz() { return x86::time::TscHz(); }

void TimerArm(uint64_t deadline_ns) {
  x86::lapic::ArmTimer(x86::time::BootTsc() + x86::time::NsToTsc(deadline_ns));
}

uint64_t IrqSave() {
  const uint64_t flags = x86::ReadRflags();
  x86::Cli();
  return flags;
}

void IrqRestore(uint64_t flags) {
  if (flags & x86::kRflagsIf) x86::Sti();
}

void KickCpu(uint32_t cpu) {
  const x86::PerCpu* p = x86::CpuByIndex(cpu);
  if (p && p->online.load(std::memory_order_acquire)) x86::lapic::SendIpi(p->apic_id, x86::kVectorCall);
}

}  // namespace hv::arch
