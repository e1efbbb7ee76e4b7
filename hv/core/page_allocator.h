// SPDX-License-Identifier: Apache-2.0
// Buddy allocator for host-physical pages.
//
// Blocks of 2^order pages (order 0..kMaxOrder, i.e. 4 KiB..1 GiB) are aligned
// to their size in absolute PFNs, so an order-9 or order-18 block can back a
// 2 MiB or 1 GiB NPT mapping. Free lists are kept per (NUMA node, order).
//
// Metadata lives OUTSIDE the managed pages, in a caller-supplied array of one
// 12-byte record per frame in [first_pfn, end_pfn) (0.3% of RAM): free pages
// are never written, so they can be scrubbed while free, and host tests need
// no real memory behind the addresses.
//
// Locking: none inside. Every call must be made under one lock the caller
// holds (hv's heap lock). TakeFreeBlocks() exists so that slow work on free
// memory (zeroing) runs without that lock; see "Scrubbing" below.
//
// Scrubbing free memory in parallel on N CPUs. Blocks are taken OUT of the
// allocator while they are zeroed, so a concurrent Alloc() can never hand out
// a page that is being written. Split [first_pfn, end_pfn) into fixed chunks
// (e.g. 2^kMaxOrder pages); every CPU runs:
//
//   for (;;) {
//     uint64_t c = next_chunk.fetch_add(1);            // shared atomic counter
//     if (c >= num_chunks) break;
//     PhysAddr cursor = chunk_start(c), end = chunk_end(c);
//     while (cursor < end) {
//       PageBlock blocks[32];
//       lock(); size_t n = alloc.TakeFreeBlocks(&cursor, end, blocks, 32); unlock();
//       for (i < n) zero(blocks[i]);                   // no lock held
//       lock(); for (i < n) (void)alloc.Free(blocks[i].addr, blocks[i].order); unlock();
//     }
//   }
//
// Every page that is free when its chunk is visited is zeroed exactly once;
// pages allocated meanwhile are not touched (they belong to someone else).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/lib/addr.h"

namespace hv {

using NodeId = uint32_t;
inline constexpr NodeId kAnyNode = 0xffffffff;

enum class [[nodiscard]] PageStatus : uint8_t{
    kOk = 0,
    kNotInitialized,  // Init() was not called or failed
    kBadArgument,     // Init()/AddFreeRange() given an impossible range or buffer
    kBadOrder,        // order > kMaxOrder
    kBadNode,         // node id >= kMaxNodes (and not kAnyNode)
    kNoMemory,        // no free block of that order on any node
    kOutOfRange,      // address outside [first_pfn, end_pfn) of the metadata
    kMisaligned,      // not aligned to the block size of the order
    kReserved,        // frame never given to the allocator (hole, hv image, ...)
    kDoubleFree,      // frame is already free (double free or never allocated)
    kNotAllocated,    // frame lies inside an allocated block but does not start it
    kWrongOrder,      // frame starts an allocated block of another order
    kOverlap,         // AddFreeRange() overlaps pages already added
};

const char* PageStatusName(PageStatus status);

struct [[nodiscard]] PageAllocResult {
  PageStatus status = PageStatus::kNoMemory;
  PhysAddr addr;  // first byte of the block when ok()

  constexpr bool ok() const { return status == PageStatus::kOk; }
};

// A block of 2^order pages at addr, on node.
struct PageBlock {
  PhysAddr addr;
  uint8_t order = 0;
  NodeId node = 0;
};

class PageAllocator {
 public:
  static constexpr unsigned kMaxOrder = 18;  // 2^18 pages = 1 GiB
  static constexpr NodeId kMaxNodes = 16;
  // Frames are indexed with 32 bits: one allocator covers up to 16 TiB.
  static constexpr uint64_t kMaxFrames = 0xfffffffe;
  static constexpr size_t kMetadataAlign = 4;

  constexpr PageAllocator() = default;
  PageAllocator(const PageAllocator&) = delete;
  PageAllocator& operator=(const PageAllocator&) = delete;

  // Bytes of metadata needed to manage frames [first_pfn, end_pfn).
  static size_t MetadataBytes(uint64_t first_pfn, uint64_t end_pfn);

  // Starts empty, managing [first_pfn, end_pfn) with `metadata` (at least
  // MetadataBytes() bytes, kMetadataAlign-aligned, owned by the caller for the
  // allocator's lifetime). Every frame is reserved until AddFreeRange().
  PageStatus Init(void* metadata, size_t metadata_bytes, uint64_t first_pfn, uint64_t end_pfn);

  // Gives the whole pages of [start, end) (rounded inward) to the allocator as
  // free memory of `node`. Ranges that touch pages already added are rejected
  // with HV_WARN and kOverlap; the allocator is unchanged. Adjacent ranges of
  // one node coalesce into larger blocks.
  PageStatus AddFreeRange(PhysAddr start, PhysAddr end, NodeId node);

  // A block of 2^order pages, from `node` if it has one, else from another
  // node. Among candidates the smallest free block is split.
  PageAllocResult Alloc(unsigned order, NodeId node = kAnyNode);

  // Returns a block from Alloc() (or TakeFreeBlocks()) and merges buddies.
  // Bad frees (double, wrong order, misaligned, out of range, reserved, inside
  // a block) are logged with HV_ERROR and change nothing.
  PageStatus Free(PhysAddr addr, unsigned order);

  // Turns the allocated block of 2^order pages at addr into 2^order allocated
  // order-0 pages (on the block's node), so that its pages can be freed one
  // at a time; each merges with free buddies as usual. O(2^order). The same
  // checks as Free() (logged, nothing changed): addr must start an allocated
  // block of exactly that order. Splitting an order-0 page does nothing.
  PageStatus Split(PhysAddr addr, unsigned order);

  // Takes the free pages in [*cursor, end) out of the free lists as at most
  // `max` blocks (in address order, split where they straddle the range), as
  // if allocated; return each with Free(). Advances *cursor past the blocks
  // examined; *cursor >= end when the range is done. Returns the count.
  size_t TakeFreeBlocks(PhysAddr* cursor, PhysAddr end, PageBlock* out, size_t max);

  // Calls f(const PageBlock&) for every free block, by node then order. f must
  // not call into the allocator.
  template <typename F>
  void ForEachFreeBlock(F&& f) const {
    for (NodeId node = 0; node < num_nodes_; ++node) {
      for (unsigned order = 0; order <= kMaxOrder; ++order) {
        for (uint32_t i = heads_[node][order]; i != kNil; i = records_[i].next) {
          f(PageBlock{PhysAddr::FromPfn(first_pfn_ + i), static_cast<uint8_t>(order), node});
        }
      }
    }
  }

  // Walks all metadata (O(frames)) and checks every invariant; logs the first
  // violation with HV_ERROR. For tests and debug builds.
  [[nodiscard]] bool Verify() const;

  uint64_t FreePages() const { return free_pages_; }
  uint64_t FreePages(NodeId node) const;
  uint64_t FreeBlocks(unsigned order) const;
  uint64_t FreeBlocks(unsigned order, NodeId node) const;
  uint64_t ManagedPages() const { return managed_pages_; }  // ever added
  uint64_t first_pfn() const { return first_pfn_; }
  uint64_t end_pfn() const { return end_pfn_; }

 private:
  static constexpr uint32_t kNil = 0xffffffff;

  // State of a frame; only the first frame of a block is a head.
  enum : uint8_t {
    kStateNone = 0,       // not a block head (inside a block, or reserved)
    kStateFree = 1,       // head of a free block, on a free list
    kStateAllocated = 2,  // head of an allocated block
    kStateMask = 3,
    kManaged = 0x80,  // given by AddFreeRange(); never cleared
  };

  // One per frame. order and node are valid for heads only.
  struct FrameRecord {
    uint32_t next;  // free-list links: indices relative to first_pfn_
    uint32_t prev;
    uint16_t node;
    uint8_t order;
    uint8_t state;
  };
  static_assert(sizeof(FrameRecord) == 12);
  static_assert(alignof(FrameRecord) == kMetadataAlign);

  FrameRecord& Rec(uint64_t pfn) { return records_[pfn - first_pfn_]; }
  const FrameRecord& Rec(uint64_t pfn) const { return records_[pfn - first_pfn_]; }
  static uint8_t StateOf(const FrameRecord& r) { return r.state & kStateMask; }
  static void SetState(FrameRecord& r, uint8_t s) {
    r.state = static_cast<uint8_t>((r.state & ~kStateMask) | s);
  }

  // The free or allocated block containing pfn; kStateNone if none does.
  uint8_t FindBlock(uint64_t pfn, uint64_t* head, unsigned* order) const;
  void PushFree(uint64_t pfn, unsigned order, NodeId node);
  // Checks that addr starts an allocated block of `order`; logs why not
  // ("<what> of ...") and says so otherwise.
  PageStatus CheckAllocated(const char* what, PhysAddr addr, unsigned order) const;
  void Unlink(uint64_t pfn);  // from its free list; leaves it kStateNone
  void InsertAndMerge(uint64_t pfn, unsigned order, NodeId node);

  FrameRecord* records_ = nullptr;
  uint64_t first_pfn_ = 0;
  uint64_t end_pfn_ = 0;
  NodeId num_nodes_ = 0;  // 1 + the highest node id added
  uint64_t free_pages_ = 0;
  uint64_t managed_pages_ = 0;
  uint64_t free_pages_node_[kMaxNodes] = {};
  uint64_t free_blocks_[kMaxNodes][kMaxOrder + 1] = {};
  uint32_t heads_[kMaxNodes][kMaxOrder + 1] = {};
  uint32_t nonempty_[kMaxNodes] = {};  // bit `order` set: heads_[node][order] != kNil
};

}  // namespace hv
