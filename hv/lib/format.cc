// SPDX-License-Identifier: Apache-2.0
// A vsnprintf subset (see format.h). Beyond what format.h lists, '#' (0x/0
// prefix) and integer precisions behave as in C, since the compiler's format
// checker accepts them and silently printing something else would mislead.
// Deliberate differences from glibc: %p of NULL prints "0x0" (not "(nil)"),
// and an unknown conversion is copied to the output verbatim.
#include "hv/lib/format.h"

#include <stddef.h>
#include <stdint.h>

namespace hv {
namespace {

// Writes into buf but counts everything, so the caller learns the full length.
class Sink {
 public:
  Sink(char* buf, size_t size) : buf_(buf), size_(size) {}

  void Put(char c) {
    if (size_ != 0 && len_ < size_ - 1) buf_[len_] = c;
    ++len_;
  }
  void Repeat(char c, size_t n) {
    for (size_t i = 0; i < n; ++i) Put(c);
  }
  void Write(const char* s, size_t n) {
    for (size_t i = 0; i < n; ++i) Put(s[i]);
  }
  size_t Finish() {
    if (size_ != 0) buf_[len_ < size_ ? len_ : size_ - 1] = '\0';
    return len_;
  }

 private:
  char* buf_;
  size_t size_;
  size_t len_ = 0;
};

struct Spec {
  bool left = false;   // '-'
  bool zero = false;   // '0'
  bool space = false;  // ' '
  bool plus = false;   // '+'
  bool alt = false;    // '#'
  size_t width = 0;
  bool has_precision = false;
  size_t precision = 0;
};

enum class Length : uint8_t { kInt, kChar, kShort, kLong, kLongLong, kSize, kIntMax, kPtrDiff };

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

size_t ParseNumber(const char** p) {
  size_t n = 0;
  while (IsDigit(**p)) {
    n = n * 10 + static_cast<size_t>(**p - '0');
    ++*p;
  }
  return n;
}

void PadAndWrite(Sink& out, const Spec& spec, const char* s, size_t n) {
  size_t pad = spec.width > n ? spec.width - n : 0;
  if (!spec.left) out.Repeat(' ', pad);
  out.Write(s, n);
  if (spec.left) out.Repeat(' ', pad);
}

// Layout: [spaces][sign or prefix][zeros][digits][spaces].
void WriteInteger(Sink& out, const Spec& spec, uint64_t magnitude, bool negative, unsigned base,
                  bool upper, bool force_hex_prefix) {
  char digits[24];  // 64 bits in octal is 22 digits
  size_t ndigits = 0;
  const char* alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (uint64_t v = magnitude; v != 0; v /= base) digits[ndigits++] = alphabet[v % base];

  // C: precision is the minimum digit count; 0 with precision 0 prints nothing.
  size_t precision = spec.has_precision ? spec.precision : 1;
  size_t zeros = precision > ndigits ? precision - ndigits : 0;

  char prefix[2];
  size_t nprefix = 0;
  if (negative) {
    prefix[nprefix++] = '-';
  } else if (spec.plus) {
    prefix[nprefix++] = '+';
  } else if (spec.space) {
    prefix[nprefix++] = ' ';
  }
  if (base == 16 && (force_hex_prefix || (spec.alt && magnitude != 0))) {
    prefix[nprefix++] = '0';
    prefix[nprefix++] = upper ? 'X' : 'x';
  }
  if (base == 8 && spec.alt && zeros == 0 && (ndigits == 0 || digits[ndigits - 1] != '0')) {
    zeros = 1;
  }

  size_t body = nprefix + zeros + ndigits;
  size_t pad = spec.width > body ? spec.width - body : 0;
  bool zero_pad = spec.zero && !spec.left && !spec.has_precision;
  if (!spec.left && !zero_pad) out.Repeat(' ', pad);
  out.Write(prefix, nprefix);
  if (zero_pad) out.Repeat('0', pad);
  out.Repeat('0', zeros);
  while (ndigits != 0) out.Put(digits[--ndigits]);
  if (spec.left) out.Repeat(' ', pad);
}

int64_t FetchSigned(Length length, va_list& args) {
  switch (length) {
    case Length::kChar:
      return static_cast<signed char>(va_arg(args, int));
    case Length::kShort:
      return static_cast<short>(va_arg(args, int));
    case Length::kLong:
      return va_arg(args, long);
    case Length::kLongLong:
      return va_arg(args, long long);
    case Length::kSize:
    case Length::kPtrDiff:
      return va_arg(args, ptrdiff_t);
    case Length::kIntMax:
      return va_arg(args, intmax_t);
    case Length::kInt:
      break;
  }
  return va_arg(args, int);
}

uint64_t FetchUnsigned(Length length, va_list& args) {
  switch (length) {
    case Length::kChar:
      return static_cast<unsigned char>(va_arg(args, unsigned int));
    case Length::kShort:
      return static_cast<unsigned short>(va_arg(args, unsigned int));
    case Length::kLong:
      return va_arg(args, unsigned long);
    case Length::kLongLong:
      return va_arg(args, unsigned long long);
    case Length::kSize:
      return va_arg(args, size_t);
    case Length::kPtrDiff:
      return static_cast<uint64_t>(va_arg(args, ptrdiff_t));
    case Length::kIntMax:
      return va_arg(args, uintmax_t);
    case Length::kInt:
      break;
  }
  return va_arg(args, unsigned int);
}

// Parses one conversion starting after '%'; returns the position after it.
const char* Convert(Sink& out, const char* p, va_list& args) {
  const char* start = p - 1;  // the '%', for copying unknown conversions
  Spec spec;
  for (;; ++p) {
    if (*p == '-') {
      spec.left = true;
    } else if (*p == '0') {
      spec.zero = true;
    } else if (*p == ' ') {
      spec.space = true;
    } else if (*p == '+') {
      spec.plus = true;
    } else if (*p == '#') {
      spec.alt = true;
    } else {
      break;
    }
  }
  if (*p == '*') {
    int w = va_arg(args, int);
    if (w < 0) {  // C: a negative '*' width means '-' and its magnitude
      spec.left = true;
      w = -w;
    }
    spec.width = static_cast<size_t>(w);
    ++p;
  } else {
    spec.width = ParseNumber(&p);
  }
  if (*p == '.') {
    ++p;
    spec.has_precision = true;
    if (*p == '*') {
      int prec = va_arg(args, int);
      // C: a negative '*' precision is as if none was given.
      spec.has_precision = prec >= 0;
      spec.precision = prec >= 0 ? static_cast<size_t>(prec) : 0;
      ++p;
    } else {
      spec.precision = ParseNumber(&p);
    }
  }

  Length length = Length::kInt;
  switch (*p) {
    case 'h':
      ++p;
      length = Length::kShort;
      if (*p == 'h') {
        ++p;
        length = Length::kChar;
      }
      break;
    case 'l':
      ++p;
      length = Length::kLong;
      if (*p == 'l') {
        ++p;
        length = Length::kLongLong;
      }
      break;
    case 'z':
      ++p;
      length = Length::kSize;
      break;
    case 'j':
      ++p;
      length = Length::kIntMax;
      break;
    case 't':
      ++p;
      length = Length::kPtrDiff;
      break;
    default:
      break;
  }

  switch (*p) {
    case 'd':
    case 'i': {
      int64_t v = FetchSigned(length, args);
      // Negate in unsigned arithmetic so INT64_MIN does not overflow.
      uint64_t magnitude =
          v < 0 ? uint64_t{0} - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
      WriteInteger(out, spec, magnitude, v < 0, 10, false, false);
      break;
    }
    case 'u':
      WriteInteger(out, spec, FetchUnsigned(length, args), false, 10, false, false);
      break;
    case 'x':
    case 'X':
      WriteInteger(out, spec, FetchUnsigned(length, args), false, 16, *p == 'X', false);
      break;
    case 'o':
      WriteInteger(out, spec, FetchUnsigned(length, args), false, 8, false, false);
      break;
    case 'p': {
      uintptr_t v = reinterpret_cast<uintptr_t>(va_arg(args, void*));
      spec.plus = spec.space = false;
      WriteInteger(out, spec, v, false, 16, false, true);
      break;
    }
    case 'c': {
      char c = static_cast<char>(va_arg(args, int));
      PadAndWrite(out, spec, &c, 1);
      break;
    }
    case 's': {
      const char* s = va_arg(args, const char*);
      if (s == nullptr) s = "(null)";
      // Never read past the precision: the string need not be terminated.
      size_t n = 0;
      while ((!spec.has_precision || n < spec.precision) && s[n] != '\0') ++n;
      PadAndWrite(out, spec, s, n);
      break;
    }
    case '%':
      out.Put('%');
      break;
    case '\0':
      // A truncated conversion at the end of fmt: show it, do not read past.
      out.Write(start, static_cast<size_t>(p - start));
      return p;
    default:
      out.Write(start, static_cast<size_t>(p + 1 - start));
      break;
  }
  return p + 1;
}

}  // namespace

size_t VFormat(char* buf, size_t size, const char* fmt, va_list args) {
  Sink out(buf, size);
  // va_list is an array type on x86_64, so copy it to get a referenceable lvalue.
  va_list ap;
  va_copy(ap, args);
  const char* p = fmt;
  while (*p != '\0') {
    if (*p != '%') {
      out.Put(*p++);
      continue;
    }
    p = Convert(out, p + 1, ap);
  }
  va_end(ap);
  return out.Finish();
}

size_t Format(char* buf, size_t size, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  size_t n = VFormat(buf, size, fmt, args);
  va_end(args);
  return n;
}

}  // namespace hv
