// SPDX-License-Identifier: Apache-2.0
// Running vCPUs on SVM: the VMCB's set-up, the run loop and its exits.
#pragma once

#include <stdint.h>

#include "hv/core/vcpu.h"

namespace hv::x86 {

// Runs v on this CPU until it blocks, yields, is preempted or stops; then
// hands it back to the scheduler. Interrupts may be on or off on entry.
void RunVcpu(Vcpu& v);

// Exit counters: a name per bucket of PerCpu::exit_counts.
const char* ExitBucketName(uint32_t bucket);
inline constexpr uint32_t kExitBuckets = 16;

// The CPUID a guest sees (hv's policy): host values, masked, plus hv's leaves.
void GuestCpuid(const Vcpu& v, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

}  // namespace hv::x86
