// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/power.h"

#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/time.h"
#include "hv/lib/log.h"

namespace hv::x86::power {
namespace {

Config g_config;
constexpr uint16_t kSlpEn = 1u << 13;

}  // namespace

void Configure(const Config& config) { g_config = config; }

void PowerOff() {
  if (g_config.pm1a_control && g_config.have_s5) {
    HV_INFO("powering off (ACPI S5)");
    Cli();
    Outw(g_config.pm1a_control, static_cast<uint16_t>((g_config.s5_type_a << 10) | kSlpEn));
    if (g_config.pm1b_control) {
      Outw(g_config.pm1b_control, static_cast<uint16_t>((g_config.s5_type_b << 10) | kSlpEn));
    }
    time::Delay(100000000);
  }
  HV_ERROR("power off failed (no ACPI S5, or it did not take); halting");
  HaltForever();
}

void Reboot() {
  HV_INFO("rebooting");
  Cli();
  if (g_config.have_reset_port) {
    Outb(g_config.reset_port, g_config.reset_value);
    time::Delay(50000000);
  }
  Outb(0xcf9, 0x06);  // PCI reset control: hard reset
  time::Delay(50000000);
  for (int i = 0; i < 100000 && (Inb(0x64) & 0x02); ++i) Pause();
  Outb(0x64, 0xfe);  // 8042 pulse reset line
  time::Delay(50000000);
  // Last resort: a triple fault through an empty IDT.
  struct [[gnu::packed]] {
    uint16_t limit;
    uint64_t base;
  } empty_idt{0, 0};
  asm volatile("lidt %0; int3" ::"m"(empty_idt));
  HaltForever();
}

void DebugExit(uint8_t code) { Outb(0xf4, code); }

}  // namespace hv::x86::power
