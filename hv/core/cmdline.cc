// SPDX-License-Identifier: Apache-2.0
#include "hv/core/cmdline.h"

namespace hv {
namespace {

// An option's value: text is "" and present false for a bare `name`.
struct Value {
  const char* text;
  bool present;
};

template <typename T>
struct Named {
  const char* name;
  T value;
};

constexpr Named<bool> kBools[] = {{"1", true},    {"0", false},     {"yes", true}, {"no", false},
                                  {"true", true}, {"false", false}, {"on", true},  {"off", false}};
constexpr Named<LogLevel> kLogLevels[] = {{"error", LogLevel::kError},
                                          {"warn", LogLevel::kWarn},
                                          {"info", LogLevel::kInfo},
                                          {"debug", LogLevel::kDebug}};
constexpr Named<AfterBoot> kAfterBoot[] = {{"idle", AfterBoot::kIdle},
                                           {"poweroff", AfterBoot::kPoweroff},
                                           {"reboot", AfterBoot::kReboot},
                                           {"debug_exit", AfterBoot::kDebugExit}};
constexpr Named<OnPanic> kOnPanic[] = {{"halt", OnPanic::kHalt},
                                       {"reboot", OnPanic::kReboot},
                                       {"poweroff", OnPanic::kPoweroff},
                                       {"debug_exit", OnPanic::kDebugExit}};
constexpr Named<Scheduler> kSchedulers[] = {{"credit2", Scheduler::kCredit2},
                                            {"rr", Scheduler::kRoundRobin}};
constexpr Named<SelfTest> kSelfTests[] = {{"none", SelfTest::kNone},
                                          {"pagefault", SelfTest::kPageFault},
                                          {"ud", SelfTest::kInvalidOpcode},
                                          {"gp", SelfTest::kGeneralProtection},
                                          {"divide", SelfTest::kDivide}};

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Values are matched without regard to case.
bool EqualsNoCase(const char* a, const char* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

size_t Length(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

// Names are case-sensitive, but '-' and '_' are interchangeable (as in Linux).
bool SameName(const char* a, const char* b) {
  for (;; ++a, ++b) {
    char x = *a == '-' ? '_' : *a;
    char y = *b == '-' ? '_' : *b;
    if (x != y) return false;
    if (x == '\0') return true;
  }
}

bool EndsWithNoCase(const char* s, size_t n, const char* suffix) {
  size_t m = Length(suffix);
  return n >= m && EqualsNoCase(s + n - m, suffix, m);
}

template <typename T, size_t N>
bool Lookup(const char* text, const Named<T> (&table)[N], T* out) {
  size_t n = Length(text);
  for (const Named<T>& entry : table) {
    if (Length(entry.name) == n && EqualsNoCase(entry.name, text, n)) {
      *out = entry.value;
      return true;
    }
  }
  return false;
}

// The parsers write *out only when the value is good.
template <const auto& kTable>
bool ParseEnum(Value v, decltype(kTable[0].value)* out) {
  return v.present && Lookup(v.text, kTable, out);
}

bool ParseBool(Value v, bool* out) {
  if (!v.present) {
    *out = true;
    return true;
  }
  return Lookup(v.text, kBools, out);
}

// Decimal digits only, no sign; false on overflow past `max`.
bool ParseDecimal(const char** p, uint64_t max, uint64_t* out) {
  if (!IsDigit(**p)) return false;
  uint64_t v = 0;
  for (; IsDigit(**p); ++*p) {
    uint64_t d = static_cast<uint64_t>(**p - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

// Bytes, or a number with K, M, G or T (binary units).
bool ParseSize(Value v, uint64_t* out) {
  if (!v.present) return false;
  const char* p = v.text;
  uint64_t n = 0;
  if (!ParseDecimal(&p, ~uint64_t{0}, &n)) return false;
  unsigned shift = 0;
  switch (Lower(*p)) {
    case 'k':
      shift = 10;
      break;
    case 'm':
      shift = 20;
      break;
    case 'g':
      shift = 30;
      break;
    case 't':
      shift = 40;
      break;
    case '\0':
      break;
    default:
      return false;
  }
  if (shift != 0) ++p;
  if (*p != '\0' || n == 0 || n > (~uint64_t{0} >> shift)) return false;
  *out = n << shift;
  return true;
}

// A decimal in [kMin, kMax]: smp= (CPUs, at least 1), idle_poll_us=
// (0..10000), domains= (a multiboot module index, 0..15).
template <uint64_t kMin, uint64_t kMax, typename T>
bool ParseRange(Value v, T* out) {
  if (!v.present) return false;
  const char* p = v.text;
  uint64_t n = 0;
  if (!ParseDecimal(&p, kMax, &n) || *p != '\0' || n < kMin) return false;
  *out = static_cast<T>(n);
  return true;
}

// A comma list of com1 and com2, or "none" alone.
bool ParseConsoles(Value v, uint8_t* out) {
  if (!v.present) return false;
  uint8_t mask = 0;
  bool none = false;
  for (const char* p = v.text;;) {
    const char* comma = p;
    while (*comma != ',' && *comma != '\0') ++comma;
    size_t n = static_cast<size_t>(comma - p);
    if (n == 4 && EqualsNoCase(p, "com1", 4)) {
      mask |= kConsoleCom1;
    } else if (n == 4 && EqualsNoCase(p, "com2", 4)) {
      mask |= kConsoleCom2;
    } else if (n == 4 && EqualsNoCase(p, "none", 4)) {
      none = true;
    } else {
      return false;  // also an empty item, as in "com1,,com2" or ""
    }
    if (*comma == '\0') break;
    p = comma + 1;
  }
  if (none && mask != 0) return false;
  *out = mask;
  return true;
}

struct Option {
  const char* name;
  bool (*parse)(Value, BootOptions*);
  void (*reset)(BootOptions*);
  const char* default_text;  // for messages
};

template <auto kMember, auto kParse>
bool Apply(Value v, BootOptions* o) {
  return kParse(v, &(o->*kMember));
}

template <auto kMember>
void Reset(BootOptions* o) {
  o->*kMember = BootOptions{}.*kMember;
}

// One option = one line: the field, its parser, the name, the default's text.
template <auto kMember, auto kParse>
constexpr Option Opt(const char* name, const char* default_text) {
  return {name, &Apply<kMember, kParse>, &Reset<kMember>, default_text};
}

constexpr Option kOptions[] = {
    Opt<&BootOptions::consoles, ParseConsoles>("console", "com1"),
    Opt<&BootOptions::log_level, ParseEnum<kLogLevels>>("loglvl", "info"),
    Opt<&BootOptions::dom0_mem, ParseSize>("dom0_mem", "unset"),
    Opt<&BootOptions::max_cpus, ParseRange<1, 0xffffffff, uint32_t>>("smp", "all"),
    Opt<&BootOptions::max_cpus, ParseRange<1, 0xffffffff, uint32_t>>("maxcpus", "all"),
    Opt<&BootOptions::after_boot, ParseEnum<kAfterBoot>>("after_boot", "idle"),
    Opt<&BootOptions::on_panic, ParseEnum<kOnPanic>>("on_panic", "halt"),
    Opt<&BootOptions::scrub, ParseBool>("scrub", "on"),
    Opt<&BootOptions::selftest, ParseEnum<kSelfTests>>("selftest", "none"),
    Opt<&BootOptions::hpet, ParseBool>("hpet", "on"),
    Opt<&BootOptions::x2apic, ParseBool>("x2apic", "on"),
    Opt<&BootOptions::bench, ParseBool>("bench", "off"),
    Opt<&BootOptions::domains_module, ParseRange<0, 15, int8_t>>("domains", "none"),
    Opt<&BootOptions::scheduler, ParseEnum<kSchedulers>>("sched", "credit2"),
    Opt<&BootOptions::idle_poll_us, ParseRange<0, 10000, uint32_t>>("idle_poll_us", "100"),
};

bool LooksLikeImagePath(const char* word, size_t n) {
  bool slash = false;
  for (size_t i = 0; i < n; ++i) {
    if (word[i] == '=') return false;
    if (word[i] == '/') slash = true;
  }
  return slash || EndsWithNoCase(word, n, ".elf") || EndsWithNoCase(word, n, ".bin") ||
         EndsWithNoCase(word, n, "image");
}

// word is modified: the '=' becomes the name's terminator.
void ApplyWord(char* word, BootOptions* opts) {
  Value value = {"", false};
  for (char* p = word; *p != '\0'; ++p) {
    if (*p == '=') {
      *p = '\0';
      value = {p + 1, true};
      break;
    }
  }
  for (const Option& option : kOptions) {
    if (!SameName(word, option.name)) continue;
    if (!option.parse(value, opts)) {
      if (value.present) {
        HV_WARN("cmdline: bad value '%s' for '%s', using default '%s'", value.text, option.name,
                option.default_text);
      } else {
        HV_WARN("cmdline: option '%s' needs a value, using default '%s'", option.name,
                option.default_text);
      }
      option.reset(opts);
    }
    return;
  }
  HV_WARN("cmdline: unknown option '%s' ignored", word);
}

}  // namespace

BootOptions ParseCommandLine(const char* cmdline) {
  BootOptions opts;
  if (cmdline == nullptr) return opts;
  size_t len = 0;
  while (len <= kMaxCommandLine && cmdline[len] != '\0') ++len;
  if (len > kMaxCommandLine) {
    HV_WARN("cmdline: longer than %zu characters, truncated", kMaxCommandLine);
    len = kMaxCommandLine;
  }

  char word[kMaxCommandLine + 1];  // one unquoted word at a time
  bool first = true;
  for (size_t i = 0;;) {
    while (i < len && IsBlank(cmdline[i])) ++i;
    if (i == len) break;
    size_t n = 0;
    char quote = '\0';
    for (; i < len; ++i) {
      char c = cmdline[i];
      if (quote != '\0') {
        if (c == quote) {
          quote = '\0';
        } else {
          word[n++] = c;
        }
      } else if (IsBlank(c)) {
        break;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else {
        word[n++] = c;
      }
    }
    word[n] = '\0';
    if (quote != '\0') HV_WARN("cmdline: missing closing quote in '%s'", word);
    bool skip = first && LooksLikeImagePath(word, n);
    first = false;
    if (skip || n == 0) continue;  // n == 0: a bare "" word
    ApplyWord(word, &opts);
  }
  return opts;
}

}  // namespace hv
