// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace hv {

// Reports the message, the registers and a symbolized backtrace on the
// console, stops every other CPU and takes the on_panic= action.
// Implemented by the architecture (hv/arch/x86/traps.cc).
[[noreturn]] void Panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace hv

#define HV_ASSERT(cond)                                                           \
  do {                                                                            \
    if (!(cond)) ::hv::Panic("assertion '%s' failed at %s:%d", #cond, __FILE__, __LINE__); \
  } while (0)
