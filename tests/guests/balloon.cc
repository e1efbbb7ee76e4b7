// SPDX-License-Identifier: Apache-2.0
// Ballooning from a domU (HV_MEMORY_RELEASE, HV_MEMORY_POPULATE) on its own
// memory, above its image:
//   mode=ops      (default) release and populate again: inside a 2 MiB page,
//                 a whole one, across a boundary; QUERY's accounting; fresh
//                 pages are zero; hv's own copies fail on released pages;
//                 every error, and that a failed call changes nothing.
//   mode=touch access=read|write  releases a page and touches it: hv must
//                 crash the domain (the runner checks the report).
//   mode=smp      vCPU 1 writes a page in a loop while vCPU 0 releases it:
//                 once RELEASE returns vCPU 1 cannot write it any more (its
//                 stale TLB is gone); it faults and hv crashes the domain.
//   mode=worker   releases and populates scattered pages, leaves some
//                 released and powers off; balloon_control destroys it and
//                 counts the pages that come back.
#include "hv/memory.h"

#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/ops.h"

namespace {

using guest::Populate;
using guest::Populated;
using guest::Release;

constexpr uint64_t kPage = 4096;
constexpr uint64_t kMiB2 = 2ull << 20;

volatile uint64_t* At(uint64_t gpa) { return reinterpret_cast<volatile uint64_t*>(gpa); }

void Fill(uint64_t gpa, uint64_t pages, uint64_t seed) {
  for (uint64_t a = gpa; a < gpa + pages * kPage; a += 8) *At(a) = seed ^ a;
}

void ExpectFilled(uint64_t gpa, uint64_t pages, uint64_t seed) {
  for (uint64_t a = gpa; a < gpa + pages * kPage; a += 8) {
    if (*At(a) != (seed ^ a)) guest::Failure("0x%lx changed: 0x%lx", a, *At(a));
  }
}

void ExpectZero(uint64_t gpa, uint64_t pages) {
  for (uint64_t a = gpa; a < gpa + pages * kPage; a += 8) {
    if (*At(a) != 0) guest::Failure("fresh page at 0x%lx holds 0x%lx", a, *At(a));
  }
}

// Releases `pages` at gpa (filled beforehand), checks the accounting and that
// they are gone for hv, populates them again and checks they are zero.
void RoundTrip(const char* what, uint64_t gpa, uint64_t pages) {
  Fill(gpa, pages, 0x5a5a0000 + pages);
  const hv_memory_info before = guest::MemoryQuery();
  GUEST_ASSERT_EQ(Release(gpa, pages), static_cast<int64_t>(pages));
  const hv_memory_info out = guest::MemoryQuery();
  GUEST_ASSERT_EQ(out.memory_bytes, before.memory_bytes - pages * kPage);
  GUEST_ASSERT_EQ(out.max_memory_bytes, before.max_memory_bytes);
  // hv's pages drop by as many, less the nested page tables a split took.
  GUEST_ASSERT(out.pages <= before.pages - pages + 2);
  GUEST_ASSERT(out.pages >= before.pages - pages);
  GUEST_ASSERT(!Populated(gpa));
  GUEST_ASSERT(!Populated(gpa + (pages - 1) * kPage));
  // Neighbours are still there, with their contents.
  GUEST_ASSERT(Populated(gpa - kPage));
  GUEST_ASSERT(Populated(gpa + pages * kPage));
  // hv copies nothing to or from released pages: not a byte is written or printed.
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_MEMORY_QUERY, gpa), HV_EFAULT);
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_MEMORY_QUERY, gpa - 8), HV_EFAULT);  // straddling
  GUEST_ASSERT_EQ(guest::ConsoleWriteGpa(gpa - 16, 32), HV_EFAULT);
  // Released twice: not populated.
  GUEST_ASSERT_EQ(Release(gpa, 1), HV_ENOENT);

  GUEST_ASSERT_EQ(Populate(gpa, pages), static_cast<int64_t>(pages));
  const hv_memory_info in = guest::MemoryQuery();
  GUEST_ASSERT_EQ(in.memory_bytes, before.memory_bytes);
  // The pages, and maybe a table to map them with.
  GUEST_ASSERT(in.pages >= out.pages + pages && in.pages <= out.pages + pages + 1);
  ExpectZero(gpa, pages);
  Fill(gpa, pages, 0xa5a5);
  ExpectFilled(gpa, pages, 0xa5a5);
  GUEST_ASSERT_EQ(Populate(gpa, 1), HV_EEXIST);
  // Again: now the tables are there, and hv's pages come back exactly.
  GUEST_ASSERT_EQ(Release(gpa, pages), static_cast<int64_t>(pages));
  GUEST_ASSERT_EQ(guest::MemoryQuery().pages, in.pages - pages);
  GUEST_ASSERT_EQ(Populate(gpa, pages), static_cast<int64_t>(pages));
  GUEST_ASSERT_EQ(guest::MemoryQuery().pages, in.pages);
  ExpectZero(gpa, pages);
  guest::Printf("%s: released and populated %lu pages at 0x%lx\n", what, pages, gpa);
}

void Errors(uint64_t base) {
  const uint64_t end = guest::MemoryBytes();
  const hv_memory_info before = guest::MemoryQuery();
  // HV_EINVAL: misaligned, none, too many at once.
  GUEST_ASSERT_EQ(Release(base + 8, 1), HV_EINVAL);
  GUEST_ASSERT_EQ(Populate(base + 0x800, 1), HV_EINVAL);
  GUEST_ASSERT_EQ(Release(base, 0), HV_EINVAL);
  GUEST_ASSERT_EQ(Populate(base, 0), HV_EINVAL);
  GUEST_ASSERT_EQ(Release(base, HV_MEMORY_MAX_PAGES + 1), HV_EINVAL);
  GUEST_ASSERT_EQ(Populate(base, HV_MEMORY_MAX_PAGES + 1), HV_EINVAL);
  GUEST_ASSERT_EQ(Release(base, ~0ull), HV_EINVAL);
  // HV_EFAULT: outside [0, M), straddling its end, far beyond, wrapping.
  GUEST_ASSERT_EQ(Release(end, 1), HV_EFAULT);
  GUEST_ASSERT_EQ(Populate(end, 1), HV_EFAULT);
  GUEST_ASSERT_EQ(Release(end - kPage, 2), HV_EFAULT);
  GUEST_ASSERT_EQ(Populate(end - kPage, 2), HV_EFAULT);
  GUEST_ASSERT_EQ(Release(1ull << 40, 1), HV_EFAULT);
  GUEST_ASSERT_EQ(Release(~0ull & ~(kPage - 1), 1), HV_EFAULT);
  GUEST_ASSERT_EQ(Populate(~0ull & ~(kPage - 1), HV_MEMORY_MAX_PAGES), HV_EFAULT);
  // HV_EEXIST: populating pages that are there.
  GUEST_ASSERT_EQ(Populate(base, 1), HV_EEXIST);
  GUEST_ASSERT_EQ(Populate(0, HV_MEMORY_MAX_PAGES), HV_EEXIST);
  const hv_memory_info same = guest::MemoryQuery();
  GUEST_ASSERT_EQ(same.memory_bytes, before.memory_bytes);
  GUEST_ASSERT_EQ(same.pages, before.pages);

  // All or nothing. Four pages released in the middle of eight:
  // [p0 p1 p2 p3 | r r r r] with the filled pages before them.
  const uint64_t hole = base + 4 * kPage;
  Fill(base, 4, 0x1111);
  Fill(hole, 4, 0x2222);
  GUEST_ASSERT_EQ(Release(hole, 4), 4);
  const hv_memory_info holed = guest::MemoryQuery();
  // RELEASE over populated and released pages: HV_ENOENT, nothing released.
  GUEST_ASSERT_EQ(Release(base, 8), HV_ENOENT);
  GUEST_ASSERT_EQ(Release(base + 3 * kPage, 2), HV_ENOENT);
  GUEST_ASSERT_EQ(Release(hole + 3 * kPage, 2), HV_ENOENT);
  ExpectFilled(base, 4, 0x1111);
  GUEST_ASSERT(Populated(hole + 4 * kPage));
  // POPULATE over released and populated pages: HV_EEXIST, nothing populated.
  GUEST_ASSERT_EQ(Populate(base, 8), HV_EEXIST);
  GUEST_ASSERT_EQ(Populate(hole, 5), HV_EEXIST);
  GUEST_ASSERT_EQ(Populate(hole + 3 * kPage, 2), HV_EEXIST);
  for (uint64_t i = 0; i < 4; ++i) GUEST_ASSERT(!Populated(hole + i * kPage));
  const hv_memory_info still = guest::MemoryQuery();
  GUEST_ASSERT_EQ(still.memory_bytes, holed.memory_bytes);
  GUEST_ASSERT_EQ(still.pages, holed.pages);
  // One at a time, out of order, then all.
  GUEST_ASSERT_EQ(Populate(hole + 2 * kPage, 1), 1);
  GUEST_ASSERT_EQ(Populate(hole, 2), 2);
  GUEST_ASSERT_EQ(Populate(hole + 2 * kPage, 2), HV_EEXIST);
  GUEST_ASSERT_EQ(Populate(hole + 3 * kPage, 1), 1);
  ExpectZero(hole, 4);
  ExpectFilled(base, 4, 0x1111);
  GUEST_ASSERT_EQ(guest::MemoryQuery().memory_bytes, before.memory_bytes);

  // The event page is hv's to write: it cannot be released, alone or in a range.
  const uint64_t events = guest::Gpa(&guest::EventPage());
  GUEST_ASSERT_EQ(Release(events, 1), HV_EBUSY);
  GUEST_ASSERT_EQ(Release(events - kPage, 2), HV_EBUSY);
  (void)*At(events - kPage);  // still there: reading a released page would crash us
  GUEST_ASSERT_EQ(guest::MemoryQuery().memory_bytes, before.memory_bytes);
  guest::Printf("errors: EINVAL, EFAULT, EEXIST, ENOENT, EBUSY; nothing changed by any\n");
}

void Ops() {
  const uint64_t base = guest::BalloonBase();
  GUEST_ASSERT(base + 8 * kMiB2 <= guest::MemoryBytes());
  const hv_memory_info start = guest::MemoryQuery();
  GUEST_ASSERT_EQ(start.memory_bytes, guest::MemoryBytes());

  // An unpopulated page cannot become the event page.
  GUEST_ASSERT_EQ(Release(base, 1), 1);
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_EVTCHN_INIT, base), HV_EFAULT);
  GUEST_ASSERT_EQ(Populate(base, 1), 1);
  guest::EnableEvents(0x40);

  RoundTrip("inside a 2 MiB page", base + 5 * kPage, 64);
  RoundTrip("a whole 2 MiB page", base + kMiB2, HV_MEMORY_MAX_PAGES);
  RoundTrip("across a 2 MiB boundary", base + 3 * kMiB2 - 8 * kPage, 16);
  RoundTrip("one page", base + 4 * kMiB2 + 17 * kPage, 1);
  Errors(base + 5 * kMiB2);

  // Many round trips of one range leak nothing.
  const uint64_t gpa = base + 6 * kMiB2 + 100 * kPage;
  GUEST_ASSERT_EQ(Release(gpa, 300), 300);
  GUEST_ASSERT_EQ(Populate(gpa, 300), 300);
  const hv_memory_info warm = guest::MemoryQuery();
  for (int i = 0; i < 50; ++i) {
    GUEST_ASSERT_EQ(Release(gpa + (i % 3) * kPage, 200), 200);
    GUEST_ASSERT_EQ(Populate(gpa + (i % 3) * kPage, 200), 200);
  }
  const hv_memory_info end = guest::MemoryQuery();
  GUEST_ASSERT_EQ(end.memory_bytes, start.memory_bytes);
  GUEST_ASSERT_EQ(end.pages, warm.pages);
  guest::Printf("ballooning: %lu KiB, %lu pages held (%lu at start)\n", end.memory_bytes >> 10,
                end.pages, start.pages);
}

void Touch() {
  char access[8] = "";
  guest::CmdlineGet("access", access, sizeof(access));
  const uint64_t gpa = guest::BalloonBase() + 3 * kMiB2 + 5 * kPage;
  *At(gpa) = 1;
  GUEST_ASSERT_EQ(Release(gpa, 1), 1);
  guest::Printf("touching 0x%lx\n", gpa);
  if (access[0] == 'w') {
    *At(gpa + 0x10) = 2;
    guest::Failure("wrote a released page");
  }
  const uint64_t v = *At(gpa + 0x10);
  guest::Failure("read 0x%lx from a released page", v);
}

alignas(16) uint8_t g_stack[8192];
volatile uint64_t g_count = 0;

extern "C" [[noreturn]] void Writer(uint64_t gpa) {
  for (uint64_t i = 0;; ++i) {
    *At(gpa) = i;
    g_count = i + 1;
  }
}

void Smp() {
  GUEST_ASSERT_EQ(guest::VcpuCount(), 2u);
  const uint64_t gpa = guest::BalloonBase() + kMiB2 + 9 * kPage;
  const uint64_t rip = reinterpret_cast<uint64_t>(&Writer);
  const uint64_t rsp = reinterpret_cast<uint64_t>(g_stack + sizeof(g_stack));
  GUEST_ASSERT_EQ(guest::VcpuUp(1, rip, rsp, gpa), HV_OK);
  const uint64_t hz = guest::StartInfo().tsc_hz;
  uint64_t deadline = guest::Rdtsc() + hz * 5;
  while (g_count < 100000 && guest::Rdtsc() < deadline) guest::Pause();
  GUEST_ASSERT(g_count >= 100000);
  guest::Printf("vCPU 1 writes 0x%lx; releasing it\n", gpa);
  GUEST_ASSERT_EQ(Release(gpa, 1), 1);
  // vCPU 1 may finish the write it was in, no more. (With a stale TLB it
  // would go on until its next exit, up to a time slice of 10 ms.)
  const uint64_t after = g_count;
  deadline = guest::Rdtsc() + hz / 50;
  while (guest::Rdtsc() < deadline) {
    const uint64_t now = g_count;
    if (now > after + 1) {
      guest::Failure("vCPU 1 went on writing a released page: %lu more times", now - after);
    }
    guest::Pause();
  }
  // hv crashes the domain for vCPU 1's write; this vCPU is stopped meanwhile.
  deadline = guest::Rdtsc() + hz * 5;
  while (guest::Rdtsc() < deadline) guest::Pause();
  guest::Failure("vCPU 1 wrote a released page and nothing happened");
}

// Leaves the domain with released pages in several blocks, some populated
// again, for balloon_control to destroy.
void Worker() {
  const uint64_t base = guest::BalloonBase();
  GUEST_ASSERT_EQ(Release(base + kPage, 10), 10);
  GUEST_ASSERT_EQ(Release(base + kMiB2, HV_MEMORY_MAX_PAGES), HV_MEMORY_MAX_PAGES);
  GUEST_ASSERT_EQ(Release(base + 3 * kMiB2 - kPage, 2), 2);
  GUEST_ASSERT_EQ(Populate(base + kMiB2 + 100 * kPage, 50), 50);
  GUEST_ASSERT_EQ(Populate(base + 3 * kPage, 2), 2);
  const hv_memory_info info = guest::MemoryQuery();
  GUEST_ASSERT_EQ(info.memory_bytes, guest::MemoryBytes() - (10 + 512 + 2 - 50 - 2) * kPage);
  guest::Printf("worker: %lu KiB held, %lu pages\n", info.memory_bytes >> 10, info.pages);
}

}  // namespace

void test_main() {
  char mode[8] = "ops";
  guest::CmdlineGet("mode", mode, sizeof(mode));
  if (mode[0] == 'o') {
    Ops();
  } else if (mode[0] == 't') {
    Touch();
  } else if (mode[0] == 's') {
    Smp();
  } else if (mode[0] == 'w') {
    Worker();
  } else {
    guest::Error("unknown mode=%s", mode);
  }
}
