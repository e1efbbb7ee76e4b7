// SPDX-License-Identifier: Apache-2.0
// hv's console: every hv::Log line, prefixed "(hv) ", with a timestamp once the
// clock runs, filtered by loglvl=, serialized across CPUs.
#pragma once

#include "hv/lib/log.h"

namespace hv::console {

void SetLevel(LogLevel level);
// Writes raw text (no prefix, no filter) under the console lock.
void Write(const char* s);
// For the panic path: the CPU that panics may have been holding the lock.
void BreakLock();

}  // namespace hv::console
