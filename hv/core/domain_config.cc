// SPDX-License-Identifier: Apache-2.0
#include "hv/core/domain_config.h"

#include "hv/lib/log.h"

namespace hv {
namespace {

// A value after quotes and escapes are removed; text[length] is a NUL.
struct Value {
  const char* text;
  size_t length;
};

template <typename T>
struct Named {
  const char* name;
  T value;
};

constexpr Named<DomainAction> kActions[] = {{"destroy", DomainAction::kDestroy},
                                            {"restart", DomainAction::kRestart},
                                            {"preserve", DomainAction::kPreserve}};

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsControl(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

size_t Length(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

bool Equals(const char* a, size_t n, const char* b) {
  for (size_t i = 0; i < n; ++i) {
    if (b[i] == '\0' || a[i] != b[i]) return false;
  }
  return b[n] == '\0';
}

bool EqualsNoCase(const char* a, size_t n, const char* b) {
  for (size_t i = 0; i < n; ++i) {
    if (b[i] == '\0' || Lower(a[i]) != Lower(b[i])) return false;
  }
  return b[n] == '\0';
}

// Up to kShown characters of outside text, fit for the console: control and
// non-ASCII bytes become '?', and "..." marks a cut.
constexpr size_t kShown = 40;
struct Shown {
  char text[kShown + 4];
};

Shown Show(const char* s, size_t n) {
  Shown out;
  size_t w = 0;
  for (size_t i = 0; i < n && i < kShown; ++i) {
    const unsigned char u = static_cast<unsigned char>(s[i]);
    out.text[w++] = (u < 0x20 || u >= 0x7f) ? '?' : s[i];
  }
  if (n > kShown) {
    for (int i = 0; i < 3; ++i) out.text[w++] = '.';
  }
  out.text[w] = '\0';
  return out;
}

// --- Values. Each parser writes the config only when the value is good. ---

// Decimal digits only (at least one), no sign; false above `max`. Stops at
// the first non-digit and leaves *p there.
bool ParseDecimal(const char** p, const char* end, uint64_t max, uint64_t* out) {
  if (*p == end || !IsDigit(**p)) return false;
  uint64_t v = 0;
  for (; *p != end && IsDigit(**p); ++*p) {
    const uint64_t d = static_cast<uint64_t>(**p - '0');
    if (d > max || v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

// The whole value is one number in [min, max].
bool ParseNumber(const Value& v, uint64_t min, uint64_t max, uint64_t* out) {
  const char* p = v.text;
  const char* end = v.text + v.length;
  uint64_t n = 0;
  if (!ParseDecimal(&p, end, max, &n) || p != end || n < min) return false;
  *out = n;
  return true;
}

bool ParseName(const Value& v, DomainConfig* c) {
  if (v.length == 0 || v.length > kMaxDomainNameLength) return false;
  for (size_t i = 0; i < v.length; ++i) {
    const char ch = v.text[i];
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || IsDigit(ch) ||
                    ch == '_' || ch == '.' || ch == '-';
    if (!ok) return false;
  }
  for (size_t i = 0; i < v.length; ++i) c->name[i] = v.text[i];
  c->name[v.length] = '\0';
  return true;
}

bool ParseKernel(const Value& v, DomainConfig* c) {
  uint64_t n = 0;
  if (!ParseNumber(v, 0, kMaxBootModuleIndex, &n)) return false;
  c->kernel_module = static_cast<uint8_t>(n);
  return true;
}

bool ParseRamdisk(const Value& v, DomainConfig* c) {
  uint64_t n = 0;
  if (!ParseNumber(v, 0, kMaxBootModuleIndex, &n)) return false;
  c->ramdisk_module = static_cast<uint8_t>(n);
  c->has_ramdisk = true;
  return true;
}

// Bytes, or a number with K, M or G (binary units, any case).
bool ParseMemory(const Value& v, DomainConfig* c) {
  const char* p = v.text;
  const char* end = v.text + v.length;
  uint64_t n = 0;
  if (!ParseDecimal(&p, end, ~uint64_t{0}, &n)) return false;
  unsigned shift = 0;
  if (p != end) {
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
      default:
        return false;
    }
    ++p;
  }
  if (p != end || n > (kMaxDomainMemory >> shift)) return false;
  n <<= shift;
  if (n < kMinDomainMemory || n % kDomainMemoryAlign != 0) return false;
  c->memory = n;
  return true;
}

bool ParseVcpus(const Value& v, DomainConfig* c) {
  uint64_t n = 0;
  if (!ParseNumber(v, 1, kMaxDomainVcpus, &n)) return false;
  c->vcpus = static_cast<uint32_t>(n);
  return true;
}

bool ParseWeight(const Value& v, DomainConfig* c) {
  uint64_t n = 0;
  if (!ParseNumber(v, 1, 65535, &n)) return false;
  c->weight = static_cast<uint32_t>(n);
  return true;
}

// Checked against vcpus once the whole line is read (vcpus may come later).
bool ParseCap(const Value& v, DomainConfig* c) {
  uint64_t n = 0;
  if (!ParseNumber(v, 0, 100 * kMaxDomainVcpus, &n)) return false;
  c->cap = static_cast<uint32_t>(n);
  return true;
}

// "all", or a comma list of CPUs and ranges: 0,2-3.
bool ParseCpus(const Value& v, DomainConfig* c) {
  if (EqualsNoCase(v.text, v.length, "all")) {
    c->cpu_mask = ~uint64_t{0};
    return true;
  }
  const char* p = v.text;
  const char* end = v.text + v.length;
  uint64_t mask = 0;
  for (;;) {
    uint64_t first = 0;
    if (!ParseDecimal(&p, end, kMaxDomainCpu, &first)) return false;  // also an empty item
    uint64_t last = first;
    if (p != end && *p == '-') {
      ++p;
      if (!ParseDecimal(&p, end, kMaxDomainCpu, &last) || last < first) return false;
    }
    for (uint64_t cpu = first; cpu <= last; ++cpu) mask |= uint64_t{1} << cpu;
    if (p == end) break;
    if (*p != ',') return false;
    ++p;
  }
  c->cpu_mask = mask;
  return true;
}

bool ParseCmdline(const Value& v, DomainConfig* c) {
  if (v.length > kMaxDomainCmdlineLength) return false;  // the lexer already refuses it
  for (size_t i = 0; i < v.length; ++i) c->cmdline[i] = v.text[i];
  c->cmdline[v.length] = '\0';
  return true;
}

template <DomainAction DomainConfig::*kMember>
bool ParseAction(const Value& v, DomainConfig* c) {
  for (const Named<DomainAction>& entry : kActions) {
    if (EqualsNoCase(v.text, v.length, entry.name)) {
      c->*kMember = entry.value;
      return true;
    }
  }
  return false;
}

bool ParsePrivileged(const Value& v, DomainConfig* c) {
  if (EqualsNoCase(v.text, v.length, "yes")) {
    c->privileged = true;
    return true;
  }
  if (EqualsNoCase(v.text, v.length, "no")) {
    c->privileged = false;
    return true;
  }
  return false;
}

struct Key {
  const char* name;
  bool (*parse)(const Value&, DomainConfig*);
  const char* want;  // what a good value looks like, for messages
  bool required;
};

constexpr Key kKeys[] = {
    {"name", ParseName, "1..31 of A-Z a-z 0-9 _ . -", true},
    {"kernel", ParseKernel, "a module index 0..15", true},
    {"ramdisk", ParseRamdisk, "a module index 0..15", false},
    {"memory", ParseMemory, "1M..1024G, a multiple of 4K", true},
    {"vcpus", ParseVcpus, "1..64", false},
    {"weight", ParseWeight, "1..65535", false},
    {"cap", ParseCap, "0..100 * vcpus", false},
    {"cpus", ParseCpus, "all, or CPUs 0..63 like 0,2-3", false},
    {"cmdline", ParseCmdline, "up to 1023 characters", false},
    {"on_poweroff", ParseAction<&DomainConfig::on_poweroff>, "destroy, restart or preserve", false},
    {"on_reboot", ParseAction<&DomainConfig::on_reboot>, "destroy, restart or preserve", false},
    {"on_crash", ParseAction<&DomainConfig::on_crash>, "destroy, restart or preserve", false},
    {"privileged", ParsePrivileged, "yes or no", false},
};
constexpr size_t kKeyCount = sizeof(kKeys) / sizeof(kKeys[0]);
static_assert(kKeyCount <= 32, "the keys seen on a line are a uint32_t mask");

const Key* FindKey(const char* name, size_t n, size_t* index) {
  for (size_t i = 0; i < kKeyCount; ++i) {
    if (Equals(name, n, kKeys[i].name)) {
      *index = i;
      return &kKeys[i];
    }
  }
  return nullptr;
}

// --- Lines. ---

// Copied from, rather than built on the stack (the struct is over 1 KiB).
constexpr DomainConfig kDefaultConfig{};

// Blanks only, or blanks and a comment.
bool IsEmptyLine(const char* p, size_t n) {
  size_t i = 0;
  while (i < n && IsBlank(p[i])) ++i;
  return i == n || p[i] == '#';
}

// Reads the value that starts at p[*i] (just after the '=') into buf
// (kMaxDomainConfigValue + 1 bytes), leaving *i after it. Warns and returns
// false on a bad one.
bool LexValue(const char* p, size_t n, size_t* i, uint32_t line, const Key& key, char* buf,
              Value* out) {
  size_t len = 0;
  auto append = [&](char c) {
    if (len == kMaxDomainConfigValue) {
      HV_WARN(
          "domain config: line %u: value of '%s' is longer than %zu characters, domain "
          "skipped",
          line, key.name, kMaxDomainConfigValue);
      return false;
    }
    buf[len++] = c;
    return true;
  };
  auto control = [&](char c) {
    HV_WARN("domain config: line %u: control character 0x%02x in value of '%s', domain skipped",
            line, static_cast<unsigned char>(c), key.name);
    return false;
  };
  if (*i < n && p[*i] == '"') {
    ++*i;
    for (;;) {
      if (*i == n) {
        HV_WARN("domain config: line %u: unterminated quote in value of '%s', domain skipped", line,
                key.name);
        return false;
      }
      char c = p[(*i)++];
      if (c == '"') break;
      if (c == '\\' && *i < n && (p[*i] == '"' || p[*i] == '\\')) {
        c = p[(*i)++];
      } else if (IsControl(c) && c != '\t') {
        return control(c);
      }
      if (!append(c)) return false;
    }
    if (*i < n && !IsBlank(p[*i])) {
      HV_WARN("domain config: line %u: text after the closing quote of '%s', domain skipped", line,
              key.name);
      return false;
    }
  } else {
    for (; *i < n && !IsBlank(p[*i]); ++*i) {
      const char c = p[*i];
      if (c == '"') {
        HV_WARN(
            "domain config: line %u: stray '\"' in value of '%s' (quote the whole value), "
            "domain skipped",
            line, key.name);
        return false;
      }
      if (IsControl(c)) return control(c);
      if (!append(c)) return false;
    }
  }
  buf[len] = '\0';
  *out = {buf, len};
  return true;
}

// Reads the pairs of one line (without its line end) into *c and the keys
// it had into *seen. Warns and returns false at the first problem.
bool ParseLine(const char* p, size_t n, uint32_t line, char* buf, DomainConfig* c, uint32_t* seen) {
  *seen = 0;
  for (size_t i = 0;;) {
    while (i < n && IsBlank(p[i])) ++i;
    if (i == n || p[i] == '#') return true;
    const size_t start = i;
    while (i < n && !IsBlank(p[i]) && p[i] != '=') ++i;
    if (i == start || i == n || p[i] != '=') {
      size_t token_end = i;
      while (token_end < n && !IsBlank(p[token_end])) ++token_end;
      HV_WARN("domain config: line %u: '%s' is not key=value, domain skipped", line,
              Show(p + start, token_end - start).text);
      return false;
    }
    size_t index = 0;
    const Key* key = FindKey(p + start, i - start, &index);
    if (key == nullptr) {
      HV_WARN("domain config: line %u: unknown key '%s', domain skipped", line,
              Show(p + start, i - start).text);
      return false;
    }
    if ((*seen & (1u << index)) != 0) {
      HV_WARN("domain config: line %u: key '%s' given twice, domain skipped", line, key->name);
      return false;
    }
    *seen |= 1u << index;
    ++i;  // the '='
    Value value;
    if (!LexValue(p, n, &i, line, *key, buf, &value)) return false;
    if (!key->parse(value, c)) {
      HV_WARN("domain config: line %u: bad value '%s' for '%s' (want %s), domain skipped", line,
              Show(value.text, value.length).text, key->name, key->want);
      return false;
    }
  }
}

// What can only be checked once the line is complete.
bool CheckDomain(const DomainConfig& c, uint32_t seen, const BootDomains& accepted) {
  char missing[64];
  size_t m = 0;
  int missing_count = 0;
  for (size_t i = 0; i < kKeyCount; ++i) {
    if (!kKeys[i].required || (seen & (1u << i)) != 0) continue;
    const size_t need = Length(kKeys[i].name) + 4;  // quotes, ", "
    if (m + need >= sizeof(missing)) break;
    if (missing_count++ > 0) {
      missing[m++] = ',';
      missing[m++] = ' ';
    }
    missing[m++] = '\'';
    for (const char* s = kKeys[i].name; *s != '\0'; ++s) missing[m++] = *s;
    missing[m++] = '\'';
  }
  missing[m] = '\0';
  if (missing_count > 0) {
    HV_WARN("domain config: line %u: missing required key%s %s, domain skipped", c.line,
            missing_count > 1 ? "s" : "", missing);
    return false;
  }
  if (c.cap > 100 * c.vcpus) {
    HV_WARN("domain config: line %u: 'cap' %u is above 100 * vcpus (%u), domain skipped", c.line,
            c.cap, 100 * c.vcpus);
    return false;
  }
  const size_t name_length = Length(c.name);
  for (size_t i = 0; i < accepted.count; ++i) {
    if (Equals(c.name, name_length, accepted.domains[i].name)) {
      HV_WARN("domain config: line %u: name '%s' is already used on line %u, domain skipped",
              c.line, c.name, accepted.domains[i].line);
      return false;
    }
  }
  return true;
}

// One line without its line end; buf is the value buffer.
void HandleLine(const char* p, size_t n, uint32_t line, char* buf, BootDomains* out) {
  if (IsEmptyLine(p, n)) return;
  if (n > kMaxDomainConfigLine) {
    HV_WARN("domain config: line %u: longer than %zu characters, domain skipped", line,
            kMaxDomainConfigLine);
    ++out->skipped;
    return;
  }
  if (out->count == kMaxBootDomains) {
    HV_WARN("domain config: line %u: more than %zu domains, domain skipped", line, kMaxBootDomains);
    ++out->skipped;
    return;
  }
  // Parsed in place; the slot is taken only if the line is good.
  DomainConfig* c = &out->domains[out->count];
  *c = kDefaultConfig;
  c->line = line;
  uint32_t seen = 0;
  if (!ParseLine(p, n, line, buf, c, &seen) || !CheckDomain(*c, seen, *out)) {
    *c = kDefaultConfig;
    ++out->skipped;
    return;
  }
  ++out->count;
}

}  // namespace

const char* DomainActionName(DomainAction action) {
  for (const Named<DomainAction>& entry : kActions) {
    if (entry.value == action) return entry.name;
  }
  return "unknown";
}

void ParseDomainConfig(const char* text, size_t size, BootDomains* out) {
  for (DomainConfig& c : out->domains) c = kDefaultConfig;
  out->count = 0;
  out->skipped = 0;
  if (text == nullptr) {
    if (size != 0) HV_WARN("domain config: no text (null) for %zu bytes, nothing parsed", size);
    return;
  }
  if (size > kMaxDomainConfigSize) {
    size_t cut = kMaxDomainConfigSize;
    while (cut > 0 && text[cut - 1] != '\n') --cut;
    HV_WARN("domain config: %zu bytes, more than %zu: only the first %zu (whole lines) parsed",
            size, kMaxDomainConfigSize, cut);
    size = cut;
  }
  char buf[kMaxDomainConfigValue + 1];
  uint32_t line = 0;
  for (size_t pos = 0; pos < size;) {
    ++line;
    size_t end = pos;
    while (end < size && text[end] != '\n') ++end;
    size_t n = end - pos;
    if (n > 0 && text[pos + n - 1] == '\r') --n;  // CRLF
    HandleLine(text + pos, n, line, buf, out);
    pos = end < size ? end + 1 : end;
  }
}

}  // namespace hv
