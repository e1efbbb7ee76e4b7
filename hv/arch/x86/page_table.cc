// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/page_table.h"

#include "hv/core/arch.h"

namespace hv::x86 {
namespace {

// Level 3 = PML4, 2 = PDPT, 1 = PD, 0 = PT.
constexpr uint64_t LevelShift(int level) { return 12 + 9 * level; }
constexpr uint64_t LevelSize(int level) { return uint64_t{1} << LevelShift(level); }
constexpr unsigned Index(uint64_t va, int level) { return (va >> LevelShift(level)) & 511; }
// Four levels translate 48 bits; the bits above are the sign extension.
constexpr uint64_t kVaBits = 48;
constexpr uint64_t kVaMask = (uint64_t{1} << kVaBits) - 1;

void StoreEntry(uint64_t* e, uint64_t value) { __atomic_store_n(e, value, __ATOMIC_RELEASE); }

}  // namespace

const char* ToString(MapStatus s) {
  switch (s) {
    case MapStatus::kOk:
      return "ok";
    case MapStatus::kNoMemory:
      return "out of memory for page tables";
    case MapStatus::kMisaligned:
      return "misaligned address or size";
    case MapStatus::kAlreadyMapped:
      return "already mapped";
  }
  return "?";
}

bool PageTable::Init(PageSource source, bool allow_1g) {
  source_ = source;
  allow_1g_ = allow_1g;
  root_ = source_();
  if (root_.value() == 0) return false;
  ++pages_used_;
  return true;
}

uint64_t* PageTable::Table(uint64_t entry) const {
  return static_cast<uint64_t*>(arch::PhysToVirt(PhysAddr(entry & kPteAddrMask)));
}

MapStatus PageTable::MapOne(uint64_t va, uint64_t pa, int level, uint64_t leaf_bits) {
  uint64_t* table = static_cast<uint64_t*>(arch::PhysToVirt(root_));
  for (int l = 3; l > level; --l) {
    uint64_t& e = table[Index(va, l)];
    if (!(e & kPteP)) {
      const PhysAddr page = source_();
      if (page.value() == 0) return MapStatus::kNoMemory;
      ++pages_used_;
      // Intermediate entries allow everything; the leaf decides.
      e = page.value() | kPteP | kPteW | (leaf_bits & kPteU);
    } else if (e & kPtePs) {
      return MapStatus::kAlreadyMapped;
    }
    table = Table(e);
  }
  uint64_t& leaf = table[Index(va, level)];
  if (leaf & kPteP) return MapStatus::kAlreadyMapped;
  leaf = pa | leaf_bits | (level > 0 ? kPtePs : 0);
  return MapStatus::kOk;
}

MapStatus PageTable::Map(VirtAddr va, PhysAddr pa, uint64_t size, uint32_t attrs) {
  if (!va.IsAligned(kPageSize) || !pa.IsAligned(kPageSize) || size % kPageSize) {
    return MapStatus::kMisaligned;
  }
  uint64_t bits = kPteP;
  if (attrs & kMapWrite) bits |= kPteW;
  if (!(attrs & kMapExec)) bits |= kPteNx;
  if (attrs & kMapUncached) bits |= kPtePcd | kPtePwt;
  if (attrs & kMapGlobal) bits |= kPteG;
  if (attrs & kMapUser) bits |= kPteU;
  uint64_t v = va.value(), p = pa.value(), left = size;
  while (left) {
    int level = 0;
    for (int l = allow_1g_ ? 2 : 1; l > 0; --l) {
      const uint64_t s = LevelSize(l);
      if (v % s == 0 && p % s == 0 && left >= s) {
        level = l;
        break;
      }
    }
    const MapStatus st = MapOne(v, p, level, bits);
    if (st != MapStatus::kOk) return st;
    v += LevelSize(level);
    p += LevelSize(level);
    left -= LevelSize(level);
  }
  return MapStatus::kOk;
}

MapStatus PageTable::SplitLeaf(uint64_t* entry, int level) {
  const PhysAddr page = source_();
  if (page.value() == 0) return MapStatus::kNoMemory;
  ++pages_used_;
  const uint64_t e = *entry;
  const int child = level - 1;
  // A large leaf's address is aligned to its size (bit 12, its PAT bit, is
  // never set by Map); every other bit (P, W, U, NX, caching, G, A, D) carries over.
  const uint64_t base = e & kPteAddrMask & ~(LevelSize(level) - 1);
  const uint64_t flags = (e & ~kPteAddrMask & ~kPtePs) | (child > 0 ? kPtePs : 0);
  uint64_t* t = static_cast<uint64_t*>(arch::PhysToVirt(page));
  for (uint64_t i = 0; i < 512; ++i) t[i] = (base + i * LevelSize(child)) | flags;
  // One store swaps the leaf for the table: a concurrent walk sees either.
  StoreEntry(entry, page.value() | kPteP | kPteW | (e & kPteU));
  return MapStatus::kOk;
}

MapStatus PageTable::SplitAt(uint64_t va) {
  uint64_t* table = static_cast<uint64_t*>(arch::PhysToVirt(root_));
  for (int l = 3; l > 0; --l) {
    uint64_t* e = &table[Index(va, l)];
    if (!(*e & kPteP)) return MapStatus::kOk;
    if (*e & kPtePs) {
      if (va % LevelSize(l) == 0) return MapStatus::kOk;
      const MapStatus st = SplitLeaf(e, l);
      if (st != MapStatus::kOk) return st;
    }
    table = Table(*e);
  }
  return MapStatus::kOk;
}

void PageTable::ClearRange(uint64_t* table, int level, uint64_t base, uint64_t start,
                           uint64_t end) {
  const uint64_t size = LevelSize(level);
  const uint64_t lo = start > base ? start : base;
  const uint64_t span_end = base + 512 * size;
  const uint64_t hi = end < span_end ? end : span_end;
  for (uint64_t i = (lo - base) / size; i <= (hi - 1 - base) / size; ++i) {
    uint64_t* e = &table[i];
    if (!(*e & kPteP)) continue;
    const uint64_t at = base + i * size;
    if (level == 0 || (*e & kPtePs)) {
      // SplitAt() made the range's ends leaf boundaries: the leaf is inside.
      StoreEntry(e, 0);
    } else {
      ClearRange(Table(*e), level - 1, at, start, end);
    }
  }
}

MapStatus PageTable::Unmap(VirtAddr va, uint64_t size) {
  if (!va.IsAligned(kPageSize) || size % kPageSize) return MapStatus::kMisaligned;
  const uint64_t start = va.value() & kVaMask;
  if (size > (uint64_t{1} << kVaBits) - start) return MapStatus::kMisaligned;
  if (size == 0) return MapStatus::kOk;
  const uint64_t end = start + size;
  // The ends first, so that running out of table pages changes no translation.
  MapStatus st = SplitAt(start);
  if (st == MapStatus::kOk && end < (uint64_t{1} << kVaBits)) st = SplitAt(end);
  if (st != MapStatus::kOk) return st;
  ClearRange(static_cast<uint64_t*>(arch::PhysToVirt(root_)), 3, 0, start, end);
  return MapStatus::kOk;
}

void PageTable::ReleaseLevel(PhysAddr table, int level, void (*sink)(PhysAddr page)) {
  const uint64_t* entries = static_cast<const uint64_t*>(arch::PhysToVirt(table));
  for (int i = 0; level > 0 && i < 512; ++i) {
    const uint64_t e = entries[i];
    if ((e & kPteP) && !(e & kPtePs)) ReleaseLevel(PhysAddr(e & kPteAddrMask), level - 1, sink);
  }
  sink(table);
}

void PageTable::Release(void (*sink)(PhysAddr page)) {
  if (root_.value()) ReleaseLevel(root_, 3, sink);
  root_ = PhysAddr(0);
  pages_used_ = 0;
}

uint64_t PageTable::Lookup(VirtAddr va) const {
  const uint64_t* table = static_cast<const uint64_t*>(arch::PhysToVirt(root_));
  for (int l = 3; l >= 0; --l) {
    const uint64_t e = table[Index(va.value(), l)];
    if (!(e & kPteP)) return 0;
    if (l == 0 || (e & kPtePs)) return e;
    table = Table(e);
  }
  return 0;
}

bool PageTable::Translate(VirtAddr va, PhysAddr* pa) const {
  const uint64_t* table = static_cast<const uint64_t*>(arch::PhysToVirt(root_));
  for (int l = 3; l >= 0; --l) {
    const uint64_t e = table[Index(va.value(), l)];
    if (!(e & kPteP)) return false;
    if (l == 0 || (e & kPtePs)) {
      const uint64_t size = LevelSize(l);
      *pa = PhysAddr((e & kPteAddrMask & ~(size - 1)) | (va.value() & (size - 1)));
      return true;
    }
    table = Table(e);
  }
  return false;
}

}  // namespace hv::x86
