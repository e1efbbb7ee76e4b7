// SPDX-License-Identifier: Apache-2.0
// The guest library itself: command-line parsing, and each way a test ends.
// The runner boots it with "mode=success|failure|error|skip" and checks the
// result line and the message before it.
#include "tests/guests/lib/guest.h"

namespace {

bool Same(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) ++a, ++b;
  return *a == *b;
}

}  // namespace

void test_main() {
  char mode[16];
  if (!guest::CmdlineGet("mode", mode, sizeof(mode))) guest::Error("no mode= on the command line");

  if (Same(mode, "failure")) GUEST_ASSERT_EQ(1 + 1, 3);
  if (Same(mode, "error")) asm volatile("ud2");
  if (Same(mode, "skip")) guest::Skip("selftest skips on request");
  if (!Same(mode, "success")) guest::Error("unknown mode '%s'", mode);

  // "mode=success num=0x2a count=17 flag"
  char value[8];
  GUEST_ASSERT(guest::CmdlineGet("flag", value, sizeof(value)));
  GUEST_ASSERT_EQ(value[0], '\0');
  GUEST_ASSERT(!guest::CmdlineGet("fla"));
  GUEST_ASSERT(!guest::CmdlineGet("nothing"));
  GUEST_ASSERT_EQ(guest::CmdlineU64("num", 0), 42u);
  GUEST_ASSERT_EQ(guest::CmdlineU64("count", 0), 17u);
  GUEST_ASSERT_EQ(guest::CmdlineU64("mode", 5), 5u);  // not a number
  GUEST_ASSERT_EQ(guest::CmdlineU64("absent", 7), 7u);
  GUEST_ASSERT(guest::CmdlineGet("count", value, 2));  // truncated to fit
  GUEST_ASSERT(Same(value, "1"));

  // Exception fixups and Catch.
  uint64_t exinfo = 0, v = 0;
  GUEST_ASSERT(!guest::ProbeRdmsr(0xdeadbeef, &v, &exinfo));
  GUEST_ASSERT_EQ(guest::ExVector(exinfo), guest::kVectorGP);
  GUEST_ASSERT_EQ(guest::Catch([] {}), 0u);
  int reached = 0;
  exinfo = guest::Catch([&] {
    reached = 1;
    asm volatile("ud2" ::: "memory");
    reached = 2;
  });
  GUEST_ASSERT_EQ(guest::ExVector(exinfo), guest::kVectorUD);
  GUEST_ASSERT_EQ(reached, 1);

  guest::Puts("selftest: ");
  guest::Printf("%s %d %#x %5s|%-3c|\n", "printf", -42, 255u, "pad", 'x');
}
