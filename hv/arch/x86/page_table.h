// SPDX-License-Identifier: Apache-2.0
// 4-level x86_64 page tables for hv's own address space. Maps ranges with the
// largest pages that alignment allows (1 GiB, 2 MiB, 4 KiB).
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
  // The leaf entry for va, or 0 if unmapped.
  uint64_t Lookup(VirtAddr va) const;
  PhysAddr root() const { return root_; }
  // Pages taken from the source so far.
  uint64_t pages_used() const { return pages_used_; }
  // Hands every table page (not the mapped memory) to `sink`; the table is
  // empty afterwards and must be Init()ed again before use.
  void Release(void (*sink)(PhysAddr page));

 private:
  uint64_t* Table(uint64_t entry) const;
  MapStatus MapOne(uint64_t va, uint64_t pa, int level, uint64_t leaf_bits);
  void ReleaseLevel(PhysAddr table, int level, void (*sink)(PhysAddr page));

  PageSource source_ = nullptr;
  PhysAddr root_;
  bool allow_1g_ = false;
  uint64_t pages_used_ = 0;
};

}  // namespace hv::x86
