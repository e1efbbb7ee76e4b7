// SPDX-License-Identifier: Apache-2.0
// 4-level x86_64 page tables for hv's own address space and for the domains'
// nested page tables. Maps ranges with the largest pages that alignment
// allows (1 GiB, 2 MiB, 4 KiB); unmaps any page-aligned range, splitting
// large pages it covers only in part.
#pragma once

#include <stdint.h>

#include "hv/lib/addr.h"

namespace hv::x86 {

inline constexpr uint64_t kPteP = 1u << 0;
inline constexpr uint64_t kPteW = 1u << 1;
inline constexpr uint64_t kPteU = 1u << 2;
inline constexpr uint64_t kPtePwt = 1u << 3;
inline constexpr uint64_t kPtePcd = 1u << 4;
inline constexpr uint64_t kPtePs = 1u << 7;
inline constexpr uint64_t kPteG = 1u << 8;
inline constexpr uint64_t kPteNx = uint64_t{1} << 63;
inline constexpr uint64_t kPteAddrMask = 0x000ffffffffff000;

// What a mapping allows; anything not asked for is denied (no write, no execute).
enum MapAttr : uint32_t {
  kMapRead = 0,
  kMapWrite = 1u << 0,
  kMapExec = 1u << 1,
  kMapUncached = 1u << 2,
  kMapGlobal = 1u << 3,
  // User-accessible at every level: nested page tables need it (every nested
  // walk is a user access).
  kMapUser = 1u << 4,
};

enum class [[nodiscard]] MapStatus{kOk, kNoMemory, kMisaligned, kAlreadyMapped};
const char* ToString(MapStatus s);

class PageTable {
 public:
  // Page-table pages come from here: a zeroed page, or PhysAddr(0) when out.
  using PageSource = PhysAddr (*)();

  constexpr PageTable() = default;
  [[nodiscard]] bool Init(PageSource source, bool allow_1g);
  MapStatus Map(VirtAddr va, PhysAddr pa, uint64_t size, uint32_t attrs);
  // Removes every mapping in [va, va + size) (page-aligned; parts that are
  // not mapped are skipped). A 1 GiB or 2 MiB page that the range covers only
  // in part is first split into 512 pages of the next size (new table pages
  // from the source), so that the rest of it stays mapped as it was. Only the
  // two pages that straddle the range's ends can need splitting, and they are
  // split before anything is removed: kNoMemory means no translation changed.
  // Table pages are kept until Release(). The caller invalidates TLBs.
  MapStatus Unmap(VirtAddr va, uint64_t size);
  // The leaf entry for va, or 0 if unmapped.
  uint64_t Lookup(VirtAddr va) const;
  // The physical address va maps to (within a large page too); false if
  // va is not mapped.
  [[nodiscard]] bool Translate(VirtAddr va, PhysAddr* pa) const;
  PhysAddr root() const { return root_; }
  // Pages taken from the source so far.
  uint64_t pages_used() const { return pages_used_; }
  // Hands every table page (not the mapped memory) to `sink`; the table is
  // empty afterwards and must be Init()ed again before use.
  void Release(void (*sink)(PhysAddr page));

 private:
  uint64_t* Table(uint64_t entry) const;
  MapStatus MapOne(uint64_t va, uint64_t pa, int level, uint64_t leaf_bits);
  // Makes va a boundary of the leaves that map it: splits the large page
  // that holds va in its interior, down to the level where va is aligned.
  MapStatus SplitAt(uint64_t va);
  // Replaces the large-page leaf `entry` at `level` by a table of 512 leaves
  // of the next size with the same translation and attributes.
  MapStatus SplitLeaf(uint64_t* entry, int level);
  void ClearRange(uint64_t* table, int level, uint64_t base, uint64_t start, uint64_t end);
  void ReleaseLevel(PhysAddr table, int level, void (*sink)(PhysAddr page));

  PageSource source_ = nullptr;
  PhysAddr root_;
  bool allow_1g_ = false;
  uint64_t pages_used_ = 0;
};

}  // namespace hv::x86
