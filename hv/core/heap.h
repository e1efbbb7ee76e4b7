// SPDX-License-Identifier: Apache-2.0
// hv's physical page pool: one PageAllocator for all of host RAM, behind one
// lock, with accounting of what hv itself holds.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/core/page_allocator.h"
#include "hv/lib/addr.h"

namespace hv::heap {

PageStatus Init(void* metadata, size_t metadata_bytes, uint64_t first_pfn, uint64_t end_pfn);
PageStatus AddFree(PhysAddr start, PhysAddr end, NodeId node);

// 2^order pages, or PhysAddr(0) when there are none.
PhysAddr AllocPages(unsigned order);
// One zeroed page, or PhysAddr(0).
PhysAddr AllocZeroedPage();
void FreePages(PhysAddr addr, unsigned order);
// Turns an allocated block of 2^order pages into 2^order allocated pages, to
// be freed one at a time with FreePages(page, 0) (PageAllocator::Split).
[[nodiscard]] bool SplitPages(PhysAddr addr, unsigned order);

uint64_t FreePageCount();
uint64_t ManagedPageCount();
// Pages handed out and not returned.
uint64_t AllocatedPageCount();

// Zeroes every free page, in parallel: every CPU that should help calls
// ScrubWork() after one CPU has called ScrubPrepare(). Returns the bytes this
// CPU zeroed.
void ScrubPrepare();
uint64_t ScrubWork();

}  // namespace hv::heap
