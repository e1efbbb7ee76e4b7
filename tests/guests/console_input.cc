// SPDX-License-Identifier: Apache-2.0
// hv's console input to a domain without a UART (HV_VIRQ_CONSOLE,
// HV_CONSOLE_INPUT). Once this domain says "ready for input", the runner
// switches hv's console to it (Ctrl-A three times) and types a line, which
// must arrive whole, each byte with the VIRQ; bad calls take nothing.
#include "hv/console.h"
#include "tests/guests/lib/guest.h"

namespace {

constexpr uint8_t kVector = 0x44;
constexpr char kExpected[] = "hello, hv\n";  // tests/guests/run_guests.py types it

int64_t Input(uint64_t gpa, uint64_t len) { return guest::Hypercall2(HV_CONSOLE_INPUT, gpa, len); }

}  // namespace

void test_main() {
  static char line[64];
  GUEST_ASSERT_EQ(Input(guest::Gpa(line), HV_CONSOLE_WRITE_MAX + 1), HV_EINVAL);
  GUEST_ASSERT_EQ(Input(guest::MemoryBytes() - 4, 8), HV_EFAULT);
  GUEST_ASSERT_EQ(Input(guest::Gpa(line), sizeof(line)), 0);  // nothing typed yet

  guest::EnableEvents(kVector);
  const int64_t port = guest::EvtchnBindVirq(HV_VIRQ_CONSOLE, 0);
  GUEST_ASSERT(port > 0);
  guest::Printf("ready for input\n");

  const uint64_t give_up = guest::Rdtsc() + guest::StartInfo().tsc_hz * 30;
  uint32_t len = 0, virqs = 0;
  bool faulted = false;
  while (len == 0 || line[len - 1] != '\n') {
    if (guest::Rdtsc() > give_up) guest::Failure("%u bytes of input after 30 s", len);
    // Sleep until hv says input waits.
    guest::Cli();
    const bool pending = guest::TakePending(static_cast<uint32_t>(port));
    if (!pending) guest::SafeHalt();
    guest::Cli();
    if (!pending) continue;
    ++virqs;
    if (!faulted) {  // a buffer outside its memory takes nothing of what waits
      faulted = true;
      GUEST_ASSERT_EQ(Input(guest::MemoryBytes() - 1, 2), HV_EFAULT);
    }
    const int64_t n = Input(guest::Gpa(line + len), sizeof(line) - 1 - len);
    GUEST_ASSERT(n >= 0 && n <= static_cast<int64_t>(sizeof(line) - 1 - len));
    len += static_cast<uint32_t>(n);
    GUEST_ASSERT(len < sizeof(line) - 1);
  }
  line[len] = '\0';
  GUEST_ASSERT_EQ(len, sizeof(kExpected) - 1);
  for (uint32_t i = 0; i < len; ++i) GUEST_ASSERT_EQ(line[i], kExpected[i]);
  GUEST_ASSERT(virqs >= 1);
  GUEST_ASSERT(guest::UpcallCount() >= 1);
  guest::Printf("read \"hello, hv\" from hv's console after %u VIRQs\n", virqs);
}
