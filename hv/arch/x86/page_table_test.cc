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

}  // namespace
}  // namespace hv::x86
