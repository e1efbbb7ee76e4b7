// SPDX-License-Identifier: Apache-2.0
#include "hv/core/elf.h"

#include <bit>

#include "hv/lib/log.h"

namespace hv {
namespace {

// The structures are read by copying their bytes, which is right only on a
// little-endian machine (hv and its host tests run on x86_64).
static_assert(std::endian::native == std::endian::little);

// Copies sizeof(T) bytes at data + offset into *out; the caller has checked
// that they are inside the file.
template <typename T>
void ReadAt(const uint8_t* data, uint64_t offset, T* out) {
  __builtin_memcpy(out, data + offset, sizeof(T));
}

struct StatusName {
  ElfStatus status;
  const char* name;
};

constexpr StatusName kStatusNames[] = {
    {ElfStatus::kOk, "ok"},
    {ElfStatus::kTooSmall, "too small"},
    {ElfStatus::kBadMagic, "bad magic"},
    {ElfStatus::kNotElf64, "not ELF64"},
    {ElfStatus::kNotLittleEndian, "not little-endian"},
    {ElfStatus::kBadVersion, "bad version"},
    {ElfStatus::kNotX86_64, "not x86_64"},
    {ElfStatus::kNotExecutable, "not an executable"},
    {ElfStatus::kBadProgramHeaders, "bad program headers"},
    {ElfStatus::kBadSegmentSize, "segment file size above memory size"},
    {ElfStatus::kSegmentOutsideFile, "segment outside the file"},
    {ElfStatus::kSegmentOutsideMemory, "segment outside guest memory"},
    {ElfStatus::kOverlap, "overlapping segments"},
    {ElfStatus::kTooManySegments, "too many segments"},
    {ElfStatus::kNoLoadSegment, "no loadable segment"},
    {ElfStatus::kBadEntry, "bad entry point"},
};

// Checks the header fields that say what kind of file this is.
ElfStatus CheckHeader(const Elf64Ehdr& eh) {
  if (eh.e_ident[kElfIdentClass] != kElfClass64) {
    HV_WARN("elf: class %u is not ELFCLASS64 (2)", eh.e_ident[kElfIdentClass]);
    return ElfStatus::kNotElf64;
  }
  if (eh.e_ident[kElfIdentData] != kElfDataLsb) {
    HV_WARN("elf: data encoding %u is not little-endian (1)", eh.e_ident[kElfIdentData]);
    return ElfStatus::kNotLittleEndian;
  }
  if (eh.e_ident[kElfIdentVersion] != kElfVersionCurrent || eh.e_version != kElfVersionCurrent) {
    HV_WARN("elf: version %u/%u is not EV_CURRENT (1)", eh.e_ident[kElfIdentVersion], eh.e_version);
    return ElfStatus::kBadVersion;
  }
  if (eh.e_machine != kElfMachineX86_64) {
    HV_WARN("elf: machine %u is not EM_X86_64 (62)", eh.e_machine);
    return ElfStatus::kNotX86_64;
  }
  if (eh.e_type != kElfTypeExec) {
    HV_WARN(
        "elf: type %u is not ET_EXEC (2)%s", eh.e_type,
        eh.e_type == kElfTypeDyn ? ": position-independent (ET_DYN) images are not loaded" : "");
    return ElfStatus::kNotExecutable;
  }
  return ElfStatus::kOk;
}

// The program header table lies inside the file and has a sane shape.
ElfStatus CheckProgramHeaderTable(const Elf64Ehdr& eh, size_t size) {
  if (eh.e_phentsize != sizeof(Elf64Phdr)) {
    HV_WARN("elf: program header size %u, expected %zu", eh.e_phentsize, sizeof(Elf64Phdr));
    return ElfStatus::kBadProgramHeaders;
  }
  if (eh.e_phnum == 0 || eh.e_phnum > kMaxElfProgramHeaders) {
    HV_WARN("elf: %u program headers, expected 1..%zu", eh.e_phnum, kMaxElfProgramHeaders);
    return ElfStatus::kBadProgramHeaders;
  }
  const uint64_t table_size = uint64_t{eh.e_phnum} * sizeof(Elf64Phdr);  // <= 64 * 56
  if (eh.e_phoff > size || table_size > size - eh.e_phoff) {
    HV_WARN(
        "elf: program header table at 0x%lx (%u entries) is past the end of the file (%zu "
        "bytes)",
        eh.e_phoff, eh.e_phnum, size);
    return ElfStatus::kBadProgramHeaders;
  }
  return ElfStatus::kOk;
}

// One PT_LOAD on its own: sizes, file range, guest range.
ElfStatus CheckLoad(const Elf64Phdr& ph, size_t index, size_t size, uint64_t mem_size) {
  if (ph.p_filesz > ph.p_memsz) {
    HV_WARN("elf: segment %zu: file size 0x%lx is above its memory size 0x%lx", index, ph.p_filesz,
            ph.p_memsz);
    return ElfStatus::kBadSegmentSize;
  }
  if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset) {
    HV_WARN(
        "elf: segment %zu: file bytes [0x%lx, +0x%lx) are past the end of the file (%zu "
        "bytes)",
        index, ph.p_offset, ph.p_filesz, size);
    return ElfStatus::kSegmentOutsideFile;
  }
  if (ph.p_memsz > ~ph.p_paddr) {
    HV_WARN("elf: segment %zu: guest range 0x%lx+0x%lx wraps past 2^64", index, ph.p_paddr,
            ph.p_memsz);
    return ElfStatus::kSegmentOutsideMemory;
  }
  if (ph.p_paddr > mem_size || ph.p_memsz > mem_size - ph.p_paddr) {
    HV_WARN("elf: segment %zu: guest range [0x%lx, 0x%lx) is outside guest memory [0, 0x%lx)",
            index, ph.p_paddr, ph.p_paddr + ph.p_memsz, mem_size);
    return ElfStatus::kSegmentOutsideMemory;
  }
  return ElfStatus::kOk;
}

// Entry, found by virtual address in the executable segments. The headers
// were all checked by the first pass, so they are read again without checks.
ElfStatus FindEntry(const uint8_t* data, const Elf64Ehdr& eh, ElfImage* out) {
  bool in_segment = false;
  for (size_t i = 0; i < eh.e_phnum; ++i) {
    Elf64Phdr ph;
    ReadAt(data, eh.e_phoff + i * sizeof(Elf64Phdr), &ph);
    if (ph.p_type != kElfPtLoad || ph.p_memsz == 0) continue;
    // e_entry - p_vaddr does not wrap once e_entry >= p_vaddr.
    if (eh.e_entry < ph.p_vaddr || eh.e_entry - ph.p_vaddr >= ph.p_memsz) continue;
    in_segment = true;
    if ((ph.p_flags & kElfPfX) == 0) continue;
    // < p_paddr + p_memsz, which CheckLoad showed is <= mem_size.
    out->entry = GuestPhysAddr(ph.p_paddr + (eh.e_entry - ph.p_vaddr));
    out->entry_vaddr = eh.e_entry;
    return ElfStatus::kOk;
  }
  if (in_segment) {
    HV_WARN("elf: entry point 0x%lx is in a segment that is not executable", eh.e_entry);
  } else {
    HV_WARN("elf: entry point 0x%lx is outside every loadable segment", eh.e_entry);
  }
  return ElfStatus::kBadEntry;
}

ElfStatus Parse(const uint8_t* data, size_t size, uint64_t mem_size, ElfImage* out) {
  if (data == nullptr || size < sizeof(Elf64Ehdr)) {
    HV_WARN("elf: image of %zu bytes is shorter than the ELF header (%zu bytes)",
            data == nullptr ? 0 : size, sizeof(Elf64Ehdr));
    return ElfStatus::kTooSmall;
  }
  if (!LooksLikeElf(data, size)) {
    HV_WARN("elf: bad magic %02x %02x %02x %02x", data[0], data[1], data[2], data[3]);
    return ElfStatus::kBadMagic;
  }
  Elf64Ehdr eh;
  ReadAt(data, 0, &eh);
  if (ElfStatus s = CheckHeader(eh); s != ElfStatus::kOk) return s;
  if (ElfStatus s = CheckProgramHeaderTable(eh, size); s != ElfStatus::kOk) return s;

  for (size_t i = 0; i < eh.e_phnum; ++i) {
    Elf64Phdr ph;
    ReadAt(data, eh.e_phoff + i * sizeof(Elf64Phdr), &ph);
    if (ph.p_type != kElfPtLoad || ph.p_memsz == 0) continue;
    if (ElfStatus s = CheckLoad(ph, i, size, mem_size); s != ElfStatus::kOk) return s;
    const uint64_t start = ph.p_paddr;
    const uint64_t end = ph.p_paddr + ph.p_memsz;  // no wrap: checked above
    for (size_t j = 0; j < out->segment_count; ++j) {
      const ElfSegment& other = out->segments[j];
      const uint64_t other_end = other.guest_addr.value() + other.mem_size;
      if (start < other_end && other.guest_addr.value() < end) {
        HV_WARN("elf: segment %zu [0x%lx, 0x%lx) overlaps [0x%lx, 0x%lx) of an earlier segment", i,
                start, end, other.guest_addr.value(), other_end);
        return ElfStatus::kOverlap;
      }
    }
    if (out->segment_count == kMaxElfSegments) {
      HV_WARN("elf: more than %zu loadable segments", kMaxElfSegments);
      return ElfStatus::kTooManySegments;
    }
    out->segments[out->segment_count++] = {GuestPhysAddr(start), ph.p_offset, ph.p_filesz,
                                           ph.p_memsz, ph.p_flags};
    if (out->segment_count == 1 || start < out->lowest.value()) out->lowest = GuestPhysAddr(start);
    if (end > out->end.value()) out->end = GuestPhysAddr(end);
  }
  if (out->segment_count == 0) {
    HV_WARN("elf: no loadable segment (PT_LOAD with a non-zero memory size)");
    return ElfStatus::kNoLoadSegment;
  }
  return FindEntry(data, eh, out);
}

}  // namespace

const char* ElfStatusName(ElfStatus status) {
  for (const StatusName& entry : kStatusNames) {
    if (entry.status == status) return entry.name;
  }
  return "unknown";
}

bool LooksLikeElf(const uint8_t* data, size_t size) {
  if (data == nullptr || size < sizeof(kElfMagic)) return false;
  for (size_t i = 0; i < sizeof(kElfMagic); ++i) {
    if (data[i] != kElfMagic[i]) return false;
  }
  return true;
}

ElfStatus ParseElf(const uint8_t* data, size_t size, uint64_t mem_size, ElfImage* out) {
  *out = ElfImage{};
  ElfStatus status = Parse(data, size, mem_size, out);
  if (status != ElfStatus::kOk) *out = ElfImage{};
  return status;
}

}  // namespace hv
