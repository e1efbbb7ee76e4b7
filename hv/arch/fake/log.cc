// SPDX-License-Identifier: Apache-2.0
// Host implementation of hv::Log: formats with hv::VFormat (so tests exercise
// the same formatter as hv), records each line and echoes it to stderr.
#include "hv/arch/fake/log.h"

#include <stdarg.h>
#include <stdio.h>

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "hv/lib/format.h"

namespace hv {
namespace fake {
namespace {

struct LogState {
  std::mutex mu;  // guards everything below; tests may log from several threads
  std::vector<LoggedLine> lines;
  bool echo = true;
};

// Function-local static: constructed on first use, no init-order questions.
LogState& State() {
  static LogState* state = new LogState;
  return *state;
}

const char* LevelTag(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kDebug:
      return "DEBUG";
  }
  return "?";
}

}  // namespace

std::vector<LoggedLine> LoggedLines() {
  LogState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.lines;
}

void ClearLog() {
  LogState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  s.lines.clear();
}

int CountLogged(LogLevel level, const std::string& substring) {
  LogState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  int n = 0;
  for (const LoggedLine& line : s.lines) {
    if (line.level == level && line.text.find(substring) != std::string::npos) ++n;
  }
  return n;
}

bool Logged(LogLevel level, const std::string& substring) {
  return CountLogged(level, substring) > 0;
}

void SetLogEcho(bool echo) {
  LogState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  s.echo = echo;
}

}  // namespace fake

void VLog(LogLevel level, const char* fmt, va_list args) {
  // VFormat works on a copy of args, so a second pass for long lines is fine.
  char small[256];
  std::string text;
  size_t n = VFormat(small, sizeof(small), fmt, args);
  if (n < sizeof(small)) {
    text.assign(small, n);
  } else {
    text.resize(n + 1);
    VFormat(text.data(), text.size(), fmt, args);
    text.resize(n);
  }
  fake::LogState& s = fake::State();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.echo) fprintf(stderr, "(hv) [%s] %s\n", fake::LevelTag(level), text.c_str());
  s.lines.push_back(fake::LoggedLine{level, std::move(text)});
}

}  // namespace hv
