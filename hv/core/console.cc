// SPDX-License-Identifier: Apache-2.0
#include "hv/core/console.h"

#include <atomic>

#include "hv/core/arch.h"
#include "hv/lib/format.h"
#include "hv/lib/spinlock.h"

namespace hv {
namespace {

SpinLock g_lock;  // guards the output devices, so lines from CPUs never mix
std::atomic<LogLevel> g_level{LogLevel::kInfo};

size_t Length(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}

}  // namespace

namespace console {

void SetLevel(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }

void Write(const char* s) {
  SpinGuard guard(g_lock);
  arch::ConsoleWrite(s, Length(s));
}

void BreakLock() { g_lock.ForceUnlock(); }

}  // namespace console

void VLog(LogLevel level, const char* fmt, va_list args) {
  if (level > g_level.load(std::memory_order_relaxed)) return;
  char line[512];
  size_t n = 0;
  const uint64_t ns = arch::NowNs();
  if (ns) {
    n = Format(line, sizeof(line), "(hv) [%4lu.%06lu] ", ns / 1000000000, ns / 1000 % 1000000);
  } else {
    n = Format(line, sizeof(line), "(hv) ");
  }
  if (level == LogLevel::kError) {
    n += Format(line + n, sizeof(line) - n, "error: ");
  } else if (level == LogLevel::kWarn) {
    n += Format(line + n, sizeof(line) - n, "warning: ");
  }
  if (n < sizeof(line)) VFormat(line + n, sizeof(line) - n, fmt, args);
  // A long line is cut; it still ends with a newline.
  size_t len = Length(line);
  if (len > sizeof(line) - 3) len = sizeof(line) - 3;
  line[len++] = '\r';
  line[len++] = '\n';
  line[len] = '\0';
  SpinGuard guard(g_lock);
  arch::ConsoleWrite(line, len);
}

}  // namespace hv
