// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/svm.h"

#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/percpu.h"
#include "hv/core/arch.h"
#include "hv/core/heap.h"
#include "hv/lib/hot.h"
#include "hv/lib/log.h"

extern "C" void* memset(void* dst, int c, size_t n);

namespace hv::x86::svm {
namespace {

constexpr uint32_t kMsrVmCr = 0xc0010114;
constexpr uint32_t kMsrVmHsavePa = 0xc0010117;
constexpr uint64_t kVmCrSvmDisable = 1u << 4;
constexpr uint64_t kEferSvme = 1u << 12;

PhysAddr g_iopm, g_msrpm;

// 2^order zeroed-or-filled pages; panics are the caller's choice.
PhysAddr AllocFilled(unsigned order, int fill) {
  const PhysAddr pa = heap::AllocPages(order);
  if (pa.value()) memset(arch::PhysToVirt(pa), fill, kPageSize << order);
  return pa;
}

}  // namespace

namespace detail {
HV_HOT_DATA Features g_features;
}  // namespace detail

const Features& Probe() {
  Features& f = detail::g_features;
  const uint32_t max_ext = Cpuid(0x80000000).eax;
  if (max_ext < 0x8000000a || !((Cpuid(0x80000001).ecx >> 2) & 1)) {
    f.absent_why = "the CPU has no SVM (CPUID 8000_0001.ECX[2] clear)";
    return f;
  }
  if (Rdmsr(kMsrVmCr) & kVmCrSvmDisable) {
    f.absent_why = "SVM is disabled by the firmware (VM_CR.SVMDIS set)";
    return f;
  }
  const CpuidResult a = Cpuid(0x8000000a);
  f.revision = a.eax & 0xff;
  f.asids = a.ebx;
  f.npt = a.edx & 1;
  f.nrips = (a.edx >> 3) & 1;
  f.vmcb_clean = (a.edx >> 5) & 1;
  f.flush_by_asid = (a.edx >> 6) & 1;
  f.decode_assists = (a.edx >> 7) & 1;
  if (!f.npt) {
    f.absent_why = "the CPU has SVM but no nested paging";
    return f;
  }
  if (f.asids < 2) {  // ASID 0 is the host's; guests need at least one more
    f.absent_why = "the CPU has SVM but no ASIDs for guests";
    return f;
  }
  // Every I/O port and every MSR is intercepted unless passed through.
  g_iopm = AllocFilled(2, 0xff);  // 12 KiB used of 16
  g_msrpm = AllocFilled(1, 0xff);  // 8 KiB
  if (!g_iopm.value() || !g_msrpm.value()) {
    f.absent_why = "out of memory for the permission maps";
    return f;
  }
  // Saved and restored by VMSAVE/VMLOAD on every switch: safe to hand over.
  for (uint32_t msr : {kMsrFsBase, kMsrGsBase, kMsrKernelGsBase, 0xc0000081u /*STAR*/,
                       0xc0000082u /*LSTAR*/, 0xc0000083u /*CSTAR*/, 0xc0000084u /*SFMASK*/,
                       0x174u /*SYSENTER_CS*/, 0x175u, 0x176u}) {
    PassThroughMsr(msr);
  }
  f.present = true;
  return f;
}


void PassThroughMsr(uint32_t msr) {
  // Three ranges of 8K MSRs, 2 bits each (read, write) per MSR.
  uint32_t base;
  if (msr < 0x2000) {
    base = 0;
  } else if (msr >= 0xc0000000 && msr < 0xc0002000) {
    base = 0x800;
    msr -= 0xc0000000;
  } else if (msr >= 0xc0010000 && msr < 0xc0012000) {
    base = 0x1000;
    msr -= 0xc0010000;
  } else {
    return;  // outside every range: always intercepted
  }
  auto* map = static_cast<uint8_t*>(arch::PhysToVirt(g_msrpm));
  map[base + msr / 4] &= static_cast<uint8_t>(~(3u << ((msr % 4) * 2)));
}

bool EnableThisCpu() {
  PerCpu& cpu = ThisCpu();
  const PhysAddr hsave = heap::AllocZeroedPage();
  const PhysAddr host_vmcb = heap::AllocZeroedPage();
  if (!hsave.value() || !host_vmcb.value()) return false;
  Wrmsr(kMsrEfer, Rdmsr(kMsrEfer) | kEferSvme);
  Wrmsr(kMsrVmHsavePa, hsave.value());
  cpu.host_vmcb_pa = host_vmcb.value();
  return true;
}

PhysAddr IopmPa() { return g_iopm; }
PhysAddr MsrpmPa() { return g_msrpm; }

}  // namespace hv::x86::svm
