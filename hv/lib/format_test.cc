// SPDX-License-Identifier: Apache-2.0
#include "hv/lib/format.h"

#include <gtest/gtest.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include <climits>
#include <cstring>
#include <string>
#include <vector>

namespace hv {
namespace {

// Deliberately not annotated with format(printf): the tests build format
// strings at run time and pass unusual ones on purpose.
std::string Fmt(const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  size_t n = VFormat(buf, sizeof(buf), fmt, args);
  va_end(args);
  EXPECT_EQ(n, strlen(buf)) << fmt;
  return std::string(buf);
}

std::string Ref(const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  vsnprintf(buf, sizeof(buf), fmt, args);
  va_end(args);
  return std::string(buf);
}

TEST(FormatTest, PlainText) {
  EXPECT_EQ(Fmt(""), "");
  EXPECT_EQ(Fmt("hello, world"), "hello, world");
  EXPECT_EQ(Fmt("100%%"), "100%");
  EXPECT_EQ(Fmt("%%%%"), "%%");
}

TEST(FormatTest, EachConversion) {
  EXPECT_EQ(Fmt("%d", -42), "-42");
  EXPECT_EQ(Fmt("%i", 42), "42");
  EXPECT_EQ(Fmt("%u", 4000000000u), "4000000000");
  EXPECT_EQ(Fmt("%x", 0xdeadbeefu), "deadbeef");
  EXPECT_EQ(Fmt("%X", 0xdeadbeefu), "DEADBEEF");
  EXPECT_EQ(Fmt("%o", 8u), "10");
  EXPECT_EQ(Fmt("%p", reinterpret_cast<void*>(0xffff800000001000)), "0xffff800000001000");
  EXPECT_EQ(Fmt("%s", "str"), "str");
  EXPECT_EQ(Fmt("%c", 'A'), "A");
  EXPECT_EQ(Fmt("%%"), "%");
  EXPECT_EQ(Fmt("a%db%sc%cd", 1, "x", 'y'), "a1bxcyd");
}

TEST(FormatTest, Zero) {
  EXPECT_EQ(Fmt("%d", 0), "0");
  EXPECT_EQ(Fmt("%u", 0u), "0");
  EXPECT_EQ(Fmt("%x", 0u), "0");
  EXPECT_EQ(Fmt("%o", 0u), "0");
  EXPECT_EQ(Fmt("%#x", 0u), "0");
  EXPECT_EQ(Fmt("%#o", 0u), "0");
}

TEST(FormatTest, PointerNullAndWidth) {
  EXPECT_EQ(Fmt("%p", nullptr), "0x0");  // glibc prints "(nil)"; we keep it numeric
  EXPECT_EQ(Fmt("%18p", reinterpret_cast<void*>(0x1000)), "            0x1000");
  EXPECT_EQ(Fmt("%-8p|", reinterpret_cast<void*>(0x10)), "0x10    |");
  EXPECT_EQ(Fmt("%p", reinterpret_cast<void*>(~uintptr_t{0})), "0xffffffffffffffff");
}

TEST(FormatTest, Strings) {
  EXPECT_EQ(Fmt("%s", ""), "");
  EXPECT_EQ(Fmt("%s", static_cast<const char*>(nullptr)), "(null)");
  EXPECT_EQ(Fmt("[%5s]", "ab"), "[   ab]");
  EXPECT_EQ(Fmt("[%-5s]", "ab"), "[ab   ]");
  EXPECT_EQ(Fmt("[%.1s]", "ab"), "[a]");
  EXPECT_EQ(Fmt("[%.0s]", "ab"), "[]");
  EXPECT_EQ(Fmt("[%5.1s]", "ab"), "[    a]");
  EXPECT_EQ(Fmt("[%-5.3s]", "abcdef"), "[abc  ]");
  EXPECT_EQ(Fmt("[%1s]", "abc"), "[abc]");
  EXPECT_EQ(Fmt("[%.*s]", 2, "abc"), "[ab]");
  EXPECT_EQ(Fmt("[%.*s]", -1, "abc"), "[abc]");
}

TEST(FormatTest, StringPrecisionDoesNotReadPastIt) {
  const char unterminated[3] = {'x', 'y', 'z'};
  EXPECT_EQ(Fmt("%.3s", unterminated), "xyz");
  EXPECT_EQ(Fmt("%.2s", unterminated), "xy");
}

TEST(FormatTest, Chars) {
  EXPECT_EQ(Fmt("[%3c]", 'x'), "[  x]");
  EXPECT_EQ(Fmt("[%-3c]", 'x'), "[x  ]");
  EXPECT_EQ(Fmt("%c%c%c", 'a', 'b', 'c'), "abc");
}

TEST(FormatTest, CharNulIsCounted) {
  char buf[8];
  memset(buf, 'Z', sizeof(buf));
  EXPECT_EQ(Format(buf, sizeof(buf), "a%cb", 0), 3u);
  EXPECT_EQ(buf[0], 'a');
  EXPECT_EQ(buf[1], '\0');
  EXPECT_EQ(buf[2], 'b');
  EXPECT_EQ(buf[3], '\0');
}

TEST(FormatTest, StarWidthAndPrecision) {
  EXPECT_EQ(Fmt("[%*d]", 5, 42), "[   42]");
  EXPECT_EQ(Fmt("[%*d]", -5, 42), "[42   ]");  // negative width means '-'
  EXPECT_EQ(Fmt("[%-*d]", 5, 42), "[42   ]");
  EXPECT_EQ(Fmt("[%0*x]", 8, 0xabu), "[000000ab]");
  EXPECT_EQ(Fmt("[%*.*s]", 6, 2, "hello"), "[    he]");
  EXPECT_EQ(Fmt("[%.*d]", 4, 7), "[0007]");
  EXPECT_EQ(Fmt("[%.*d]", -4, 7), "[7]");
}

TEST(FormatTest, LengthModifiersMatchLibc) {
  EXPECT_EQ(Fmt("%hhd", 200), Ref("%hhd", 200));
  EXPECT_EQ(Fmt("%hhd", -128), "-128");
  EXPECT_EQ(Fmt("%hhu", 0x1ff), "255");
  EXPECT_EQ(Fmt("%hhx", 0x1ab), "ab");
  EXPECT_EQ(Fmt("%hd", 40000), Ref("%hd", 40000));
  EXPECT_EQ(Fmt("%hu", 0x12345), "9029");
  EXPECT_EQ(Fmt("%hx", 0xfffff), "ffff");
  EXPECT_EQ(Fmt("%ld", LONG_MIN), Ref("%ld", LONG_MIN));
  EXPECT_EQ(Fmt("%lu", ULONG_MAX), Ref("%lu", ULONG_MAX));
  EXPECT_EQ(Fmt("%lx", 0x123456789abcdef0ul), "123456789abcdef0");
  EXPECT_EQ(Fmt("%lld", LLONG_MIN), "-9223372036854775808");
  EXPECT_EQ(Fmt("%lld", LLONG_MAX), "9223372036854775807");
  EXPECT_EQ(Fmt("%llu", ULLONG_MAX), "18446744073709551615");
  EXPECT_EQ(Fmt("%llo", ULLONG_MAX), "1777777777777777777777");
  EXPECT_EQ(Fmt("%llX", ULLONG_MAX), "FFFFFFFFFFFFFFFF");
  EXPECT_EQ(Fmt("%zu", SIZE_MAX), Ref("%zu", SIZE_MAX));
  EXPECT_EQ(Fmt("%zx", size_t{0x1000}), "1000");
  EXPECT_EQ(Fmt("%zd", static_cast<ptrdiff_t>(-5)), "-5");
  EXPECT_EQ(Fmt("%jd", INTMAX_MIN), Ref("%jd", INTMAX_MIN));
  EXPECT_EQ(Fmt("%ju", UINTMAX_MAX), Ref("%ju", UINTMAX_MAX));
  EXPECT_EQ(Fmt("%td", static_cast<ptrdiff_t>(-123456789012)), "-123456789012");
  EXPECT_EQ(Fmt("%tx", static_cast<ptrdiff_t>(0x7f)), "7f");
  EXPECT_EQ(Fmt("%d", INT_MIN), "-2147483648");
  EXPECT_EQ(Fmt("%u", UINT_MAX), "4294967295");
}

// Every flag combination, width and precision against the host's vsnprintf.
TEST(FormatTest, IntegerFlagsWidthsPrecisionsMatchLibc) {
  const char* flags[] = {"",   "-",  "0",  " ",  "+",  "#",   "-0",  "-+",  "- ",
                         "0+", "0 ", "+ ", "-#", "0#", "-0+", "0 #", "-+ #"};
  const char* widths[] = {"", "1", "3", "8", "21"};
  const char* precisions[] = {"", ".", ".0", ".1", ".5", ".25"};
  const char convs[] = {'d', 'i', 'u', 'x', 'X', 'o'};
  const long long values[] = {0,    1,     -1,      7,       42,        -42,          255,
                              -255, 65536, INT_MAX, INT_MIN, LLONG_MAX, LLONG_MIN + 1};
  int checked = 0;
  for (const char* f : flags) {
    for (const char* w : widths) {
      for (const char* p : precisions) {
        for (char c : convs) {
          bool is_signed = c == 'd' || c == 'i';
          // '#' is undefined for decimal conversions; ' ' and '+' only for signed.
          if ((strchr(f, '#') != nullptr && (is_signed || c == 'u'))) continue;
          if (!is_signed && (strchr(f, ' ') != nullptr || strchr(f, '+') != nullptr)) continue;
          std::string fmt = std::string("[%") + f + w + p + "ll" + c + "]";
          for (long long v : values) {
            ASSERT_EQ(Fmt(fmt.c_str(), v), Ref(fmt.c_str(), v)) << fmt << " with " << v;
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 10000);
}

TEST(FormatTest, PlainIntFlagsMatchLibc) {
  const char* fmts[] = {"%5d",    "%-5d", "%05d",  "%+d",   "% d",   "%+05d", "% 05d",
                        "%-+5d",  "%#x",  "%#X",   "%#o",   "%#8x",  "%#08x", "%-#8x",
                        "%08.3d", "%.0d", "%+.0d", "%#.0o", "%#.3o", "%x"};
  const int values[] = {0, 1, -1, 42, -42, 0x7f, INT_MAX, INT_MIN};
  for (const char* fmt : fmts) {
    for (int v : values) EXPECT_EQ(Fmt(fmt, v), Ref(fmt, v)) << fmt << " with " << v;
  }
}

TEST(FormatTest, TruncationReturnsFullLength) {
  char buf[16];
  memset(buf, 'Z', sizeof(buf));
  EXPECT_EQ(Format(buf, 5, "%s", "hello, world"), 12u);
  EXPECT_STREQ(buf, "hell");
  EXPECT_EQ(buf[5], 'Z');  // nothing written past size

  memset(buf, 'Z', sizeof(buf));
  EXPECT_EQ(Format(buf, 1, "%d", 12345), 5u);
  EXPECT_EQ(buf[0], '\0');
  EXPECT_EQ(buf[1], 'Z');

  // Exactly fitting: the NUL takes the last byte, so the last char is cut.
  memset(buf, 'Z', sizeof(buf));
  EXPECT_EQ(Format(buf, 3, "abc"), 3u);
  EXPECT_STREQ(buf, "ab");
  EXPECT_EQ(Format(buf, 4, "abc"), 3u);
  EXPECT_STREQ(buf, "abc");
}

TEST(FormatTest, SizeZeroWritesNothing) {
  char c = 'Z';
  EXPECT_EQ(Format(&c, 0, "%s-%d", "abc", 123), 7u);
  EXPECT_EQ(c, 'Z');
  EXPECT_EQ(Format(nullptr, 0, "%08x", 1u), 8u);
}

TEST(FormatTest, TruncationAtEveryLengthMatchesPrefix) {
  const std::string full = Fmt("[%-6s|%+05d|%#x|%c]", "ab", 42, 0xbeefu, '!');
  for (size_t size = 0; size <= full.size() + 2; ++size) {
    std::vector<char> buf(size + 4, 'Z');
    size_t n = Format(buf.data(), size, "[%-6s|%+05d|%#x|%c]", "ab", 42, 0xbeefu, '!');
    EXPECT_EQ(n, full.size());
    if (size > 0) {
      size_t kept = size - 1 < full.size() ? size - 1 : full.size();
      EXPECT_EQ(std::string(buf.data()), full.substr(0, kept)) << size;
    }
    for (size_t i = size; i < buf.size(); ++i) EXPECT_EQ(buf[i], 'Z') << size;
  }
}

TEST(FormatTest, VFormatDoesNotConsumeCallersList) {
  // VFormat works on a copy, so a caller may pass the same va_list twice.
  struct Helper {
    static std::string Twice(const char* fmt, ...) {
      char a[32];
      char b[32];
      va_list args;
      va_start(args, fmt);
      VFormat(a, sizeof(a), fmt, args);
      VFormat(b, sizeof(b), fmt, args);
      va_end(args);
      return std::string(a) + "/" + b;
    }
  };
  EXPECT_EQ(Helper::Twice("%d-%s", 7, "x"), "7-x/7-x");
}

TEST(FormatTest, UnknownConversionIsCopied) {
  EXPECT_EQ(Fmt("a%yb"), "a%yb");
  EXPECT_EQ(Fmt("%5.2qz", 1), "%5.2qz");
  EXPECT_EQ(Fmt("%ld%k", 5L), "5%k");
}

TEST(FormatTest, TrailingPercentDoesNotReadPastEnd) {
  EXPECT_EQ(Fmt("abc%"), "abc%");
  EXPECT_EQ(Fmt("abc%-08"), "abc%-08");
  EXPECT_EQ(Fmt("abc%ll"), "abc%ll");
}

TEST(FormatTest, LongOutput) {
  std::string expect(300, ' ');
  expect += "x";
  EXPECT_EQ(Fmt("%301s", "x"), expect);
  char small[8];
  EXPECT_EQ(Format(small, sizeof(small), "%1000d", 1), 1000u);
  EXPECT_STREQ(small, "       ");
}

}  // namespace
}  // namespace hv
