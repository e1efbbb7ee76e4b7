// SPDX-License-Identifier: Apache-2.0
// HV_CONSOLE_WRITE checks its buffer: outside the caller's memory is
// HV_EFAULT, longer than HV_CONSOLE_WRITE_MAX is HV_EINVAL, empty is 0.
#include "tests/guests/lib/guest.h"

namespace {
const char kLine[] = "console_errors: a line of exactly this length\n";
}  // namespace

void test_main() {
  const uint64_t mem = guest::MemoryBytes();
  GUEST_ASSERT(mem >= (2ull << 20));

  GUEST_ASSERT_EQ(guest::ConsoleWrite(kLine, sizeof(kLine) - 1),
                  static_cast<int64_t>(sizeof(kLine) - 1));
  GUEST_ASSERT_EQ(guest::ConsoleWrite(kLine, 0), 0);

  // Entirely outside guest memory: just past its end, far away, non-canonical.
  GUEST_ASSERT_EQ(guest::ConsoleWriteGpa(mem, 16), HV_EFAULT);
  GUEST_ASSERT_EQ(guest::ConsoleWriteGpa(mem + (1ull << 30), 16), HV_EFAULT);
  GUEST_ASSERT_EQ(guest::ConsoleWriteGpa(1ull << 52, 16), HV_EFAULT);
  GUEST_ASSERT_EQ(guest::ConsoleWriteGpa(0xfffffffffffff000ull, 16), HV_EFAULT);
  // Straddling the end of guest memory (the last bytes are ours).
  GUEST_ASSERT_EQ(guest::ConsoleWriteGpa(mem - 8, 16), HV_EFAULT);
  GUEST_ASSERT_EQ(guest::ConsoleWriteGpa(mem - 1, 2), HV_EFAULT);
  // gpa + len wrapping around the address space.
  GUEST_ASSERT_EQ(guest::ConsoleWriteGpa(0x100000, ~0ull), HV_EINVAL);
  GUEST_ASSERT_EQ(guest::ConsoleWriteGpa(~0ull - 7, 16), HV_EFAULT);

  // Too long, even from our own memory.
  GUEST_ASSERT_EQ(guest::ConsoleWriteGpa(0x100000, HV_CONSOLE_WRITE_MAX + 1), HV_EINVAL);
  GUEST_ASSERT_EQ(guest::ConsoleWriteGpa(0x100000, 1ull << 40), HV_EINVAL);
}
