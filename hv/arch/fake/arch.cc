// SPDX-License-Identifier: Apache-2.0
// The host's hv/core/arch.h: "physical" addresses are host pointers, so code
// that walks structures through PhysToVirt (page tables, the heap) runs on
// ordinary host memory in unit tests.
#include "hv/core/arch.h"

#include <stdio.h>

namespace hv::arch {

void ConsoleWrite(const char* s, size_t n) { fwrite(s, 1, n, stderr); }
uint32_t CpuIndex() { return 0; }
uint64_t NowNs() { return 0; }
void* PhysToVirt(PhysAddr pa) { return reinterpret_cast<void*>(pa.value()); }

}  // namespace hv::arch
