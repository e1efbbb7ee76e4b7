// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/multiboot.h"

#include "hv/lib/log.h"

namespace hv::x86 {
namespace {

// More entries than this in the raw map are ignored (real maps have a few
// dozen); it also bounds the walk when mmap_length is garbage.
constexpr size_t kMaxRawMmapEntries = kMaxMemRanges;
constexpr uint64_t kFourGiB = uint64_t{1} << 32;

MemType TypeFromMultiboot(uint32_t type) {
  switch (type) {
    case 1:
      return MemType::kUsable;
    case 3:
      return MemType::kAcpi;
    case 4:
      return MemType::kNvs;
    case 5:
      return MemType::kBad;
    default:
      return MemType::kReserved;
  }
}

// Inserts r at index i, shifting the tail; false if full.
bool InsertAt(MemRange* ranges, size_t* count, size_t i, const MemRange& r) {
  if (*count >= kMaxMemRanges) return false;
  for (size_t j = *count; j > i; --j) ranges[j] = ranges[j - 1];
  ranges[i] = r;
  ++*count;
  return true;
}

enum class Placed : uint8_t { kGrown, kInserted, kFull };

// Records r, which falls between ranges[i - 1] and ranges[i], by growing a
// touching neighbour of its type where there is one (that needs no slot, so
// it works in a full map), else in a new slot at i.
Placed PlaceAt(MemRange* ranges, size_t* count, size_t i, const MemRange& r) {
  if (i > 0 && ranges[i - 1].type == r.type && ranges[i - 1].range.end == r.range.start) {
    ranges[i - 1].range.end = r.range.end;
    return Placed::kGrown;
  }
  if (i < *count && ranges[i].type == r.type && ranges[i].range.start == r.range.end) {
    ranges[i].range.start = r.range.start;
    return Placed::kGrown;
  }
  return InsertAt(ranges, count, i, r) ? Placed::kInserted : Placed::kFull;
}

void MergeAdjacent(MemRange* ranges, size_t* count) {
  size_t w = 0;
  for (size_t i = 0; i < *count; ++i) {
    if (w > 0 && ranges[w - 1].range.end == ranges[i].range.start &&
        ranges[w - 1].type == ranges[i].type) {
      ranges[w - 1].range.end = ranges[i].range.end;
    } else {
      ranges[w++] = ranges[i];
    }
  }
  *count = w;
}

bool Overlaps(const BootInfo& info, uint64_t start, uint64_t end) {
  for (size_t i = 0; i < info.mem_count; ++i) {
    if (info.mem[i].range.start.value() < end && start < info.mem[i].range.end.value()) return true;
  }
  return false;
}

void ParseMmap(const MultibootInfo& mbi, const PhysReader& mem, BootInfo* out) {
  const uint64_t base = mbi.mmap_addr;
  const uint64_t end = base + mbi.mmap_length;
  uint64_t pos = base;
  size_t seen = 0;
  bool overflow = false;
  while (pos < end) {
    if (end - pos < sizeof(MultibootMmapEntry)) {
      HV_WARN("multiboot: memory map has %lu trailing bytes, ignored", end - pos);
      break;
    }
    MultibootMmapEntry e;
    if (!ReadPhys(mem, PhysAddr(pos), &e)) {
      HV_WARN("multiboot: memory map entry at 0x%lx is unreadable, map cut there", pos);
      break;
    }
    if (e.size < sizeof(MultibootMmapEntry) - sizeof(e.size)) {
      // The walk cannot go on: `size` is the only way to the next entry.
      HV_WARN("multiboot: memory map entry at 0x%lx has size %u < 20, map cut there", pos, e.size);
      break;
    }
    pos += uint64_t{e.size} + sizeof(e.size);
    if (seen == kMaxRawMmapEntries) {
      HV_WARN("multiboot: memory map has more than %zu entries, the rest ignored",
              kMaxRawMmapEntries);
      break;
    }
    ++seen;
    if (e.length == 0) {
      HV_WARN("multiboot: zero-length memory map entry at 0x%lx (type %u) dropped", e.base_addr,
              e.type);
      continue;
    }
    if (e.length > ~e.base_addr) {
      HV_WARN("multiboot: memory map entry 0x%lx+0x%lx wraps past 2^64, dropped", e.base_addr,
              e.length);
      continue;
    }
    if (Overlaps(*out, e.base_addr, e.base_addr + e.length)) {
      // Firmware bug, but a known one: the more restrictive type is kept.
      HV_WARN("multiboot: memory map entry [0x%lx, 0x%lx) type %u overlaps another", e.base_addr,
              e.base_addr + e.length, e.type);
    }
    if (!AddMemRange(out->mem, &out->mem_count, PhysAddr(e.base_addr), e.length,
                     TypeFromMultiboot(e.type))) {
      overflow = true;
    }
  }
  if (overflow) {
    HV_WARN("multiboot: memory map needs more than %zu ranges, some coarsened or dropped",
            kMaxMemRanges);
  }
}

// The two ranges the old mem_lower/mem_upper fields describe.
void ParseMemLowerUpper(const MultibootInfo& mbi, BootInfo* out) {
  const uint64_t lower = uint64_t{mbi.mem_lower} * 1024;
  const uint64_t upper = uint64_t{mbi.mem_upper} * 1024;
  constexpr uint64_t kOneMiB = 0x100000;
  // mem_lower cannot reach past the 640 KiB hole; a larger value is bogus.
  if (lower != 0 && lower <= 0xA0000) {
    (void)AddMemRange(out->mem, &out->mem_count, PhysAddr(0), lower, MemType::kUsable);
  }
  if (upper != 0) {
    (void)AddMemRange(out->mem, &out->mem_count, PhysAddr(kOneMiB), upper, MemType::kUsable);
  }
}

bool HasUsable(const BootInfo& info) {
  for (size_t i = 0; i < info.mem_count; ++i) {
    if (info.mem[i].type == MemType::kUsable) return true;
  }
  return false;
}

// Whether [start, end) lies inside usable memory (possibly across adjacent
// usable ranges; merged ranges make that one range in practice).
bool InUsable(const BootInfo& info, uint64_t start, uint64_t end) {
  uint64_t cur = start;
  for (size_t i = 0; i < info.mem_count && cur < end; ++i) {
    const MemRange& r = info.mem[i];
    if (r.range.end.value() <= cur) continue;
    if (r.range.start.value() > cur || r.type != MemType::kUsable) return false;
    cur = r.range.end.value();
  }
  return cur >= end;
}

void ParseModules(const MultibootInfo& mbi, const PhysReader& mem, BootInfo* out) {
  if (mbi.mods_count > kMaxBootModules) {
    HV_WARN("multiboot: %u modules, only the first %zu used", mbi.mods_count, kMaxBootModules);
  }
  const uint32_t n = mbi.mods_count < kMaxBootModules ? mbi.mods_count : kMaxBootModules;
  for (uint32_t i = 0; i < n; ++i) {
    MultibootModule m;
    const uint64_t pa = uint64_t{mbi.mods_addr} + uint64_t{i} * sizeof(MultibootModule);
    if (!ReadPhys(mem, PhysAddr(pa), &m)) {
      HV_WARN("multiboot: module %u descriptor at 0x%lx is unreadable, skipped", i, pa);
      continue;
    }
    // The fields are 32-bit, so a module always starts below 4 GiB; with
    // `end` exclusive it may end at 4 GiB exactly, which the check allows.
    const uint64_t start = m.mod_start;
    const uint64_t end = m.mod_end;
    if (end < start || end > kFourGiB) {
      HV_WARN("multiboot: module %u has a bad range [0x%lx, 0x%lx), skipped", i, start, end);
      continue;
    }
    // hv will read the module and keep the allocator off it: it has to be RAM.
    if (end > start && !InUsable(*out, start, end)) {
      HV_WARN("multiboot: module %u [0x%lx, 0x%lx) is not in usable memory, skipped", i, start,
              end);
      continue;
    }
    BootModule& bm = out->modules[out->module_count];
    bm.range = {PhysAddr(start), PhysAddr(end)};
    bm.cmdline[0] = '\0';
    if (m.string != 0) {
      const StringStatus s = ReadPhysString(mem, PhysAddr(m.string), bm.cmdline, kMaxModuleCmdline);
      if (s == StringStatus::kTruncated) {
        HV_WARN("multiboot: module %u command line longer than %zu bytes, cut", i,
                kMaxModuleCmdline - 1);
      } else if (s == StringStatus::kUnreadable) {
        HV_WARN("multiboot: module %u command line at 0x%x is unreadable, cut", i, m.string);
      }
    }
    ++out->module_count;
  }
}

}  // namespace

const char* MemTypeName(MemType type) {
  switch (type) {
    case MemType::kUsable:
      return "usable";
    case MemType::kAcpi:
      return "acpi";
    case MemType::kNvs:
      return "nvs";
    case MemType::kReserved:
      return "reserved";
    case MemType::kBad:
      return "bad";
  }
  return "?";
}

const char* MultibootStatusName(MultibootStatus status) {
  switch (status) {
    case MultibootStatus::kOk:
      return "ok";
    case MultibootStatus::kBadMagic:
      return "bad multiboot magic";
    case MultibootStatus::kNullInfo:
      return "null multiboot info";
    case MultibootStatus::kUnreadableInfo:
      return "unreadable multiboot info";
    case MultibootStatus::kNoMemoryInfo:
      return "no memory information";
  }
  return "?";
}

bool AddMemRange(MemRange* ranges, size_t* count, PhysAddr start, uint64_t length, MemType type) {
  if (length == 0) return true;
  const uint64_t s = start.value();
  const uint64_t e = length > ~s ? ~uint64_t{0} : s + length;  // callers drop wraps; clamp anyway
  bool ok = true;
  uint64_t cur = s;
  size_t i = 0;
  while (cur < e) {
    while (i < *count && ranges[i].range.end.value() <= cur) ++i;
    if (i == *count || ranges[i].range.start.value() >= e) {
      // The rest of [cur, e) is uncovered.
      if (PlaceAt(ranges, count, i, {{PhysAddr(cur), PhysAddr(e)}, type}) == Placed::kFull) {
        ok = false;
      }
      break;
    }
    MemRange& r = ranges[i];
    if (r.range.start.value() > cur) {
      // A gap before r; afterwards i is r's index again.
      const uint64_t gap_end = r.range.start.value();
      switch (PlaceAt(ranges, count, i, {{PhysAddr(cur), PhysAddr(gap_end)}, type})) {
        case Placed::kInserted:
          ++i;
          break;
        case Placed::kGrown:
          break;
        case Placed::kFull:
          ok = false;
          break;
      }
      cur = gap_end;
      continue;
    }
    // r covers cur.
    const uint64_t seg_end = r.range.end.value() < e ? r.range.end.value() : e;
    if (r.type < type) {
      // Split r into [r.start, cur) [cur, seg_end) [seg_end, r.end); needs
      // up to two more slots. Without them, r as a whole takes the more
      // restrictive type: less memory, but never reserved memory handed out.
      const size_t need =
          (r.range.start.value() < cur ? 1 : 0) + (seg_end < r.range.end.value() ? 1 : 0);
      if (*count + need > kMaxMemRanges) {
        r.type = type;
        ok = false;
      } else {
        if (r.range.start.value() < cur) {
          MemRange head = r;
          head.range.end = PhysAddr(cur);
          (void)InsertAt(ranges, count, i, head);
          ++i;
          ranges[i].range.start = PhysAddr(cur);
        }
        if (seg_end < ranges[i].range.end.value()) {
          MemRange tail = ranges[i];
          tail.range.start = PhysAddr(seg_end);
          (void)InsertAt(ranges, count, i + 1, tail);
          ranges[i].range.end = PhysAddr(seg_end);
        }
        ranges[i].type = type;
      }
    }
    cur = seg_end;
    ++i;
  }
  MergeAdjacent(ranges, count);
  return ok;
}

MultibootStatus ParseMultiboot(uint32_t magic, PhysAddr mbi_pa, const PhysReader& mem,
                               BootInfo* out) {
  *out = BootInfo{};
  MultibootStatus status = MultibootStatus::kOk;
  MultibootInfo mbi;
  if (magic != kMultibootBootloaderMagic) {
    status = MultibootStatus::kBadMagic;
  } else if (mbi_pa.value() == 0) {
    status = MultibootStatus::kNullInfo;
  } else if (!ReadPhys(mem, mbi_pa, &mbi)) {
    status = MultibootStatus::kUnreadableInfo;
  }
  if (status != MultibootStatus::kOk) {
    HV_ERROR("multiboot: %s (magic 0x%x, info at 0x%lx)", MultibootStatusName(status), magic,
             mbi_pa.value());
    return status;
  }

  // Address 0 is readable on a PC (the IVT), so a null pointer would "work".
  if ((mbi.flags & kMbFlagCmdline) && mbi.cmdline != 0) {
    const StringStatus s = ReadPhysString(mem, PhysAddr(mbi.cmdline), out->cmdline, kMaxCmdline);
    if (s == StringStatus::kTruncated) {
      HV_WARN("multiboot: command line longer than %zu bytes, cut", kMaxCmdline - 1);
    } else if (s == StringStatus::kUnreadable) {
      HV_WARN("multiboot: command line at 0x%x is unreadable, cut", mbi.cmdline);
    }
  } else {
    HV_WARN("multiboot: no command line");
  }

  if ((mbi.flags & kMbFlagMmap) && (mbi.mmap_addr == 0 || mbi.mmap_length == 0)) {
    HV_WARN("multiboot: empty or null memory map (0x%x bytes at 0x%x) ignored", mbi.mmap_length,
            mbi.mmap_addr);
  } else if (mbi.flags & kMbFlagMmap) {
    ParseMmap(mbi, mem, out);
    out->mem_from_mmap = true;
    if (!HasUsable(*out)) {
      HV_WARN("multiboot: memory map has no usable memory");
    }
  }
  if (!HasUsable(*out)) {
    if (mbi.flags & kMbFlagMem) {
      HV_WARN("multiboot: no memory map, using mem_lower %u KiB / mem_upper %u KiB", mbi.mem_lower,
              mbi.mem_upper);
      out->mem_count = 0;
      out->mem_from_mmap = false;
      ParseMemLowerUpper(mbi, out);
    }
    if (!HasUsable(*out)) {
      HV_ERROR("multiboot: %s", MultibootStatusName(MultibootStatus::kNoMemoryInfo));
      return MultibootStatus::kNoMemoryInfo;
    }
  }

  if ((mbi.flags & kMbFlagMods) && mbi.mods_count != 0 && mbi.mods_addr == 0) {
    HV_WARN("multiboot: %u modules at address 0 ignored", mbi.mods_count);
  } else if (mbi.flags & kMbFlagMods) {
    ParseModules(mbi, mem, out);
  }
  return MultibootStatus::kOk;
}

size_t FreeMemory(const BootInfo& info, PhysRange hv_image, const PhysRange* extra,
                  size_t extra_count, PhysRange* out, size_t cap) {
  // The excluded ranges, page-aligned outward.
  auto excluded = [&](size_t k) -> PhysRange {
    PhysRange r;
    if (k == 0) {
      r = hv_image;
    } else if (k <= info.module_count) {
      r = info.modules[k - 1].range;
    } else {
      r = extra[k - 1 - info.module_count];
    }
    const PhysAddr end = r.end.value() > AlignDown(~uint64_t{0}, kPageSize)
                             ? PhysAddr(AlignDown(~uint64_t{0}, kPageSize))
                             : r.end.AlignUp(kPageSize);
    return {r.start.AlignDown(kPageSize), end};
  };
  const size_t n_excluded = 1 + info.module_count + (extra != nullptr ? extra_count : 0);

  size_t n = 0;
  bool overflow = false;
  for (size_t i = 0; i < info.mem_count; ++i) {
    const MemRange& m = info.mem[i];
    if (m.type != MemType::kUsable) continue;
    if (m.range.start.value() > AlignDown(~uint64_t{0}, kPageSize)) continue;
    uint64_t cur = m.range.start.AlignUp(kPageSize).value();
    const uint64_t end = m.range.end.AlignDown(kPageSize).value();
    while (cur < end) {
      // Skip past an exclusion that covers cur, else emit up to the nearest
      // exclusion that starts after it.
      uint64_t next_stop = end;
      bool covered = false;
      for (size_t k = 0; k < n_excluded; ++k) {
        const PhysRange x = excluded(k);
        if (x.end.value() <= x.start.value()) continue;  // empty
        if (x.start.value() <= cur && cur < x.end.value()) {
          cur = x.end.value();
          covered = true;
          break;
        }
        if (x.start.value() > cur && x.start.value() < next_stop) next_stop = x.start.value();
      }
      if (covered) continue;
      if (n < cap) {
        out[n++] = {PhysAddr(cur), PhysAddr(next_stop)};
      } else {
        overflow = true;
      }
      cur = next_stop;
    }
  }
  if (overflow) HV_WARN("multiboot: more than %zu free memory ranges, the rest unused", cap);
  return n;
}

}  // namespace hv::x86
