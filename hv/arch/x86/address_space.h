// SPDX-License-Identifier: Apache-2.0
// hv's own address space: the image mapped W^X, all RAM in the direct map
// (NX, and read-only over hv's code), device memory uncached in the ioremap
// area, and per-CPU stacks with unmapped guard pages below them.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/arch/x86/multiboot.h"
#include "hv/lib/addr.h"

namespace hv::x86::address_space {

// Before the page allocator: lets the boot tables' direct map reach RAM above
// 4 GiB (1 GiB pages). Returns the limit that is now mapped.
uint64_t ExtendBootMap(uint64_t max_phys, bool page1g);

// Builds hv's page tables from the memory map (pages from heap::AllocZeroedPage)
// and switches the calling CPU to them. Returns false, having logged why, if
// it ran out of memory.
[[nodiscard]] bool Build(const BootInfo& info, bool page1g);
// Loads hv's page tables on the calling CPU (the APs, coming from the boot tables).
void Activate();
PhysAddr Root();
uint64_t PageTablePages();

// An uncached mapping of [pa, pa + size) for device registers; null if out of
// page-table memory. Never unmapped.
volatile void* IoRemap(PhysAddr pa, uint64_t size);

// Maps `size` bytes of fresh zeroed pages with a guard page below and returns
// the top of the stack, or 0.
uint64_t MapStack(uint64_t size);

// The physical range the image occupies (text to bss end).
PhysRange ImageRange();

}  // namespace hv::x86::address_space
