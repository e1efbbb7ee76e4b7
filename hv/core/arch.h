// SPDX-License-Identifier: Apache-2.0
// What hv/core asks of an architecture. x86 implements it in hv/arch/x86;
// hv/arch/fake implements the parts host unit tests need.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/lib/addr.h"

namespace hv {
struct Domain;
struct Vcpu;
struct MemBlock;
}  // namespace hv

namespace hv::arch {

// Writes console bytes to every output device; must work from any context,
// including a panic on any CPU.
void ConsoleWrite(const char* s, size_t n);

// The logical number of the calling CPU (0 is the boot CPU).
uint32_t CpuIndex();

// Nanoseconds since hv started; 0 until the clock is calibrated.
uint64_t NowNs();

// Where hv sees a host-physical address (the direct map).
void* PhysToVirt(PhysAddr pa);
// The inverse, for pointers into the direct map only.
PhysAddr VirtToPhys(const void* p);

// Number of CPUs hv runs on (online), and whether the caller may be interrupted.
uint32_t CpuCount();
// About CPU `index` (0 .. CpuCount() - 1): its hardware id (x86: the APIC
// id) and whether it is online. False past the last CPU.
bool CpuInfo(uint32_t index, uint32_t* hw_id, bool* online);
// The rate of the clock NowNs() counts (x86: the TSC), in Hz; 0 until calibrated.
uint64_t ClockHz();
// Programs this CPU's one-shot timer to fire at now_ns-based `deadline_ns`;
// the interrupt calls timer::OnInterrupt().
void TimerArm(uint64_t deadline_ns);
// Interrupts off / restore on the calling CPU (for per-CPU data).
uint64_t IrqSave();
void IrqRestore(uint64_t flags);
// Asks `cpu` to look at its run queue soon (an IPI), from another CPU.
void KickCpu(uint32_t cpu);

// Domains and vCPUs: the architecture's part (x86: nested page tables, VMCBs).
// A Domain and a Vcpu each start a zeroed page of their own, and the rest of
// that page (PageTail) is for the arch's part: what an exit reads of them
// then lies in one page (hv/lib/hot.h).
template <typename T>
inline constexpr size_t kPageTailOffset = (sizeof(T) + 63) & ~size_t{63};
template <typename T>
inline constexpr size_t kPageTailBytes = kPageSize - kPageTailOffset<T>;
template <typename T>
void* PageTail(T& object) {
  return reinterpret_cast<char*>(&object) + kPageTailOffset<T>;
}
[[nodiscard]] bool DomainInit(Domain& d);
// The domain's guest-physical map of its RAM (x86: the nested page tables),
// under d.memory_lock once the domain exists for others. Table pages the map
// takes are counted in d.pages. DomainMap maps block.gpa to block.hpa.
[[nodiscard]] bool DomainMap(Domain& d, const MemBlock& block);
// Takes [gpa, gpa + size) (page-aligned) out of the map, splitting large
// pages it covers in part. False: no memory for a table page; then no
// translation changed. vCPUs on other CPUs may still reach the pages through
// their TLBs until DomainFlushTlbs().
[[nodiscard]] bool DomainUnmap(Domain& d, GuestPhysAddr gpa, uint64_t size);
// The host-physical address behind gpa, or PhysAddr(0) if nothing is mapped.
PhysAddr DomainTranslate(const Domain& d, GuestPhysAddr gpa);
// Returns once no vCPU of d other than `self` (the caller's, or null) can
// still use a translation DomainUnmap() removed before the call; `self`'s is
// dropped when it next enters the guest. Waits for the others to leave the
// guest, so the caller holds no lock.
void DomainFlushTlbs(Domain& d, const Vcpu* self);
void DomainFree(Domain& d);
[[nodiscard]] bool VcpuInit(Vcpu& v);
// Starts `target` in the same mode as `model` (page tables, segments,
// control registers) at rip, with rsp, and arg in the first argument register.
void VcpuStartLike(Vcpu& target, const Vcpu& model, uint64_t rip, uint64_t rsp, uint64_t arg);
void VcpuFree(Vcpu& v);

}  // namespace hv::arch
