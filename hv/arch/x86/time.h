// SPDX-License-Identifier: Apache-2.0
// hv's clock: the TSC, calibrated at boot against the HPET (or the PIT where
// there is no HPET), counted from hv's entry.
#pragma once

#include <stdint.h>

namespace hv::x86::time {

// Call first thing at entry: time zero.
void MarkBoot();
// hpet_mmio: the HPET's uncached mapping, or null to use the PIT.
// Returns false (and leaves the clock stopped) if the reference looks broken.
[[nodiscard]] bool Calibrate(volatile uint64_t* hpet_mmio);
uint64_t TscHz();
uint64_t BootTsc();
const char* Source();  // "hpet" or "pit"
uint64_t TscToNs(uint64_t tsc_delta);
uint64_t NsToTsc(uint64_t ns);
// Busy-waits; works before calibration only approximately (assumes 1 GHz).
void Delay(uint64_t ns);

// HPET period and counter (valid after Calibrate with an HPET).
uint64_t HpetPeriodFs();
uint64_t HpetCounter();

}  // namespace hv::x86::time
