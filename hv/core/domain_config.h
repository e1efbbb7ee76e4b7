// SPDX-License-Identifier: Apache-2.0
// The boot-time domain config module: domUs declared at boot, so that guests
// run without dom0 (the idea of Xen's dom0less). The module is a text file,
// one domain per line:
//
//   # kernel= and ramdisk= are multiboot module indices
//   name=web kernel=2 ramdisk=3 memory=512M vcpus=2 cpus=2-3 cmdline="console=ttyS0 quiet"
//   name=test0 kernel=4 memory=16M on_crash=destroy
//
// Syntax: lines end at '\n' (a '\r' before it is ignored, so CRLF works).
// Blank lines and lines holding only a comment are skipped. A line is blank-
// separated (space, tab) `key=value` pairs. '#' where a pair would start
// begins a comment that runs to the end of the line (inside a value it is
// an ordinary character). A value is either bare (no blanks, no '"') or
// double-quoted: then it may hold blanks, `\"` stands for '"' and `\\` for
// '\', and any other backslash is kept as it is. Values hold no control
// characters (a tab is allowed inside quotes). Keys are lowercase and each
// may appear once per line.
//
// Keys (the defaults apply when a key is absent):
//   name=        required; 1..31 of [A-Za-z0-9_.-], unique in the file
//   kernel=      required; multiboot module index 0..15
//   ramdisk=     module index 0..15; default none
//   memory=      required; bytes, or a number with K, M or G (any case):
//                1M..1024G and a multiple of 4K
//   vcpus=       1..64; default 1
//   weight=      scheduler weight 1..65535; default 256
//   cap=         percent of one CPU, 0..100 * vcpus, 0 = no cap; default 0
//   cpus=        hard affinity: "all" or a list like 0,2-3 of CPUs 0..63;
//                default all
//   cmdline=     the guest's command line, up to 1023 characters; default ""
//   on_poweroff= destroy|restart|preserve; default destroy
//   on_reboot=   destroy|restart|preserve; default restart
//   on_crash=    destroy|restart|preserve; default preserve
//   privileged=  yes|no: a control domain, allowed the privileged hypercall
//                families (domctl, sysctl; api/hv/hypercall.h); default no
// Numbers are decimal. Enumerated values ("all", "destroy", "yes", ...) may be
// in any case.
//
// Errors never stop the parse: a line with an unknown or repeated key, a bad
// value, a missing required key, a duplicate name, an over-long line or
// value, an unterminated quote or a control character is reported with
// HV_WARN naming the line number and the key, and its domain is skipped; so
// is every domain after the first kMaxBootDomains.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hv {

inline constexpr size_t kMaxBootDomains = 16;
inline constexpr size_t kMaxDomainNameLength = 31;       // without the NUL
inline constexpr size_t kMaxDomainCmdlineLength = 1023;  // without the NUL
inline constexpr uint32_t kMaxBootModuleIndex = 15;
inline constexpr uint32_t kMaxDomainVcpus = 64;
inline constexpr uint32_t kMaxDomainCpu = 63;  // highest CPU number in cpus=
inline constexpr uint64_t kMinDomainMemory = uint64_t{1} << 20;
inline constexpr uint64_t kMaxDomainMemory = uint64_t{1} << 40;
inline constexpr uint64_t kDomainMemoryAlign = uint64_t{4} << 10;
// Longer modules are parsed up to the last line end inside this many bytes.
inline constexpr size_t kMaxDomainConfigSize = 64 * 1024;
// A longer line (without its line end) is skipped.
inline constexpr size_t kMaxDomainConfigLine = 4096;
// A longer value (after removing quotes and escapes) is refused.
inline constexpr size_t kMaxDomainConfigValue = kMaxDomainCmdlineLength;

enum class DomainAction : uint8_t { kDestroy, kRestart, kPreserve };

const char* DomainActionName(DomainAction action);

struct DomainConfig {
  char name[kMaxDomainNameLength + 1] = {};  // NUL-terminated
  uint32_t line = 0;                         // where it was declared, for messages
  uint8_t kernel_module = 0;                 // multiboot module index
  bool has_ramdisk = false;
  uint8_t ramdisk_module = 0;  // valid if has_ramdisk
  uint64_t memory = 0;         // bytes
  uint32_t vcpus = 1;
  uint32_t weight = 256;
  uint32_t cap = 0;                                // percent of one CPU; 0: no cap
  uint64_t cpu_mask = ~uint64_t{0};                // bit n: may run on CPU n
  char cmdline[kMaxDomainCmdlineLength + 1] = {};  // NUL-terminated
  DomainAction on_poweroff = DomainAction::kDestroy;
  DomainAction on_reboot = DomainAction::kRestart;
  DomainAction on_crash = DomainAction::kPreserve;
  bool privileged = false;  // a control domain (dom0's rights); for tests
};

struct BootDomains {
  DomainConfig domains[kMaxBootDomains];  // [0, count) in file order; the rest default
  size_t count = 0;
  size_t skipped = 0;  // domain lines refused with a warning
};

// Parses text[0, size) (need not be NUL-terminated; NUL bytes in it are
// control characters, see above) into *out, which is fully overwritten.
// text may be null when size is 0. Never fails as a whole; see above for
// what is reported and skipped. Uses about 1.2 KiB of stack.
void ParseDomainConfig(const char* text, size_t size, BootDomains* out);

}  // namespace hv
