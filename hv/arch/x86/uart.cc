// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/uart.h"

#include "hv/arch/x86/cpu.h"

namespace hv::x86 {
namespace {
constexpr uint16_t kData = 0, kIer = 1, kFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5, kScratch = 7;
constexpr uint8_t kLsrDataReady = 0x01, kLsrThrEmpty = 0x20;
}  // namespace

bool Uart::Init(uint16_t port) {
  Outb(port + kScratch, 0x5a);
  if (Inb(port + kScratch) != 0x5a) return false;
  Outb(port + kIer, 0x00);
  Outb(port + kLcr, 0x80);   // DLAB: the divisor follows
  Outb(port + kData, 0x01);  // 115200 baud
  Outb(port + kIer, 0x00);
  Outb(port + kLcr, 0x03);  // 8N1
  Outb(port + kFcr, 0xc7);  // FIFOs on and cleared
  Outb(port + kMcr, 0x03);  // DTR, RTS
  port_ = port;
  return true;
}

void Uart::Put(char c) {
  if (!port_) return;
  // Bounded: a UART that never drains must not hang hv.
  for (int i = 0; i < 100000 && !(Inb(port_ + kLsr) & kLsrThrEmpty); ++i) Pause();
  Outb(port_ + kData, static_cast<uint8_t>(c));
}

int Uart::TryGet() {
  if (!port_ || !(Inb(port_ + kLsr) & kLsrDataReady)) return -1;
  return Inb(port_ + kData);
}

}  // namespace hv::x86
