// SPDX-License-Identifier: Apache-2.0
// printf-style formatting without libc, for the console and panic reports.
#pragma once

#include <stdarg.h>
#include <stddef.h>

namespace hv {

// Supports %d %i %u %x %X %o %p %s %c %% with flags '-', '0', ' ', '+', a width
// (or '*'), a precision for %s and the length modifiers hh h l ll z j t.
// Always NUL-terminates when size > 0 and returns the length the whole output
// would have had (as C's vsnprintf does), so callers can detect truncation.
size_t VFormat(char* buf, size_t size, const char* fmt, va_list args);
size_t Format(char* buf, size_t size, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

}  // namespace hv
