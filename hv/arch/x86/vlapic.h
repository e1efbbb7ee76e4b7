// SPDX-License-Identifier: Apache-2.0
// A guest's local APIC in x2APIC mode (registers as MSRs 0x800-0x8ff, and
// the TSC-deadline MSR): what an unmodified Linux reads and writes, its
// interrupt state (IRR/ISR and priorities), inter-processor interrupts and
// the timer. Pure logic with hooks into hv, so it is unit-tested on the host.
#pragma once

#include <stdint.h>

namespace hv::x86 {

class VLapic {
 public:
  // Delivery modes of an IPI (ICR bits 10:8).
  enum class Delivery : uint8_t { kFixed = 0, kLowest = 1, kSmi = 2, kNmi = 4, kInit = 5, kStartup = 6 };

  struct Hooks {
    void* ctx;
    // Something is pending: the vCPU should look (wake it, or make it exit).
    void (*kick)(void* ctx);
    // The timer should fire at this TSC value (0: cancel).
    void (*arm_timer)(void* ctx, uint64_t deadline_tsc);
    // An IPI to the vCPU with this x2APIC id (kAllButSelf / kAll for shorthands).
    void (*send_ipi)(void* ctx, uint32_t dest, Delivery mode, uint8_t vector);
  };
  static constexpr uint32_t kAll = 0xffffffff;
  static constexpr uint32_t kAllButSelf = 0xfffffffe;

  // The APIC timer counts at this rate (the "bus clock"); the TSC rate turns
  // counts into deadlines.
  static constexpr uint64_t kTimerHz = 1000000000;

  // Power-on state; x2APIC mode, software-disabled until SVR is written.
  void Reset(uint32_t x2apic_id, uint64_t tsc_hz, const Hooks& hooks);

  // MSR access for msr in [0x800, 0x900) and 0x6e0 (TSC deadline). False:
  // the guest gets #GP (reserved or read-only register, reserved bits).
  [[nodiscard]] bool ReadMsr(uint32_t msr, uint64_t now_tsc, uint64_t* value);
  [[nodiscard]] bool WriteMsr(uint32_t msr, uint64_t value, uint64_t now_tsc);
  static bool IsApicMsr(uint32_t msr) { return (msr >= 0x800 && msr < 0x900) || msr == 0x6e0; }

  // An interrupt for this APIC (an IPI, the IOAPIC, the timer): sets IRR.
  void Accept(uint8_t vector);
  // The vector to inject now, if any: the highest in IRR above the
  // processor priority; -1 if none. (The guest's IF is the caller's business.)
  int Pending() const;
  // The vector was injected: IRR -> ISR.
  void Acknowledge(uint8_t vector);
  // The timer deadline passed (hv's timer fired): raises the LVT vector and,
  // in periodic mode, re-arms.
  void TimerExpired(uint64_t now_tsc);

  uint32_t id() const { return id_; }
  bool enabled() const { return svr_ & 0x100; }
  uint8_t tpr() const { return static_cast<uint8_t>(tpr_); }

 private:
  static bool Test(const uint32_t (&bits)[8], uint8_t v) { return bits[v / 32] & (1u << (v % 32)); }
  static void Set(uint32_t (&bits)[8], uint8_t v) { bits[v / 32] |= 1u << (v % 32); }
  static void Clear(uint32_t (&bits)[8], uint8_t v) { bits[v / 32] &= ~(1u << (v % 32)); }
  static int Highest(const uint32_t (&bits)[8]);
  uint32_t Ppr() const;
  void WriteIcr(uint64_t value);
  void ArmFromCount(uint64_t now_tsc);
  uint64_t CurrentCount(uint64_t now_tsc) const;
  uint32_t DivideShift() const;
  uint32_t TimerMode() const { return (lvt_[kLvtTimer] >> 17) & 3; }  // 0 one-shot, 1 periodic, 2 deadline

  enum Lvt { kLvtCmci, kLvtTimer, kLvtThermal, kLvtPerf, kLvtLint0, kLvtLint1, kLvtError, kLvtCount };

  Hooks hooks_{};
  uint32_t id_ = 0;
  uint64_t tsc_hz_ = 1;
  uint64_t tsc_per_tick_q24_ = 0;   // TSC ticks per APIC tick, 40.24 fixed point
  uint64_t ticks_per_tsc_q32_ = 0;  // APIC ticks per TSC tick, 32.32 fixed point
  uint32_t tpr_ = 0;
  uint32_t svr_ = 0xff;
  uint32_t esr_ = 0;
  uint32_t lvt_[kLvtCount] = {};
  uint32_t irr_[8] = {}, isr_[8] = {}, tmr_[8] = {};
  uint32_t divide_ = 0;
  uint32_t initial_count_ = 0;
  uint64_t timer_start_tsc_ = 0;  // when the count was (re)loaded
  uint64_t deadline_tsc_ = 0;     // armed deadline, 0 = none
};

}  // namespace hv::x86
