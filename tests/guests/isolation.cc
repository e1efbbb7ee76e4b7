// SPDX-License-Identifier: Apache-2.0
// A guest cannot see or touch memory that is not its own.
//   mode=owner:   fills its free memory with a marker, waits, checks it is intact.
//   mode=scanner: finds no marker anywhere in its own memory (another
//                 domain's data never shows up in it), then reads (beyond=read)
//                 or writes (beyond=write) the first byte past its memory;
//                 hv must crash it there (the runner checks the report).
#include "tests/guests/lib/guest.h"

namespace {

constexpr uint64_t kMarker = 0x48564d41524b4552;  // "HVMARKER"

}  // namespace

void test_main() {
  char mode[12];
  GUEST_ASSERT(guest::CmdlineGet("mode", mode, sizeof(mode)));
  const uint64_t start = guest::StartInfo().free_gpa + 0x10000;  // past the image's stack
  const uint64_t end = guest::MemoryBytes();
  auto* mem = reinterpret_cast<volatile uint64_t*>(0);
  if (mode[0] == 'o') {
    for (uint64_t a = start; a < end; a += 8) mem[a / 8] = kMarker ^ a;
    // Long enough for the scanner to run meanwhile.
    const uint64_t until = guest::Rdtsc() + guest::StartInfo().tsc_hz / 2;
    while (guest::Rdtsc() < until) guest::SchedYield();
    for (uint64_t a = start; a < end; a += 8) {
      if (mem[a / 8] != (kMarker ^ a)) guest::Failure("marker at 0x%lx changed", a);
    }
    return;
  }
  uint64_t nonzero = 0;
  for (uint64_t a = start; a < end; a += 8) {
    const uint64_t v = mem[a / 8];
    if ((v ^ a) == kMarker) guest::Failure("found another domain's marker at 0x%lx", a);
    nonzero += v != 0;
  }
  // Fresh memory is zeroed by hv: nothing of any earlier owner is left.
  GUEST_ASSERT_EQ(nonzero, 0u);
  char beyond[8] = "";
  guest::CmdlineGet("beyond", beyond, sizeof(beyond));
  guest::Printf("scanned 0x%lx..0x%lx: clean; now touching 0x%lx\n", start, end, end);
  if (beyond[0] == 'r') {
    const uint64_t v = *reinterpret_cast<volatile uint64_t*>(end);
    guest::Failure("read 0x%lx past the end of memory", v);
  }
  if (beyond[0] == 'w') {
    *reinterpret_cast<volatile uint64_t*>(end) = 1;
    guest::Failure("wrote past the end of memory");
  }
}
