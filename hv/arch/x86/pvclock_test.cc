// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/pvclock.h"

#include <gtest/gtest.h>

#include <cmath>

namespace hv::x86 {
namespace {

TEST(Pvclock, ScaleIsAccurateForManyRates) {
  for (uint64_t hz : {1000000000ull, 2599306000ull, 3700000000ull, 800000000ull, 2000000000ull,
                      100000000ull, 5000000000ull}) {
    const PvclockScale s = PvclockScaleFor(hz);
    PvclockVcpuTimeInfo info{};
    PvclockFill(&info, 1000, 5000, s, true);
    // One second of TSC is one second of ns, to within 1 ppm.
    const uint64_t ns = PvclockRead(info, 1000 + hz) - 5000;
    EXPECT_NEAR(static_cast<double>(ns), 1e9, 1e3) << hz;
    // And a ms.
    const uint64_t ms = PvclockRead(info, 1000 + hz / 1000) - 5000;
    EXPECT_NEAR(static_cast<double>(ms), 1e6, 2) << hz;
    EXPECT_GE(s.mul, 0x80000000u) << hz;  // normalized
  }
}

TEST(Pvclock, FillSetsTheStableFlag) {
  PvclockVcpuTimeInfo info{};
  PvclockFill(&info, 1, 2, PvclockScaleFor(2000000000), true);
  EXPECT_EQ(info.flags, kPvclockTscStable);
  EXPECT_EQ(info.tsc_timestamp, 1u);
  EXPECT_EQ(info.system_time, 2u);
  PvclockFill(&info, 1, 2, PvclockScaleFor(2000000000), false);
  EXPECT_EQ(info.flags, 0);
}

TEST(Pvclock, LinuxDerivesTheTscRate) {
  // Linux's pvclock_tsc_khz: khz = (1e6 << 32) / mul, shifted back.
  const uint64_t hz = 2599306000;
  const PvclockScale s = PvclockScaleFor(hz);
  uint64_t khz = (1000000ull << 32) / s.mul;
  if (s.shift < 0) {
    khz <<= -s.shift;
  } else {
    khz >>= s.shift;
  }
  EXPECT_NEAR(static_cast<double>(khz), hz / 1000.0, 2);
}

}  // namespace
}  // namespace hv::x86
