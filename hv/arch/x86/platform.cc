// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/platform.h"

#include <new>

#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/guest_acpi.h"
#include "hv/arch/x86/pvclock.h"
#include "hv/arch/x86/time.h"
#include "hv/arch/x86/vcpu_arch.h"
#include "hv/arch/x86/vioapic.h"
#include "hv/arch/x86/vlapic.h"
#include "hv/arch/x86/vuart.h"
#include "hv/core/arch.h"
#include "hv/core/domains.h"
#include "hv/core/events.h"
#include "hv/core/heap.h"
#include "hv/core/sched.h"
#include "hv/core/timer.h"
#include "hv/lib/log.h"
#include "hv/lib/spinlock.h"

namespace hv::x86 {

// An IPI the local APIC asked for, delivered once its lock is released (two
// vCPUs sending to each other must not each hold their lock and want the other's).
struct PendingIpi {
  bool valid;
  uint32_t dest;
  VLapic::Delivery mode;
  uint8_t vector;
};

struct VcpuPlatform {
  SpinLock lock;  // guards lapic and ipi; taken with interrupts off
  VLapic lapic;
  Timer timer;
  PendingIpi ipi;
  Vcpu* vcpu;
  bool wait_for_sipi;
  uint64_t system_time_msr;
  uint64_t wall_clock_msr;
};

struct DomainPlatform {
  SpinLock lock;  // guards uart, ioapic and the input queue; taken with interrupts off
  VUart uart;
  // Console input waiting for room in the UART's 16-byte FIFO.
  char input[512];
  uint32_t input_head, input_count;
  VIoApic ioapic;
  Domain* domain;
  PvclockScale scale;
  VcpuPlatform vcpus[kMaxVcpus];
};

namespace {

constexpr unsigned kOrder = 4;  // 64 KiB for DomainPlatform
static_assert(sizeof(DomainPlatform) <= kPageSize << kOrder);
constexpr uint32_t kUartBase = 0x3f8;
constexpr uint32_t kUartIrq = 4;
constexpr uint32_t kMsrKvmWallClockNew = 0x4b564d00;
constexpr uint32_t kMsrKvmSystemTimeNew = 0x4b564d01;

DomainPlatform* Of(const Domain& d) { return d.arch ? d.arch->platform : nullptr; }

class Locked {
 public:
  explicit Locked(SpinLock& l) : lock_(l), flags_(arch::IrqSave()) { lock_.Lock(); }
  ~Locked() {
    lock_.Unlock();
    arch::IrqRestore(flags_);
  }

 private:
  SpinLock& lock_;
  uint64_t flags_;
};

uint64_t TscToHvNs(uint64_t tsc) {
  const uint64_t boot = time::BootTsc();
  return tsc > boot ? time::TscToNs(tsc - boot) : 0;
}

// --- Local APIC hooks ---

void LapicKick(void* ctx) { events::Kick(*static_cast<VcpuPlatform*>(ctx)->vcpu, true); }

void LapicTimerFired(Timer* t) {
  auto* vp = static_cast<VcpuPlatform*>(t->data);
  Locked guard(vp->lock);
  vp->lapic.TimerExpired(Rdtsc());
}

void LapicArm(void* ctx, uint64_t deadline_tsc) {
  auto* vp = static_cast<VcpuPlatform*>(ctx);
  if (!deadline_tsc) {
    timer::Cancel(&vp->timer);
    return;
  }
  timer::Set(&vp->timer, TscToHvNs(deadline_tsc));
}

void LapicSendIpi(void* ctx, uint32_t dest, VLapic::Delivery mode, uint8_t vector) {
  static_cast<VcpuPlatform*>(ctx)->ipi = PendingIpi{true, dest, mode, vector};
}

// Real mode at vector << 12, as a CPU leaves wait-for-SIPI.
void StartAtSipi(Vcpu& v, uint8_t vector) {
  VmcbState& s = v.arch->vmcb->state;
  const uint16_t sel = static_cast<uint16_t>(vector) << 8;
  s.cs = VmcbSegment{sel, 0x9b, 0xffff, uint64_t{vector} << 12};
  s.ds = s.es = s.ss = s.fs = s.gs = VmcbSegment{0, 0x93, 0xffff, 0};
  s.gdtr = s.idtr = VmcbSegment{0, 0, 0xffff, 0};
  s.tr = VmcbSegment{0, 0x8b, 0xffff, 0};
  s.ldtr = VmcbSegment{0, 0x82, 0xffff, 0};
  s.cpl = 0;
  s.cr0 = 0x60000010;  // CD, NW, ET: the reset value
  s.cr3 = 0;
  s.cr4 = 0;
  s.efer = 1u << 12;  // only SVME, which VMRUN needs
  s.rflags = 2;
  s.rip = 0;
  s.rsp = 0;
  s.rax = 0;
  v.arch->regs = {};
}

void DeliverIpi(DomainPlatform& dp, uint32_t self, const PendingIpi& ipi) {
  Domain& d = *dp.domain;
  for (uint32_t i = 0; i < d.vcpu_count; ++i) {
    const bool match = ipi.dest == VLapic::kAll || (ipi.dest == VLapic::kAllButSelf && i != self) ||
                       ipi.dest == i;
    if (!match) continue;
    VcpuPlatform& t = dp.vcpus[i];
    switch (ipi.mode) {
      case VLapic::Delivery::kFixed:
      case VLapic::Delivery::kLowest: {
        Locked guard(t.lock);
        t.lapic.Accept(ipi.vector);
        break;
      }
      case VLapic::Delivery::kInit:
        if (t.vcpu->state == VcpuState::kOffline) t.wait_for_sipi = true;
        break;
      case VLapic::Delivery::kStartup:
        if (t.wait_for_sipi && t.vcpu->state == VcpuState::kOffline) {
          t.wait_for_sipi = false;
          StartAtSipi(*t.vcpu, ipi.vector);
          sched::AddVcpu(t.vcpu);
        }
        break;
      default:
        break;  // NMI and SMI IPIs are not delivered yet
    }
  }
}

// --- UART and IOAPIC hooks ---

void UartOutput(void* ctx, char c) {
  domains::ConsoleWrite(static_cast<DomainPlatform*>(ctx)->domain, &c, 1);
}

void UartIrq(void* ctx, bool level) {
  static_cast<DomainPlatform*>(ctx)->ioapic.SetLine(kUartIrq, level);
}

void IoApicDeliver(void* ctx, uint32_t apic_id, uint8_t vector, bool) {
  auto* dp = static_cast<DomainPlatform*>(ctx);
  if (apic_id >= dp->domain->vcpu_count) return;  // nobody there
  VcpuPlatform& t = dp->vcpus[apic_id];
  Locked guard(t.lock);
  t.lapic.Accept(vector);
}

// Console input moves into the UART's FIFO as it has room.
void DrainInput(DomainPlatform& dp) {
  while (dp.input_count && dp.uart.Receive(dp.input[dp.input_head])) {
    dp.input_head = (dp.input_head + 1) % sizeof(dp.input);
    --dp.input_count;
  }
}

void FillSystemTime(Vcpu& v, const VcpuPlatform& vp) {
  const uint64_t gpa = vp.system_time_msr & ~uint64_t{1};
  PvclockVcpuTimeInfo info{};
  const uint64_t now = Rdtsc();
  PvclockFill(&info, now, TscToHvNs(now), vp.vcpu->domain->arch->platform->scale, true);
  info.version = 2;  // even: stable
  (void)domains::CopyToGuest(*v.domain, GuestPhysAddr(gpa), &info, sizeof(info));
}

}  // namespace

bool PlatformCreate(Domain& d) {
  const PhysAddr pa = heap::AllocPages(kOrder);
  if (!pa.value()) return false;
  d.pages += uint64_t{1} << kOrder;
  auto* dp = new (arch::PhysToVirt(pa)) DomainPlatform();
  dp->domain = &d;
  dp->scale = PvclockScaleFor(time::TscHz());
  dp->uart.Reset({dp, UartOutput, UartIrq});
  dp->ioapic.Reset(static_cast<uint8_t>(d.vcpu_count), {dp, IoApicDeliver});
  for (uint32_t i = 0; i < d.vcpu_count; ++i) {
    VcpuPlatform& vp = dp->vcpus[i];
    vp.vcpu = d.vcpus[i];
    vp.lapic.Reset(i, time::TscHz(), {&vp, LapicKick, LapicArm, LapicSendIpi});
    vp.timer.fn = LapicTimerFired;
    vp.timer.data = &vp;
    d.vcpus[i]->arch->platform = dp;
  }
  d.arch->platform = dp;
  return true;
}

void PlatformDestroy(Domain& d) {
  DomainPlatform* dp = Of(d);
  if (!dp) return;
  for (uint32_t i = 0; i < d.vcpu_count; ++i) {
    timer::Cancel(&dp->vcpus[i].timer);
    if (d.vcpus[i]->arch) d.vcpus[i]->arch->platform = nullptr;
  }
  d.arch->platform = nullptr;
  heap::FreePages(arch::VirtToPhys(dp), kOrder);
}

bool PlatformMsr(Vcpu& v, bool write, uint32_t msr, uint64_t* value, bool* gp) {
  DomainPlatform* dp = Of(*v.domain);
  if (!dp) return false;
  VcpuPlatform& vp = dp->vcpus[v.id];
  *gp = false;
  if (VLapic::IsApicMsr(msr)) {
    PendingIpi ipi{};
    {
      Locked guard(vp.lock);
      *gp = write ? !vp.lapic.WriteMsr(msr, *value, Rdtsc())
                  : !vp.lapic.ReadMsr(msr, Rdtsc(), value);
      ipi = vp.ipi;
      vp.ipi.valid = false;
    }
    if (ipi.valid) DeliverIpi(*dp, v.id, ipi);
    return true;
  }
  switch (msr) {
    case kMsrApicBase:
      // x2APIC is on from the start, as firmware that enabled it leaves it.
      if (!write) *value = 0xfee00000 | (1u << 11) | (1u << 10) | (v.id == 0 ? 1u << 8 : 0);
      return true;
    case kMsrKvmSystemTimeNew:
      if (!write) {
        *value = vp.system_time_msr;
        return true;
      }
      vp.system_time_msr = *value;
      if (*value & 1) FillSystemTime(v, vp);
      return true;
    case kMsrKvmWallClockNew: {
      if (!write) {
        *value = vp.wall_clock_msr;
        return true;
      }
      vp.wall_clock_msr = *value;
      // hv keeps no calendar time yet: the guest's epoch is hv's boot.
      const PvclockWallClock wc{2, 0, 0};
      (void)domains::CopyToGuest(*v.domain, GuestPhysAddr(*value), &wc, sizeof(wc));
      return true;
    }
    default: return false;
  }
}

bool PlatformIo(Vcpu& v, bool in, uint16_t port, unsigned size, uint32_t* value) {
  DomainPlatform* dp = Of(*v.domain);
  if (!dp) return false;
  if (port >= kUartBase && port < kUartBase + 8) {
    Locked guard(dp->lock);
    if (in) {
      *value = dp->uart.Read(static_cast<uint8_t>(port - kUartBase));
      if (port == kUartBase) DrainInput(*dp);  // room again in the FIFO
    } else {
      dp->uart.Write(static_cast<uint8_t>(port - kUartBase), static_cast<uint8_t>(*value));
    }
    return true;
  }
  if (port >= kGuestPm1aEvtPort && port < kGuestPm1aEvtPort + kGuestPm1EvtLen) {
    if (in) *value = 0;  // no events, none enabled
    return true;
  }
  if (port == kGuestPm1aCntPort) {
    if (in) {
      *value = kPm1CntSciEn;  // in ACPI mode from the start
    } else if (Pm1CntIsPowerOff(static_cast<uint16_t>(*value))) {
      domains::Shutdown(v.domain, ShutdownReason::kPoweroff);
    }
    return true;
  }
  if (port == kGuestResetPort) {
    if (in) {
      *value = 0;
    } else if (*value & 0x04) {  // "reset CPU"
      domains::Shutdown(v.domain, ShutdownReason::kReboot);
    }
    return true;
  }
  if (port == kGuestPvpanicPort) {
    if (in) {
      *value = 1;  // it can report "panicked"
    } else if (*value & 1) {
      domains::Shutdown(v.domain, ShutdownReason::kCrash);
    }
    return true;
  }
  if (port == 0x64 && !in && (*value & 0xff) == 0xfe) {  // the 8042's reset pulse
    domains::Shutdown(v.domain, ShutdownReason::kReboot);
    return true;
  }
  (void)size;
  return false;
}

bool PlatformMmio(Vcpu& v, uint64_t gpa, bool write, unsigned size, uint64_t* value) {
  DomainPlatform* dp = Of(*v.domain);
  if (!dp || gpa < VIoApic::kBase || gpa >= VIoApic::kBase + kPageSize) return false;
  (void)size;  // the IOAPIC is 32-bit: wider or narrower accesses act on the dword
  const uint32_t offset = static_cast<uint32_t>(gpa - VIoApic::kBase) & ~3u;
  Locked guard(dp->lock);
  if (write) {
    dp->ioapic.Write(offset, static_cast<uint32_t>(*value));
  } else {
    *value = dp->ioapic.Read(offset);
  }
  return true;
}

int PlatformPendingVector(Vcpu& v) {
  DomainPlatform* dp = Of(*v.domain);
  if (!dp) return -1;
  VcpuPlatform& vp = dp->vcpus[v.id];
  Locked guard(vp.lock);
  return vp.lapic.Pending();
}

void PlatformAcknowledge(Vcpu& v, uint8_t vector) {
  DomainPlatform* dp = Of(*v.domain);
  if (!dp) return;
  VcpuPlatform& vp = dp->vcpus[v.id];
  Locked guard(vp.lock);
  vp.lapic.Acknowledge(vector);
}

bool PlatformConsoleInput(Domain& d, char c) {
  DomainPlatform* dp = Of(d);
  if (!dp) return false;
  Locked guard(dp->lock);
  if (dp->input_count == sizeof(dp->input)) return false;
  dp->input[(dp->input_head + dp->input_count) % sizeof(dp->input)] = c;
  ++dp->input_count;
  DrainInput(*dp);
  return true;
}

void PlatformConsoleDrain(Domain& d) {
  DomainPlatform* dp = Of(d);
  if (!dp) return;
  Locked guard(dp->lock);
  DrainInput(*dp);
}

void PlatformCpuid(const Vcpu& v, uint32_t leaf, uint32_t, uint32_t out[4]) {
  if (!Of(*v.domain)) return;
  switch (leaf) {
    case 0x1:
      out[2] |= (1u << 21) | (1u << 24);  // x2APIC, TSC-deadline timer
      out[3] |= 1u << 9;                  // an APIC
      break;
    case 0x40000100:  // KVM's leaves, where Linux looks for them: kvmclock
      out[0] = 0x40000101;
      out[1] = 0x4b4d564b;  // "KVMKVMKVM\0\0\0"
      out[2] = 0x564b4d56;
      out[3] = 0x4d;
      break;
    case 0x40000101:
      out[0] = (1u << 3) | (1u << 24);  // CLOCKSOURCE2, CLOCKSOURCE_STABLE_BIT
      out[1] = out[2] = out[3] = 0;
      break;
    case 0x80000008: {
      // vCPUs as cores of one package: NC and the APIC id size for them.
      uint32_t bits = 0;
      while ((1u << bits) < v.domain->vcpu_count) ++bits;
      out[2] = (bits << 12) | (v.domain->vcpu_count - 1);
      break;
    }
    default: break;
  }
}

}  // namespace hv::x86
