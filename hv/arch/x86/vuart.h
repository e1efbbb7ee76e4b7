// SPDX-License-Identifier: Apache-2.0
// A guest's 16550A UART (the console Linux knows as ttyS0): the registers
// the 8250 driver reads and writes, a 16-byte receive FIFO, loopback, and
// the interrupt line (IRQ 4). Pure logic with hooks into hv, so it is
// unit-tested on the host.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hv::x86 {

class VUart {
 public:
  struct Hooks {
    void* ctx;
    void (*output)(void* ctx, char c);             // a byte the guest sent
    void (*irq)(void* ctx, bool level);            // the interrupt line
  };

  void Reset(const Hooks& hooks);
  // Port offset 0..7 from the base (0x3f8).
  uint8_t Read(uint8_t offset);
  void Write(uint8_t offset, uint8_t value);
  // Input for the guest (from hv's console); false if the FIFO is full.
  bool Receive(char c);
  size_t rx_free() const { return kFifo - rx_count_; }

 private:
  static constexpr size_t kFifo = 16;
  void Update();  // recomputes IIR and the IRQ line

  Hooks hooks_{};
  uint8_t ier_ = 0, lcr_ = 0, mcr_ = 0, scr_ = 0, fcr_ = 0;
  uint8_t dll_ = 0x0c, dlm_ = 0;  // 9600 baud after reset
  bool thr_empty_irq_ = false;  // the THRE interrupt is pending (cleared by an IIR read or a write)
  char rx_[kFifo] = {};
  size_t rx_head_ = 0, rx_count_ = 0;
  bool irq_level_ = false;
};

}  // namespace hv::x86
