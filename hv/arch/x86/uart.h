// SPDX-License-Identifier: Apache-2.0
// A 16550 UART driven by polling: hv's console output and debug-key input.
#pragma once

#include <stdint.h>

namespace hv::x86 {

class Uart {
 public:
  static constexpr uint16_t kCom1 = 0x3f8;
  static constexpr uint16_t kCom2 = 0x2f8;

  constexpr Uart() = default;
  // 115200 8N1, FIFOs on, interrupts off. Returns false if no UART answers
  // at the port (the scratch register does not hold a value).
  bool Init(uint16_t port);
  bool present() const { return port_ != 0; }
  void Put(char c);
  // Returns -1 when no byte is waiting.
  int TryGet();

 private:
  uint16_t port_ = 0;
};

}  // namespace hv::x86
