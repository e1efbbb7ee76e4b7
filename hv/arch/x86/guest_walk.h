// SPDX-License-Identifier: Apache-2.0
// Reading guest memory by guest-virtual address: a walk of the guest's own
// page tables (4-level long mode, or no paging), every step checked against
// the domain's memory.
#pragma once

#include <stdint.h>

#include "hv/core/vcpu.h"

namespace hv::x86 {

// The guest-physical address behind va for the vCPU's current CR3/CR0, or
// false if not mapped (or the walk leaves the domain's memory).
[[nodiscard]] bool GuestVirtToPhys(const Vcpu& v, uint64_t va, uint64_t* gpa);

// Copies len bytes at guest-virtual va; false if any byte is not readable.
[[nodiscard]] bool ReadGuestVirt(const Vcpu& v, uint64_t va, void* dst, uint64_t len);

}  // namespace hv::x86
