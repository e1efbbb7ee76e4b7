// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/pvclock.h"

namespace hv::x86 {

PvclockScale PvclockScaleFor(uint64_t tsc_hz) {
  // The KVM way: bring the ratio 1e9 / tsc_hz into [0.5, 1) as a 32-bit
  // fraction, with a power-of-two shift applied to the TSC delta first.
  constexpr uint64_t kNsPerS = 1000000000;
  uint64_t scaled = kNsPerS, base = tsc_hz ? tsc_hz : 1;
  int8_t shift = 0;
  while (base > scaled * 2 || (base >> 32)) {
    base >>= 1;
    --shift;
  }
  while (base <= scaled) {  // strictly below 1, or the fraction overflows 32 bits
    base <<= 1;
    ++shift;
  }
  // Now scaled < base <= 2 * scaled: mul = scaled / base as 0.32 fixed point.
  const uint32_t mul = static_cast<uint32_t>((scaled << 32) / base);
  return {mul, shift};
}

uint64_t PvclockRead(const PvclockVcpuTimeInfo& info, uint64_t tsc) {
  uint64_t delta = tsc - info.tsc_timestamp;
  if (info.tsc_shift < 0) {
    delta >>= -info.tsc_shift;
  } else {
    delta <<= info.tsc_shift;
  }
  return info.system_time +
         static_cast<uint64_t>((static_cast<unsigned __int128>(delta) * info.tsc_to_system_mul) >> 32);
}

void PvclockFill(PvclockVcpuTimeInfo* info, uint64_t tsc_now, uint64_t system_ns,
                 const PvclockScale& scale, bool stable) {
  info->tsc_timestamp = tsc_now;
  info->system_time = system_ns;
  info->tsc_to_system_mul = scale.mul;
  info->tsc_shift = scale.shift;
  info->flags = stable ? kPvclockTscStable : 0;
  info->pad0 = 0;
  info->pad[0] = info->pad[1] = 0;
}

}  // namespace hv::x86
