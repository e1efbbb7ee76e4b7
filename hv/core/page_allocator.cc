// SPDX-License-Identifier: Apache-2.0
#include "hv/core/page_allocator.h"

#include "hv/lib/log.h"

namespace hv {
namespace {

constexpr uint64_t Pages(unsigned order) { return uint64_t{1} << order; }

}  // namespace

const char* PageStatusName(PageStatus status) {
  switch (status) {
    case PageStatus::kOk:
      return "ok";
    case PageStatus::kNotInitialized:
      return "not initialized";
    case PageStatus::kBadArgument:
      return "bad argument";
    case PageStatus::kBadOrder:
      return "bad order";
    case PageStatus::kBadNode:
      return "bad node";
    case PageStatus::kNoMemory:
      return "no memory";
    case PageStatus::kOutOfRange:
      return "out of range";
    case PageStatus::kMisaligned:
      return "misaligned";
    case PageStatus::kReserved:
      return "reserved";
    case PageStatus::kDoubleFree:
      return "double free";
    case PageStatus::kNotAllocated:
      return "not allocated";
    case PageStatus::kWrongOrder:
      return "wrong order";
    case PageStatus::kOverlap:
      return "overlap";
  }
  return "?";
}

size_t PageAllocator::MetadataBytes(uint64_t first_pfn, uint64_t end_pfn) {
  if (end_pfn <= first_pfn || end_pfn - first_pfn > kMaxFrames) return 0;
  return static_cast<size_t>(end_pfn - first_pfn) * sizeof(FrameRecord);
}

PageStatus PageAllocator::Init(void* metadata, size_t metadata_bytes, uint64_t first_pfn,
                               uint64_t end_pfn) {
  records_ = nullptr;
  size_t need = MetadataBytes(first_pfn, end_pfn);
  if (metadata == nullptr || need == 0 || metadata_bytes < need ||
      reinterpret_cast<uintptr_t>(metadata) % kMetadataAlign != 0 ||
      end_pfn > (uint64_t{1} << (64 - kPageShift))) {
    HV_ERROR("page allocator: bad metadata %p+%zu for pfns [%#lx, %#lx) (need %zu bytes)", metadata,
             metadata_bytes, first_pfn, end_pfn, need);
    return PageStatus::kBadArgument;
  }
  records_ = static_cast<FrameRecord*>(metadata);
  first_pfn_ = first_pfn;
  end_pfn_ = end_pfn;
  // Zero state means "reserved": only AddFreeRange() makes frames usable.
  for (uint64_t i = 0; i < end_pfn - first_pfn; ++i) records_[i] = FrameRecord{kNil, kNil, 0, 0, 0};
  num_nodes_ = 0;
  free_pages_ = 0;
  managed_pages_ = 0;
  for (NodeId n = 0; n < kMaxNodes; ++n) {
    free_pages_node_[n] = 0;
    nonempty_[n] = 0;
    for (unsigned o = 0; o <= kMaxOrder; ++o) {
      free_blocks_[n][o] = 0;
      heads_[n][o] = kNil;
    }
  }
  return PageStatus::kOk;
}

PageStatus PageAllocator::AddFreeRange(PhysAddr start, PhysAddr end, NodeId node) {
  if (records_ == nullptr) return PageStatus::kNotInitialized;
  if (node >= kMaxNodes) {
    HV_WARN("page allocator: range [%#lx, %#lx) has bad node %u, ignored", start.value(),
            end.value(), node);
    return PageStatus::kBadNode;
  }
  if (end < start) {
    HV_WARN("page allocator: range [%#lx, %#lx) is inverted, ignored", start.value(), end.value());
    return PageStatus::kBadArgument;
  }
  // Round inward without overflow at the top of the address space.
  uint64_t first = start.pfn() + (start.IsAligned(kPageSize) ? 0 : 1);
  uint64_t last = end.pfn();
  if (first >= last) {
    HV_DEBUG("page allocator: range [%#lx, %#lx) holds no whole page", start.value(), end.value());
    return PageStatus::kOk;
  }
  if (first < first_pfn_ || last > end_pfn_) {
    HV_WARN("page allocator: range [%#lx, %#lx) is outside managed [%#lx, %#lx), ignored",
            start.value(), end.value(), PhysAddr::FromPfn(first_pfn_).value(),
            PhysAddr::FromPfn(end_pfn_).value());
    return PageStatus::kOutOfRange;
  }
  for (uint64_t p = first; p < last; ++p) {
    if ((Rec(p).state & kManaged) != 0) {
      HV_WARN("page allocator: range [%#lx, %#lx) overlaps pages already added at %#lx, ignored",
              start.value(), end.value(), PhysAddr::FromPfn(p).value());
      return PageStatus::kOverlap;
    }
  }
  for (uint64_t p = first; p < last; ++p) Rec(p).state = kManaged | kStateNone;
  if (node >= num_nodes_) num_nodes_ = node + 1;
  managed_pages_ += last - first;

  // Carve into the largest aligned blocks; InsertAndMerge joins neighbours.
  for (uint64_t p = first; p < last;) {
    unsigned order = kMaxOrder;
    while ((p & (Pages(order) - 1)) != 0 || p + Pages(order) > last) --order;
    InsertAndMerge(p, order, node);
    p += Pages(order);
  }
  return PageStatus::kOk;
}

PageAllocResult PageAllocator::Alloc(unsigned order, NodeId node) {
  if (records_ == nullptr) return {PageStatus::kNotInitialized, PhysAddr()};
  if (order > kMaxOrder) {
    HV_ERROR("page allocator: alloc of order %u > %u", order, kMaxOrder);
    return {PageStatus::kBadOrder, PhysAddr()};
  }
  if (node != kAnyNode && node >= kMaxNodes) {
    HV_ERROR("page allocator: alloc on bad node %u", node);
    return {PageStatus::kBadNode, PhysAddr()};
  }

  NodeId from = kAnyNode;
  unsigned have = 0;
  if (node != kAnyNode && (nonempty_[node] >> order) != 0) {
    from = node;
    have = order + static_cast<unsigned>(__builtin_ctz(nonempty_[node] >> order));
  }
  // Fallback (or no preference): the smallest block on any node, lowest node first.
  for (unsigned o = order; from == kAnyNode && o <= kMaxOrder; ++o) {
    for (NodeId n = 0; n < num_nodes_; ++n) {
      if ((nonempty_[n] & (1u << o)) != 0) {
        from = n;
        have = o;
        break;
      }
    }
  }
  if (from == kAnyNode) return {PageStatus::kNoMemory, PhysAddr()};

  uint64_t pfn = first_pfn_ + heads_[from][have];
  Unlink(pfn);
  // Split: the upper halves go back to the free lists.
  while (have > order) {
    --have;
    PushFree(pfn + Pages(have), have, from);
  }
  FrameRecord& r = Rec(pfn);
  SetState(r, kStateAllocated);
  r.order = static_cast<uint8_t>(order);
  r.node = static_cast<uint16_t>(from);
  return {PageStatus::kOk, PhysAddr::FromPfn(pfn)};
}

PageStatus PageAllocator::CheckAllocated(const char* what, PhysAddr addr, unsigned order) const {
  if (records_ == nullptr) return PageStatus::kNotInitialized;
  if (order > kMaxOrder) {
    HV_ERROR("page allocator: %s of %#lx with order %u > %u", what, addr.value(), order, kMaxOrder);
    return PageStatus::kBadOrder;
  }
  uint64_t pfn = addr.pfn();
  if (!addr.IsAligned(kPageSize) || (pfn & (Pages(order) - 1)) != 0) {
    HV_ERROR("page allocator: %s of misaligned %#lx (order %u)", what, addr.value(), order);
    return PageStatus::kMisaligned;
  }
  if (pfn < first_pfn_ || pfn >= end_pfn_ || end_pfn_ - pfn < Pages(order)) {
    HV_ERROR("page allocator: %s of %#lx (order %u) outside managed memory", what, addr.value(),
             order);
    return PageStatus::kOutOfRange;
  }
  const FrameRecord& r = Rec(pfn);
  if (StateOf(r) == kStateAllocated) {
    if (r.order != order) {
      HV_ERROR("page allocator: %s of %#lx with order %u, allocated with order %u", what,
               addr.value(), order, r.order);
      return PageStatus::kWrongOrder;
    }
    return PageStatus::kOk;
  }
  if ((r.state & kManaged) == 0) {
    HV_ERROR("page allocator: %s of reserved page %#lx", what, addr.value());
    return PageStatus::kReserved;
  }
  uint64_t head = 0;
  unsigned head_order = 0;
  switch (FindBlock(pfn, &head, &head_order)) {
    case kStateFree:
      HV_ERROR("page allocator: %s of %#lx (order %u): free in block %#lx order %u (double free)",
               what, addr.value(), order, PhysAddr::FromPfn(head).value(), head_order);
      return PageStatus::kDoubleFree;
    case kStateAllocated:
      HV_ERROR("page allocator: %s of %#lx (order %u) inside allocated block %#lx order %u", what,
               addr.value(), order, PhysAddr::FromPfn(head).value(), head_order);
      return PageStatus::kNotAllocated;
    default:
      // A managed frame outside every block: the metadata is corrupt.
      HV_ERROR("page allocator: %s of %#lx: page belongs to no block", what, addr.value());
      return PageStatus::kReserved;
  }
}

PageStatus PageAllocator::Free(PhysAddr addr, unsigned order) {
  const PageStatus s = CheckAllocated("free", addr, order);
  if (s != PageStatus::kOk) return s;
  const uint64_t pfn = addr.pfn();
  InsertAndMerge(pfn, order, Rec(pfn).node);
  return PageStatus::kOk;
}

PageStatus PageAllocator::Split(PhysAddr addr, unsigned order) {
  const PageStatus s = CheckAllocated("split", addr, order);
  if (s != PageStatus::kOk) return s;
  const uint64_t pfn = addr.pfn();
  const uint16_t node = Rec(pfn).node;
  for (uint64_t p = pfn; p < pfn + Pages(order); ++p) {
    FrameRecord& r = Rec(p);
    SetState(r, kStateAllocated);
    r.order = 0;
    r.node = node;
  }
  return PageStatus::kOk;
}

size_t PageAllocator::TakeFreeBlocks(PhysAddr* cursor, PhysAddr end, PageBlock* out, size_t max) {
  if (records_ == nullptr) return 0;
  uint64_t p = cursor->pfn() + (cursor->IsAligned(kPageSize) ? 0 : 1);
  uint64_t last = end.pfn();
  if (p < first_pfn_) p = first_pfn_;
  if (last > end_pfn_) last = end_pfn_;
  size_t n = 0;
  while (p < last && n < max) {
    if ((Rec(p).state & kManaged) == 0) {
      ++p;
      continue;
    }
    uint64_t head = 0;
    unsigned order = 0;
    if (FindBlock(p, &head, &order) != kStateFree) {
      p = head + Pages(order);  // allocated: skip the block (an orphan: the page)
      continue;
    }
    NodeId node = Rec(head).node;
    Unlink(head);
    // Halve until the block starts at p and ends by last; the halves not
    // kept go back (their buddies are the kept halves, so nothing merges).
    while (head < p || head + Pages(order) > last) {
      --order;
      if (p >= head + Pages(order)) {
        PushFree(head, order, node);
        head += Pages(order);
      } else {
        PushFree(head + Pages(order), order, node);
      }
    }
    FrameRecord& r = Rec(head);
    SetState(r, kStateAllocated);
    r.order = static_cast<uint8_t>(order);
    r.node = static_cast<uint16_t>(node);
    out[n++] = PageBlock{PhysAddr::FromPfn(head), static_cast<uint8_t>(order), node};
    p = head + Pages(order);
  }
  // Done: jump to end itself (it may be unaligned or beyond end_pfn).
  PhysAddr next = p >= last ? end : PhysAddr::FromPfn(p);
  if (next > *cursor) *cursor = next;
  return n;
}

uint64_t PageAllocator::FreePages(NodeId node) const {
  return node < kMaxNodes ? free_pages_node_[node] : 0;
}

uint64_t PageAllocator::FreeBlocks(unsigned order) const {
  uint64_t n = 0;
  for (NodeId node = 0; node < kMaxNodes; ++node) n += FreeBlocks(order, node);
  return n;
}

uint64_t PageAllocator::FreeBlocks(unsigned order, NodeId node) const {
  return order <= kMaxOrder && node < kMaxNodes ? free_blocks_[node][order] : 0;
}

uint8_t PageAllocator::FindBlock(uint64_t pfn, uint64_t* head, unsigned* order) const {
  // Blocks are size-aligned, so the one holding pfn starts at pfn rounded
  // down to its order: look for a head of order >= k at each alignment k.
  for (unsigned k = 0; k <= kMaxOrder; ++k) {
    uint64_t h = pfn & ~(Pages(k) - 1);
    if (h < first_pfn_) break;
    const FrameRecord& r = Rec(h);
    uint8_t s = StateOf(r);
    if (s != kStateNone && r.order >= k) {
      *head = h;
      *order = r.order;
      return s;
    }
  }
  *head = pfn;
  *order = 0;
  return kStateNone;
}

void PageAllocator::PushFree(uint64_t pfn, unsigned order, NodeId node) {
  uint32_t i = static_cast<uint32_t>(pfn - first_pfn_);
  FrameRecord& r = records_[i];
  SetState(r, kStateFree);
  r.order = static_cast<uint8_t>(order);
  r.node = static_cast<uint16_t>(node);
  r.prev = kNil;
  r.next = heads_[node][order];
  if (r.next != kNil) records_[r.next].prev = i;
  heads_[node][order] = i;
  nonempty_[node] |= 1u << order;
  ++free_blocks_[node][order];
  free_pages_node_[node] += Pages(order);
  free_pages_ += Pages(order);
}

void PageAllocator::Unlink(uint64_t pfn) {
  FrameRecord& r = Rec(pfn);
  NodeId node = r.node;
  unsigned order = r.order;
  if (r.prev != kNil) {
    records_[r.prev].next = r.next;
  } else {
    heads_[node][order] = r.next;
  }
  if (r.next != kNil) records_[r.next].prev = r.prev;
  if (heads_[node][order] == kNil) nonempty_[node] &= ~(1u << order);
  r.next = r.prev = kNil;
  SetState(r, kStateNone);
  --free_blocks_[node][order];
  free_pages_node_[node] -= Pages(order);
  free_pages_ -= Pages(order);
}

void PageAllocator::InsertAndMerge(uint64_t pfn, unsigned order, NodeId node) {
  SetState(Rec(pfn), kStateNone);
  while (order < kMaxOrder) {
    uint64_t buddy = pfn ^ Pages(order);
    if (buddy < first_pfn_ || buddy >= end_pfn_) break;
    const FrameRecord& b = Rec(buddy);
    // Never merge across nodes: a block must be local to one node.
    if (StateOf(b) != kStateFree || b.order != order || b.node != node) break;
    Unlink(buddy);
    if (buddy < pfn) pfn = buddy;
    ++order;
  }
  PushFree(pfn, order, node);
}

bool PageAllocator::Verify() const {
  if (records_ == nullptr) return true;
  uint64_t total = 0;
  for (NodeId node = 0; node < kMaxNodes; ++node) {
    uint64_t node_pages = 0;
    for (unsigned order = 0; order <= kMaxOrder; ++order) {
      uint64_t count = 0;
      uint32_t prev = kNil;
      if (node >= num_nodes_ && heads_[node][order] != kNil) {
        HV_ERROR("page allocator: list of unused node %u order %u not empty", node, order);
        return false;
      }
      for (uint32_t i = heads_[node][order]; i != kNil; i = records_[i].next) {
        const FrameRecord& r = records_[i];
        uint64_t pfn = first_pfn_ + i;
        if (i >= end_pfn_ - first_pfn_ || StateOf(r) != kStateFree || r.order != order ||
            r.node != node || r.prev != prev || (pfn & (Pages(order) - 1)) != 0 ||
            pfn + Pages(order) > end_pfn_ || count > end_pfn_ - first_pfn_) {
          HV_ERROR("page allocator: bad free-list entry pfn %#lx (node %u order %u)", pfn, node,
                   order);
          return false;
        }
        if (order < kMaxOrder) {
          uint64_t buddy = pfn ^ Pages(order);
          if (buddy >= first_pfn_ && buddy < end_pfn_ && StateOf(Rec(buddy)) == kStateFree &&
              Rec(buddy).order == order && Rec(buddy).node == node) {
            HV_ERROR("page allocator: free buddies %#lx and %#lx not merged", pfn, buddy);
            return false;
          }
        }
        prev = i;
        ++count;
      }
      bool listed = (nonempty_[node] & (1u << order)) != 0;
      if (count != free_blocks_[node][order] || listed != (count != 0)) {
        HV_ERROR("page allocator: node %u order %u has %lu blocks, counted %lu", node, order, count,
                 free_blocks_[node][order]);
        return false;
      }
      node_pages += count * Pages(order);
    }
    if (node_pages != free_pages_node_[node]) {
      HV_ERROR("page allocator: node %u has %lu free pages, counted %lu", node, node_pages,
               free_pages_node_[node]);
      return false;
    }
    total += node_pages;
  }
  if (total != free_pages_) {
    HV_ERROR("page allocator: %lu free pages, counted %lu", total, free_pages_);
    return false;
  }
  // Every managed frame is in exactly one block; block interiors are not heads.
  uint64_t managed = 0;
  for (uint64_t p = first_pfn_; p < end_pfn_;) {
    const FrameRecord& r = Rec(p);
    if (StateOf(r) == kStateNone) {
      if ((r.state & kManaged) != 0) {
        HV_ERROR("page allocator: managed page %#lx is in no block", p);
        return false;
      }
      ++p;
      continue;
    }
    if ((r.state & kManaged) == 0 || r.order > kMaxOrder || end_pfn_ - p < Pages(r.order) ||
        (p & (Pages(r.order) - 1)) != 0) {
      HV_ERROR("page allocator: bad block head at pfn %#lx", p);
      return false;
    }
    for (uint64_t q = p + 1; q < p + Pages(r.order); ++q) {
      if (StateOf(Rec(q)) != kStateNone || (Rec(q).state & kManaged) == 0) {
        HV_ERROR("page allocator: pfn %#lx inside block %#lx is a head or reserved", q, p);
        return false;
      }
    }
    managed += Pages(r.order);
    p += Pages(r.order);
  }
  if (managed != managed_pages_) {
    HV_ERROR("page allocator: %lu pages in blocks, %lu added", managed, managed_pages_);
    return false;
  }
  return true;
}

}  // namespace hv
