// SPDX-License-Identifier: Apache-2.0
// hv's own command line (from the boot loader), parsed into BootOptions.
//
// Syntax: words separated by blanks, each `name` or `name=value`; single or
// double quotes group blanks into a word and are removed ("console=com1,com2",
// dom0_mem="1G"). '-' and '_' in names are the same. The first word is
// skipped if it looks like the image path (QEMU and GRUB pass it): it contains
// '/' or ends in ".elf", ".bin" or "image", and has no '='. Later options win.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/lib/log.h"

namespace hv {

// Bits of BootOptions::consoles.
inline constexpr uint8_t kConsoleCom1 = 1u << 0;
inline constexpr uint8_t kConsoleCom2 = 1u << 1;

enum class AfterBoot : uint8_t { kIdle, kPoweroff, kReboot, kDebugExit };
enum class OnPanic : uint8_t { kHalt, kReboot, kPoweroff, kDebugExit };
// A fault raised at the end of boot, to show the panic report.
enum class Scheduler : uint8_t { kCredit2, kRoundRobin };
enum class SelfTest : uint8_t { kNone, kPageFault, kInvalidOpcode, kGeneralProtection, kDivide };

// The defaults below apply when an option is absent or its value is bad.
struct BootOptions {
  uint8_t consoles = kConsoleCom1;          // console=com1,com2 | none (0)
  LogLevel log_level = LogLevel::kInfo;     // loglvl=error|warn|info|debug
  uint64_t dom0_mem = 0;                    // dom0_mem=512M|1G|4096K|<bytes>; 0: not given
  uint32_t max_cpus = 0;                    // smp=N, maxcpus=N; 0: all CPUs
  AfterBoot after_boot = AfterBoot::kIdle;  // after_boot=idle|poweroff|reboot|debug_exit
  OnPanic on_panic = OnPanic::kHalt;        // on_panic=halt|reboot|poweroff|debug_exit
  bool scrub = true;                        // scrub=<bool>: zero free memory at boot
  SelfTest selftest = SelfTest::kNone;      // selftest=none|pagefault|ud|gp|divide
  bool hpet = true;                         // hpet=<bool>
  bool x2apic = true;                       // x2apic=<bool>
  bool bench = false;                       // bench (flag; bench=<bool> also works)
  Scheduler scheduler = Scheduler::kCredit2;  // sched=credit2|rr
  // idle_poll_us=N (0..10000): how long a CPU that ran out of work polls for
  // more before it halts (KVM's halt polling); 0: halt at once.
  uint32_t idle_poll_us = 100;
  int8_t domains_module = -1;  // domains=N: module N declares boot-time domains; -1: none
};
// <bool> is 1/0, yes/no, true/false, on/off (any case); a bare name means on.

// Longer command lines are cut here (with a warning).
inline constexpr size_t kMaxCommandLine = 1024;

// Never fails: an unknown option, a bad value or a cut line is reported with
// HV_WARN naming it, and the option keeps its default. cmdline may be null.
// Reads at most kMaxCommandLine + 1 bytes; uses ~1 KiB of stack.
BootOptions ParseCommandLine(const char* cmdline);

}  // namespace hv
