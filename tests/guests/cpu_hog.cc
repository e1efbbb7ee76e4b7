// SPDX-License-Identifier: Apache-2.0
// A CPU-bound guest that measures its share of the CPU: it spins, and over a
// window of window_ms (after warmup_ms) reads its own run time (HV_VCPU_INFO)
// and prints "share: ran R us of W us". The runner compares domains' shares
// (weights) and uses it as a sibling that must keep running.
#include "tests/guests/lib/guest.h"

namespace {

uint64_t Tsc(uint64_t ms) { return guest::StartInfo().tsc_hz / 1000 * ms; }

uint64_t RunNs() {
  hv_vcpu_info info;
  if (guest::VcpuInfo(0, &info) != HV_OK) guest::Error("HV_VCPU_INFO failed");
  return info.runtime_ns;
}

void SpinUntil(uint64_t tsc) {
  while (guest::Rdtsc() < tsc) guest::Pause();
}

}  // namespace

void test_main() {
  const uint64_t warmup = guest::CmdlineU64("warmup_ms", 300);
  const uint64_t window = guest::CmdlineU64("window_ms", 3000);
  const uint64_t t0 = guest::Rdtsc();
  SpinUntil(t0 + Tsc(warmup));
  const uint64_t run0 = RunNs(), w0 = guest::Rdtsc();
  SpinUntil(w0 + Tsc(window));
  const uint64_t ran = RunNs() - run0;
  const uint64_t wall_us = (guest::Rdtsc() - w0) / (guest::StartInfo().tsc_hz / 1000000);
  guest::Printf("share: ran %lu us of %lu us (%lu%%)\n", ran / 1000, wall_us,
                ran / 10 / (wall_us ? wall_us : 1));
  GUEST_ASSERT(ran > 0);
}
