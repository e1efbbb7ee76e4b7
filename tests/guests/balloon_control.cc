// SPDX-License-Identifier: Apache-2.0
// Ballooning seen from hv's pool, by a control domain (privileged=yes, so it
// can read HV_SYSCTL_PHYSINFO and set maxima):
//   (no role)       alone: what RELEASE gives back shows up in hv's free
//                   pages, exactly, and POPULATE takes it again; POPULATE
//                   stops at max_memory_bytes (HV_DOMCTL_SET_MAX_MEMORY, which
//                   may go down to what the domain holds now) and when hv has
//                   too little free memory, changing nothing either way.
//   role=destroy peer=N  waits for domU N (balloon mode=worker, kept on power
//                   off) to end with pages released and populated, destroys it
//                   and gets back exactly the pages hv said it held.
#include "hv/domctl.h"
#include "hv/memory.h"
#include "hv/sysctl.h"
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/ops.h"

namespace {

using guest::Call;
using guest::DomainOp;
using guest::FreePages;
using guest::Populate;
using guest::Populated;
using guest::Release;

constexpr uint32_t kV = HV_DOMCTL_INTERFACE_VERSION;
constexpr uint64_t kPage = 4096;
constexpr uint64_t kMiB2 = 2ull << 20;

int64_t SetMax(uint32_t id, uint64_t bytes) {
  hv_domctl_max_memory m{kV, id, bytes};
  return Call(HV_DOMCTL_SET_MAX_MEMORY, &m);
}

// hv's free pages and ours add up to the same before and after each call:
// every page RELEASE frees (less the tables it takes) shows up in the pool.
void Pool() {
  const uint64_t gpa = guest::BalloonBase() + 7 * kPage;
  const uint64_t free0 = FreePages();
  const hv_memory_info mine0 = guest::MemoryQuery();
  GUEST_ASSERT_EQ(Release(gpa, 64), 64);
  const uint64_t free1 = FreePages();
  const hv_memory_info mine1 = guest::MemoryQuery();
  GUEST_ASSERT_EQ(free1 + mine1.pages, free0 + mine0.pages);
  // One table: the 2 MiB page became 4 KiB pages.
  GUEST_ASSERT_EQ(free1, free0 + 64 - 1);
  GUEST_ASSERT_EQ(mine1.memory_bytes, mine0.memory_bytes - 64 * kPage);
  GUEST_ASSERT_EQ(Populate(gpa, 64), 64);
  const uint64_t free2 = FreePages();
  GUEST_ASSERT_EQ(free2, free0 - 1);
  GUEST_ASSERT_EQ(free2 + guest::MemoryQuery().pages, free0 + mine0.pages);
  // Now exactly: up by the pages released, down by the pages populated.
  for (uint64_t n : {1ull, 64ull, 512ull}) {
    const uint64_t at = n == 512 ? guest::BalloonBase() + 2 * kMiB2 : gpa;
    const uint64_t before = FreePages();
    GUEST_ASSERT_EQ(Release(at, n), static_cast<int64_t>(n));
    GUEST_ASSERT_EQ(FreePages(), before + n);
    GUEST_ASSERT_EQ(Populate(at, n), static_cast<int64_t>(n));
    // A whole 2 MiB page went at once; mapping 4 KiB pages there takes a table.
    GUEST_ASSERT_EQ(FreePages(), before - (n == 512 ? 1 : 0));
    GUEST_ASSERT_EQ(FreePages() + guest::MemoryQuery().pages, free0 + mine0.pages);
  }
  guest::Printf("pool: free pages up by what is released and down by what is populated\n");
}

// POPULATE stops at max_memory_bytes, which can be lowered to what we hold.
void Max() {
  const uint32_t self = guest::DomainId();
  const uint64_t m = guest::MemoryBytes();
  const uint64_t gpa = guest::BalloonBase() + 3 * kMiB2;
  GUEST_ASSERT_EQ(Release(gpa, 100), 100);
  const uint64_t now = m - 100 * kPage;
  GUEST_ASSERT_EQ(guest::MemoryQuery().memory_bytes, now);
  // HV_DOMCTL_INFO shows the same to a control domain; the layout stays M.
  GUEST_ASSERT_EQ(guest::DomainInfo(self).ram_bytes, now);
  GUEST_ASSERT_EQ(guest::DomainInfo(self).memory_bytes, m);
  GUEST_ASSERT_EQ(SetMax(self, now - kPage), HV_ERANGE);
  GUEST_ASSERT_EQ(SetMax(self, now), HV_OK);
  GUEST_ASSERT_EQ(guest::MemoryQuery().max_memory_bytes, now);
  const uint64_t free = FreePages();
  const hv_memory_info held = guest::MemoryQuery();
  GUEST_ASSERT_EQ(Populate(gpa, 1), HV_ENOMEM);
  GUEST_ASSERT_EQ(Populate(gpa, 100), HV_ENOMEM);
  // Room for 50 more: 51 or 100 are too many, and change nothing.
  GUEST_ASSERT_EQ(SetMax(self, now + 50 * kPage), HV_OK);
  GUEST_ASSERT_EQ(Populate(gpa, 100), HV_ENOMEM);
  GUEST_ASSERT_EQ(Populate(gpa + 10 * kPage, 51), HV_ENOMEM);
  GUEST_ASSERT_EQ(FreePages(), free);
  GUEST_ASSERT_EQ(guest::MemoryQuery().pages, held.pages);
  for (uint64_t i = 0; i < 100; ++i) GUEST_ASSERT(!Populated(gpa + i * kPage));
  GUEST_ASSERT_EQ(Populate(gpa, 50), 50);
  GUEST_ASSERT_EQ(Populate(gpa + 50 * kPage, 1), HV_ENOMEM);
  GUEST_ASSERT_EQ(guest::MemoryQuery().memory_bytes, now + 50 * kPage);
  GUEST_ASSERT_EQ(guest::DomainInfo(self).ram_bytes, now + 50 * kPage);
  // What we hold now is the floor.
  GUEST_ASSERT_EQ(SetMax(self, now), HV_ERANGE);
  GUEST_ASSERT_EQ(SetMax(self, m), HV_OK);
  GUEST_ASSERT_EQ(Populate(gpa + 50 * kPage, 50), 50);
  GUEST_ASSERT_EQ(Populate(gpa + 100 * kPage, 1), HV_EEXIST);
  GUEST_ASSERT_EQ(guest::MemoryQuery().memory_bytes, m);
  GUEST_ASSERT_EQ(guest::DomainInfo(self).ram_bytes, m);
  guest::Printf("max: POPULATE refused past max_memory_bytes, which may go down to what is held\n");
}

// hv has too little free memory: HV_ENOMEM, nothing taken.
void Exhausted() {
  const uint64_t gpa = guest::BalloonBase() + 4 * kMiB2;  // a whole 2 MiB page
  GUEST_ASSERT_EQ(Release(gpa, HV_MEMORY_MAX_PAGES), HV_MEMORY_MAX_PAGES);
  // A domain that takes nearly everything, leaving fewer than 512 pages.
  uint32_t big = 0;
  for (uint64_t margin = 160; margin < 4096 && !big; margin += 64) {
    hv_domctl_create c{};
    c.interface_version = kV;
    const char name[] = "hog";
    for (size_t i = 0; i < sizeof(name); ++i) c.name[i] = name[i];
    c.memory_bytes = (FreePages() - margin) * kPage;
    c.vcpus = 1;
    c.weight = 256;
    const int64_t r = Call(HV_DOMCTL_CREATE, &c);
    GUEST_ASSERT(r == HV_OK || r == HV_ENOMEM);
    if (r != HV_OK) continue;
    if (FreePages() >= HV_MEMORY_MAX_PAGES || FreePages() < 8) {
      GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_DESTROY, c.domain_id), HV_OK);
      if (FreePages() < 8) continue;
      guest::Error("cannot leave hv with fewer than 512 free pages");
    }
    big = c.domain_id;
  }
  GUEST_ASSERT(big != 0);
  const uint64_t left = FreePages();
  const hv_memory_info held = guest::MemoryQuery();
  GUEST_ASSERT_EQ(Populate(gpa, HV_MEMORY_MAX_PAGES), HV_ENOMEM);
  GUEST_ASSERT_EQ(FreePages(), left);
  GUEST_ASSERT_EQ(guest::MemoryQuery().pages, held.pages);
  GUEST_ASSERT_EQ(guest::MemoryQuery().memory_bytes, held.memory_bytes);
  for (uint64_t i = 0; i < HV_MEMORY_MAX_PAGES; i += 37) GUEST_ASSERT(!Populated(gpa + i * kPage));
  // A few fit (with a table to map them in).
  GUEST_ASSERT_EQ(Populate(gpa, 4), 4);
  GUEST_ASSERT_EQ(FreePages(), left - 5);
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_DESTROY, big), HV_OK);
  GUEST_ASSERT_EQ(Populate(gpa + 4 * kPage, HV_MEMORY_MAX_PAGES - 4), HV_MEMORY_MAX_PAGES - 4);
  GUEST_ASSERT_EQ(guest::MemoryQuery().memory_bytes, guest::MemoryBytes());
  guest::Printf("exhausted: %lu pages free, POPULATE of 512 refused; fine after freeing\n", left);
}

void Alone() {
  const uint64_t free = FreePages();
  const uint64_t pages = guest::MemoryQuery().pages;
  Pool();
  Max();
  Exhausted();
  // Everything is where it was, but for the tables our splits took.
  const uint64_t tables = guest::MemoryQuery().pages - pages;
  GUEST_ASSERT(tables <= 8);
  GUEST_ASSERT_EQ(FreePages() + tables, free);
}

void Destroy() {
  const uint32_t peer = static_cast<uint32_t>(guest::CmdlineU64("peer", 0));
  GUEST_ASSERT(peer != 0 && peer != guest::DomainId());
  const uint64_t deadline = guest::Rdtsc() + guest::StartInfo().tsc_hz * 40;
  hv_domctl_info info = guest::DomainInfo(peer);
  while (info.state != HV_DOMAIN_STATE_DEAD) {
    if (guest::Rdtsc() > deadline) guest::Failure("d%u is in state %u", peer, info.state);
    guest::SchedYield();
    info = guest::DomainInfo(peer);
  }
  GUEST_ASSERT_EQ(info.shutdown_reason, static_cast<uint32_t>(HV_SHUTDOWN_POWEROFF));
  const uint64_t free = FreePages();
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_DESTROY, peer), HV_OK);
  const uint64_t back = FreePages() - free;
  guest::Printf("d%u destroyed after ballooning: %lu pages back, it held %lu\n", peer, back,
                info.pages);
  GUEST_ASSERT_EQ(back, info.pages);
}

}  // namespace

void test_main() {
  char role[16] = "";
  guest::CmdlineGet("role", role, sizeof(role));
  if (role[0] == 'd') {
    Destroy();
  } else {
    Alone();
  }
}
