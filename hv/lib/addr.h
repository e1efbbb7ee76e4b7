// SPDX-License-Identifier: Apache-2.0
// Distinct types for the three address spaces hv deals with, so that a
// guest-physical address can never be used where a host-physical one is meant.
#pragma once

#include <compare>
#include <stdint.h>

namespace hv {

inline constexpr uint64_t kPageShift = 12;
inline constexpr uint64_t kPageSize = uint64_t{1} << kPageShift;

constexpr uint64_t AlignDown(uint64_t v, uint64_t a) { return v & ~(a - 1); }
constexpr uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

template <typename Tag>
class Addr {
 public:
  constexpr Addr() = default;
  constexpr explicit Addr(uint64_t value) : value_(value) {}

  constexpr uint64_t value() const { return value_; }
  constexpr uint64_t pfn() const { return value_ >> kPageShift; }
  constexpr bool IsAligned(uint64_t a) const { return (value_ & (a - 1)) == 0; }
  constexpr Addr AlignDown(uint64_t a) const { return Addr(hv::AlignDown(value_, a)); }
  constexpr Addr AlignUp(uint64_t a) const { return Addr(hv::AlignUp(value_, a)); }

  constexpr Addr operator+(uint64_t d) const { return Addr(value_ + d); }
  constexpr Addr operator-(uint64_t d) const { return Addr(value_ - d); }
  constexpr uint64_t operator-(Addr o) const { return value_ - o.value_; }
  constexpr auto operator<=>(const Addr&) const = default;

  static constexpr Addr FromPfn(uint64_t pfn) { return Addr(pfn << kPageShift); }

 private:
  uint64_t value_ = 0;
};

struct HostPhysTag;
struct GuestPhysTag;
struct VirtTag;

using PhysAddr = Addr<HostPhysTag>;        // host-physical
using GuestPhysAddr = Addr<GuestPhysTag>;  // guest-physical (behind NPT)
using VirtAddr = Addr<VirtTag>;            // hv's own virtual

}  // namespace hv
