// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/vlapic.h"

namespace hv::x86 {
namespace {

constexpr uint32_t kLvtMasked = 1u << 16;
constexpr uint64_t kMsrTscDeadline = 0x6e0;
// x2APIC register numbers (MSR - 0x800).
constexpr uint32_t kId = 0x02, kVersion = 0x03, kTpr = 0x08, kPpr = 0x0a, kEoi = 0x0b, kLdr = 0x0d,
                   kSvr = 0x0f, kIsr = 0x10, kTmr = 0x18, kIrr = 0x20, kEsr = 0x28,
                   kLvtCmciReg = 0x2f, kIcr = 0x30, kLvtTimerReg = 0x32, kLvtErrorReg = 0x37,
                   kInitialCount = 0x38, kCurrentCount = 0x39, kDivide = 0x3e, kSelfIpi = 0x3f;

// Fixed-point multiply: no 128-bit division (no libgcc in hv).
uint64_t MulShift(uint64_t a, uint64_t b, unsigned shift) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) >> shift);
}

}  // namespace

void VLapic::Reset(uint32_t x2apic_id, uint64_t tsc_hz, const Hooks& hooks) {
  *this = VLapic();
  hooks_ = hooks;
  id_ = x2apic_id;
  tsc_hz_ = tsc_hz ? tsc_hz : 1;
  tsc_per_tick_q24_ = (tsc_hz_ << 24) / kTimerHz;
  ticks_per_tsc_q32_ = (kTimerHz << 32) / tsc_hz_;
  for (uint32_t& l : lvt_) l = kLvtMasked;
}

int VLapic::Highest(const uint32_t (&bits)[8]) {
  for (int w = 7; w >= 0; --w) {
    if (bits[w]) return w * 32 + 31 - __builtin_clz(bits[w]);
  }
  return -1;
}

uint32_t VLapic::Ppr() const {
  const int isr = Highest(isr_);
  const uint32_t isrv = isr < 0 ? 0 : static_cast<uint32_t>(isr) & 0xf0;
  return (tpr_ & 0xf0) >= isrv ? tpr_ : isrv;
}

int VLapic::Pending() const {
  if (!enabled()) return -1;
  const int v = Highest(irr_);
  if (v < 0 || (static_cast<uint32_t>(v) & 0xf0) <= (Ppr() & 0xf0)) return -1;
  return v;
}

void VLapic::Accept(uint8_t vector) {
  if (vector < 16) {  // illegal vectors: a "received illegal vector" error
    esr_ |= 1u << 6;
    return;
  }
  Set(irr_, vector);
  hooks_.kick(hooks_.ctx);
}

void VLapic::Acknowledge(uint8_t vector) {
  Clear(irr_, vector);
  Set(isr_, vector);
}

uint32_t VLapic::DivideShift() const {
  // Divide configuration: bits 3,1,0 -> 2, 4, 8, 16, 32, 64, 128, 1.
  const uint32_t code = ((divide_ >> 1) & 4) | (divide_ & 3);
  return code == 7 ? 0 : code + 1;
}

uint64_t VLapic::CurrentCount(uint64_t now_tsc) const {
  if (!initial_count_ || TimerMode() == 2) return 0;
  const uint64_t elapsed_ticks = MulShift(now_tsc - timer_start_tsc_, ticks_per_tsc_q32_, 32) >> DivideShift();
  const uint64_t period = initial_count_;
  if (TimerMode() == 1) return period - elapsed_ticks % period;
  return elapsed_ticks >= period ? 0 : period - elapsed_ticks;
}

void VLapic::ArmFromCount(uint64_t now_tsc) {
  timer_start_tsc_ = now_tsc;
  if (!initial_count_) {
    deadline_tsc_ = 0;
  } else {
    const uint64_t ticks = uint64_t{initial_count_} << DivideShift();
    deadline_tsc_ = now_tsc + MulShift(ticks, tsc_per_tick_q24_, 24);
    if (deadline_tsc_ == now_tsc) ++deadline_tsc_;
  }
  hooks_.arm_timer(hooks_.ctx, deadline_tsc_);
}

void VLapic::TimerExpired(uint64_t now_tsc) {
  if (!deadline_tsc_ || now_tsc < deadline_tsc_) return;  // cancelled or early
  const uint32_t lvt = lvt_[kLvtTimer];
  if (!(lvt & kLvtMasked)) Accept(static_cast<uint8_t>(lvt));
  if (TimerMode() == 1 && initial_count_) {
    // Periodic: the next period starts where this one ended.
    const uint64_t period_tsc = MulShift(uint64_t{initial_count_} << DivideShift(), tsc_per_tick_q24_, 24);
    timer_start_tsc_ = deadline_tsc_;
    deadline_tsc_ += period_tsc ? period_tsc : 1;
    if (deadline_tsc_ <= now_tsc) deadline_tsc_ = now_tsc + (period_tsc ? period_tsc : 1);
    hooks_.arm_timer(hooks_.ctx, deadline_tsc_);
  } else {
    deadline_tsc_ = 0;
  }
}

void VLapic::WriteIcr(uint64_t value) {
  const uint8_t vector = static_cast<uint8_t>(value);
  const auto mode = static_cast<Delivery>((value >> 8) & 7);
  const uint32_t shorthand = (value >> 18) & 3;
  const uint32_t dest = static_cast<uint32_t>(value >> 32);
  switch (shorthand) {
    case 1:  // self
      if (mode == Delivery::kFixed) Accept(vector);
      return;
    case 2: hooks_.send_ipi(hooks_.ctx, kAll, mode, vector); return;
    case 3: hooks_.send_ipi(hooks_.ctx, kAllButSelf, mode, vector); return;
    default:
      if (dest == id_ && mode == Delivery::kFixed) {
        Accept(vector);
      } else {
        hooks_.send_ipi(hooks_.ctx, dest, mode, vector);
      }
  }
}

bool VLapic::ReadMsr(uint32_t msr, uint64_t now_tsc, uint64_t* value) {
  if (msr == kMsrTscDeadline) {
    *value = TimerMode() == 2 ? deadline_tsc_ : 0;
    return true;
  }
  const uint32_t reg = msr - 0x800;
  if (reg >= kIsr && reg < kIsr + 8) {
    *value = isr_[reg - kIsr];
    return true;
  }
  if (reg >= kTmr && reg < kTmr + 8) {
    *value = tmr_[reg - kTmr];
    return true;
  }
  if (reg >= kIrr && reg < kIrr + 8) {
    *value = irr_[reg - kIrr];
    return true;
  }
  if (reg >= kLvtTimerReg && reg <= kLvtErrorReg) {
    *value = lvt_[kLvtTimer + (reg - kLvtTimerReg)];
    return true;
  }
  switch (reg) {
    case kId: *value = id_; return true;
    case kVersion: *value = 0x50014; return true;  // version 0x14, 6 LVT entries
    case kTpr: *value = tpr_; return true;
    case kPpr: *value = Ppr(); return true;
    case kLdr: *value = ((id_ >> 4) << 16) | (1u << (id_ & 0xf)); return true;  // x2APIC cluster
    case kSvr: *value = svr_; return true;
    case kEsr: *value = esr_; return true;
    case kLvtCmciReg: *value = lvt_[kLvtCmci]; return true;
    case kIcr: *value = 0; return true;
    case kInitialCount: *value = initial_count_; return true;
    case kCurrentCount: *value = CurrentCount(now_tsc); return true;
    case kDivide: *value = divide_; return true;
    default: return false;  // EOI, self-IPI are write-only; the rest reserved
  }
}

bool VLapic::WriteMsr(uint32_t msr, uint64_t value, uint64_t now_tsc) {
  if (msr == kMsrTscDeadline) {
    if (TimerMode() != 2) return true;  // ignored outside TSC-deadline mode
    deadline_tsc_ = value;
    hooks_.arm_timer(hooks_.ctx, value);
    return true;
  }
  const uint32_t reg = msr - 0x800;
  if (reg >= kLvtTimerReg && reg <= kLvtErrorReg) {
    const uint32_t index = kLvtTimer + (reg - kLvtTimerReg);
    const uint32_t old_mode = TimerMode();
    lvt_[index] = static_cast<uint32_t>(value) & (index == kLvtTimer ? 0x700ff : 0x1f7ff);
    if (!enabled()) lvt_[index] |= kLvtMasked;
    if (index == kLvtTimer && old_mode != TimerMode()) {
      // Switching modes stops the timer.
      initial_count_ = 0;
      deadline_tsc_ = 0;
      hooks_.arm_timer(hooks_.ctx, 0);
    }
    return true;
  }
  switch (reg) {
    case kTpr:
      if (value > 0xff) return false;
      tpr_ = static_cast<uint32_t>(value);
      if (Pending() >= 0) hooks_.kick(hooks_.ctx);
      return true;
    case kEoi: {
      if (value) return false;  // x2APIC: non-zero EOI writes fault
      const int v = Highest(isr_);
      if (v >= 0) Clear(isr_, static_cast<uint8_t>(v));
      if (Pending() >= 0) hooks_.kick(hooks_.ctx);
      return true;
    }
    case kSvr:
      if (value >> 13) return false;
      svr_ = static_cast<uint32_t>(value) & 0x11ff;
      if (!enabled()) {
        for (uint32_t& l : lvt_) l |= kLvtMasked;
      }
      return true;
    case kEsr:
      if (value) return false;
      esr_ = 0;
      return true;
    case kLvtCmciReg:
      lvt_[kLvtCmci] = static_cast<uint32_t>(value) & 0x107ff;
      return true;
    case kIcr: WriteIcr(value); return true;
    case kInitialCount:
      if (TimerMode() == 2) return true;  // ignored in TSC-deadline mode
      initial_count_ = static_cast<uint32_t>(value);
      ArmFromCount(now_tsc);
      return true;
    case kDivide:
      divide_ = static_cast<uint32_t>(value) & 0xb;
      return true;
    case kSelfIpi:
      if (value > 0xff) return false;
      Accept(static_cast<uint8_t>(value));
      return true;
    default: return false;  // ID, version, PPR, LDR, ISR/TMR/IRR, current count: read-only
  }
}

}  // namespace hv::x86
