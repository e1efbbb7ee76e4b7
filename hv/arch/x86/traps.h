// SPDX-License-Identifier: Apache-2.0
// Exceptions and interrupts: dispatch, and the panic report.
#pragma once

#include <stdint.h>

#include "hv/arch/x86/trap_frame.h"
#include "hv/core/cmdline.h"

namespace hv::x86 {

enum class PanicAction : uint8_t { kHalt, kReboot, kPowerOff, kDebugExit };
void SetPanicAction(PanicAction action);

// Called by isr.S for every vector.
void HandleTrap(TrapFrame* frame);

// Set once per-CPU areas (GS) are usable; before that the boot stack is the only stack.
void MarkPerCpuReady();

// Called from the timer interrupt (installed by whoever owns timers).
using TimerHandler = void (*)();
void SetTimerHandler(TimerHandler handler);

// A deliberate fault for selftest=, to show the panic report.
[[noreturn]] void TriggerFault(SelfTest kind);

}  // namespace hv::x86
