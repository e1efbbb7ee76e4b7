// SPDX-License-Identifier: Apache-2.0
// The one log sink for code that runs both inside hv and in host unit tests.
// hv's console implements it (hv/core/console.cc); host tests link a fake
// that records every line (hv/arch/fake/log.cc).
#pragma once

#include <stdarg.h>
#include <stdint.h>

namespace hv {

enum class LogLevel : uint8_t { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

// One call is one line; the sink adds the prefix and the newline. Log() is
// in hv/lib/log.cc; each sink defines VLog().
void Log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void VLog(LogLevel level, const char* fmt, va_list args);

}  // namespace hv

#define HV_ERROR(...) ::hv::Log(::hv::LogLevel::kError, __VA_ARGS__)
#define HV_WARN(...) ::hv::Log(::hv::LogLevel::kWarn, __VA_ARGS__)
#define HV_INFO(...) ::hv::Log(::hv::LogLevel::kInfo, __VA_ARGS__)
#define HV_DEBUG(...) ::hv::Log(::hv::LogLevel::kDebug, __VA_ARGS__)
