// SPDX-License-Identifier: Apache-2.0
// AMD SVM: turning it on per CPU, and what this CPU's SVM offers.
#pragma once

#include <stdint.h>

#include "hv/lib/addr.h"

namespace hv::x86::svm {

struct Features {
  bool present = false;  // CPUID and VM_CR allow SVM
  const char* absent_why = "";
  uint32_t revision = 0;
  uint32_t asids = 0;
  bool npt = false;
  bool nrips = false;
  bool decode_assists = false;
  bool vmcb_clean = false;
  bool flush_by_asid = false;
};

// Boot CPU, once: probes the CPU and builds the shared I/O and MSR permission
// maps. Returns the features; present == false says why SVM is unusable.
const Features& Probe();
namespace detail {
extern Features g_features;
}  // namespace detail
// Inline: the exit path asks (NRIPS, ASIDs) on every #VMEXIT.
inline const Features& features() { return detail::g_features; }

// Every CPU: EFER.SVME, the host save area, this CPU's host-state VMCB.
[[nodiscard]] bool EnableThisCpu();

PhysAddr IopmPa();
PhysAddr MsrpmPa();
// Lets the guest access an MSR directly (both reads and writes).
void PassThroughMsr(uint32_t msr);

}  // namespace hv::x86::svm
