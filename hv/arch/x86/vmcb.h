// SPDX-License-Identifier: Apache-2.0
// The SVM virtual machine control block (AMD APM vol. 2, appendix B): the
// control area hv programs and the guest state VMRUN loads and #VMEXIT saves.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hv::x86 {

struct [[gnu::packed]] VmcbSegment {
  uint16_t selector;
  uint16_t attrib;  // type 3:0, S 4, DPL 6:5, P 7, AVL 8, L 9, D/B 10, G 11
  uint32_t limit;
  uint64_t base;
};
static_assert(sizeof(VmcbSegment) == 16);

struct [[gnu::packed]] VmcbControl {
  uint32_t intercept_cr;          // 0x000: reads 15:0, writes 31:16
  uint32_t intercept_dr;          // 0x004
  uint32_t intercept_exceptions;  // 0x008: bit n = vector n
  uint32_t intercept_misc1;       // 0x00c: kIntercept1*
  uint32_t intercept_misc2;       // 0x010: kIntercept2*
  uint32_t intercept_misc3;       // 0x014
  uint8_t reserved0[0x3c - 0x18];
  uint16_t pause_filter_threshold;  // 0x03c
  uint16_t pause_filter_count;      // 0x03e
  uint64_t iopm_base_pa;            // 0x040
  uint64_t msrpm_base_pa;           // 0x048
  uint64_t tsc_offset;              // 0x050
  uint32_t guest_asid;              // 0x058
  uint8_t tlb_control;              // 0x05c
  uint8_t reserved1[3];
  uint32_t int_ctl;     // 0x060: V_TPR 7:0, V_IRQ 8, V_INTR_PRIO 19:16, V_IGN_TPR 20, V_INTR_MASKING 24
  uint32_t int_vector;  // 0x064
  uint64_t int_state;   // 0x068: bit 0 interrupt shadow
  uint64_t exit_code;   // 0x070
  uint64_t exit_info1;  // 0x078
  uint64_t exit_info2;  // 0x080
  uint64_t exit_int_info;  // 0x088: valid only if bit 31 (TCG leaves stale bits)
  uint64_t np_control;     // 0x090: bit 0 nested paging
  uint64_t avic_apic_bar;  // 0x098
  uint64_t ghcb_pa;        // 0x0a0
  uint64_t event_inj;      // 0x0a8
  uint64_t n_cr3;          // 0x0b0
  uint64_t virt_ext;       // 0x0b8
  uint32_t vmcb_clean;     // 0x0c0
  uint32_t reserved2;
  uint64_t next_rip;       // 0x0c8 (NRIPS only)
  uint8_t insn_len;        // 0x0d0 (decode assists only)
  uint8_t insn_bytes[15];  // 0x0d1
  uint8_t reserved3[0x400 - 0xe0];
};
static_assert(sizeof(VmcbControl) == 0x400);
static_assert(offsetof(VmcbControl, iopm_base_pa) == 0x40);
static_assert(offsetof(VmcbControl, guest_asid) == 0x58);
static_assert(offsetof(VmcbControl, int_ctl) == 0x60);
static_assert(offsetof(VmcbControl, exit_code) == 0x70);
static_assert(offsetof(VmcbControl, exit_int_info) == 0x88);
static_assert(offsetof(VmcbControl, np_control) == 0x90);
static_assert(offsetof(VmcbControl, event_inj) == 0xa8);
static_assert(offsetof(VmcbControl, n_cr3) == 0xb0);
static_assert(offsetof(VmcbControl, next_rip) == 0xc8);
static_assert(offsetof(VmcbControl, insn_bytes) == 0xd1);

struct [[gnu::packed]] VmcbState {
  VmcbSegment es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;  // 0x400..0x4a0
  uint8_t reserved0[0x4cb - 0x4a0];
  uint8_t cpl;  // 0x4cb
  uint32_t reserved1;
  uint64_t efer;  // 0x4d0
  uint8_t reserved2[0x548 - 0x4d8];
  uint64_t cr4;     // 0x548
  uint64_t cr3;     // 0x550
  uint64_t cr0;     // 0x558
  uint64_t dr7;     // 0x560
  uint64_t dr6;     // 0x568
  uint64_t rflags;  // 0x570
  uint64_t rip;     // 0x578
  uint8_t reserved3[0x5d8 - 0x580];
  uint64_t rsp;  // 0x5d8
  uint64_t s_cet, ssp, isst_addr;
  uint64_t rax;  // 0x5f8
  uint64_t star, lstar, cstar, sfmask, kernel_gs_base;  // 0x600..
  uint64_t sysenter_cs, sysenter_esp, sysenter_eip;     // 0x628..
  uint64_t cr2;                                         // 0x640
  uint8_t reserved4[0x668 - 0x648];
  uint64_t g_pat;  // 0x668
  uint64_t dbgctl, br_from, br_to, last_excp_from, last_excp_to;
  uint8_t reserved5[0x1000 - 0x698];
};
static_assert(sizeof(VmcbState) == 0x1000 - 0x400);

struct alignas(4096) Vmcb {
  VmcbControl control;
  VmcbState state;
};
static_assert(sizeof(Vmcb) == 4096);
static_assert(offsetof(Vmcb, state.cs) == 0x410);
static_assert(offsetof(Vmcb, state.tr) == 0x490);
static_assert(offsetof(Vmcb, state.cpl) == 0x4cb);
static_assert(offsetof(Vmcb, state.efer) == 0x4d0);
static_assert(offsetof(Vmcb, state.cr4) == 0x548);
static_assert(offsetof(Vmcb, state.rip) == 0x578);
static_assert(offsetof(Vmcb, state.rsp) == 0x5d8);
static_assert(offsetof(Vmcb, state.rax) == 0x5f8);
static_assert(offsetof(Vmcb, state.star) == 0x600);
static_assert(offsetof(Vmcb, state.sysenter_cs) == 0x628);
static_assert(offsetof(Vmcb, state.cr2) == 0x640);
static_assert(offsetof(Vmcb, state.g_pat) == 0x668);

// intercept_misc1: exit code 0x60 + bit.
inline constexpr uint32_t kIntercept1Intr = 1u << 0;
inline constexpr uint32_t kIntercept1Nmi = 1u << 1;
inline constexpr uint32_t kIntercept1Smi = 1u << 2;
inline constexpr uint32_t kIntercept1Init = 1u << 3;
inline constexpr uint32_t kIntercept1Vintr = 1u << 4;
inline constexpr uint32_t kIntercept1Cpuid = 1u << 18;
inline constexpr uint32_t kIntercept1Invd = 1u << 22;
inline constexpr uint32_t kIntercept1Hlt = 1u << 24;
inline constexpr uint32_t kIntercept1Invlpga = 1u << 26;
inline constexpr uint32_t kIntercept1Ioio = 1u << 27;
inline constexpr uint32_t kIntercept1Msr = 1u << 28;
inline constexpr uint32_t kIntercept1TaskSwitch = 1u << 29;
inline constexpr uint32_t kIntercept1Shutdown = 1u << 31;
// intercept_misc2: exit code 0x80 + bit.
inline constexpr uint32_t kIntercept2Vmrun = 1u << 0;
inline constexpr uint32_t kIntercept2Vmmcall = 1u << 1;
inline constexpr uint32_t kIntercept2Vmload = 1u << 2;
inline constexpr uint32_t kIntercept2Vmsave = 1u << 3;
inline constexpr uint32_t kIntercept2Stgi = 1u << 4;
inline constexpr uint32_t kIntercept2Clgi = 1u << 5;
inline constexpr uint32_t kIntercept2Skinit = 1u << 6;
inline constexpr uint32_t kIntercept2Wbinvd = 1u << 9;
inline constexpr uint32_t kIntercept2Monitor = 1u << 10;
inline constexpr uint32_t kIntercept2Mwait = 1u << 11;
inline constexpr uint32_t kIntercept2Xsetbv = 1u << 13;

inline constexpr uint32_t kIntCtlVIrq = 1u << 8;
inline constexpr uint32_t kIntCtlVIgnTpr = 1u << 20;
inline constexpr uint32_t kIntCtlVIntrMasking = 1u << 24;

// Exit codes (APM vol. 2, appendix C).
enum ExitCode : uint64_t {
  kExitExceptionBase = 0x40,  // + vector
  kExitIntr = 0x60,
  kExitNmi = 0x61,
  kExitSmi = 0x62,
  kExitInit = 0x63,
  kExitVintr = 0x64,
  kExitCpuid = 0x72,
  kExitInvd = 0x76,
  kExitHlt = 0x78,
  kExitInvlpga = 0x7a,
  kExitIoio = 0x7b,
  kExitMsr = 0x7c,
  kExitTaskSwitch = 0x7d,
  kExitShutdown = 0x7f,
  kExitVmrun = 0x80,
  kExitVmmcall = 0x81,
  kExitVmload = 0x82,
  kExitVmsave = 0x83,
  kExitStgi = 0x84,
  kExitClgi = 0x85,
  kExitSkinit = 0x86,
  kExitWbinvd = 0x89,
  kExitMonitor = 0x8a,
  kExitMwait = 0x8b,
  kExitXsetbv = 0x8d,
  kExitNpf = 0x400,
};
// QEMU's TCG stores VMEXIT_INVALID zero-extended from 32 bits: compare the low half.
constexpr bool IsInvalidExit(uint64_t code) { return static_cast<uint32_t>(code) == 0xffffffff; }

// TLB_CONTROL (APM vol. 2, 15.16.1): what VMRUN flushes before it enters.
inline constexpr uint8_t kTlbControlNone = 0;
inline constexpr uint8_t kTlbControlFlushAll = 1;  // every ASID's entries

// EVENTINJ / EXITINTINFO.
inline constexpr uint64_t kEventValid = 1u << 31;
inline constexpr uint64_t kEventErrorValid = 1u << 11;
inline constexpr uint64_t kEventTypeIntr = 0u << 8;
inline constexpr uint64_t kEventTypeNmi = 2u << 8;
inline constexpr uint64_t kEventTypeException = 3u << 8;
inline constexpr uint64_t kEventTypeSoftInt = 4u << 8;

}  // namespace hv::x86
