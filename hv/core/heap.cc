// SPDX-License-Identifier: Apache-2.0
#include "hv/core/heap.h"

#include <atomic>

#include "hv/core/arch.h"
#include "hv/lib/log.h"
#include "hv/lib/spinlock.h"

extern "C" void* memset(void* dst, int c, size_t n);

namespace hv::heap {
namespace {

SpinLock g_lock;  // guards g_alloc and g_allocated
PageAllocator g_alloc;
uint64_t g_allocated = 0;

// Scrubbing walks the PFN space in chunks of this many pages; each CPU takes
// the next chunk from g_next_chunk.
constexpr uint64_t kScrubChunkPages = uint64_t{1} << 13;  // 32 MiB
std::atomic<uint64_t> g_next_chunk{0};

}  // namespace

PageStatus Init(void* metadata, size_t metadata_bytes, uint64_t first_pfn, uint64_t end_pfn) {
  SpinGuard guard(g_lock);
  return g_alloc.Init(metadata, metadata_bytes, first_pfn, end_pfn);
}

PageStatus AddFree(PhysAddr start, PhysAddr end, NodeId node) {
  SpinGuard guard(g_lock);
  return g_alloc.AddFreeRange(start, end, node);
}

PhysAddr AllocPages(unsigned order) {
  SpinGuard guard(g_lock);
  const PageAllocResult r = g_alloc.Alloc(order);
  if (!r.ok()) return PhysAddr(0);
  g_allocated += uint64_t{1} << order;
  return r.addr;
}

PhysAddr AllocZeroedPage() {
  const PhysAddr page = AllocPages(0);
  if (page.value()) memset(arch::PhysToVirt(page), 0, kPageSize);
  return page;
}

void FreePages(PhysAddr addr, unsigned order) {
  SpinGuard guard(g_lock);
  if (g_alloc.Free(addr, order) == PageStatus::kOk) g_allocated -= uint64_t{1} << order;
}

bool SplitPages(PhysAddr addr, unsigned order) {
  SpinGuard guard(g_lock);
  return g_alloc.Split(addr, order) == PageStatus::kOk;
}

uint64_t FreePageCount() {
  SpinGuard guard(g_lock);
  return g_alloc.FreePages();
}

uint64_t ManagedPageCount() {
  SpinGuard guard(g_lock);
  return g_alloc.ManagedPages();
}

uint64_t AllocatedPageCount() {
  SpinGuard guard(g_lock);
  return g_allocated;
}

void ScrubPrepare() { g_next_chunk.store(0); }

uint64_t ScrubWork() {
  const uint64_t first = g_alloc.first_pfn(), end = g_alloc.end_pfn();
  const uint64_t chunks = (end - first + kScrubChunkPages - 1) / kScrubChunkPages;
  uint64_t bytes = 0;
  for (;;) {
    const uint64_t c = g_next_chunk.fetch_add(1);
    if (c >= chunks) break;
    PhysAddr cursor = PhysAddr::FromPfn(first + c * kScrubChunkPages);
    const uint64_t chunk_end = first + (c + 1) * kScrubChunkPages;
    const PhysAddr limit = PhysAddr::FromPfn(chunk_end < end ? chunk_end : end);
    while (cursor < limit) {
      // Blocks are taken out while zeroed, so no one can allocate them meanwhile.
      PageBlock blocks[32];
      size_t n;
      {
        SpinGuard guard(g_lock);
        n = g_alloc.TakeFreeBlocks(&cursor, limit, blocks, 32);
      }
      for (size_t i = 0; i < n; ++i) {
        const uint64_t size = kPageSize << blocks[i].order;
        memset(arch::PhysToVirt(blocks[i].addr), 0, size);
        bytes += size;
      }
      SpinGuard guard(g_lock);
      for (size_t i = 0; i < n; ++i) {
        if (g_alloc.Free(blocks[i].addr, blocks[i].order) != PageStatus::kOk) {
          HV_ERROR("scrub: could not return block at 0x%lx", blocks[i].addr.value());
        }
      }
    }
  }
  return bytes;
}

}  // namespace hv::heap
