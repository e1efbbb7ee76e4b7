// SPDX-License-Identifier: Apache-2.0
// Log() for every sink; a sink (hv's console, the host tests' fake) provides VLog().
#include "hv/lib/log.h"

namespace hv {

void Log(LogLevel level, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  VLog(level, fmt, args);
  va_end(args);
}

}  // namespace hv
