// SPDX-License-Identifier: Apache-2.0
// Multiboot v1 boot information (what QEMU's -kernel and GRUB's `multiboot`
// pass in EBX, with the magic in EAX), turned into a BootInfo that hv can
// trust: a sorted, non-overlapping memory map, a bounded command line and a
// bounded list of modules. Everything read is outside input: bad entries are
// dropped with a warning, never trusted.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/arch/x86/phys_reader.h"
#include "hv/lib/addr.h"

namespace hv::x86 {

inline constexpr uint32_t kMultibootBootloaderMagic = 0x2BADB002;

// The multiboot_info fields that hv reads. Later fields (drives, config
// table, boot loader name, APM, VBE, framebuffer) are not used.
struct [[gnu::packed]] MultibootInfo {
  uint32_t flags;
  uint32_t mem_lower;  // KiB from 0, valid with kMbFlagMem
  uint32_t mem_upper;  // KiB from 1 MiB, valid with kMbFlagMem
  uint32_t boot_device;
  uint32_t cmdline;  // physical address of a NUL-terminated string
  uint32_t mods_count;
  uint32_t mods_addr;
  uint32_t syms[4];
  uint32_t mmap_length;  // bytes
  uint32_t mmap_addr;
};
static_assert(sizeof(MultibootInfo) == 52);
static_assert(__builtin_offsetof(MultibootInfo, flags) == 0);
static_assert(__builtin_offsetof(MultibootInfo, mem_lower) == 4);
static_assert(__builtin_offsetof(MultibootInfo, mem_upper) == 8);
static_assert(__builtin_offsetof(MultibootInfo, boot_device) == 12);
static_assert(__builtin_offsetof(MultibootInfo, cmdline) == 16);
static_assert(__builtin_offsetof(MultibootInfo, mods_count) == 20);
static_assert(__builtin_offsetof(MultibootInfo, mods_addr) == 24);
static_assert(__builtin_offsetof(MultibootInfo, syms) == 28);
static_assert(__builtin_offsetof(MultibootInfo, mmap_length) == 44);
static_assert(__builtin_offsetof(MultibootInfo, mmap_addr) == 48);

inline constexpr uint32_t kMbFlagMem = 1u << 0;
inline constexpr uint32_t kMbFlagCmdline = 1u << 2;
inline constexpr uint32_t kMbFlagMods = 1u << 3;
inline constexpr uint32_t kMbFlagMmap = 1u << 6;

// One memory map entry. `size` counts the bytes after itself, so the next
// entry is at (this + size + 4); it is at least 20.
struct [[gnu::packed]] MultibootMmapEntry {
  uint32_t size;
  uint64_t base_addr;
  uint64_t length;
  uint32_t type;  // 1 usable, 3 ACPI reclaimable, 4 ACPI NVS, 5 bad, else reserved
};
static_assert(sizeof(MultibootMmapEntry) == 24);
static_assert(__builtin_offsetof(MultibootMmapEntry, size) == 0);
static_assert(__builtin_offsetof(MultibootMmapEntry, base_addr) == 4);
static_assert(__builtin_offsetof(MultibootMmapEntry, length) == 12);
static_assert(__builtin_offsetof(MultibootMmapEntry, type) == 20);

struct [[gnu::packed]] MultibootModule {
  uint32_t mod_start;
  uint32_t mod_end;  // exclusive
  uint32_t string;   // physical address of the module's command line, or 0
  uint32_t reserved;
};
static_assert(sizeof(MultibootModule) == 16);
static_assert(__builtin_offsetof(MultibootModule, mod_start) == 0);
static_assert(__builtin_offsetof(MultibootModule, mod_end) == 4);
static_assert(__builtin_offsetof(MultibootModule, string) == 8);
static_assert(__builtin_offsetof(MultibootModule, reserved) == 12);

// Ordered from least to most restrictive: where ranges overlap, the higher
// value wins.
enum class MemType : uint8_t {
  kUsable = 0,
  kAcpi = 1,  // ACPI reclaimable: tables, free once parsed
  kNvs = 2,   // ACPI NVS: must survive sleep
  kReserved = 3,
  kBad = 4,
};

const char* MemTypeName(MemType type);

// [start, end) of host-physical memory.
struct PhysRange {
  PhysAddr start;
  PhysAddr end;  // exclusive

  constexpr uint64_t size() const { return end - start; }
};

struct MemRange {
  PhysRange range;
  MemType type;
};

inline constexpr size_t kMaxMemRanges = 128;
inline constexpr size_t kMaxBootModules = 16;
inline constexpr size_t kMaxCmdline = 1024;       // including the NUL
inline constexpr size_t kMaxModuleCmdline = 256;  // including the NUL

struct BootModule {
  PhysRange range;
  char cmdline[kMaxModuleCmdline];  // always NUL-terminated
};

struct BootInfo {
  // As the boot loader passed it (GRUB and QEMU put the image path first).
  char cmdline[kMaxCmdline];  // always NUL-terminated, empty if none
  // Sorted by start, non-overlapping; adjacent ranges of one type are merged.
  MemRange mem[kMaxMemRanges];
  size_t mem_count;
  bool mem_from_mmap;  // false: built from mem_lower/mem_upper
  BootModule modules[kMaxBootModules];
  size_t module_count;
};

enum class [[nodiscard]] MultibootStatus : uint8_t{
    kOk,
    kBadMagic,        // EAX was not kMultibootBootloaderMagic
    kNullInfo,        // EBX was 0
    kUnreadableInfo,  // the multiboot_info structure is not readable
    kNoMemoryInfo,    // neither a usable memory map nor mem_lower/mem_upper
};

const char* MultibootStatusName(MultibootStatus status);

// Parses the multiboot information at `mbi` into *out (which is fully
// overwritten, also on error). Problems with single entries (zero-length or
// wrapping map entries, too many entries, bad modules, unreadable or over-long
// strings) are logged as warnings and the entry dropped or cut; only the
// cases in MultibootStatus fail the whole parse, with an error logged.
MultibootStatus ParseMultiboot(uint32_t magic, PhysAddr mbi, const PhysReader& mem, BootInfo* out);

// Adds [start, start + length) of `type` to a sorted, non-overlapping map of
// *count ranges (capacity kMaxMemRanges), the more restrictive type winning
// where ranges overlap. Returns false if the map was full: then the range
// was recorded coarsely (an overlapped range wholly taken over by the more
// restrictive type) or not at all, either of which errs on the side of not
// handing out memory. Exposed for tests.
[[nodiscard]] bool AddMemRange(MemRange* ranges, size_t* count, PhysAddr start, uint64_t length,
                               MemType type);

// The usable memory of `info` minus the hv image, the modules and any
// `extra` ranges (e.g. the AP trampoline page), page-aligned inward: what
// the page allocator may hand out. Writes at most `cap` ranges to out[],
// sorted, and returns how many; logs a warning if some did not fit.
size_t FreeMemory(const BootInfo& info, PhysRange hv_image, const PhysRange* extra,
                  size_t extra_count, PhysRange* out, size_t cap);

}  // namespace hv::x86
