// SPDX-License-Identifier: Apache-2.0
// Controls of the fake arch (arch.cc) for host tests: which CPU the calling
// thread is, the clock, and what hv/core asked of the arch (kicks, timers,
// interrupt flag).
#pragma once

#include <stdint.h>

namespace hv::fake {

inline constexpr uint32_t kMaxCpus = 64;

// arch::CpuIndex() of the calling thread (0 until set).
void SetCpu(uint32_t cpu);
// arch::CpuCount() (1 until set).
void SetCpuCount(uint32_t count);
// arch::NowNs(), one clock for every thread (0 until set).
void SetNow(uint64_t ns);
void Advance(uint64_t ns);

// arch::KickCpu(cpu) calls so far; ResetCalls() zeroes them and the timers.
uint64_t Kicks(uint32_t cpu);
// The last arch::TimerArm() deadline on that CPU, 0 if none.
uint64_t TimerDeadline(uint32_t cpu);
void ResetCalls();

// The calling thread's interrupt flag as IrqSave/IrqRestore left it: true
// when every IrqSave has been undone.
bool IrqsOn();

}  // namespace hv::fake
