// SPDX-License-Identifier: Apache-2.0
// Exit round trips from a guest, timed with RDTSC (hv does not intercept
// it): "n=<count>" (default 100000) of each of
//
//   vmmcall  a null hypercall: HV_VERSION_FAMILY(0), side-effect free
//   cpuid    CPUID leaf 0
//   outb     a write to port 0x80, which hv ignores
//
// each after a short warm-up, printing one line per kind:
//
//   bench: vmmcall 100000 exits in 1234567 us: 81000 exits/s, 12345 ns/exit, 28394 TSC/exit
//
// tests/bench/exit_bench.py sets these beside a bare VMRUN loop in the same
// QEMU; tests/run guests runs it with a small n as a test.
#include "tests/guests/lib/guest.h"

namespace {

__attribute__((noinline)) void NullHypercalls(uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) guest::VersionFamily(HV_FAMILY_VERSION);
}

__attribute__((noinline)) void Cpuids(uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) guest::Cpuid(0);
}

__attribute__((noinline)) void PortWrites(uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) asm volatile("outb %%al, $0x80" ::"a"(0) : "memory");
}

void Bench(const char* kind, void (*loop)(uint64_t), uint64_t n) {
  loop(n / 10 < 1000 ? n / 10 : 1000);  // warm-up: translated code, caches
  const uint64_t t0 = guest::Rdtsc();
  loop(n);
  const uint64_t ticks = guest::Rdtsc() - t0;
  const uint64_t tsc_khz = guest::StartInfo().tsc_hz / 1000;
  const uint64_t ns = ticks * 1000000 / tsc_khz;  // ticks < 2^64 / 10^6: hours
  GUEST_ASSERT(ns > 0);
  guest::Printf("bench: %s %lu exits in %lu us: %lu exits/s, %lu ns/exit, %lu TSC/exit\n", kind, n,
                ns / 1000, n * 1000000000 / ns, ns / n, ticks / n);
}

}  // namespace

void test_main() {
  const uint64_t n = guest::CmdlineU64("n", 100000);
  GUEST_ASSERT(n > 0 && n <= 100000000);
  GUEST_ASSERT(guest::StartInfo().tsc_hz >= 1000000);
  GUEST_ASSERT(guest::VersionFamily(HV_FAMILY_VERSION) >= 1);  // what the loop calls works
  Bench("vmmcall", NullHypercalls, n);
  Bench("cpuid", Cpuids, n);
  Bench("outb", PortWrites, n);
}
