// SPDX-License-Identifier: Apache-2.0
// What hv/core asks of an architecture. x86 implements it in hv/arch/x86;
// hv/arch/fake implements the parts host unit tests need.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/lib/addr.h"

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

}  // namespace hv::arch
