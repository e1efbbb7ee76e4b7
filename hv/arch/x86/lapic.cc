// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/lapic.h"

#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/time.h"
#include "hv/lib/log.h"

namespace hv::x86::lapic {
namespace {

// Register offsets in the xAPIC page; the x2APIC MSR is 0x800 + offset / 16.
constexpr uint32_t kId = 0x20, kTpr = 0x80, kEoi = 0xb0, kSvr = 0xf0, kEsr = 0x280;
constexpr uint32_t kIcrLow = 0x300, kIcrHigh = 0x310, kLvtTimer = 0x320, kLvtLint0 = 0x350;
constexpr uint32_t kLvtLint1 = 0x360, kLvtError = 0x370, kInitCount = 0x380, kCurCount = 0x390;
constexpr uint32_t kDivide = 0x3e0;

constexpr uint32_t kIcrDeliveryPending = 1u << 12;
constexpr uint32_t kIcrAssert = 1u << 14;
constexpr uint32_t kIcrInit = 5u << 8, kIcrStartup = 6u << 8, kIcrNmi = 4u << 8;
constexpr uint32_t kLvtMasked = 1u << 16;
constexpr uint32_t kLvtTscDeadline = 2u << 17;
constexpr uint64_t kApicBaseEnable = 1u << 11, kApicBaseX2 = 1u << 10;

bool g_x2apic = false;
bool g_deadline = false;
volatile uint32_t* g_mmio = nullptr;
// APIC timer ticks per TSC tick, as 32.32 fixed point (no 128-bit division in ring 0).
uint64_t g_ticks_per_tsc = 0;

uint64_t MulShift32(uint64_t a, uint64_t b) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) >> 32);
}

uint32_t Read(uint32_t reg) {
  if (g_x2apic) return static_cast<uint32_t>(Rdmsr(0x800 + reg / 16));
  return g_mmio[reg / 4];
}

void Write(uint32_t reg, uint32_t v) {
  if (g_x2apic) {
    Wrmsr(0x800 + reg / 16, v);
  } else {
    g_mmio[reg / 4] = v;
  }
}

void SendIcr(uint32_t apic_id, uint32_t low) {
  if (g_x2apic) {
    Wrmsr(0x830, (uint64_t{apic_id} << 32) | low);
    return;
  }
  Write(kIcrHigh, apic_id << 24);
  Write(kIcrLow, low);
  for (int i = 0; i < 1000000 && (Read(kIcrLow) & kIcrDeliveryPending); ++i) Pause();
}

}  // namespace

void Init(bool use_x2apic, volatile uint32_t* mmio) {
  g_x2apic = use_x2apic;
  g_mmio = mmio;
  g_deadline = (Cpuid(1).ecx >> 24) & 1;
}

void EnableThisCpu() {
  uint64_t base = Rdmsr(kMsrApicBase) | kApicBaseEnable;
  if (g_x2apic) base |= kApicBaseX2;
  Wrmsr(kMsrApicBase, base);
  Write(kTpr, 0);
  Write(kLvtLint0, kLvtMasked);
  Write(kLvtLint1, kLvtMasked);
  Write(kLvtError, kLvtMasked);
  Write(kLvtTimer, kLvtMasked);
  if (!g_x2apic) Write(kEsr, 0);
  Write(kSvr, 0x100 | kVectorSpurious);  // software enable
}

bool x2apic() { return g_x2apic; }
bool tsc_deadline() { return g_deadline; }
uint32_t Id() { return g_x2apic ? Read(kId) : Read(kId) >> 24; }
void Eoi() { Write(kEoi, 0); }
void SendIpi(uint32_t apic_id, uint8_t vector) { SendIcr(apic_id, kIcrAssert | vector); }
void SendNmi(uint32_t apic_id) { SendIcr(apic_id, kIcrAssert | kIcrNmi); }
void SendInit(uint32_t apic_id) { SendIcr(apic_id, kIcrAssert | kIcrInit); }
void SendStartup(uint32_t apic_id, uint8_t page) {
  SendIcr(apic_id, kIcrAssert | kIcrStartup | page);
}

void CalibrateTimer() {
  // Count down from the top for a measured stretch of TSC time.
  Write(kDivide, 0xb);  // divide by 1
  Write(kLvtTimer, kLvtMasked);
  const uint64_t tsc_hz = time::TscHz();
  const uint64_t start = Rdtsc();
  Write(kInitCount, 0xffffffff);
  while (Rdtsc() - start < tsc_hz / 100) Pause();  // 10 ms
  const uint32_t counted = 0xffffffff - Read(kCurCount);
  const uint64_t elapsed = Rdtsc() - start;
  Write(kInitCount, 0);
  g_ticks_per_tsc = (uint64_t{counted} << 32) / elapsed;
}

uint64_t TimerHz() {
  return g_deadline ? time::TscHz() : MulShift32(time::TscHz(), g_ticks_per_tsc);
}

void ArmTimer(uint64_t deadline_tsc) {
  if (g_deadline) {
    Write(kLvtTimer, kLvtTscDeadline | kVectorTimer);
    Wrmsr(kMsrTscDeadline, deadline_tsc);
    return;
  }
  const uint64_t now = Rdtsc();
  const uint64_t delta_tsc = deadline_tsc > now ? deadline_tsc - now : 1;
  uint64_t count = MulShift32(delta_tsc, g_ticks_per_tsc);
  if (count == 0) count = 1;
  if (count > 0xffffffff) count = 0xffffffff;  // fires early; the handler re-arms
  Write(kLvtTimer, kVectorTimer);              // one-shot
  Write(kInitCount, static_cast<uint32_t>(count));
}

}  // namespace hv::x86::lapic
