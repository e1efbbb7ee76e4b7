// SPDX-License-Identifier: Apache-2.0
// The virtual x86 platform hv gives an unmodified Linux guest: per vCPU a
// local APIC (x2APIC mode) with its timer and kvmclock; per domain a 16550
// UART (ttyS0, IRQ 4), an IOAPIC, the ACPI power-off and reset ports. Test
// kernels (ELF) run without it. The exit handlers route MSRs, ports and
// MMIO here; interrupts come back through PendingVector().
#pragma once

#include <stdint.h>

#include "hv/arch/x86/vcpu_arch.h"
#include "hv/core/domain.h"

namespace hv::x86 {

struct DomainPlatform;

// Creates the platform of a domain that will run Linux (all vCPUs).
[[nodiscard]] bool PlatformCreate(Domain& d);
void PlatformDestroy(Domain& d);
inline bool HasPlatform(const Domain& d) { return d.arch && d.arch->platform; }
// The same, from the vCPU's own copy: the exit path asks on every entry.
inline bool HasPlatform(const Vcpu& v) { return v.arch && v.arch->platform; }

// Exits. Each returns false if the access is not the platform's.
// MSRs: *gp set if the platform owns it but refuses the access.
bool PlatformMsr(Vcpu& v, bool write, uint32_t msr, uint64_t* value, bool* gp);
bool PlatformIo(Vcpu& v, bool in, uint16_t port, unsigned size, uint32_t* value);
bool PlatformMmio(Vcpu& v, uint64_t gpa, bool write, unsigned size, uint64_t* value);

// Interrupts: the vector to inject now (-1: none), and that it was injected.
int PlatformPendingVector(Vcpu& v);
void PlatformAcknowledge(Vcpu& v, uint8_t vector);

// Console input for the domain's UART (from hv's console), queued until the
// UART has room; false if the queue is full.
bool PlatformConsoleInput(Domain& d, char c);
void PlatformConsoleDrain(Domain& d);

// The CPUID leaves of the platform (KVM-compatible ones at 0x40000100,
// x2APIC and TSC-deadline in leaf 1, the core count); applied after hv's policy.
void PlatformCpuid(const Vcpu& v, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

}  // namespace hv::x86
