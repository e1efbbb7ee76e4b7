// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/page_table.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace hv::x86 {
namespace {

// Page-table pages from host memory; the fake arch maps "physical" = host pointer.
std::vector<void*> g_pages;
size_t g_budget = 0;

PhysAddr TakePage() {
  if (g_budget == 0) return PhysAddr(0);
  --g_budget;
  void* p = std::aligned_alloc(kPageSize, kPageSize);
  std::memset(p, 0, kPageSize);
  g_pages.push_back(p);
  return PhysAddr(reinterpret_cast<uint64_t>(p));
}

class PageTableTest : public ::testing::Test {
 protected:
  void SetUp() override { g_budget = 64; }
  void TearDown() override {
    for (void* p : g_pages) std::free(p);
    g_pages.clear();
  }
};

constexpr uint64_t kGiB = 1ull << 30, kMiB2 = 2ull << 20;

TEST_F(PageTableTest, UsesTheLargestPagesAlignmentAllows) {
  PageTable t;
  ASSERT_TRUE(t.Init(&TakePage, /*allow_1g=*/true));
  // 1 GiB + 2 MiB + 4 KiB, all aligned: one of each size.
  ASSERT_EQ(t.Map(VirtAddr(0xffff800000000000), PhysAddr(0), kGiB + kMiB2 + kPageSize, kMapWrite),
            MapStatus::kOk);
  const uint64_t g = t.Lookup(VirtAddr(0xffff800000000000 + 12345));
  EXPECT_TRUE(g & kPtePs);
  EXPECT_EQ(g & kPteAddrMask, 0u);
  const uint64_t m = t.Lookup(VirtAddr(0xffff800000000000 + kGiB + 5));
  EXPECT_TRUE(m & kPtePs);
  EXPECT_EQ(m & kPteAddrMask, kGiB);
  const uint64_t k = t.Lookup(VirtAddr(0xffff800000000000 + kGiB + kMiB2));
  EXPECT_FALSE(k & kPtePs);
  EXPECT_EQ(k & kPteAddrMask, kGiB + kMiB2);
  EXPECT_EQ(t.Lookup(VirtAddr(0xffff800000000000 + kGiB + kMiB2 + kPageSize)), 0u);
  // PML4 + PDPT + PD + PT.
  EXPECT_EQ(t.pages_used(), 4u);
}

TEST_F(PageTableTest, FallsBackTo2MiBWithout1GiBPages) {
  PageTable t;
  ASSERT_TRUE(t.Init(&TakePage, /*allow_1g=*/false));
  ASSERT_EQ(t.Map(VirtAddr(0), PhysAddr(0), kGiB, kMapRead), MapStatus::kOk);
  const uint64_t e = t.Lookup(VirtAddr(kGiB - 1));
  EXPECT_TRUE(e & kPtePs);
  EXPECT_EQ(e & kPteAddrMask, kGiB - kMiB2);
}

TEST_F(PageTableTest, PermissionsAreDenyByDefault) {
  PageTable t;
  ASSERT_TRUE(t.Init(&TakePage, true));
  ASSERT_EQ(t.Map(VirtAddr(0x1000), PhysAddr(0x5000), kPageSize, kMapRead), MapStatus::kOk);
  ASSERT_EQ(t.Map(VirtAddr(0x2000), PhysAddr(0x6000), kPageSize, kMapExec), MapStatus::kOk);
  ASSERT_EQ(t.Map(VirtAddr(0x3000), PhysAddr(0x7000), kPageSize, kMapWrite | kMapUncached),
            MapStatus::kOk);
  const uint64_t ro = t.Lookup(VirtAddr(0x1000)), rx = t.Lookup(VirtAddr(0x2000)),
                 dev = t.Lookup(VirtAddr(0x3000));
  EXPECT_TRUE((ro & kPteNx) && !(ro & kPteW));
  EXPECT_TRUE(!(rx & kPteNx) && !(rx & kPteW));
  EXPECT_TRUE((dev & kPteNx) && (dev & kPteW) && (dev & kPtePcd) && (dev & kPtePwt));
}

TEST_F(PageTableTest, RefusesMisalignedAndDoubleMappings) {
  PageTable t;
  ASSERT_TRUE(t.Init(&TakePage, true));
  EXPECT_EQ(t.Map(VirtAddr(0x1001), PhysAddr(0), kPageSize, kMapRead), MapStatus::kMisaligned);
  EXPECT_EQ(t.Map(VirtAddr(0x1000), PhysAddr(0x10), kPageSize, kMapRead), MapStatus::kMisaligned);
  EXPECT_EQ(t.Map(VirtAddr(0x1000), PhysAddr(0), 100, kMapRead), MapStatus::kMisaligned);
  ASSERT_EQ(t.Map(VirtAddr(0), PhysAddr(0), kMiB2, kMapRead), MapStatus::kOk);
  // Under a 2 MiB leaf, and on the same leaf.
  EXPECT_EQ(t.Map(VirtAddr(0x1000), PhysAddr(0), kPageSize, kMapRead), MapStatus::kAlreadyMapped);
  EXPECT_EQ(t.Map(VirtAddr(0), PhysAddr(0), kMiB2, kMapRead), MapStatus::kAlreadyMapped);
}

TEST_F(PageTableTest, ReportsRunningOutOfTablePages) {
  PageTable t;
  ASSERT_TRUE(t.Init(&TakePage, true));
  g_budget = 2;  // PDPT and PD, but no PT
  EXPECT_EQ(t.Map(VirtAddr(0x1000), PhysAddr(0), kPageSize, kMapRead), MapStatus::kNoMemory);
  g_budget = 0;
  PageTable none;
  EXPECT_FALSE(none.Init(&TakePage, true));
}

std::vector<PhysAddr> g_released;
void Collect(PhysAddr p) { g_released.push_back(p); }

TEST_F(PageTableTest, UserMappingsAreUserAtEveryLevel) {
  PageTable t;
  ASSERT_TRUE(t.Init(&TakePage, true));
  ASSERT_EQ(t.Map(VirtAddr(0x200000), PhysAddr(0x400000), 0x200000, kMapWrite | kMapUser),
            MapStatus::kOk);
  const auto* pml4 = reinterpret_cast<const uint64_t*>(t.root().value());
  EXPECT_TRUE(pml4[0] & kPteU);
  EXPECT_TRUE(t.Lookup(VirtAddr(0x200000)) & kPteU);
}

TEST_F(PageTableTest, ReleaseReturnsEveryTablePage) {
  PageTable t;
  ASSERT_TRUE(t.Init(&TakePage, true));
  ASSERT_EQ(t.Map(VirtAddr(0), PhysAddr(0), 0x1000, kMapRead), MapStatus::kOk);
  ASSERT_EQ(t.Map(VirtAddr(0x40000000), PhysAddr(0), 0x200000, kMapRead), MapStatus::kOk);
  ASSERT_EQ(t.Map(VirtAddr(0x8000000000), PhysAddr(0), 0x40000000, kMapRead), MapStatus::kOk);
  const uint64_t used = t.pages_used();
  g_released.clear();
  t.Release(&Collect);
  EXPECT_EQ(g_released.size(), used);  // tables only, never the mapped memory
  EXPECT_EQ(t.pages_used(), 0u);
}

// Where va leads, or ~0 if nowhere.
uint64_t Where(const PageTable& t, uint64_t va) {
  PhysAddr pa;
  return t.Translate(VirtAddr(va), &pa) ? pa.value() : ~0ull;
}

TEST_F(PageTableTest, TranslateWithinEveryPageSize) {
  PageTable t;
  ASSERT_TRUE(t.Init(&TakePage, true));
  ASSERT_EQ(t.Map(VirtAddr(0), PhysAddr(4 * kGiB), kGiB + kMiB2 + kPageSize, kMapWrite),
            MapStatus::kOk);
  EXPECT_EQ(Where(t, 0x12345), 4 * kGiB + 0x12345);
  EXPECT_EQ(Where(t, kGiB + 0x1234), 5 * kGiB + 0x1234);
  EXPECT_EQ(Where(t, kGiB + kMiB2 + 0xfff), 5 * kGiB + kMiB2 + 0xfff);
  EXPECT_EQ(Where(t, kGiB + kMiB2 + kPageSize), ~0ull);
  EXPECT_EQ(Where(t, 0x8000000000), ~0ull);
}

TEST_F(PageTableTest, UnmapSplitsLargePagesCoveredInPart) {
  PageTable t;
  ASSERT_TRUE(t.Init(&TakePage, true));
  const uint32_t attrs = kMapWrite | kMapUser;
  ASSERT_EQ(t.Map(VirtAddr(0), PhysAddr(kGiB), kGiB, attrs), MapStatus::kOk);
  const uint64_t before = t.pages_used();
  const uint64_t leaf = t.Lookup(VirtAddr(0));
  // Two 4 KiB pages inside the second 2 MiB of a 1 GiB page: the 1 GiB page
  // becomes 2 MiB pages, the second of them 4 KiB pages.
  ASSERT_EQ(t.Unmap(VirtAddr(kMiB2 + 0x1000), 0x2000), MapStatus::kOk);
  EXPECT_EQ(t.pages_used(), before + 2);
  EXPECT_EQ(t.Lookup(VirtAddr(kMiB2 + 0x1000)), 0u);
  EXPECT_EQ(t.Lookup(VirtAddr(kMiB2 + 0x2fff)), 0u);
  // Everything else translates as before, with the same attributes.
  for (uint64_t va : std::initializer_list<uint64_t>{
           0, 0x1000, kMiB2, kMiB2 + 0xfff, kMiB2 + 0x3000, 2 * kMiB2 - 1, 2 * kMiB2, kGiB - 1}) {
    EXPECT_EQ(Where(t, va), kGiB + va) << std::hex << va;
    const uint64_t e = t.Lookup(VirtAddr(va));
    EXPECT_EQ(e & (kPteP | kPteW | kPteU | kPteNx), leaf & (kPteP | kPteW | kPteU | kPteNx));
  }
  EXPECT_TRUE(t.Lookup(VirtAddr(0)) & kPtePs);          // 2 MiB
  EXPECT_FALSE(t.Lookup(VirtAddr(kMiB2)) & kPtePs);     // 4 KiB
  EXPECT_TRUE(t.Lookup(VirtAddr(2 * kMiB2)) & kPtePs);  // 2 MiB
  EXPECT_EQ(Where(t, kGiB), ~0ull);
  // The hole can be mapped again, page by page, to anything.
  ASSERT_EQ(t.Map(VirtAddr(kMiB2 + 0x1000), PhysAddr(0x7000), kPageSize, attrs), MapStatus::kOk);
  EXPECT_EQ(Where(t, kMiB2 + 0x1234), 0x7234u);
  EXPECT_EQ(t.Map(VirtAddr(kMiB2 + 0x1000), PhysAddr(0x7000), kPageSize, attrs),
            MapStatus::kAlreadyMapped);
  EXPECT_EQ(t.pages_used(), before + 2);
}

TEST_F(PageTableTest, UnmapWholeLargePagesAndRanges) {
  PageTable t;
  ASSERT_TRUE(t.Init(&TakePage, true));
  ASSERT_EQ(t.Map(VirtAddr(0), PhysAddr(0), 2 * kGiB, kMapWrite), MapStatus::kOk);
  const uint64_t before = t.pages_used();
  // Whole 2 MiB pages of the first 1 GiB: one split, no 4 KiB tables.
  ASSERT_EQ(t.Unmap(VirtAddr(2 * kMiB2), 3 * kMiB2), MapStatus::kOk);
  EXPECT_EQ(t.pages_used(), before + 1);
  EXPECT_EQ(Where(t, 2 * kMiB2 - 1), 2 * kMiB2 - 1);
  for (uint64_t va = 2 * kMiB2; va < 5 * kMiB2; va += 0x80000) EXPECT_EQ(Where(t, va), ~0ull);
  EXPECT_EQ(Where(t, 5 * kMiB2), 5 * kMiB2);
  // A whole 1 GiB page: no split at all.
  ASSERT_EQ(t.Unmap(VirtAddr(kGiB), kGiB), MapStatus::kOk);
  EXPECT_EQ(t.pages_used(), before + 1);
  EXPECT_EQ(Where(t, kGiB), ~0ull);
  EXPECT_EQ(Where(t, 2 * kGiB - 1), ~0ull);
  // Unmapping what is not mapped (the holes, past the end) is fine.
  ASSERT_EQ(t.Unmap(VirtAddr(2 * kMiB2), 0x10000), MapStatus::kOk);
  ASSERT_EQ(t.Unmap(VirtAddr(kGiB - kPageSize), 2 * kPageSize + 5 * kGiB), MapStatus::kOk);
  EXPECT_EQ(Where(t, kGiB - kPageSize), ~0ull);
  EXPECT_EQ(Where(t, kGiB - kPageSize - 1), kGiB - kPageSize - 1);
  ASSERT_EQ(t.Unmap(VirtAddr(0x123000), 0), MapStatus::kOk);
  EXPECT_EQ(Where(t, 0x123000), 0x123000u);
}

TEST_F(PageTableTest, UnmapAcrossTablesAndInTheHighHalf) {
  PageTable t;
  ASSERT_TRUE(t.Init(&TakePage, false));  // 2 MiB pages at most
  const uint64_t base = 0xffff800000000000;
  ASSERT_EQ(t.Map(VirtAddr(base), PhysAddr(0), 3 * kGiB, kMapRead), MapStatus::kOk);
  // From the last 4 KiB of the first 1 GiB to the first 4 KiB of the third.
  ASSERT_EQ(t.Unmap(VirtAddr(base + kGiB - kPageSize), kGiB + 2 * kPageSize), MapStatus::kOk);
  EXPECT_EQ(Where(t, base + kGiB - kPageSize - 1), kGiB - kPageSize - 1);
  EXPECT_EQ(Where(t, base + kGiB - kPageSize), ~0ull);
  EXPECT_EQ(Where(t, base + kGiB + kMiB2 * 100), ~0ull);
  EXPECT_EQ(Where(t, base + 2 * kGiB + kPageSize - 1), ~0ull);
  EXPECT_EQ(Where(t, base + 2 * kGiB + kPageSize), 2 * kGiB + kPageSize);
  EXPECT_EQ(t.Unmap(VirtAddr(base + 1), kPageSize), MapStatus::kMisaligned);
  EXPECT_EQ(t.Unmap(VirtAddr(base), 100), MapStatus::kMisaligned);
}

TEST_F(PageTableTest, UnmapOutOfTablePagesChangesNoTranslation) {
  // [4 KiB, 6 MiB + 4 KiB) of a 1 GiB page needs two tables at the start
  // (1 GiB -> 2 MiB -> 4 KiB) and one at the end.
  for (size_t budget : {0, 1, 2, 3}) {
    g_budget = 64;
    PageTable t;
    ASSERT_TRUE(t.Init(&TakePage, true));
    ASSERT_EQ(t.Map(VirtAddr(0), PhysAddr(kGiB), kGiB, kMapWrite), MapStatus::kOk);
    g_budget = budget;
    const MapStatus st = t.Unmap(VirtAddr(0x1000), kMiB2 * 3);
    if (budget < 3) {
      EXPECT_EQ(st, MapStatus::kNoMemory) << budget;
      for (uint64_t va = 0; va < 8 * kMiB2; va += kPageSize) {
        ASSERT_EQ(Where(t, va), kGiB + va) << budget << " " << std::hex << va;
      }
      continue;
    }
    ASSERT_EQ(st, MapStatus::kOk);
    EXPECT_EQ(Where(t, 0), kGiB);
    EXPECT_EQ(Where(t, 0x1000), ~0ull);
    EXPECT_EQ(Where(t, 3 * kMiB2 + 0xfff), ~0ull);
    EXPECT_EQ(Where(t, 3 * kMiB2 + 0x1000), kGiB + 3 * kMiB2 + 0x1000);
    EXPECT_EQ(t.pages_used(), 2u + 3u);
  }
}

TEST_F(PageTableTest, ReleaseAfterUnmapReturnsEveryTablePage) {
  PageTable t;
  ASSERT_TRUE(t.Init(&TakePage, true));
  ASSERT_EQ(t.Map(VirtAddr(0), PhysAddr(0), kGiB, kMapRead), MapStatus::kOk);
  ASSERT_EQ(t.Unmap(VirtAddr(0x5000), kPageSize), MapStatus::kOk);
  ASSERT_EQ(t.Unmap(VirtAddr(kGiB - kPageSize), kPageSize), MapStatus::kOk);
  const uint64_t used = t.pages_used();
  EXPECT_EQ(used, 5u);  // PML4, PDPT, a PD for the 1 GiB page, two PTs
  g_released.clear();
  t.Release(&Collect);
  EXPECT_EQ(g_released.size(), used);
  EXPECT_EQ(t.pages_used(), 0u);
}

}  // namespace
}  // namespace hv::x86
