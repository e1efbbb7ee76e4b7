// SPDX-License-Identifier: Apache-2.0
// x86's part of a vCPU and of a domain (hv::arch::ArchVcpu/ArchDomain).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <atomic>

#include "hv/arch/x86/asid.h"
#include "hv/arch/x86/page_table.h"
#include "hv/arch/x86/vmcb.h"
#include "hv/lib/addr.h"

namespace hv::x86 {

struct DomainPlatform;

// The general registers VMRUN does not switch (RAX and RSP are in the VMCB).
struct GuestRegs {
  uint64_t rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};
static_assert(sizeof(GuestRegs) == 14 * 8);
static_assert(offsetof(GuestRegs, rbx) == 0);    // vmrun.S R_RBX
static_assert(offsetof(GuestRegs, rbp) == 40);   // vmrun.S R_RBP
static_assert(offsetof(GuestRegs, r15) == 104);  // vmrun.S R_R15

}  // namespace hv::x86

// vmrun.S. svm_vmrun is entered with GIF clear and IF set, and returns
// with GIF set; svm_save_host must have stored the host's state in
// host_vmcb_pa since it last changed.
extern "C" void svm_vmrun(hv::x86::GuestRegs* regs, uint64_t vmcb_pa, uint64_t host_vmcb_pa);
extern "C" void svm_save_host(uint64_t host_vmcb_pa);

namespace hv::arch {

struct ArchVcpu {
  x86::Vmcb* vmcb;
  PhysAddr vmcb_pa;
  x86::GuestRegs regs;
  alignas(16) uint8_t fpu[512];  // FXSAVE image, switched lazily
  uint64_t tsc_aux;              // what RDTSCP returns in ECX, switched with the FPU
  x86::AsidTag asid;             // tags this vCPU's TLB entries (asid.h)
  // Bumped by every unmap of its domain's memory (DomainFlushTlbs): a vCPU
  // that sees it move takes a fresh ASID (asid.h), so no translation from
  // before the unmap survives its next VMRUN. Kept per vCPU so that an entry
  // reads nothing of the domain's page.
  std::atomic<uint64_t> tlb_epoch;
  x86::DomainPlatform* platform;  // its domain's (ArchDomain::platform), for the same reason
};

struct ArchDomain {
  x86::PageTable npt;  // guest-physical -> host-physical
  x86::DomainPlatform* platform;  // the virtual platform for Linux; null for test kernels
};

}  // namespace hv::arch
