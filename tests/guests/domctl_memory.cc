// SPDX-License-Identifier: Apache-2.0
// HV_DOMCTL_DESTROY returns every page: after 100 create/destroy cycles of
// assorted sizes (with vCPU count changes and pauses on the way) hv's free
// memory (HV_SYSCTL_PHYSINFO) is exactly what it was. So it is after a
// CREATE that asks for more than is free (HV_ENOMEM: refused up front, or
// found out by trying and given back), and after filling every domain id
// (HV_ENOSPC). Every tenth cycle the test also gives back pages of its own
// (HV_MEMORY_RELEASE) and takes them again while the domain exists. Runs
// alone, as `privileged=yes`, so nothing else allocates.
#include "hv/domctl.h"
#include "hv/memory.h"
#include "hv/sysctl.h"
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/ops.h"

namespace {

using guest::Call;
using guest::DomainOp;
using guest::FreePages;
using guest::MakeCreate;

constexpr uint32_t kV = HV_DOMCTL_INTERFACE_VERSION;
constexpr uint64_t kMiB = 1ull << 20;

// Gives back `pages` of our own memory above the image, checks that hv's
// free pages go up by as many, and takes them again. The first time (exact
// false) a 2 MiB page of our nested page tables is split, which takes a
// table page for good.
void Balloon(uint64_t pages, bool exact = true) {
  const uint64_t gpa =
      ((guest::StartInfo().free_gpa + (1ull << 21) - 1) & ~((1ull << 21) - 1)) + 3 * 4096;
  const uint64_t before = FreePages();
  GUEST_ASSERT_EQ(guest::Release(gpa, pages), static_cast<int64_t>(pages));
  if (exact) GUEST_ASSERT_EQ(FreePages(), before + pages);
  GUEST_ASSERT_EQ(guest::Populate(gpa, pages), static_cast<int64_t>(pages));
  if (exact) GUEST_ASSERT_EQ(FreePages(), before);
}

void Cycles(uint64_t free) {
  constexpr int kCycles = 100;
  for (int i = 0; i < kCycles; ++i) {
    // 1..8 MiB (blocks of every order up to 2 MiB), 1..4 vCPUs; the same
    // name each time, free again after each DESTROY.
    const uint64_t memory = (1 + i % 8) * kMiB + (i % 3) * 4096 * 5;
    const uint32_t vcpus = 1 + i % 4;
    hv_domctl_create c = MakeCreate("cycle", memory, vcpus);
    GUEST_ASSERT_EQ(Call(HV_DOMCTL_CREATE, &c), HV_OK);
    hv_domctl_info info{};
    info.interface_version = kV;
    info.domain_id = c.domain_id;
    GUEST_ASSERT_EQ(Call(HV_DOMCTL_INFO, &info), HV_OK);
    GUEST_ASSERT_EQ(info.memory_bytes, memory);
    GUEST_ASSERT_EQ(info.vcpus, vcpus);
    // hv's accounting of what the domain holds is what the free pool lost,
    // but for the root of its nested page tables, which hv does not count
    // yet (arch::DomainInit counts only the tables DomainMap adds).
    const uint64_t lost = free - FreePages();
    GUEST_ASSERT(info.pages <= lost && lost <= info.pages + 1);
    if (i % 5 == 0) {
      hv_domctl_vcpu_count n{kV, c.domain_id, 1 + (vcpus + 3) % 8, 0};
      GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_COUNT, &n), HV_OK);
    }
    if (i % 7 == 0) GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_PAUSE, c.domain_id), HV_OK);
    if (i % 10 == 3) Balloon(1 + i * 5);
    GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_DESTROY, c.domain_id), HV_OK);
    if (FreePages() != free) {
      guest::Failure("cycle %d (%lu KiB, %u vCPUs, d%u): %lu pages free, %lu before", i,
                     memory >> 10, vcpus, c.domain_id, FreePages(), free);
    }
  }
  guest::Printf("%d create/destroy cycles: %lu pages free, as before\n", kCycles, FreePages());
}

void TooBig(uint64_t free, uint32_t total) {
  // Far too much: refused before anything is taken.
  hv_domctl_create c = MakeCreate("big", 1ull << 40, 1);
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_CREATE, &c), HV_ENOMEM);
  GUEST_ASSERT_EQ(FreePages(), free);
  // Exactly as much RAM as is free: the domain's own structures do not fit,
  // which hv finds out by trying; it gives back all it took.
  c = MakeCreate("big", FreePages() * 4096, 1);
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_CREATE, &c), HV_ENOMEM);
  GUEST_ASSERT_EQ(FreePages(), free);
  GUEST_ASSERT_EQ(guest::DomainCount(), total);
  // Half of it fits, and goes back.
  c = MakeCreate("big", (FreePages() / 2 * 4096) & ~(kMiB - 1), 2);
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_CREATE, &c), HV_OK);
  guest::Printf("created d%u with %lu MiB\n", c.domain_id, c.memory_bytes >> 20);
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_DESTROY, c.domain_id), HV_OK);
  GUEST_ASSERT_EQ(FreePages(), free);
  GUEST_ASSERT_EQ(guest::DomainCount(), total);
}

void AllIds(uint64_t free, uint32_t total) {
  // Domain ids are 1..255: fill every one that is free.
  uint32_t ids[256];
  uint32_t n = 0;
  int64_t r = HV_OK;
  for (;;) {
    char name[8] = {'n', static_cast<char>('0' + n / 100), static_cast<char>('0' + n / 10 % 10),
                    static_cast<char>('0' + n % 10), 0};
    hv_domctl_create c = MakeCreate(name, kMiB, 1);
    r = Call(HV_DOMCTL_CREATE, &c);
    if (r != HV_OK) break;
    GUEST_ASSERT(n < 256);
    ids[n++] = c.domain_id;
  }
  guest::Printf("%u domains created, then %ld\n", n, r);
  GUEST_ASSERT_EQ(r, HV_ENOSPC);
  GUEST_ASSERT_EQ(n + total, 255u);
  GUEST_ASSERT_EQ(guest::DomainCount(), 255u);
  for (uint32_t i = 0; i < n; ++i) GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_DESTROY, ids[i]), HV_OK);
  GUEST_ASSERT_EQ(guest::DomainCount(), total);
  GUEST_ASSERT_EQ(FreePages(), free);
}

}  // namespace

void test_main() {
  Balloon(480, /*exact=*/false);  // before counting
  const uint64_t free = FreePages();
  const uint32_t total = guest::DomainCount();
  GUEST_ASSERT_EQ(total, 1u);  // alone
  Cycles(free);
  TooBig(free, total);
  AllIds(free, total);
}
