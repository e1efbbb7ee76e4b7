// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/traps.h"

#include <atomic>

#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/lapic.h"
#include "hv/arch/x86/layout.h"
#include "hv/arch/x86/percpu.h"
#include "hv/arch/x86/power.h"
#include "hv/core/console.h"
#include "hv/core/panic.h"
#include "hv/core/symbols.h"
#include "hv/lib/format.h"
#include "hv/lib/log.h"

extern "C" char boot_stack[], boot_stack_top[];

namespace hv::x86 {
namespace {

PanicAction g_panic_action = PanicAction::kHalt;
std::atomic<bool> g_percpu_ready{false};
std::atomic<int> g_panicking{-1};  // the CPU that is panicking, or -1
TimerHandler g_timer_handler = nullptr;

constexpr const char* kExceptionNames[32] = {"#DE divide error",
                                             "#DB debug",
                                             "NMI",
                                             "#BP breakpoint",
                                             "#OF overflow",
                                             "#BR bound range",
                                             "#UD invalid opcode",
                                             "#NM device not available",
                                             "#DF double fault",
                                             "coprocessor segment overrun",
                                             "#TS invalid TSS",
                                             "#NP segment not present",
                                             "#SS stack fault",
                                             "#GP general protection",
                                             "#PF page fault",
                                             "reserved 15",
                                             "#MF x87 floating point",
                                             "#AC alignment check",
                                             "#MC machine check",
                                             "#XM SIMD floating point",
                                             "#VE virtualization",
                                             "#CP control protection",
                                             "reserved 22",
                                             "reserved 23",
                                             "reserved 24",
                                             "reserved 25",
                                             "reserved 26",
                                             "reserved 27",
                                             "#HV hypervisor injection",
                                             "#VC VMM communication",
                                             "#SX security",
                                             "reserved 31"};

uint32_t SafeCpuIndex() { return g_percpu_ready.load() ? ThisCpu().index : 0; }

// Whether [p, p + 16) lies in a stack of this CPU, so a corrupt frame
// pointer ends the backtrace instead of faulting inside the panic.
bool OnStack(uint64_t p) {
  auto in = [p](uint64_t lo, uint64_t hi) { return p >= lo && p + 16 <= hi; };
  if (in(reinterpret_cast<uint64_t>(boot_stack), reinterpret_cast<uint64_t>(boot_stack_top))) {
    return true;
  }
  if (!g_percpu_ready.load()) return false;
  const PerCpu& cpu = ThisCpu();
  if (in(cpu.stack_bottom, cpu.stack_top)) return true;
  for (uint64_t top : cpu.ist_tops) {
    if (in(top - HV_IST_STACK_SIZE, top)) return true;
  }
  return false;
}

void PrintAddress(const char* prefix, uint64_t address) {
  const symbols::Symbol s = symbols::Lookup(address);
  if (s.name) {
    HV_ERROR("%s%016lx %s+0x%lx", prefix, address, s.name, s.offset);
  } else {
    HV_ERROR("%s%016lx ?", prefix, address);
  }
}

void PrintBacktrace(uint64_t rbp) {
  HV_ERROR("Backtrace:");
  for (int depth = 0; depth < 32 && rbp && OnStack(rbp) && rbp % 8 == 0; ++depth) {
    const uint64_t* frame = reinterpret_cast<const uint64_t*>(rbp);
    const uint64_t ret = frame[1];
    if (!ret) break;
    PrintAddress("  [<", ret);
    rbp = frame[0];
  }
}

// Only one CPU reports; any other that panics meanwhile just stops.
void EnterPanic() {
  Cli();
  int expected = -1;
  const int me = static_cast<int>(SafeCpuIndex());
  if (!g_panicking.compare_exchange_strong(expected, me)) HaltForever();
  console::BreakLock();
}

[[noreturn]] void FinishPanic() {
  // Stop the other CPUs: they halt in their NMI handler once g_panicking is set.
  if (g_percpu_ready.load()) {
    for (uint32_t i = 0; i < CpuCount(); ++i) {
      PerCpu* cpu = CpuByIndex(i);
      if (cpu && cpu != &ThisCpu() && cpu->online.load()) lapic::SendNmi(cpu->apic_id);
    }
  }
  static constexpr const char* kActions[] = {"halt", "reboot", "poweroff", "debug_exit"};
  HV_ERROR("---[ end of panic report; on_panic=%s ]---",
           kActions[static_cast<int>(g_panic_action)]);
  switch (g_panic_action) {
    case PanicAction::kReboot:
      power::Reboot();
    case PanicAction::kPowerOff:
      power::PowerOff();
    case PanicAction::kDebugExit:
      power::DebugExit(1);
      break;
    case PanicAction::kHalt:
      break;
  }
  HaltForever();
}

void DescribePageFault(uint64_t error, char* out, size_t size) {
  Format(out, size, " (%s, %s, %s%s%s)", error & 1 ? "protection" : "not present",
         error & 2 ? "write" : "read", error & 4 ? "user" : "supervisor",
         error & 8 ? ", reserved bit" : "", error & 16 ? ", instruction fetch" : "");
}

[[noreturn]] void PanicFromTrap(const TrapFrame& f) {
  EnterPanic();
  char detail[96] = "";
  if (f.vector == 14) DescribePageFault(f.error_code, detail, sizeof(detail));
  if (f.vector < 32) {
    HV_ERROR("---[ PANIC on CPU %u: %s%s, error code 0x%lx ]---", SafeCpuIndex(),
             kExceptionNames[f.vector], detail, f.error_code);
  } else {
    HV_ERROR("---[ PANIC on CPU %u: unexpected interrupt, vector %lu ]---", SafeCpuIndex(),
             f.vector);
  }
  PrintAddress("RIP: ", f.rip);
  HV_ERROR("CS: %04lx  SS: %04lx  RSP: %016lx  RFLAGS: %016lx", f.cs, f.ss, f.rsp, f.rflags);
  HV_ERROR("RAX: %016lx  RBX: %016lx  RCX: %016lx", f.rax, f.rbx, f.rcx);
  HV_ERROR("RDX: %016lx  RSI: %016lx  RDI: %016lx", f.rdx, f.rsi, f.rdi);
  HV_ERROR("RBP: %016lx  R8:  %016lx  R9:  %016lx", f.rbp, f.r8, f.r9);
  HV_ERROR("R10: %016lx  R11: %016lx  R12: %016lx", f.r10, f.r11, f.r12);
  HV_ERROR("R13: %016lx  R14: %016lx  R15: %016lx", f.r13, f.r14, f.r15);
  HV_ERROR("CR0: %016lx  CR2: %016lx  CR3: %016lx  CR4: %016lx", ReadCr0(), ReadCr2(), ReadCr3(),
           ReadCr4());
  PrintAddress("  [<", f.rip);
  PrintBacktrace(f.rbp);
  FinishPanic();
}

}  // namespace

void SetPanicAction(PanicAction action) { g_panic_action = action; }
void MarkPerCpuReady() { g_percpu_ready.store(true); }
void SetTimerHandler(TimerHandler handler) { g_timer_handler = handler; }

void HandleTrap(TrapFrame* frame) {
  const uint64_t v = frame->vector;
  if (v == kVectorTimer) {
    ThisCpu().timer_interrupts.fetch_add(1, std::memory_order_relaxed);
    lapic::Eoi();
    if (g_timer_handler) g_timer_handler();
    return;
  }
  if (v == kVectorCall) {
    // The idle loop runs the call; the interrupt only wakes it.
    ThisCpu().ipis_received.fetch_add(1, std::memory_order_relaxed);
    lapic::Eoi();
    return;
  }
  if (v == kVectorSpurious) return;                      // no EOI for a spurious interrupt
  if (v == 2 && g_panicking.load() >= 0) HaltForever();  // stopped by a panicking CPU
  PanicFromTrap(*frame);
}

[[noreturn]] void TriggerFault(SelfTest kind) {
  HV_INFO("selftest: triggering a fault");
  switch (kind) {
    case SelfTest::kInvalidOpcode:
      asm volatile("ud2");
      break;
    case SelfTest::kGeneralProtection:
      asm volatile("movq (%0), %%rax" ::"r"(0x8000000000000000) : "rax");  // non-canonical
      break;
    case SelfTest::kDivide:
      asm volatile("xorl %%ecx, %%ecx; divl %%ecx" ::: "eax", "ecx", "edx");
      break;
    case SelfTest::kPageFault:
    case SelfTest::kNone:
      // The first pages are never mapped in hv's own page tables.
      asm volatile("movq $0xdead, (%0)" ::"r"(16ul) : "memory");
      break;
  }
  HaltForever();
}

}  // namespace hv::x86

namespace hv {

void Panic(const char* fmt, ...) {
  x86::EnterPanic();
  char message[256];
  va_list args;
  va_start(args, fmt);
  VFormat(message, sizeof(message), fmt, args);
  va_end(args);
  HV_ERROR("---[ PANIC on CPU %u: %s ]---", x86::SafeCpuIndex(), message);
  x86::PrintBacktrace(reinterpret_cast<uint64_t>(__builtin_frame_address(0)));
  x86::FinishPanic();
}

}  // namespace hv
