// SPDX-License-Identifier: Apache-2.0
// The local APIC, in x2APIC mode (MSRs) where the CPU has it and xAPIC mode
// (MMIO) otherwise. One mode for all CPUs, chosen on the boot CPU.
#pragma once

#include <stdint.h>

namespace hv::x86 {

// Vectors hv uses. Above every exception and legacy IRQ range.
inline constexpr uint8_t kVectorTimer = 0xef;
inline constexpr uint8_t kVectorCall = 0xf1;  // cross-CPU function call
inline constexpr uint8_t kVectorSpurious = 0xff;

namespace lapic {

// Boot CPU: picks the mode. mmio is the uncached mapping of the xAPIC page
// (unused in x2APIC mode).
void Init(bool use_x2apic, volatile uint32_t* mmio);
// Every CPU, the boot CPU included: enables its APIC in the chosen mode.
void EnableThisCpu();
bool x2apic();
uint32_t Id();
void Eoi();
void SendIpi(uint32_t apic_id, uint8_t vector);
void SendNmi(uint32_t apic_id);
void SendInit(uint32_t apic_id);
void SendStartup(uint32_t apic_id, uint8_t page);

// One-shot timer. The APIC timer counts at a rate measured at boot against
// the TSC; where the CPU has TSC-deadline mode, that is used instead.
void CalibrateTimer();
uint64_t TimerHz();
bool tsc_deadline();
// Fires kVectorTimer once at TSC value `deadline` (sooner if the count is clamped).
void ArmTimer(uint64_t deadline_tsc);

}  // namespace lapic
}  // namespace hv::x86
