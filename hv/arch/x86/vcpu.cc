// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/vcpu.h"

#include <new>

#include "hv/core/version.h"

#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/guest_walk.h"
#include "hv/arch/x86/mmio_decode.h"
#include "hv/arch/x86/platform.h"
#include "hv/arch/x86/smp.h"
#include "hv/arch/x86/percpu.h"
#include "hv/arch/x86/svm.h"
#include "hv/arch/x86/vcpu_arch.h"
#include "hv/core/arch.h"
#include "hv/core/domain.h"
#include "hv/core/domains.h"
#include "hv/core/heap.h"
#include "hv/core/hypercall.h"
#include "hv/core/sched.h"
#include "hv/core/timer.h"
#include "hv/lib/hot.h"
#include "hv/lib/log.h"

extern "C" void* memset(void* dst, int c, size_t n);

namespace hv {
namespace arch {

// --- Domains and vCPUs: x86's part ----------------------------------------

bool DomainInit(Domain& d) {
  static_assert(sizeof(ArchDomain) <= kPageTailBytes<Domain>);
  d.arch = new (PageTail(d)) ArchDomain();
  if (!d.arch->npt.Init(&heap::AllocZeroedPage, /*allow_1g=*/true)) return false;
  d.pages += d.arch->npt.pages_used();  // the root: DomainMap counts the rest
  return true;
}

bool DomainMap(Domain& d, const MemBlock& b) {
  const uint64_t before = d.arch->npt.pages_used();
  const x86::MapStatus st = d.arch->npt.Map(VirtAddr(b.gpa.value()), b.hpa, kPageSize << b.order,
                                            x86::kMapWrite | x86::kMapExec | x86::kMapUser);
  d.pages += d.arch->npt.pages_used() - before;
  return st == x86::MapStatus::kOk;
}

bool DomainUnmap(Domain& d, GuestPhysAddr gpa, uint64_t size) {
  const uint64_t before = d.arch->npt.pages_used();
  const x86::MapStatus st = d.arch->npt.Unmap(VirtAddr(gpa.value()), size);
  d.pages += d.arch->npt.pages_used() - before;
  return st == x86::MapStatus::kOk;
}

PhysAddr DomainTranslate(const Domain& d, GuestPhysAddr gpa) {
  PhysAddr hpa(0);
  // Four levels translate 48 bits; nothing of a domain lies above.
  if (!d.arch || !d.arch->npt.root().value() || gpa.value() >> 48) return hpa;
  return d.arch->npt.Translate(VirtAddr(gpa.value()), &hpa) ? hpa : PhysAddr(0);
}

namespace {

VcpuState StateOf(const Vcpu* v) { return static_cast<const volatile VcpuState&>(v->state); }
uint64_t ExitsOf(const Vcpu* v) { return __atomic_load_n(&v->exits, __ATOMIC_ACQUIRE); }

}  // namespace

void DomainFlushTlbs(Domain& d, const Vcpu* self) {
  // A vCPU enters the guest again only with a fresh ASID once the epoch has
  // moved (AssignAsid), so it holds no stale translation once it has been out
  // of the guest since the unmap: it exited (its exit count moved), it is off
  // its CPU, or it is in here too (in hv, waiting as we do: two vCPUs never
  // wait for each other). Those still in the guest get an IPI, again every
  // 20 us until they exit.
  for (uint32_t i = 0; i < d.vcpu_count; ++i) {
    if (d.vcpus[i] && d.vcpus[i]->arch) d.vcpus[i]->arch->tlb_epoch.fetch_add(1);
  }
  const uint64_t mine = self ? uint64_t{1} << self->id : 0;
  d.tlb_waiting.fetch_or(mine);  // a full barrier: the unmap is visible before we look
  uint64_t seen[kMaxVcpus];
  uint64_t pending = 0;
  for (uint32_t i = 0; i < d.vcpu_count; ++i) {
    const Vcpu* v = d.vcpus[i];
    if (!v || v == self) continue;
    seen[i] = ExitsOf(v);
    if (StateOf(v) == VcpuState::kRunning) pending |= uint64_t{1} << i;
  }
  uint64_t kicked = 0;
  bool first = true;
  while (pending) {
    const uint64_t now = NowNs();
    const bool kick = first || now - kicked >= 20000;
    first = false;
    for (uint64_t left = pending; left;) {
      const uint32_t i = static_cast<uint32_t>(__builtin_ctzll(left));
      const uint64_t bit = uint64_t{1} << i;
      left &= ~bit;
      const Vcpu* v = d.vcpus[i];
      if (ExitsOf(v) != seen[i] || StateOf(v) != VcpuState::kRunning ||
          (d.tlb_waiting.load() & bit)) {
        pending &= ~bit;
      } else if (kick) {
        const uint32_t cpu = __atomic_load_n(&v->cpu, __ATOMIC_RELAXED);
        if (cpu != CpuIndex()) KickCpu(cpu);
      }
    }
    if (kick) kicked = now;
    asm volatile("pause");
  }
  d.tlb_waiting.fetch_and(~mine);
}

void DomainFree(Domain& d) {
  if (!d.arch) return;
  x86::PlatformDestroy(d);
  d.arch->npt.Release([](PhysAddr p) { heap::FreePages(p, 0); });
  d.arch->~ArchDomain();  // its memory is the domain's page
  d.arch = nullptr;
}

bool VcpuInit(Vcpu& v) {
  static_assert(sizeof(ArchVcpu) <= kPageTailBytes<Vcpu>);
  const PhysAddr vmcb = heap::AllocZeroedPage();
  if (!vmcb.value()) return false;
  v.domain->pages += 1;
  ArchVcpu* a = new (PageTail(v)) ArchVcpu();
  a->vmcb = static_cast<x86::Vmcb*>(PhysToVirt(vmcb));
  a->vmcb_pa = vmcb;
  // FXSAVE image of a reset FPU: FCW 0x37f, MXCSR 0x1f80.
  a->fpu[0] = 0x7f;
  a->fpu[1] = 0x03;
  a->fpu[24] = 0x80;
  a->fpu[25] = 0x1f;

  x86::VmcbControl& c = a->vmcb->control;
  // #DB and #AC are intercepted so a guest cannot wedge the CPU in an endless
  // delivery loop (CVE-2015-5307, CVE-2015-8104); #MC is the host's.
  c.intercept_exceptions = (1u << 1) | (1u << 17) | (1u << 18);
  c.intercept_misc1 = x86::kIntercept1Intr | x86::kIntercept1Nmi | x86::kIntercept1Smi |
                      x86::kIntercept1Init | x86::kIntercept1Cpuid | x86::kIntercept1Invd |
                      x86::kIntercept1Hlt | x86::kIntercept1Invlpga | x86::kIntercept1Ioio |
                      x86::kIntercept1Msr | x86::kIntercept1TaskSwitch | x86::kIntercept1Shutdown;
  c.intercept_misc2 = x86::kIntercept2Vmrun | x86::kIntercept2Vmmcall | x86::kIntercept2Vmload |
                      x86::kIntercept2Vmsave | x86::kIntercept2Stgi | x86::kIntercept2Clgi |
                      x86::kIntercept2Skinit | x86::kIntercept2Wbinvd |
                      x86::kIntercept2Monitor | x86::kIntercept2Mwait | x86::kIntercept2Xsetbv;
  c.iopm_base_pa = x86::svm::IopmPa().value();
  c.msrpm_base_pa = x86::svm::MsrpmPa().value();
  c.guest_asid = 0;  // AssignAsid gives one before the first VMRUN
  c.int_ctl = x86::kIntCtlVIntrMasking;
  c.np_control = 1;
  c.n_cr3 = v.domain->arch->npt.root().value();

  x86::VmcbState& s = a->vmcb->state;
  s.g_pat = 0x0007040600070406;  // the power-on PAT
  s.dr6 = 0xffff0ff0;
  s.dr7 = 0x400;
  s.rflags = 2;
  s.efer = 1u << 12;  // SVME: VMRUN requires it; the guest never sees it
  v.arch = a;
  return true;
}

void VcpuStartLike(Vcpu& target, const Vcpu& model, uint64_t rip, uint64_t rsp, uint64_t arg) {
  const x86::VmcbState& m = model.arch->vmcb->state;
  x86::VmcbState& s = target.arch->vmcb->state;
  s.cs = m.cs;
  s.ss = m.ss;
  s.ds = m.ds;
  s.es = m.es;
  s.fs = s.gs = x86::VmcbSegment{m.ds.selector, m.ds.attrib, m.ds.limit, 0};
  s.gdtr = m.gdtr;
  s.idtr = m.idtr;
  s.tr = m.tr;
  s.ldtr = m.ldtr;
  s.cpl = m.cpl;
  s.cr0 = m.cr0;
  s.cr3 = m.cr3;
  s.cr4 = m.cr4;
  s.efer = m.efer;
  s.g_pat = m.g_pat;
  s.rflags = 2;
  s.rip = rip;
  s.rsp = rsp;
  s.rax = 0;
  target.arch->regs = {};
  target.arch->regs.rdi = arg;
}

void VcpuFree(Vcpu& v) {
  if (!v.arch) return;
  // A CPU may still hold its FPU state: forget it there.
  for (uint32_t i = 0; i < x86::CpuCount(); ++i) {
    x86::PerCpu* cpu = x86::CpuByIndex(i);
    if (cpu && cpu->fpu_owner == v.arch) cpu->fpu_owner = nullptr;
  }
  heap::FreePages(v.arch->vmcb_pa, 0);
  v.arch->~ArchVcpu();  // its memory is the vCPU's page
  v.arch = nullptr;
}

}  // namespace arch

namespace x86 {
namespace {

enum class Next : uint8_t { kResume, kYield, kBlock, kStop, kOffline };

struct Exit {
  Vcpu& v;
  arch::ArchVcpu& a;
  Vmcb& vmcb;
};

// Without NRIPS the instruction lengths are known per exit.
void Skip(Exit& e, uint64_t len) {
  if (svm::features().nrips && e.vmcb.control.next_rip) {
    e.vmcb.state.rip = e.vmcb.control.next_rip;
  } else {
    e.vmcb.state.rip += len;
  }
  e.vmcb.control.int_state &= ~uint64_t{1};  // an instruction retired: no shadow
}

void Inject(Exit& e, uint8_t vector, bool has_error = false, uint32_t error = 0) {
  e.vmcb.control.event_inj = kEventValid | kEventTypeException | vector |
                             (has_error ? kEventErrorValid | (uint64_t{error} << 32) : 0);
}

HV_COLD Next Ud(Exit& e) {
  Inject(e, 6);
  return Next::kResume;
}

HV_HOT Next Cpuid(Exit& e) {
  uint32_t r[4];
  const uint32_t leaf = static_cast<uint32_t>(e.vmcb.state.rax);
  const uint32_t subleaf = static_cast<uint32_t>(e.a.regs.rcx);
  GuestCpuid(e.v, leaf, subleaf, r);
  if (HasPlatform(e.v)) PlatformCpuid(e.v, leaf, subleaf, r);
  e.vmcb.state.rax = r[0];
  e.a.regs.rbx = r[1];
  e.a.regs.rcx = r[2];
  e.a.regs.rdx = r[3];
  Skip(e, 2);
  return Next::kResume;
}

// The MSRs a guest may touch, emulated; anything else is #GP.
bool ReadMsr(Exit& e, uint32_t msr, uint64_t* value) {
  switch (msr) {
    case kMsrEfer: *value = e.vmcb.state.efer & ~(uint64_t{1} << 12); return true;
    case 0x10: *value = Rdtsc() + e.vmcb.control.tsc_offset; return true;  // TSC
    case 0x1b:  // APIC base: the architectural default, BSP flag on vCPU 0
      *value = 0xfee00000 | (1u << 11) | (e.v.id == 0 ? 1u << 8 : 0);
      return true;
    case 0x277: *value = e.vmcb.state.g_pat; return true;
    case 0xfe: *value = 0; return true;     // MTRRcap: no MTRRs
    case 0x2ff: *value = 0x6; return true;  // MTRRdefType: write-back, disabled
    case 0x1a0: *value = 1; return true;    // MISC_ENABLE: fast strings
    case kMsrTscAux: *value = e.a.tsc_aux; return true;
    // What firmware leaves on an AMD CPU, read by Linux at boot: no
    // microcode revision, SYSCFG/HWCR/DE_CFG/C1E settings of 0.
    case 0x8b:
    case 0xc0010010:
    case 0xc0010015:
    case 0xc0010055:
    case 0xc0011029: *value = 0; return true;
    default: return false;
  }
}

bool WriteMsr(Exit& e, uint32_t msr, uint64_t value) {
  switch (msr) {
    case kMsrEfer: {
      // SCE, LME, LMA, NXE, (SVME is hv's); anything else is reserved here.
      constexpr uint64_t kAllowed = 1u | (1u << 8) | (1u << 10) | (1u << 11);
      if (value & ~kAllowed) return false;
      e.vmcb.state.efer = value | (uint64_t{1} << 12);
      return true;
    }
    case 0x277: {
      // Each byte a valid memory type (0, 1, 4, 5, 6, 7).
      for (int i = 0; i < 8; ++i) {
        const uint64_t t = (value >> (8 * i)) & 0xff;
        if (t == 2 || t == 3 || t > 7) return false;
      }
      e.vmcb.state.g_pat = value;
      return true;
    }
    case 0x1b:   // APIC base: accepted, the APIC does not move (yet)
    case 0x2ff:  // MTRRdefType
    case 0x8b:   // microcode revision: Linux writes 0 before reading it
    case 0xc0011029:  // DE_CFG: Linux sets LFENCE-serializing; it already is, for hv's purposes
    case 0xc0010015:  // HWCR: Linux sets TSC-frequency select; the TSC is what it is
      return true;
    case kMsrTscAux:
      // RDTSCP and RDPID read the hardware register: hv loads the vCPU's value
      // whenever another vCPU had the CPU (SwitchLazyState).
      if (value >> 32) return false;
      e.a.tsc_aux = value;
      Wrmsr(kMsrTscAux, value);
      return true;
    default: return false;
  }
}

// The first few MSRs a domain is refused are named on hv's console: a guest
// that dies of an unexpected #GP is then easy to explain.
void ReportRefusedMsr(Exit& e, bool write, uint32_t msr, uint64_t value) {
  if (e.v.domain->refused_msrs >= 16) return;
  ++e.v.domain->refused_msrs;
  HV_INFO("d%u v%u: %s of MSR 0x%x%s refused (#GP) at RIP 0x%lx", e.v.domain->id, e.v.id,
          write ? "write" : "read", msr, write ? "" : "", e.vmcb.state.rip);
  (void)value;
}

HV_COLD Next Msr(Exit& e) {
  const uint32_t msr = static_cast<uint32_t>(e.a.regs.rcx);
  const bool write = e.vmcb.control.exit_info1 != 0;
  uint64_t pv = (e.a.regs.rdx << 32) | static_cast<uint32_t>(e.vmcb.state.rax);
  bool gp = false;
  if (PlatformMsr(e.v, write, msr, &pv, &gp)) {
    if (gp) {
      Inject(e, 13, true, 0);
      return Next::kResume;
    }
    if (!write) {
      e.vmcb.state.rax = static_cast<uint32_t>(pv);
      e.a.regs.rdx = pv >> 32;
    }
    Skip(e, 2);
    return Next::kResume;
  }
  if (!write) {
    uint64_t value;
    if (!ReadMsr(e, msr, &value)) {
      ReportRefusedMsr(e, false, msr, 0);
      Inject(e, 13, true, 0);
      return Next::kResume;
    }
    e.vmcb.state.rax = static_cast<uint32_t>(value);
    e.a.regs.rdx = value >> 32;
  } else {
    const uint64_t value = (e.a.regs.rdx << 32) | static_cast<uint32_t>(e.vmcb.state.rax);
    if (!WriteMsr(e, msr, value)) {
      ReportRefusedMsr(e, true, msr, value);
      Inject(e, 13, true, 0);
      return Next::kResume;
    }
  }
  Skip(e, 2);
  return Next::kResume;
}

HV_HOT Next Ioio(Exit& e) {
  const uint64_t info = e.vmcb.control.exit_info1;
  const bool in = info & 1, string = info & 4;
  const uint16_t port = static_cast<uint16_t>(info >> 16);
  const unsigned size = (info & 0x10) ? 1 : (info & 0x20) ? 2 : 4;
  uint32_t value = static_cast<uint32_t>(e.vmcb.state.rax);
  if (!string && HasPlatform(e.v) && PlatformIo(e.v, in, port, size, &value)) {
    if (in) {
      const uint64_t mask = size == 4 ? 0xffffffff : (1u << (8 * size)) - 1;
      e.vmcb.state.rax = (e.vmcb.state.rax & ~mask) | (value & mask);
    }
  } else if (!string) {
    if (in) {
      // No device here: all ones, as on an empty bus.
      const uint64_t mask = size == 4 ? 0xffffffff : (1u << (8 * size)) - 1;
      e.vmcb.state.rax = (e.vmcb.state.rax & ~mask) | mask;
    } else if (port == 0xe9) {
      // The Bochs/QEMU debug port: a byte for the domain's console.
      const char c = static_cast<char>(e.vmcb.state.rax);
      domains::ConsoleWrite(e.v.domain, &c, 1);
    }
  }
  e.vmcb.state.rip = e.vmcb.control.exit_info2;  // next RIP, even without NRIPS
  return Next::kResume;
}

bool InterruptsOn(const Exit& e) { return e.vmcb.state.rflags & kRflagsIf; }

HV_COLD Next Hlt(Exit& e) {
  Skip(e, 1);
  // An upcall stays pending in hv until it is injected, so this sees it; a
  // platform's interrupts wait in its local APIC.
  const bool pending = HasPlatform(e.v) ? PlatformPendingVector(e.v) >= 0
                                                : e.v.upcall_pending.load();
  if ((InterruptsOn(e) && pending) || e.v.wake_pending.exchange(false)) {
    return Next::kResume;
  }
  return Next::kBlock;
}

// The guest can take interrupts again: the upcall is injected on entry.
// If it is about to execute HLT, the interrupt is delivered as it would be on
// hardware, to the halted CPU: after the HLT. (QEMU's TCG opens the window
// between "sti" and "hlt", inside the STI shadow; delivering there would run
// the handler first and then halt on an event already taken.)
HV_COLD Next InterruptWindow(Exit& e) {
  e.vmcb.control.int_ctl &= ~(kIntCtlVIrq | kIntCtlVIgnTpr | (0xfu << 16));
  e.vmcb.control.intercept_misc1 &= ~kIntercept1Vintr;
  uint8_t insn = 0;
  const uint64_t rip = e.vmcb.state.cs.base + e.vmcb.state.rip;
  if (ReadGuestVirt(e.v, rip, &insn, 1) && insn == 0xf4) Skip(e, 1);
  return Next::kResume;
}

// A pending upcall enters the guest through EVENTINJ when the guest can take
// an interrupt (IF set, no interrupt shadow, no other event going in);
// otherwise V_IRQ only asks for an exit when it can (VINTR), as KVM does.
// The upcall stays pending in hv until it is really injected: a V_IRQ alone
// can be lost across an intercepted HLT in the STI shadow (seen under TCG).
//
// With a virtual platform (Linux), the interrupt comes from the vCPU's local
// APIC instead: the highest pending vector, acknowledged when injected.
void DeliverUpcall(Exit& e) {
  const bool platform = HasPlatform(e.v);
  int vector;
  if (platform) {
    e.v.upcall_pending.store(false);  // "look at the APIC": looking now
    vector = PlatformPendingVector(e.v);
  } else {
    vector = e.v.upcall_vector && e.v.upcall_pending.load() ? e.v.upcall_vector : -1;
  }
  if (vector < 0) return;
  VmcbControl& c = e.vmcb.control;
  const bool can_take = (e.vmcb.state.rflags & kRflagsIf) && !(c.int_state & 1) &&
                        !(c.event_inj & kEventValid);
  if (can_take && (platform || e.v.upcall_pending.exchange(false))) {
    c.event_inj = kEventValid | kEventTypeIntr | static_cast<uint8_t>(vector);
    if (platform) PlatformAcknowledge(e.v, static_cast<uint8_t>(vector));
    return;
  }
  c.int_ctl |= kIntCtlVIrq | kIntCtlVIgnTpr | (0xfu << 16);
  c.int_vector = 0;  // never delivered: VINTR exits first
  c.intercept_misc1 |= kIntercept1Vintr;
}

HV_HOT Next Vmmcall(Exit& e) {
  const uint64_t args[5] = {e.a.regs.rdi, e.a.regs.rsi, e.a.regs.rdx, e.a.regs.r10, e.a.regs.r8};
  // Only from the guest's ring 0: a user process must not reach hv directly.
  if (e.vmcb.state.cpl != 0) return Ud(e);
  Skip(e, 3);
  const hypercall::Result r = hypercall::Dispatch(e.v, e.vmcb.state.rax, args);
  e.vmcb.state.rax = static_cast<uint64_t>(r.value);
  switch (r.after) {
    case hypercall::After::kContinue: return Next::kResume;
    case hypercall::After::kYield: return Next::kYield;
    case hypercall::After::kBlock: return Next::kBlock;
    case hypercall::After::kStop: return Next::kStop;
    case hypercall::After::kOffline: return Next::kOffline;
  }
  return Next::kResume;
}

HV_COLD Next Skip2(Exit& e) {  // INVD, WBINVD: nothing to do for a guest
  Skip(e, 2);
  return Next::kResume;
}

HV_COLD Next Exception(Exit& e) {
  const uint32_t vector = static_cast<uint32_t>(e.vmcb.control.exit_code - kExitExceptionBase);
  if (vector == 18) {
    domains::Crash(e.v.domain, "machine check while running v%u at RIP 0x%lx", e.v.id,
                   e.vmcb.state.rip);
    return Next::kStop;
  }
  // #DB, #AC: give them back to the guest; the intercept only breaks loops.
  Inject(e, static_cast<uint8_t>(vector), vector == 17, static_cast<uint32_t>(e.vmcb.control.exit_info1));
  return Next::kResume;
}

void CrashReport(Exit& e, const char* what) {
  const VmcbState& s = e.vmcb.state;
  domains::Crash(e.v.domain,
                 "%s on v%u: RIP %04x:%016lx RSP %016lx RFLAGS %lx CR0 %lx CR3 %lx CR4 %lx EFER %lx",
                 what, e.v.id, s.cs.selector, s.rip, s.rsp, s.rflags, s.cr0, s.cr3, s.cr4,
                 s.efer & ~(uint64_t{1} << 12));
}

HV_COLD Next Shutdown(Exit& e) {
  CrashReport(e, "triple fault");
  return Next::kStop;
}

// The guest's registers by x86 number (RAX, RCX, RDX, RBX, RSP, RBP, RSI,
// RDI, R8..R15); RAX and RSP live in the (packed) VMCB.
uint64_t* GprSlot(Exit& e, uint8_t n) {
  GuestRegs& r = e.a.regs;
  uint64_t* const regs[16] = {nullptr, &r.rcx, &r.rdx, &r.rbx, nullptr, &r.rbp, &r.rsi, &r.rdi,
                              &r.r8,   &r.r9,  &r.r10, &r.r11, &r.r12, &r.r13, &r.r14, &r.r15};
  return regs[n & 15];
}

uint64_t GetGpr(Exit& e, uint8_t n) {
  if ((n & 15) == 0) return e.vmcb.state.rax;
  if ((n & 15) == 4) return e.vmcb.state.rsp;
  return *GprSlot(e, n);
}

void SetGpr(Exit& e, uint8_t n, uint64_t v) {
  if ((n & 15) == 0) {
    e.vmcb.state.rax = v;
  } else if ((n & 15) == 4) {
    e.vmcb.state.rsp = v;
  } else {
    *GprSlot(e, n) = v;
  }
}

// A device register of the virtual platform: decode the access, perform it.
bool EmulateMmio(Exit& e, uint64_t gpa) {
  if (!HasPlatform(e.v)) return false;
  uint8_t insn[15];
  const uint64_t rip = e.vmcb.state.cs.base + e.vmcb.state.rip;
  size_t n = 0;
  while (n < sizeof(insn) && ReadGuestVirt(e.v, rip + n, &insn[n], 1)) ++n;
  MmioAccess a;
  if (DecodeMmio(insn, n, &a) != DecodeStatus::kOk) return false;
  uint64_t value = a.write ? WriteValue(GetGpr(e, a.reg), a) : 0;
  if (!PlatformMmio(e.v, gpa, a.write, a.size, &value)) return false;
  if (!a.write) SetGpr(e, a.reg, MergeRead(GetGpr(e, a.reg), a, value));
  e.vmcb.state.rip += a.length;
  return true;
}

HV_COLD Next Npf(Exit& e) {
  const uint64_t err = e.vmcb.control.exit_info1, gpa = e.vmcb.control.exit_info2;
  if (!(err & 1) && EmulateMmio(e, gpa)) return Next::kResume;
  domains::Crash(e.v.domain, "v%u: %s of guest-physical 0x%lx, outside its memory, at RIP 0x%lx",
                 e.v.id, (err & 16) ? "instruction fetch" : (err & 2) ? "write" : "read", gpa,
                 e.vmcb.state.rip);
  return Next::kStop;
}

HV_COLD Next TaskSwitch(Exit& e) {
  CrashReport(e, "task switch (unsupported)");
  return Next::kStop;
}

// Direct calls, not a table of pointers: the hot handlers inline here and
// no indirect branch is taken (hv/lib/hot.h).
HV_HOT Next Handle(Exit& e, uint64_t code) {
  switch (code) {
    case kExitVmmcall: return Vmmcall(e);
    case kExitIoio: return Ioio(e);
    case kExitCpuid: return Cpuid(e);
    case kExitIntr:
    case kExitNmi:
    case kExitSmi:
    case kExitInit: return Next::kResume;  // the host handles them
    case kExitHlt: return Hlt(e);
    case kExitVintr: return InterruptWindow(e);
    case kExitMsr: return Msr(e);
    case kExitNpf: return Npf(e);
    case kExitInvd:
    case kExitWbinvd: return Skip2(e);
    case kExitTaskSwitch: return TaskSwitch(e);
    case kExitShutdown: return Shutdown(e);
    case kExitVmrun:
    case kExitVmload:
    case kExitVmsave:
    case kExitStgi:
    case kExitClgi:
    case kExitSkinit:
    case kExitInvlpga:
    case kExitMonitor:
    case kExitMwait:
    case kExitXsetbv: return Ud(e);
    default:
      if (code >= kExitExceptionBase && code < kExitExceptionBase + 32) return Exception(e);
      domains::Crash(e.v.domain, "v%u: unexpected #VMEXIT 0x%lx (info1 0x%lx, info2 0x%lx) at RIP 0x%lx",
                     e.v.id, code, e.vmcb.control.exit_info1, e.vmcb.control.exit_info2,
                     e.vmcb.state.rip);
      return Next::kStop;
  }
}

Timer g_slice[kCpuSlots];

void SliceEnd(Timer* t) {
  sched::SetNeedResched(static_cast<uint32_t>(reinterpret_cast<uintptr_t>(t->data)));
}

// State that stays in the CPU while the same vCPU comes back: its FPU/SSE
// registers and TSC_AUX. Switched only when another vCPU had the CPU.
void SwitchLazyState(PerCpu& cpu, arch::ArchVcpu& a) {
  if (cpu.fpu_owner == &a) return;
  if (cpu.fpu_owner) asm volatile("fxsave64 %0" : "=m"(static_cast<arch::ArchVcpu*>(cpu.fpu_owner)->fpu));
  asm volatile("fxrstor64 %0" ::"m"(a.fpu));
  Wrmsr(kMsrTscAux, a.tsc_aux);
  cpu.fpu_owner = &a;
}

// A VMRUN flushes the guest TLB only when this CPU starts a new generation of
// ASIDs (asid.h). Once per RunVcpu, and again when the vCPU's TLB epoch moves:
// while the loop runs, no other vCPU takes this CPU's ASIDs.
HV_COLD void AssignAsid(PerCpu& cpu, arch::ArchVcpu& a) {
  Vmcb& vmcb = *a.vmcb;
  const bool flush = x86::AssignAsid(cpu.asids, cpu.index, svm::features().asids,
                                     a.tlb_epoch.load(std::memory_order_acquire), a.asid);
  if (flush) vmcb.control.tlb_control = kTlbControlFlushAll;  // the next VMRUN's only
  vmcb.control.guest_asid = a.asid.asid;
}

// Why v must leave its CPU now, if it must: its domain stopping or paused,
// or the scheduler's call (slice over, a wake-up that preempts).
HV_COLD bool MustLeave(const Vcpu& v, uint32_t cpu, sched::PutReason* why) {
  const DomainState ds = v.domain->state;
  if (ds == DomainState::kShuttingDown || ds == DomainState::kDead) {
    *why = sched::PutReason::kStopped;
    return true;
  }
  if (sched::NeedResched(cpu)) {
    *why = sched::PutReason::kPreempted;
    return true;
  }
  if (v.domain->paused.load()) {  // HV_DOMCTL_PAUSE: off the CPU until unpaused
    *why = sched::PutReason::kBlocked;
    return true;
  }
  return false;
}

// PerCpu::exit_counts' bucket of an exit (names: ExitBucketName).
inline uint32_t ExitBucket(uint64_t code) {
  switch (code) {
    case kExitIntr: return 1;
    case kExitNmi: return 2;
    case kExitCpuid: return 3;
    case kExitHlt: return 4;
    case kExitIoio: return 5;
    case kExitMsr: return 6;
    case kExitVmmcall: return 7;
    case kExitNpf: return 8;
    case kExitShutdown: return 9;
    default:
      if (code >= kExitExceptionBase && code < kExitExceptionBase + 32) return 10;
      return 0;
  }
}

}  // namespace

const char* ExitBucketName(uint32_t bucket) {
  static constexpr const char* kNames[kExitBuckets] = {
      "other", "intr", "nmi", "cpuid", "hlt", "ioio", "msr", "vmmcall", "npf", "shutdown",
      "exception", "", "", "", "", ""};
  return bucket < kExitBuckets ? kNames[bucket] : "?";
}

HV_HOT void GuestCpuid(const Vcpu& v, uint32_t leaf, uint32_t subleaf, uint32_t out[4]) {
  out[0] = out[1] = out[2] = out[3] = 0;
  if (leaf >= 0x40000000 && leaf < 0x40000100) {
    if (leaf == 0x40000000) {
      out[0] = 0x40000001;
      // "hvhypervisor" in EBX, ECX, EDX.
      out[1] = 0x79687668;
      out[2] = 0x76726570;
      out[3] = 0x726f7369;
    } else if (leaf == 0x40000001) {
      out[0] = (HV_VERSION_MAJOR << 16) | HV_VERSION_MINOR;
    }
    return;
  }
  const uint32_t max_basic = Cpuid(0).eax, max_ext = Cpuid(0x80000000).eax;
  if ((leaf < 0x80000000 && leaf > max_basic) || (leaf >= 0x80000000 && leaf > max_ext)) return;
  const CpuidResult r = Cpuid(leaf, subleaf);
  out[0] = r.eax;
  out[1] = r.ebx;
  out[2] = r.ecx;
  out[3] = r.edx;
  switch (leaf) {
    case 0x1:
      // APIC id = vCPU id, logical count = vCPUs; hypervisor present. No VMX,
      // SMX, monitor, x2APIC, XSAVE/AVX (not virtualized yet), no MCE/MCA.
      out[1] = (out[1] & 0x0000ffff) | (v.id << 24) | ((v.domain->vcpu_count & 0xff) << 16);
      out[2] &= ~((1u << 3) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8) | (1u << 15) |
                  (1u << 18) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28));
      out[2] |= 1u << 31;
      out[3] &= ~((1u << 7) | (1u << 14) | (1u << 21) | (1u << 22) | (1u << 29) | (1u << 31));
      break;
    case 0x6:  // no thermal or power management
    case 0x5:
    case 0xa:  // no PMU
      out[0] = out[1] = out[2] = out[3] = 0;
      break;
    case 0x7:
      if (subleaf == 0) {
        // Keep what a guest can use without hv's help.
        constexpr uint32_t kEbx = (1u << 0) | (1u << 3) | (1u << 7) | (1u << 8) | (1u << 9) |
                                  (1u << 18) | (1u << 19) | (1u << 20) | (1u << 23) | (1u << 24);
        out[0] = 0;
        out[1] &= kEbx;
        out[2] = 0;
        out[3] = 0;
      } else {
        out[0] = out[1] = out[2] = out[3] = 0;
      }
      break;
    case 0xd:  // no XSAVE
      out[0] = out[1] = out[2] = out[3] = 0;
      break;
    case 0x80000001:
      // No SVM, no SKINIT/WDT/IBS/LWP/topology extensions, no perf counters.
      out[2] &= ~((1u << 2) | (1u << 10) | (1u << 12) | (1u << 13) | (1u << 15) | (1u << 19) |
                  (1u << 22) | (1u << 23));
      break;
    case 0x8000000a:  // SVM features: none for guests
      out[0] = out[1] = out[2] = out[3] = 0;
      break;
    default: break;
  }
}

namespace {

// RunVcpu's loop: enters the guest until v must leave its CPU, and says why.
// Per exit it reads and writes only the stack, the vCPU's page and its VMCB,
// and the globals in .data.hot (hv/lib/hot.h); exit counts go to `exits`.
[[gnu::noinline]] HV_HOT sched::PutReason RunLoop(Exit& e, PerCpu& cpu, uint64_t exits[kExitBuckets]) {
  Vcpu& v = e.v;
  arch::ArchVcpu& a = e.a;
  const uint32_t me = cpu.index;
  const uint64_t host_vmcb_pa = cpu.host_vmcb_pa;
  sched::PutReason why = sched::PutReason::kPreempted;
  // IF stays set from here on and GIF masks interrupts (and NMIs) from each
  // CLGI to the STGI after the world switch; with IF set a physical interrupt
  // ends the guest (V_INTR_MASKING). Toggling IF too would cost two more
  // TB ends per exit under TCG (STI's shadow).
  Sti();
  // The domain's state is looked at first and then whenever the scheduler
  // asks (sched::Stop and HV_DOMCTL_PAUSE raise NeedResched and kick).
  bool look = true;
  for (;;) {
    smp::RunCpu0Work();  // the console, even while CPU0 runs guests
    Clgi();
    if ((look || sched::NeedResched(me)) && MustLeave(v, me, &why)) break;
    look = false;
    if (a.tlb_epoch.load(std::memory_order_acquire) != a.asid.epoch) AssignAsid(cpu, a);
    DeliverUpcall(e);
    // Host interrupts that ended the guest are taken inside, at its STGI.
    svm_vmrun(&a.regs, a.vmcb_pa.value(), host_vmcb_pa);
    e.vmcb.control.tlb_control = kTlbControlNone;
    ++v.exits;
    const uint64_t code = e.vmcb.control.exit_code;
    ++exits[ExitBucket(code)];
    // An event interrupted by the exit is delivered again on the next entry.
    e.vmcb.control.event_inj = 0;
    if (e.vmcb.control.exit_int_info & kEventValid) {
      e.vmcb.control.event_inj = e.vmcb.control.exit_int_info;
    }
    const Next next = Handle(e, code);
    if (next == Next::kResume) continue;
    return next == Next::kYield     ? sched::PutReason::kYielded
           : next == Next::kBlock   ? sched::PutReason::kBlocked
           : next == Next::kOffline ? sched::PutReason::kOffline
                                    : sched::PutReason::kStopped;
  }
  Stgi();  // it left between CLGI and the world switch
  return why;
}

}  // namespace

void RunVcpu(Vcpu& v) {
  PerCpu& cpu = ThisCpu();
  arch::ArchVcpu& a = *v.arch;
  Exit e{v, a, *a.vmcb};
  const uint64_t start = arch::NowNs();
  // Running again: whatever it polled for has come (or its time ran out).
  if (v.polling.exchange(false) && v.poll_timer.armed) timer::Cancel(&v.poll_timer);
  Timer& slice = g_slice[cpu.index];
  slice.fn = SliceEnd;
  slice.data = reinterpret_cast<void*>(uintptr_t{cpu.index});
  timer::Set(&slice, start + sched::SliceNs(&v));
  // Once per run rather than per exit: while RunLoop runs, nothing else uses
  // this CPU's FPU, TSC_AUX or ASIDs, and hv's own FS/GS/TR/syscall MSRs do
  // not change.
  svm_save_host(cpu.host_vmcb_pa);
  SwitchLazyState(cpu, a);
  AssignAsid(cpu, a);
  uint64_t exits[kExitBuckets] = {};
  const sched::PutReason why = RunLoop(e, cpu, exits);
  for (uint32_t b = 0; b < kExitBuckets; ++b) cpu.exit_counts[b] += exits[b];
  timer::Cancel(&slice);
  const uint64_t ran = arch::NowNs() - start;
  v.runtime_ns += ran;
  sched::Put(&v, why, ran);
  // An event raised between the guest's HLT and Put() found the vCPU not yet
  // blocked: wake it now, or it would sleep through it.
  const bool woken = v.polling.load() ? v.wake_pending.load()  // polled ports, timeout
                                      : v.upcall_pending.load() || v.wake_pending.load();
  if (why == sched::PutReason::kBlocked && !v.domain->paused.load() && woken) {
    sched::Wake(&v);
  }
}

}  // namespace x86
}  // namespace hv
