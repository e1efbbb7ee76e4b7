// SPDX-License-Identifier: Apache-2.0
// A guest's IOAPIC (at 0xfec00000): the indirect register window
// (IOREGSEL/IOWIN), 24 redirection entries, edge and level triggered lines
// with remote IRR, and the EOI register. Pure logic with a delivery hook into
// the local APICs, so it is unit-tested on the host.
#pragma once

#include <stdint.h>

namespace hv::x86 {

class VIoApic {
 public:
  static constexpr uint64_t kBase = 0xfec00000;
  static constexpr uint32_t kPins = 24;

  struct Hooks {
    void* ctx;
    // Deliver vector to the local APIC with this id (physical destination).
    void (*deliver)(void* ctx, uint32_t apic_id, uint8_t vector, bool level);
  };

  void Reset(uint8_t id, const Hooks& hooks);
  // 32-bit accesses at offsets 0x00 (IOREGSEL), 0x10 (IOWIN), 0x40 (EOI).
  uint32_t Read(uint32_t offset);
  void Write(uint32_t offset, uint32_t value);
  // A device drives pin `gsi` (true = asserted).
  void SetLine(uint32_t gsi, bool asserted);
  // A local APIC took an EOI for a level-triggered vector (broadcast EOI).
  void Eoi(uint8_t vector);
  uint64_t entry(uint32_t pin) const { return pin < kPins ? redir_[pin] : 0; }

 private:
  void Service(uint32_t pin);

  Hooks hooks_{};
  uint8_t id_ = 0;
  uint32_t select_ = 0;
  uint64_t redir_[kPins] = {};
  bool line_[kPins] = {};
};

}  // namespace hv::x86
