// SPDX-License-Identifier: Apache-2.0
// Test API of the host log sink (log.cc): hv::Log/VLog lines are recorded
// process-wide, so a test can check what hv code reported. Host only.
#pragma once

#include <string>
#include <vector>

#include "hv/lib/log.h"

namespace hv::fake {

struct LoggedLine {
  LogLevel level;
  std::string text;  // formatted, without prefix or newline
};

// A copy of every line logged since the last ClearLog(), oldest first.
std::vector<LoggedLine> LoggedLines();

// Forgets all recorded lines (call it at the start of a test).
void ClearLog();

// How many recorded lines have `level` and contain `substring`.
int CountLogged(LogLevel level, const std::string& substring = "");

// Whether any recorded line of `level` contains `substring`.
bool Logged(LogLevel level, const std::string& substring);

// Stops (or resumes) the copy to stderr, for tests that log a lot on purpose.
void SetLogEcho(bool echo);

}  // namespace hv::fake
