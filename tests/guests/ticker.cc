// SPDX-License-Identifier: Apache-2.0
// A domU that prints "tick N" every 20 ms (TSC) until count= ticks, for
// tests that watch another domain make progress (domctl_pause).
#include "tests/guests/lib/guest.h"

void test_main() {
  const uint64_t count = guest::CmdlineU64("count", 150);
  const uint64_t step = guest::StartInfo().tsc_hz / 50;
  uint64_t next = guest::Rdtsc();
  for (uint64_t i = 0; i < count; ++i) {
    next += step;
    while (guest::Rdtsc() < next) guest::Pause();
    guest::Printf("tick %lu\n", i);
  }
}
