// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/vuart.h"

namespace hv::x86 {
namespace {

constexpr uint8_t kRbrThr = 0, kIer = 1, kIirFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5, kMsr = 6,
                  kScr = 7;
constexpr uint8_t kLcrDlab = 0x80;
constexpr uint8_t kIerRda = 0x01, kIerThre = 0x02, kIerRls = 0x04, kIerMs = 0x08;
constexpr uint8_t kMcrOut2 = 0x08, kMcrLoop = 0x10;
constexpr uint8_t kLsrDr = 0x01, kLsrThre = 0x20, kLsrTemt = 0x40;
constexpr uint8_t kIirNone = 0x01, kIirThre = 0x02, kIirRda = 0x04, kIirFifo = 0xc0;

}  // namespace

void VUart::Reset(const Hooks& hooks) {
  *this = VUart();
  hooks_ = hooks;
}

void VUart::Update() {
  // On a PC the line reaches the interrupt controller only with OUT2 set.
  const bool rda = (ier_ & kIerRda) && rx_count_;
  const bool thre = (ier_ & kIerThre) && thr_empty_irq_;
  const bool level = (rda || thre) && (mcr_ & kMcrOut2);
  if (level != irq_level_) {
    irq_level_ = level;
    hooks_.irq(hooks_.ctx, level);
  }
}

bool VUart::Receive(char c) {
  if (rx_count_ == kFifo) return false;
  rx_[(rx_head_ + rx_count_) % kFifo] = c;
  ++rx_count_;
  Update();
  return true;
}

uint8_t VUart::Read(uint8_t offset) {
  switch (offset & 7) {
    case kRbrThr: {
      if (lcr_ & kLcrDlab) return dll_;
      if (!rx_count_) return 0;
      const char c = rx_[rx_head_];
      rx_head_ = (rx_head_ + 1) % kFifo;
      --rx_count_;
      Update();
      return static_cast<uint8_t>(c);
    }
    case kIer: return (lcr_ & kLcrDlab) ? dlm_ : ier_;
    case kIirFcr: {
      const uint8_t fifo = (fcr_ & 1) ? kIirFifo : 0;
      if ((ier_ & kIerRda) && rx_count_) return fifo | kIirRda;
      if ((ier_ & kIerThre) && thr_empty_irq_) {
        thr_empty_irq_ = false;  // reading IIR reporting THRE clears it
        Update();
        return fifo | kIirThre;
      }
      return fifo | kIirNone;
    }
    case kLcr: return lcr_;
    case kMcr: return mcr_;
    case kLsr: return (rx_count_ ? kLsrDr : 0) | kLsrThre | kLsrTemt;  // we transmit at once
    case kMsr:
      // Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD; otherwise a
      // terminal is always there (DCD, DSR, CTS).
      if (mcr_ & kMcrLoop) {
        return static_cast<uint8_t>(((mcr_ & 1) << 5) | ((mcr_ & 2) << 3) | ((mcr_ & 4) << 4) |
                                    ((mcr_ & 8) << 4));
      }
      return 0xb0;
    case kScr: return scr_;
  }
  return 0xff;
}

void VUart::Write(uint8_t offset, uint8_t value) {
  switch (offset & 7) {
    case kRbrThr:
      if (lcr_ & kLcrDlab) {
        dll_ = value;
        return;
      }
      if (mcr_ & kMcrLoop) {
        (void)Receive(static_cast<char>(value));  // comes back to the guest
      } else {
        hooks_.output(hooks_.ctx, static_cast<char>(value));
      }
      thr_empty_irq_ = true;  // sent at once: the holding register is empty again
      Update();
      return;
    case kIer:
      if (lcr_ & kLcrDlab) {
        dlm_ = value;
        return;
      }
      // Enabling THRE with the register empty raises it at once (the 8250
      // driver's THRE test relies on it).
      if ((value & kIerThre) && !(ier_ & kIerThre)) thr_empty_irq_ = true;
      ier_ = value & (kIerRda | kIerThre | kIerRls | kIerMs);
      Update();
      return;
    case kIirFcr:
      fcr_ = value & 0xc9;
      if (value & 2) {  // clear the receive FIFO
        rx_head_ = rx_count_ = 0;
        Update();
      }
      return;
    case kLcr: lcr_ = value; return;
    case kMcr:
      mcr_ = value & 0x1f;
      Update();
      return;
    case kLsr:
    case kMsr: return;  // read-only
    case kScr: scr_ = value; return;
  }
}

}  // namespace hv::x86
