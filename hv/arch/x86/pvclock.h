// SPDX-License-Identifier: Apache-2.0
// The paravirtual clock Linux knows as kvmclock: per-vCPU time info (scaled
// TSC) and the wall clock, in the layouts of Linux's
// arch/x86/include/asm/pvclock-abi.h. With it, Linux trusts the TSC at the
// rate hv calibrated instead of recalibrating against devices it lacks.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hv::x86 {

struct [[gnu::packed]] PvclockVcpuTimeInfo {
  uint32_t version;  // odd while hv updates it
  uint32_t pad0;
  uint64_t tsc_timestamp;
  uint64_t system_time;  // ns at tsc_timestamp
  uint32_t tsc_to_system_mul;
  int8_t tsc_shift;
  uint8_t flags;
  uint8_t pad[2];
};
static_assert(sizeof(PvclockVcpuTimeInfo) == 32);
static_assert(offsetof(PvclockVcpuTimeInfo, tsc_timestamp) == 8);
static_assert(offsetof(PvclockVcpuTimeInfo, system_time) == 16);
static_assert(offsetof(PvclockVcpuTimeInfo, tsc_to_system_mul) == 24);
static_assert(offsetof(PvclockVcpuTimeInfo, tsc_shift) == 28);
static_assert(offsetof(PvclockVcpuTimeInfo, flags) == 29);

struct [[gnu::packed]] PvclockWallClock {
  uint32_t version;
  uint32_t sec;
  uint32_t nsec;
};
static_assert(sizeof(PvclockWallClock) == 12);

inline constexpr uint8_t kPvclockTscStable = 1u << 0;

// The scale that turns TSC ticks into ns: ns = ((delta << shift) * mul) >> 32
// (>> -shift for a negative shift), as Linux's pvclock_scale_delta computes.
struct PvclockScale {
  uint32_t mul;
  int8_t shift;
};
PvclockScale PvclockScaleFor(uint64_t tsc_hz);

// What the guest computes from a time info (Linux's formula), for tests and
// for checking hv's own values.
uint64_t PvclockRead(const PvclockVcpuTimeInfo& info, uint64_t tsc);

// Fills a time info for this moment (the version is the caller's: odd
// while writing, even after).
void PvclockFill(PvclockVcpuTimeInfo* info, uint64_t tsc_now, uint64_t system_ns,
                 const PvclockScale& scale, bool stable);

}  // namespace hv::x86
