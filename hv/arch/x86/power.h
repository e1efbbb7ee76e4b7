// SPDX-License-Identifier: Apache-2.0
// Taking the machine down: ACPI power-off (S5), reset through the FADT's reset
// register and the usual fallbacks, and QEMU's isa-debug-exit for tests.
#pragma once

#include <stdint.h>

namespace hv::x86::power {

struct Config {
  uint16_t pm1a_control = 0;  // I/O ports from the FADT; 0 = none
  uint16_t pm1b_control = 0;
  bool have_s5 = false;
  uint8_t s5_type_a = 0;  // SLP_TYP values from the DSDT's \_S5
  uint8_t s5_type_b = 0;
  bool have_reset_port = false;  // FADT reset register, when in I/O space
  uint16_t reset_port = 0;
  uint8_t reset_value = 0;
};

void Configure(const Config& config);
[[noreturn]] void PowerOff();
[[noreturn]] void Reboot();
// QEMU's isa-debug-exit (iobase 0xf4): QEMU exits with status (code << 1) | 1.
// Without the device, this returns.
void DebugExit(uint8_t code);

}  // namespace hv::x86::power
