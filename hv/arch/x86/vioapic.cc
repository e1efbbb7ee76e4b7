// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/vioapic.h"

namespace hv::x86 {
namespace {

constexpr uint64_t kMasked = 1u << 16;
constexpr uint64_t kLevel = 1u << 15;
constexpr uint64_t kRemoteIrr = 1u << 14;
constexpr uint64_t kDeliveryStatus = 1u << 12;
constexpr uint64_t kLogical = 1u << 11;
// What the guest may set: vector, delivery mode, destination mode, polarity,
// trigger, mask, destination. Remote IRR and delivery status are hv's.
constexpr uint64_t kWritable = 0xff000000000000ffull | (7u << 8) | kLogical | (1u << 13) | kLevel |
                               kMasked;

}  // namespace

void VIoApic::Reset(uint8_t id, const Hooks& hooks) {
  *this = VIoApic();
  hooks_ = hooks;
  id_ = id;
  for (uint64_t& e : redir_) e = kMasked;
}

uint32_t VIoApic::Read(uint32_t offset) {
  if (offset == 0x00) return select_;
  if (offset != 0x10) return 0;
  switch (select_) {
    case 0x00: return uint32_t{id_} << 24;
    case 0x01: return ((kPins - 1) << 16) | 0x20;  // version 0x20: has the EOI register
    case 0x02: return uint32_t{id_} << 24;
    default:
      if (select_ >= 0x10 && select_ < 0x10 + 2 * kPins) {
        const uint64_t e = redir_[(select_ - 0x10) / 2];
        return (select_ & 1) ? static_cast<uint32_t>(e >> 32) : static_cast<uint32_t>(e);
      }
      return 0;
  }
}

void VIoApic::Write(uint32_t offset, uint32_t value) {
  if (offset == 0x00) {
    select_ = value & 0xff;
    return;
  }
  if (offset == 0x40) {
    Eoi(static_cast<uint8_t>(value));
    return;
  }
  if (offset != 0x10) return;
  if (select_ == 0x00) {
    id_ = static_cast<uint8_t>((value >> 24) & 0xf);
    return;
  }
  if (select_ < 0x10 || select_ >= 0x10 + 2 * kPins) return;  // version, arbitration: read-only
  const uint32_t pin = (select_ - 0x10) / 2;
  uint64_t e = redir_[pin];
  if (select_ & 1) {
    e = (e & 0xffffffffull) | (uint64_t{value} << 32);
  } else {
    e = (e & ~0xffffffffull) | value;
  }
  redir_[pin] = (e & kWritable) | (redir_[pin] & kRemoteIrr);
  if (!(redir_[pin] & kLevel)) redir_[pin] &= ~kRemoteIrr;
  Service(pin);  // an unmasked, asserted level line fires now
}

void VIoApic::Service(uint32_t pin) {
  uint64_t& e = redir_[pin];
  if (!line_[pin] || (e & kMasked)) return;
  if (e & kLevel) {
    if (e & kRemoteIrr) return;  // the guest has not EOIed the last one
    e |= kRemoteIrr;
  }
  const uint8_t vector = static_cast<uint8_t>(e);
  if (vector < 16) return;  // illegal: dropped
  hooks_.deliver(hooks_.ctx, static_cast<uint32_t>(e >> 56), vector, e & kLevel);
  e &= ~kDeliveryStatus;
}

void VIoApic::SetLine(uint32_t gsi, bool asserted) {
  if (gsi >= kPins) return;
  const bool was = line_[gsi];
  line_[gsi] = asserted;
  const bool level = redir_[gsi] & kLevel;
  // Edge: on the rising edge. Level: whenever asserted and not in service.
  if (asserted && (level || !was)) Service(gsi);
}

void VIoApic::Eoi(uint8_t vector) {
  for (uint32_t pin = 0; pin < kPins; ++pin) {
    uint64_t& e = redir_[pin];
    if ((e & kLevel) && (e & kRemoteIrr) && static_cast<uint8_t>(e) == vector) {
      e &= ~kRemoteIrr;
      Service(pin);  // still asserted: again
    }
  }
}

}  // namespace hv::x86
