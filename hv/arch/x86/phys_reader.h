// SPDX-License-Identifier: Apache-2.0
// Read-only access to physical memory for the firmware and bootloader parsers
// (multiboot, ACPI). Inside hv it goes through the direct map; host tests
// back it with byte buffers (testing/fake_phys.h). Everything the parsers
// read is outside input, so every access is bounds-checked by Map().
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/lib/addr.h"

namespace hv::x86 {

class PhysReader {
 public:
  // Returns a pointer through which the bytes [pa, pa + len) can be read, or
  // nullptr if any of them is not readable or the range wraps past 2^64.
  // len == 0 is treated as len == 1 (a zero-length range still names a byte).
  // The pointer stays valid for as long as the reader does, across later
  // Map() calls: parsers hold on to one table while they map the next.
  virtual const void* Map(PhysAddr pa, uint64_t len) const = 0;

 protected:
  // Not virtual: hv has no heap, so nothing is deleted through this interface
  // (and a virtual destructor would drag in operator delete).
  ~PhysReader() = default;
};

// Physical memory mapped linearly at a virtual base: hv's direct map, or the
// identity map of early boot (base 0). [0, limit) is readable.
class LinearPhysReader final : public PhysReader {
 public:
  constexpr LinearPhysReader(uintptr_t virt_base, uint64_t limit)
      : virt_base_(virt_base), limit_(limit) {}

  const void* Map(PhysAddr pa, uint64_t len) const override {
    const uint64_t n = len == 0 ? 1 : len;
    if (pa.value() >= limit_ || n > limit_ - pa.value()) return nullptr;
    return reinterpret_cast<const void*>(virt_base_ + pa.value());
  }

 private:
  uintptr_t virt_base_;
  uint64_t limit_;
};

// Byte-wise helpers, so that packed firmware structures are read without
// alignment or aliasing assumptions and without calling memcpy (there is no
// libc in hv).
inline void CopyBytes(void* dst, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  for (size_t i = 0; i < n; ++i) d[i] = s[i];
}

// Copies a T out of a mapped byte range. The caller has checked the bounds.
template <typename T>
inline T LoadAt(const uint8_t* base, size_t offset) {
  static_assert(__is_trivially_copyable(T));
  T value;
  CopyBytes(&value, base + offset, sizeof(T));
  return value;
}

// Reads a T from physical memory; false if it is not readable.
template <typename T>
[[nodiscard]] inline bool ReadPhys(const PhysReader& mem, PhysAddr pa, T* out) {
  static_assert(__is_trivially_copyable(T));
  const void* p = mem.Map(pa, sizeof(T));
  if (p == nullptr) return false;
  CopyBytes(out, p, sizeof(T));
  return true;
}

// Outcome of copying a NUL-terminated string out of physical memory.
enum class [[nodiscard]] StringStatus : uint8_t{
    kOk,
    kTruncated,   // longer than the buffer: cut, still NUL-terminated
    kUnreadable,  // ran into unreadable memory before its NUL: cut there
};

// Copies the string at pa into buf[0, cap) (cap >= 1), always NUL-terminating
// it. Reads byte by byte so that a string ending right at the edge of readable
// memory is still found.
inline StringStatus ReadPhysString(const PhysReader& mem, PhysAddr pa, char* buf, size_t cap) {
  for (size_t i = 0; i < cap; ++i) {
    const bool wrapped = pa.value() + i < pa.value();
    const void* p = wrapped ? nullptr : mem.Map(pa + i, 1);
    if (p == nullptr) {
      buf[i] = '\0';
      return StringStatus::kUnreadable;
    }
    const char c = *static_cast<const char*>(p);
    if (i + 1 == cap) {
      buf[i] = '\0';
      return c == '\0' ? StringStatus::kOk : StringStatus::kTruncated;
    }
    buf[i] = c;
    if (c == '\0') return StringStatus::kOk;
  }
  return StringStatus::kOk;  // only with cap == 0, which callers never pass
}

}  // namespace hv::x86
