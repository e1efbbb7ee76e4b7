// SPDX-License-Identifier: Apache-2.0
// ELF64 images of guest kernels (the test guests in tests/guests/): checked
// against the guest's memory and turned into the list of segments a loader
// copies to guest-physical memory, plus the entry point.
//
// What hv accepts: ELFCLASS64, little-endian, EV_CURRENT, EM_X86_64, ET_EXEC,
// at most kMaxElfProgramHeaders program headers of exactly
// sizeof(Elf64Phdr) bytes, all inside the file. Every PT_LOAD segment with a
// non-zero p_memsz is loaded at its p_paddr: p_filesz <= p_memsz, its file
// bytes lie inside the file, [p_paddr, p_paddr + p_memsz) lies inside guest
// memory [0, mem_size), and no two segments overlap there. PT_LOAD segments
// with p_memsz == 0 load nothing and are ignored; other segment types are
// ignored. e_entry (a virtual address, as the linker wrote it) must fall in
// [p_vaddr, p_vaddr + p_memsz) of a PT_LOAD with PF_X; the entry reported is
// the guest-physical address that maps to (p_paddr + e_entry - p_vaddr),
// which for the identity-linked test kernels is e_entry itself.
//
// p_align is not checked: the loader copies bytes to p_paddr, so a segment's
// alignment does not matter to it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/lib/addr.h"

namespace hv {

// --- On-disk structures (System V gABI, x86-64 psABI), little-endian. ---

inline constexpr size_t kElfIdentSize = 16;
// e_ident[] indices and values.
inline constexpr size_t kElfIdentClass = 4;
inline constexpr size_t kElfIdentData = 5;
inline constexpr size_t kElfIdentVersion = 6;
inline constexpr uint8_t kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
inline constexpr uint8_t kElfClass32 = 1;
inline constexpr uint8_t kElfClass64 = 2;
inline constexpr uint8_t kElfDataLsb = 1;  // little-endian
inline constexpr uint8_t kElfDataMsb = 2;  // big-endian
inline constexpr uint8_t kElfVersionCurrent = 1;
// e_type
inline constexpr uint16_t kElfTypeExec = 2;
inline constexpr uint16_t kElfTypeDyn = 3;
// e_machine
inline constexpr uint16_t kElfMachineX86_64 = 62;
// p_type
inline constexpr uint32_t kElfPtLoad = 1;
// p_flags
inline constexpr uint32_t kElfPfX = 1u << 0;
inline constexpr uint32_t kElfPfW = 1u << 1;
inline constexpr uint32_t kElfPfR = 1u << 2;

struct [[gnu::packed]] Elf64Ehdr {
  uint8_t e_ident[kElfIdentSize];
  uint16_t e_type;
  uint16_t e_machine;
  uint32_t e_version;
  uint64_t e_entry;
  uint64_t e_phoff;
  uint64_t e_shoff;
  uint32_t e_flags;
  uint16_t e_ehsize;
  uint16_t e_phentsize;
  uint16_t e_phnum;
  uint16_t e_shentsize;
  uint16_t e_shnum;
  uint16_t e_shstrndx;
};
static_assert(sizeof(Elf64Ehdr) == 64);
static_assert(__builtin_offsetof(Elf64Ehdr, e_ident) == 0);
static_assert(__builtin_offsetof(Elf64Ehdr, e_type) == 16);
static_assert(__builtin_offsetof(Elf64Ehdr, e_machine) == 18);
static_assert(__builtin_offsetof(Elf64Ehdr, e_version) == 20);
static_assert(__builtin_offsetof(Elf64Ehdr, e_entry) == 24);
static_assert(__builtin_offsetof(Elf64Ehdr, e_phoff) == 32);
static_assert(__builtin_offsetof(Elf64Ehdr, e_shoff) == 40);
static_assert(__builtin_offsetof(Elf64Ehdr, e_flags) == 48);
static_assert(__builtin_offsetof(Elf64Ehdr, e_ehsize) == 52);
static_assert(__builtin_offsetof(Elf64Ehdr, e_phentsize) == 54);
static_assert(__builtin_offsetof(Elf64Ehdr, e_phnum) == 56);
static_assert(__builtin_offsetof(Elf64Ehdr, e_shentsize) == 58);
static_assert(__builtin_offsetof(Elf64Ehdr, e_shnum) == 60);
static_assert(__builtin_offsetof(Elf64Ehdr, e_shstrndx) == 62);

struct [[gnu::packed]] Elf64Phdr {
  uint32_t p_type;
  uint32_t p_flags;
  uint64_t p_offset;
  uint64_t p_vaddr;
  uint64_t p_paddr;
  uint64_t p_filesz;
  uint64_t p_memsz;
  uint64_t p_align;
};
static_assert(sizeof(Elf64Phdr) == 56);
static_assert(__builtin_offsetof(Elf64Phdr, p_type) == 0);
static_assert(__builtin_offsetof(Elf64Phdr, p_flags) == 4);
static_assert(__builtin_offsetof(Elf64Phdr, p_offset) == 8);
static_assert(__builtin_offsetof(Elf64Phdr, p_vaddr) == 16);
static_assert(__builtin_offsetof(Elf64Phdr, p_paddr) == 24);
static_assert(__builtin_offsetof(Elf64Phdr, p_filesz) == 32);
static_assert(__builtin_offsetof(Elf64Phdr, p_memsz) == 40);
static_assert(__builtin_offsetof(Elf64Phdr, p_align) == 48);

// --- The parsed image. ---

// More program headers than this are refused (e_phnum is hostile input).
inline constexpr size_t kMaxElfProgramHeaders = 64;
// More loadable (non-empty PT_LOAD) segments than this are refused.
inline constexpr size_t kMaxElfSegments = 16;

// One PT_LOAD segment: copy file bytes [file_offset, file_offset + file_size)
// to guest_addr, then zero up to guest_addr + mem_size.
struct ElfSegment {
  GuestPhysAddr guest_addr;  // p_paddr
  uint64_t file_offset = 0;  // p_offset
  uint64_t file_size = 0;    // p_filesz, <= mem_size
  uint64_t mem_size = 0;     // p_memsz, > 0
  uint32_t flags = 0;        // p_flags: kElfPfX | kElfPfW | kElfPfR
};

// Every member has an initializer, so a static ElfImage is constant-
// initialized (no global constructor).
struct ElfImage {
  GuestPhysAddr entry;       // guest-physical entry point (see above)
  uint64_t entry_vaddr = 0;  // e_entry as written in the file
  // In program header order; ranges in guest memory are pairwise disjoint.
  ElfSegment segments[kMaxElfSegments];
  size_t segment_count = 0;  // >= 1 on success
  GuestPhysAddr lowest;      // the lowest guest-physical address any segment uses
  GuestPhysAddr end;         // one past the highest one; lowest < end <= mem_size
};

enum class [[nodiscard]] ElfStatus : uint8_t{
    kOk,
    kTooSmall,              // null data, or shorter than the ELF header
    kBadMagic,              // not \x7fELF
    kNotElf64,              // e_ident[EI_CLASS] is not ELFCLASS64
    kNotLittleEndian,       // e_ident[EI_DATA] is not ELFDATA2LSB
    kBadVersion,            // e_ident[EI_VERSION] or e_version is not EV_CURRENT
    kNotX86_64,             // e_machine is not EM_X86_64
    kNotExecutable,         // e_type is not ET_EXEC (ET_DYN, ET_REL, core, ...)
    kBadProgramHeaders,     // e_phentsize, e_phnum or e_phoff wrong, or table past the file
    kBadSegmentSize,        // a PT_LOAD with p_filesz > p_memsz
    kSegmentOutsideFile,    // a PT_LOAD's file bytes are not all inside the file
    kSegmentOutsideMemory,  // a PT_LOAD is not inside [0, mem_size) (or wraps 2^64)
    kOverlap,               // two PT_LOADs overlap in guest memory
    kTooManySegments,       // more than kMaxElfSegments loadable segments
    kNoLoadSegment,         // no PT_LOAD with p_memsz > 0
    kBadEntry,              // e_entry not inside an executable PT_LOAD
};

const char* ElfStatusName(ElfStatus status);

// True if data[0, size) starts with the ELF magic (and nothing more is
// checked): tells an ELF kernel from a Linux bzImage. data may be null.
bool LooksLikeElf(const uint8_t* data, size_t size);

// Checks the ELF file data[0, size) against a guest with mem_size bytes of
// memory at guest-physical 0 and describes it in *out, which is fully
// overwritten, also on error (then it is all zero). Each rejection is logged
// with HV_WARN naming the problem. data may be null (kTooSmall); it is only
// read inside [0, size), and need not be aligned.
ElfStatus ParseElf(const uint8_t* data, size_t size, uint64_t mem_size, ElfImage* out);

}  // namespace hv
