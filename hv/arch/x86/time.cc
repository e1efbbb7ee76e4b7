// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/time.h"

#include "hv/arch/x86/cpu.h"
#include "hv/lib/log.h"

namespace hv::x86::time {
namespace {

constexpr uint64_t kFsPerSecond = 1000000000000000;
constexpr uint64_t kHpetMaxPeriodFs = 100000000;  // 100 ns: the HPET spec's slowest clock
// HPET registers, in 64-bit words.
constexpr int kHpetCapabilities = 0x00 / 8, kHpetConfig = 0x10 / 8, kHpetCounter = 0xf0 / 8;

uint64_t g_boot_tsc = 0;
uint64_t g_tsc_hz = 0;
uint64_t g_ns_per_tsc = 0;  // 32.32 fixed point
uint64_t g_tsc_per_ns = 0;  // 32.32 fixed point
const char* g_source = "none";
volatile uint64_t* g_hpet = nullptr;
uint64_t g_hpet_period_fs = 0;

uint64_t MulShift32(uint64_t a, uint64_t b) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) >> 32);
}

// TSC ticks over 50 ms of HPET time.
uint64_t MeasureWithHpet(uint64_t* elapsed_fs) {
  const uint64_t hpet_ticks = 50 * kFsPerSecond / 1000 / g_hpet_period_fs;
  const uint64_t h0 = g_hpet[kHpetCounter];
  const uint64_t t0 = Rdtsc();
  uint64_t h1;
  while ((h1 = g_hpet[kHpetCounter]) - h0 < hpet_ticks) Pause();
  const uint64_t t1 = Rdtsc();
  *elapsed_fs = (h1 - h0) * g_hpet_period_fs;
  return t1 - t0;
}

// TSC ticks over 50 ms of PIT channel 2 (gated by port 0x61, polled output).
uint64_t MeasureWithPit(uint64_t* elapsed_fs) {
  constexpr uint32_t kPitHz = 1193182;
  constexpr uint16_t kCount = kPitHz / 20;  // 50 ms
  Outb(0x61, (Inb(0x61) & ~0x02) | 0x01);   // gate on, speaker off
  Outb(0x43, 0xb0);                         // channel 2, lobyte/hibyte, mode 0
  Outb(0x42, kCount & 0xff);
  Outb(0x42, kCount >> 8);
  const uint64_t t0 = Rdtsc();
  for (uint64_t i = 0; !(Inb(0x61) & 0x20); ++i) {
    if (i > 100000000) return 0;  // no PIT either
  }
  const uint64_t t1 = Rdtsc();
  *elapsed_fs = uint64_t{kCount} * (kFsPerSecond / kPitHz);
  return t1 - t0;
}

}  // namespace

void MarkBoot() { g_boot_tsc = Rdtsc(); }

bool Calibrate(volatile uint64_t* hpet_mmio) {
  uint64_t elapsed_fs = 0, ticks = 0;
  if (hpet_mmio) {
    const uint64_t period = hpet_mmio[kHpetCapabilities] >> 32;
    if (period == 0 || period > kHpetMaxPeriodFs) {
      HV_WARN("HPET period %lu fs is out of range; calibrating with the PIT", period);
    } else {
      g_hpet = hpet_mmio;
      g_hpet_period_fs = period;
      g_hpet[kHpetConfig] = g_hpet[kHpetConfig] | 1;  // main counter on
      ticks = MeasureWithHpet(&elapsed_fs);
      g_source = "hpet";
    }
  }
  if (!ticks) {
    ticks = MeasureWithPit(&elapsed_fs);
    g_source = "pit";
  }
  if (!ticks || !elapsed_fs) return false;
  // tsc_hz = ticks / (elapsed_fs / 1e15), kept within 64 bits: elapsed is ~5e13 fs.
  g_tsc_hz = ticks * (kFsPerSecond / 1000000) / (elapsed_fs / 1000000);
  g_ns_per_tsc = (uint64_t{1000000000} << 32) / g_tsc_hz;
  // In two steps so that a 5 GHz TSC does not overflow 64 bits.
  g_tsc_per_ns = ((g_tsc_hz << 20) / 1000000000) << 12;
  return true;
}

uint64_t TscHz() { return g_tsc_hz; }
uint64_t BootTsc() { return g_boot_tsc; }
const char* Source() { return g_source; }
uint64_t TscToNs(uint64_t tsc_delta) { return MulShift32(tsc_delta, g_ns_per_tsc); }
uint64_t NsToTsc(uint64_t ns) { return g_tsc_per_ns ? MulShift32(ns, g_tsc_per_ns) : ns; }

void Delay(uint64_t ns) {
  const uint64_t start = Rdtsc();
  const uint64_t ticks = NsToTsc(ns);
  while (Rdtsc() - start < ticks) Pause();
}

uint64_t HpetPeriodFs() { return g_hpet_period_fs; }
uint64_t HpetCounter() { return g_hpet ? g_hpet[kHpetCounter] : 0; }

}  // namespace hv::x86::time
