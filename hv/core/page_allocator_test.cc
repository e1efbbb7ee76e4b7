// SPDX-License-Identifier: Apache-2.0
#include "hv/core/page_allocator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <random>
#include <thread>
#include <vector>

#include "hv/arch/fake/log.h"

namespace hv {

void PrintTo(PageStatus s, std::ostream* os) { *os << PageStatusName(s); }

namespace {

constexpr unsigned kMax = PageAllocator::kMaxOrder;
constexpr uint64_t kPagesPerGiB = uint64_t{1} << kMax;

PhysAddr Pfn(uint64_t pfn) { return PhysAddr::FromPfn(pfn); }
uint64_t Pages(unsigned order) { return uint64_t{1} << order; }

// An allocator over [first_pfn, end_pfn) with metadata on the host heap.
class Harness {
 public:
  Harness(uint64_t first_pfn, uint64_t end_pfn)
      : storage_(PageAllocator::MetadataBytes(first_pfn, end_pfn) / sizeof(uint64_t) + 1),
        alloc_(std::make_unique<PageAllocator>()) {
    PageStatus s =
        alloc_->Init(storage_.data(), storage_.size() * sizeof(uint64_t), first_pfn, end_pfn);
    EXPECT_EQ(s, PageStatus::kOk);
  }
  PageAllocator& operator*() { return *alloc_; }
  PageAllocator* operator->() { return alloc_.get(); }

 private:
  std::vector<uint64_t> storage_;
  std::unique_ptr<PageAllocator> alloc_;
};

class PageAllocatorTest : public ::testing::Test {
 protected:
  void SetUp() override { fake::ClearLog(); }
  void TearDown() override { fake::SetLogEcho(true); }
};

std::vector<PageBlock> FreeBlocksOf(const PageAllocator& a) {
  std::vector<PageBlock> blocks;
  a.ForEachFreeBlock([&](const PageBlock& b) { blocks.push_back(b); });
  std::sort(blocks.begin(), blocks.end(),
            [](const PageBlock& x, const PageBlock& y) { return x.addr < y.addr; });
  return blocks;
}

TEST_F(PageAllocatorTest, MetadataIsTwelveBytesPerFrame) {
  EXPECT_EQ(PageAllocator::MetadataBytes(0, 1), 12u);
  EXPECT_EQ(PageAllocator::MetadataBytes(100, 1100), 12000u);
  EXPECT_EQ(PageAllocator::MetadataBytes(5, 5), 0u);
  EXPECT_EQ(PageAllocator::MetadataBytes(6, 5), 0u);
  EXPECT_EQ(PageAllocator::MetadataBytes(0, PageAllocator::kMaxFrames + 1), 0u);
}

TEST_F(PageAllocatorTest, InitRejectsBadArguments) {
  alignas(8) static uint8_t buf[12 * 16 + 1];
  PageAllocator a;
  EXPECT_EQ(a.Init(nullptr, sizeof(buf), 0, 16), PageStatus::kBadArgument);
  EXPECT_EQ(a.Init(buf, 12 * 16 - 1, 0, 16), PageStatus::kBadArgument);   // too small
  EXPECT_EQ(a.Init(buf + 1, 12 * 16, 0, 16), PageStatus::kBadArgument);   // misaligned
  EXPECT_EQ(a.Init(buf, sizeof(buf), 16, 16), PageStatus::kBadArgument);  // empty
  EXPECT_EQ(a.Init(buf, sizeof(buf), 17, 16), PageStatus::kBadArgument);  // inverted
  EXPECT_EQ(fake::CountLogged(LogLevel::kError, "bad metadata"), 5);
  // A failed Init leaves the allocator unusable, not half-usable.
  EXPECT_EQ(a.AddFreeRange(Pfn(0), Pfn(16), 0), PageStatus::kNotInitialized);
  EXPECT_EQ(a.Alloc(0).status, PageStatus::kNotInitialized);
  EXPECT_EQ(a.Init(buf, 12 * 16, 0, 16), PageStatus::kOk);
  EXPECT_EQ(a.FreePages(), 0u);
}

TEST_F(PageAllocatorTest, UninitializedAllocatorFailsCleanly) {
  PageAllocator a;
  EXPECT_EQ(a.Alloc(0).status, PageStatus::kNotInitialized);
  EXPECT_EQ(a.Free(Pfn(1), 0), PageStatus::kNotInitialized);
  EXPECT_EQ(a.AddFreeRange(Pfn(0), Pfn(16), 0), PageStatus::kNotInitialized);
  PhysAddr cursor;
  PageBlock b;
  EXPECT_EQ(a.TakeFreeBlocks(&cursor, Pfn(16), &b, 1), 0u);
  EXPECT_EQ(FreeBlocksOf(a).size(), 0u);
  EXPECT_TRUE(a.Verify());
}

TEST_F(PageAllocatorTest, FreshAllocatorHasNothing) {
  Harness h(0, 1024);
  EXPECT_EQ(h->FreePages(), 0u);
  EXPECT_EQ(h->Alloc(0).status, PageStatus::kNoMemory);
  EXPECT_TRUE(h->Verify());
}

TEST_F(PageAllocatorTest, AllocAndFreeEveryOrder) {
  // [1 GiB, 3 GiB): two max-order blocks.
  Harness h(kPagesPerGiB, 3 * kPagesPerGiB);
  ASSERT_EQ(h->AddFreeRange(Pfn(kPagesPerGiB), Pfn(3 * kPagesPerGiB), 0), PageStatus::kOk);
  EXPECT_EQ(h->FreePages(), 2 * kPagesPerGiB);
  EXPECT_EQ(h->FreeBlocks(kMax), 2u);
  EXPECT_EQ(h->ManagedPages(), 2 * kPagesPerGiB);

  for (unsigned order = 0; order <= kMax; ++order) {
    PageAllocResult r = h->Alloc(order);
    ASSERT_TRUE(r.ok()) << order;
    EXPECT_TRUE(r.addr.IsAligned(kPageSize << order)) << order;
    EXPECT_GE(r.addr, Pfn(kPagesPerGiB));
    EXPECT_LE(r.addr + (kPageSize << order), Pfn(3 * kPagesPerGiB));
    EXPECT_EQ(h->FreePages(), 2 * kPagesPerGiB - Pages(order));
    // Splitting one max-order block leaves one block of each smaller order.
    for (unsigned k = order; k < kMax; ++k) EXPECT_EQ(h->FreeBlocks(k), 1u) << order << " " << k;
    EXPECT_TRUE(h->Verify());
    EXPECT_EQ(h->Free(r.addr, order), PageStatus::kOk);
    EXPECT_EQ(h->FreePages(), 2 * kPagesPerGiB);
    EXPECT_EQ(h->FreeBlocks(kMax), 2u);
    for (unsigned k = 0; k < kMax; ++k) EXPECT_EQ(h->FreeBlocks(k), 0u);
  }
  EXPECT_TRUE(h->Verify());
  EXPECT_EQ(fake::LoggedLines().size(), 0u);
}

TEST_F(PageAllocatorTest, BadOrderIsRejected) {
  Harness h(0, 64);
  ASSERT_EQ(h->AddFreeRange(Pfn(0), Pfn(64), 0), PageStatus::kOk);
  EXPECT_EQ(h->Alloc(kMax + 1).status, PageStatus::kBadOrder);
  EXPECT_EQ(h->Free(Pfn(0), kMax + 1), PageStatus::kBadOrder);
  EXPECT_EQ(fake::CountLogged(LogLevel::kError), 2);
  EXPECT_EQ(h->FreePages(), 64u);
}

TEST_F(PageAllocatorTest, SmallestFittingBlockIsSplit) {
  Harness h(0, 64);
  ASSERT_EQ(h->AddFreeRange(Pfn(0), Pfn(32), 0), PageStatus::kOk);   // order 5
  ASSERT_EQ(h->AddFreeRange(Pfn(36), Pfn(38), 0), PageStatus::kOk);  // order 1
  PageAllocResult r = h->Alloc(0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.addr.pfn(), 36u);  // from the order-1 block, not the big one
  EXPECT_EQ(h->FreeBlocks(5), 1u);
}

TEST_F(PageAllocatorTest, AllocateEverythingThenMergeBackToMaxOrder) {
  Harness h(0, kPagesPerGiB);
  ASSERT_EQ(h->AddFreeRange(Pfn(0), Pfn(kPagesPerGiB), 0), PageStatus::kOk);
  std::vector<PhysAddr> pages;
  pages.reserve(kPagesPerGiB);
  for (;;) {
    PageAllocResult r = h->Alloc(0);
    if (!r.ok()) {
      EXPECT_EQ(r.status, PageStatus::kNoMemory);
      break;
    }
    pages.push_back(r.addr);
  }
  EXPECT_EQ(pages.size(), kPagesPerGiB);
  EXPECT_EQ(h->FreePages(), 0u);
  std::mt19937_64 rng(42);
  std::shuffle(pages.begin(), pages.end(), rng);
  for (PhysAddr p : pages) ASSERT_EQ(h->Free(p, 0), PageStatus::kOk);
  EXPECT_EQ(h->FreePages(), kPagesPerGiB);
  EXPECT_EQ(h->FreeBlocks(kMax), 1u);
  EXPECT_TRUE(h->Verify());
}

TEST_F(PageAllocatorTest, Fragmentation) {
  constexpr uint64_t kPages = 4096;  // 16 MiB
  Harness h(0, kPages);
  ASSERT_EQ(h->AddFreeRange(Pfn(0), Pfn(kPages), 0), PageStatus::kOk);
  std::vector<PhysAddr> pages;
  for (uint64_t i = 0; i < kPages; ++i) {
    PageAllocResult r = h->Alloc(0);
    ASSERT_TRUE(r.ok());
    pages.push_back(r.addr);
  }
  std::sort(pages.begin(), pages.end());
  for (size_t i = 0; i < pages.size(); i += 2) ASSERT_EQ(h->Free(pages[i], 0), PageStatus::kOk);
  EXPECT_EQ(h->FreePages(), kPages / 2);
  EXPECT_EQ(h->FreeBlocks(0), kPages / 2);
  for (unsigned order = 1; order <= kMax; ++order) {
    EXPECT_EQ(h->Alloc(order).status, PageStatus::kNoMemory) << order;
  }
  EXPECT_EQ(h->FreePages(), kPages / 2);  // failed allocations change nothing
  EXPECT_TRUE(h->Verify());
  for (size_t i = 1; i < pages.size(); i += 2) ASSERT_EQ(h->Free(pages[i], 0), PageStatus::kOk);
  EXPECT_EQ(h->FreePages(), kPages);
  EXPECT_EQ(h->FreeBlocks(12), 1u);  // 4096 pages = one order-12 block
  EXPECT_EQ(FreeBlocksOf(*h).size(), 1u);
  EXPECT_TRUE(h->Verify());
}

TEST_F(PageAllocatorTest, ExhaustionPerOrder) {
  Harness h(0, 64);
  // 12 pages at [4, 16): an order-2 block at 4 and an order-3 block at 8.
  ASSERT_EQ(h->AddFreeRange(Pfn(4), Pfn(16), 0), PageStatus::kOk);
  EXPECT_EQ(h->FreeBlocks(2), 1u);
  EXPECT_EQ(h->FreeBlocks(3), 1u);
  EXPECT_EQ(h->Alloc(4).status, PageStatus::kNoMemory);
  PageAllocResult a = h->Alloc(3);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.addr.pfn(), 8u);
  EXPECT_EQ(h->Alloc(3).status, PageStatus::kNoMemory);
  PageAllocResult b = h->Alloc(2);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.addr.pfn(), 4u);
  for (unsigned order = 0; order <= kMax; ++order) {
    EXPECT_EQ(h->Alloc(order).status, PageStatus::kNoMemory);
  }
  EXPECT_EQ(h->FreePages(), 0u);
  EXPECT_EQ(h->Free(a.addr, 3), PageStatus::kOk);
  EXPECT_EQ(h->Free(b.addr, 2), PageStatus::kOk);
  EXPECT_EQ(h->FreePages(), 12u);
  EXPECT_EQ(fake::LoggedLines().size(), 0u);  // running out is not an error
  EXPECT_TRUE(h->Verify());
}

TEST_F(PageAllocatorTest, SplitBlockFreesPageByPageAndMergesBack) {
  Harness h(0, 1024);
  ASSERT_EQ(h->AddFreeRange(Pfn(0), Pfn(1024), 0), PageStatus::kOk);  // one order-10 block
  PageAllocResult r = h->Alloc(6);
  ASSERT_TRUE(r.ok());
  const uint64_t free = h->FreePages();
  ASSERT_EQ(h->Split(r.addr, 6), PageStatus::kOk);
  // Nothing is freed by splitting; the pages are 64 order-0 allocations.
  EXPECT_EQ(h->FreePages(), free);
  EXPECT_TRUE(h->Verify());
  // The block as a whole is gone: each page is a block of its own.
  fake::SetLogEcho(false);
  EXPECT_EQ(h->Free(r.addr, 6), PageStatus::kWrongOrder);
  EXPECT_EQ(h->Split(r.addr, 6), PageStatus::kWrongOrder);
  fake::SetLogEcho(true);
  fake::ClearLog();
  // Free every page, in a scrambled order; each merges with its free buddies.
  std::vector<PhysAddr> pages;
  for (uint64_t i = 0; i < 64; ++i) pages.push_back(r.addr + i * kPageSize);
  std::mt19937_64 rng(7);
  std::shuffle(pages.begin(), pages.end(), rng);
  for (size_t i = 0; i < pages.size(); ++i) {
    ASSERT_EQ(h->Free(pages[i], 0), PageStatus::kOk);
    EXPECT_EQ(h->FreePages(), free + i + 1);
    ASSERT_TRUE(h->Verify()) << i;
  }
  EXPECT_EQ(h->FreeBlocks(10), 1u);
  EXPECT_EQ(FreeBlocksOf(*h).size(), 1u);
  EXPECT_EQ(fake::LoggedLines().size(), 0u);
}

TEST_F(PageAllocatorTest, SplitPagesStayAllocatedUntilFreed) {
  // Part of a split block is freed (and reallocated), the rest stays held.
  Harness h(0, 512);
  ASSERT_EQ(h->AddFreeRange(Pfn(0), Pfn(512), 0), PageStatus::kOk);
  PageAllocResult r = h->Alloc(9);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(h->Split(r.addr, 9), PageStatus::kOk);
  for (uint64_t i = 100; i < 164; ++i) {
    ASSERT_EQ(h->Free(r.addr + i * kPageSize, 0), PageStatus::kOk);
  }
  EXPECT_EQ(h->FreePages(), 64u);
  // [100, 104) [104, 112) [112, 128) [128, 160) [160, 164)
  EXPECT_EQ(h->FreeBlocks(2), 2u);
  EXPECT_EQ(h->FreeBlocks(3), 1u);
  EXPECT_EQ(h->FreeBlocks(4), 1u);
  EXPECT_EQ(h->FreeBlocks(5), 1u);
  EXPECT_TRUE(h->Verify());
  // What was freed can be allocated again, in blocks as large as it merged to.
  PageAllocResult big = h->Alloc(5);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big.addr.pfn(), 128u);
  EXPECT_EQ(h->Alloc(6).status, PageStatus::kNoMemory);
  // Splitting an order-0 page is allowed and changes nothing.
  EXPECT_EQ(h->Split(r.addr, 0), PageStatus::kOk);
  EXPECT_TRUE(h->Verify());
  // Give everything back: the pool is whole again.
  ASSERT_EQ(h->Free(big.addr, 5), PageStatus::kOk);
  for (uint64_t i = 0; i < 512; ++i) {
    if (i >= 100 && i < 164) continue;
    ASSERT_EQ(h->Free(r.addr + i * kPageSize, 0), PageStatus::kOk) << i;
  }
  EXPECT_EQ(h->FreePages(), 512u);
  EXPECT_EQ(h->FreeBlocks(9), 1u);
  EXPECT_TRUE(h->Verify());
  EXPECT_EQ(fake::LoggedLines().size(), 0u);
}

TEST_F(PageAllocatorTest, SplitKeepsTheNode) {
  Harness h(0, 256);
  ASSERT_EQ(h->AddFreeRange(Pfn(0), Pfn(128), 0), PageStatus::kOk);
  ASSERT_EQ(h->AddFreeRange(Pfn(128), Pfn(256), 2), PageStatus::kOk);
  PageAllocResult r = h->Alloc(3, 2);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(h->Split(r.addr, 3), PageStatus::kOk);
  for (uint64_t i = 0; i < 8; ++i) ASSERT_EQ(h->Free(r.addr + i * kPageSize, 0), PageStatus::kOk);
  EXPECT_EQ(h->FreePages(0), 128u);
  EXPECT_EQ(h->FreePages(2), 128u);
  EXPECT_EQ(h->FreeBlocks(7, 2), 1u);
  EXPECT_TRUE(h->Verify());
}

TEST_F(PageAllocatorTest, SplitOfAMaxOrderBlock) {
  Harness h(0, kPagesPerGiB);
  ASSERT_EQ(h->AddFreeRange(Pfn(0), Pfn(kPagesPerGiB), 0), PageStatus::kOk);
  PageAllocResult r = h->Alloc(kMax);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(h->Split(r.addr, kMax), PageStatus::kOk);
  EXPECT_TRUE(h->Verify());
  // One page back: it stays alone, its buddies are held.
  ASSERT_EQ(h->Free(r.addr + 12345 * kPageSize, 0), PageStatus::kOk);
  EXPECT_EQ(h->FreePages(), 1u);
  EXPECT_EQ(h->FreeBlocks(0), 1u);
  for (uint64_t i = 0; i < kPagesPerGiB; ++i) {
    if (i == 12345) continue;
    ASSERT_EQ(h->Free(r.addr + i * kPageSize, 0), PageStatus::kOk);
  }
  EXPECT_EQ(h->FreeBlocks(kMax), 1u);
  EXPECT_EQ(FreeBlocksOf(*h).size(), 1u);
  EXPECT_TRUE(h->Verify());
}

// Each bad split, like a bad free, returns its status, logs an error and
// changes nothing.
TEST_F(PageAllocatorTest, BadSplitsChangeNothing) {
  Harness h(0, 256);
  ASSERT_EQ(h->AddFreeRange(Pfn(16), Pfn(48), 0), PageStatus::kOk);
  ASSERT_EQ(h->AddFreeRange(Pfn(64), Pfn(128), 0), PageStatus::kOk);
  PageAllocResult r = h->Alloc(2);
  ASSERT_TRUE(r.ok());
  const uint64_t free = h->FreePages();
  const size_t blocks = FreeBlocksOf(*h).size();
  fake::SetLogEcho(false);
  struct Case {
    PhysAddr addr;
    unsigned order;
    PageStatus want;
  };
  const Case cases[] = {
      {r.addr, 1, PageStatus::kWrongOrder},
      {r.addr, 3, PageStatus::kWrongOrder},
      {r.addr + kPageSize, 0, PageStatus::kNotAllocated},
      {r.addr + 8, 2, PageStatus::kMisaligned},
      {Pfn(100), 0, PageStatus::kDoubleFree},  // free: never allocated
      {Pfn(0), 0, PageStatus::kReserved},
      {Pfn(256), 0, PageStatus::kOutOfRange},
      {r.addr, kMax + 1, PageStatus::kBadOrder},
  };
  for (const Case& c : cases) {
    fake::ClearLog();
    EXPECT_EQ(h->Split(c.addr, c.order), c.want) << c.addr.value() << " order " << c.order;
    EXPECT_EQ(fake::CountLogged(LogLevel::kError, "split of"), 1) << c.addr.value();
    EXPECT_EQ(h->FreePages(), free);
    EXPECT_EQ(FreeBlocksOf(*h).size(), blocks);
    EXPECT_TRUE(h->Verify());
  }
  fake::SetLogEcho(true);
  // The block is still whole.
  EXPECT_EQ(h->Free(r.addr, 2), PageStatus::kOk);
  EXPECT_EQ(h->FreePages(), 96u);
  EXPECT_TRUE(h->Verify());
}

// Each bad free returns its status, logs an error and leaves everything as it was.
class BadFreeTest : public PageAllocatorTest {
 protected:
  BadFreeTest() : h_(0, 256) {}
  void SetUp() override {
    PageAllocatorTest::SetUp();
    // Pages [16, 48) and [64, 128) on node 0; [48, 64) and the rest reserved.
    ASSERT_EQ(h_->AddFreeRange(Pfn(16), Pfn(48), 0), PageStatus::kOk);
    ASSERT_EQ(h_->AddFreeRange(Pfn(64), Pfn(128), 0), PageStatus::kOk);
    PageAllocResult r = h_->Alloc(2);
    ASSERT_TRUE(r.ok());
    block_ = r.addr;
    free_before_ = h_->FreePages();
    blocks_before_ = FreeBlocksOf(*h_).size();
    fake::ClearLog();
  }
  void ExpectBadFree(PhysAddr addr, unsigned order, PageStatus want, const char* text) {
    EXPECT_EQ(h_->Free(addr, order), want) << addr.value() << " order " << order;
    EXPECT_EQ(fake::CountLogged(LogLevel::kError, text), 1) << text;
    EXPECT_EQ(fake::LoggedLines().size(), 1u);
    EXPECT_EQ(h_->FreePages(), free_before_);
    EXPECT_EQ(FreeBlocksOf(*h_).size(), blocks_before_);
    EXPECT_TRUE(h_->Verify());
    fake::ClearLog();
  }
  void TearDown() override {
    // The real block is still intact and can be freed once.
    EXPECT_EQ(h_->Free(block_, 2), PageStatus::kOk);
    EXPECT_EQ(h_->FreePages(), 32u + 64u);
    EXPECT_TRUE(h_->Verify());
    PageAllocatorTest::TearDown();
  }

  Harness h_;
  PhysAddr block_;
  uint64_t free_before_ = 0;
  size_t blocks_before_ = 0;
};

TEST_F(BadFreeTest, DoubleFree) {
  ASSERT_EQ(h_->Free(block_, 2), PageStatus::kOk);
  free_before_ = h_->FreePages();
  blocks_before_ = FreeBlocksOf(*h_).size();
  ExpectBadFree(block_, 2, PageStatus::kDoubleFree, "double free");
  ExpectBadFree(block_, 0, PageStatus::kDoubleFree, "double free");
  ExpectBadFree(block_ + kPageSize, 0, PageStatus::kDoubleFree, "double free");
  ASSERT_TRUE(h_->Alloc(2).ok());  // re-take it for TearDown (same block: LIFO)
}

TEST_F(BadFreeTest, NeverAllocatedFreePage) {
  // Pages 64..127 were never allocated; freeing any of them is a double free.
  ExpectBadFree(Pfn(64), 6, PageStatus::kDoubleFree, "double free");
  ExpectBadFree(Pfn(100), 0, PageStatus::kDoubleFree, "double free");
  ExpectBadFree(Pfn(96), 5, PageStatus::kDoubleFree, "double free");
}

TEST_F(BadFreeTest, WrongOrder) {
  ExpectBadFree(block_, 1, PageStatus::kWrongOrder, "allocated with order 2");
  ExpectBadFree(block_, 0, PageStatus::kWrongOrder, "allocated with order 2");
  ExpectBadFree(block_, 3, PageStatus::kWrongOrder, "allocated with order 2");
}

TEST_F(BadFreeTest, InsideAllocatedBlock) {
  ExpectBadFree(block_ + kPageSize, 0, PageStatus::kNotAllocated, "inside allocated block");
  ExpectBadFree(block_ + 2 * kPageSize, 1, PageStatus::kNotAllocated, "inside allocated block");
}

TEST_F(BadFreeTest, Misaligned) {
  ExpectBadFree(block_ + 8, 2, PageStatus::kMisaligned, "misaligned");
  ExpectBadFree(PhysAddr(block_.value() | 0xfff), 0, PageStatus::kMisaligned, "misaligned");
  ExpectBadFree(block_ + kPageSize, 2, PageStatus::kMisaligned, "misaligned");
  ExpectBadFree(block_ + 2 * kPageSize, 2, PageStatus::kMisaligned, "misaligned");
}

TEST_F(BadFreeTest, OutOfRange) {
  ExpectBadFree(Pfn(256), 0, PageStatus::kOutOfRange, "outside managed memory");
  ExpectBadFree(Pfn(uint64_t{1} << 20), 0, PageStatus::kOutOfRange, "outside managed memory");
  ExpectBadFree(PhysAddr(~uint64_t{0} & ~(kPageSize - 1)), 0, PageStatus::kOutOfRange,
                "outside managed memory");
  // A block that starts inside but runs past the end.
  ExpectBadFree(Pfn(0), 9, PageStatus::kOutOfRange, "outside managed memory");
}

TEST_F(BadFreeTest, ReservedFrames) {
  ExpectBadFree(Pfn(0), 0, PageStatus::kReserved, "reserved");
  ExpectBadFree(Pfn(48), 4, PageStatus::kReserved, "reserved");
  ExpectBadFree(Pfn(200), 0, PageStatus::kReserved, "reserved");
}

TEST_F(BadFreeTest, BelowFirstPfn) {
  Harness h(1000, 2000);
  ASSERT_EQ(h->AddFreeRange(Pfn(1000), Pfn(2000), 0), PageStatus::kOk);
  EXPECT_EQ(h->Free(Pfn(999), 0), PageStatus::kOutOfRange);
  EXPECT_EQ(h->Free(Pfn(0), 0), PageStatus::kOutOfRange);
  EXPECT_EQ(h->FreePages(), 1000u);
  EXPECT_TRUE(h->Verify());
  fake::ClearLog();
}

TEST_F(PageAllocatorTest, NumaPreferenceAndFallback) {
  Harness h(0, 4096);
  ASSERT_EQ(h->AddFreeRange(Pfn(0), Pfn(1024), 0), PageStatus::kOk);
  ASSERT_EQ(h->AddFreeRange(Pfn(2048), Pfn(2048 + 16), 1), PageStatus::kOk);
  ASSERT_EQ(h->AddFreeRange(Pfn(3072), Pfn(3072 + 512), 3), PageStatus::kOk);
  EXPECT_EQ(h->FreePages(0), 1024u);
  EXPECT_EQ(h->FreePages(1), 16u);
  EXPECT_EQ(h->FreePages(2), 0u);
  EXPECT_EQ(h->FreePages(3), 512u);
  EXPECT_EQ(h->FreePages(PageAllocator::kMaxNodes), 0u);
  EXPECT_EQ(h->FreeBlocks(4, 1), 1u);
  EXPECT_EQ(h->FreeBlocks(10, 0), 1u);

  // Preferred node 1 while it has memory.
  std::vector<PhysAddr> from1;
  for (int i = 0; i < 16; ++i) {
    PageAllocResult r = h->Alloc(0, 1);
    ASSERT_TRUE(r.ok());
    EXPECT_GE(r.addr.pfn(), 2048u);
    EXPECT_LT(r.addr.pfn(), 2048u + 16);
    from1.push_back(r.addr);
  }
  EXPECT_EQ(h->FreePages(1), 0u);
  // Node 1 is empty: falls back (to the smallest block elsewhere: node 3's).
  PageAllocResult r = h->Alloc(0, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(h->FreePages(1), 0u);
  EXPECT_EQ(h->FreePages(0) + h->FreePages(3), 1024u + 512u - 1);
  EXPECT_EQ(h->Free(r.addr, 0), PageStatus::kOk);

  // Preferred node 3 and a node with nothing (2) that falls back.
  r = h->Alloc(9, 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.addr.pfn(), 3072u);
  PageAllocResult r2 = h->Alloc(9, 3);  // node 3 is now empty: node 0
  ASSERT_TRUE(r2.ok());
  EXPECT_LT(r2.addr.pfn(), 1024u);
  PageAllocResult r3 = h->Alloc(0, 2);
  ASSERT_TRUE(r3.ok());
  EXPECT_LT(r3.addr.pfn(), 1024u);
  // Freed blocks go back to their own node.
  EXPECT_EQ(h->Free(r.addr, 9), PageStatus::kOk);
  EXPECT_EQ(h->FreePages(3), 512u);
  EXPECT_EQ(h->Free(r2.addr, 9), PageStatus::kOk);
  EXPECT_EQ(h->Free(r3.addr, 0), PageStatus::kOk);
  for (PhysAddr p : from1) EXPECT_EQ(h->Free(p, 0), PageStatus::kOk);
  EXPECT_EQ(h->FreePages(0), 1024u);
  EXPECT_EQ(h->FreePages(1), 16u);
  EXPECT_EQ(h->FreePages(), 1024u + 16 + 512);

  // Too big for every node.
  EXPECT_EQ(h->Alloc(11, 0).status, PageStatus::kNoMemory);
  EXPECT_EQ(h->Alloc(0, PageAllocator::kMaxNodes).status, PageStatus::kBadNode);
  EXPECT_TRUE(h->Verify());
}

TEST_F(PageAllocatorTest, AnyNodeTakesSmallestBlockAcrossNodes) {
  Harness h(0, 4096);
  ASSERT_EQ(h->AddFreeRange(Pfn(0), Pfn(1024), 0), PageStatus::kOk);
  ASSERT_EQ(h->AddFreeRange(Pfn(2048), Pfn(2049), 1), PageStatus::kOk);
  PageAllocResult r = h->Alloc(0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.addr.pfn(), 2048u);  // no 1024-page block split for one page
  EXPECT_EQ(h->FreeBlocks(10, 0), 1u);
  EXPECT_EQ(h->Free(r.addr, 0), PageStatus::kOk);
}

TEST_F(PageAllocatorTest, BuddiesOnDifferentNodesDoNotMerge) {
  Harness h(0, 2048);
  ASSERT_EQ(h->AddFreeRange(Pfn(0), Pfn(512), 0), PageStatus::kOk);
  ASSERT_EQ(h->AddFreeRange(Pfn(512), Pfn(1024), 1), PageStatus::kOk);
  EXPECT_EQ(h->FreeBlocks(9), 2u);
  EXPECT_EQ(h->FreeBlocks(10), 0u);
  PageAllocResult a = h->Alloc(9, 0);
  PageAllocResult b = h->Alloc(9, 1);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.addr.pfn(), 0u);
  EXPECT_EQ(b.addr.pfn(), 512u);
  EXPECT_EQ(h->Free(b.addr, 9), PageStatus::kOk);
  EXPECT_EQ(h->Free(a.addr, 9), PageStatus::kOk);
  EXPECT_EQ(h->FreeBlocks(9, 0), 1u);
  EXPECT_EQ(h->FreeBlocks(9, 1), 1u);
  EXPECT_TRUE(h->Verify());
}

TEST_F(PageAllocatorTest, BadNodeRangeIsRejected) {
  Harness h(0, 64);
  EXPECT_EQ(h->AddFreeRange(Pfn(0), Pfn(64), PageAllocator::kMaxNodes), PageStatus::kBadNode);
  EXPECT_EQ(h->AddFreeRange(Pfn(0), Pfn(64), kAnyNode), PageStatus::kBadNode);
  EXPECT_EQ(fake::CountLogged(LogLevel::kWarn, "bad node"), 2);
  EXPECT_EQ(h->FreePages(), 0u);
}

TEST_F(PageAllocatorTest, UnalignedRangesAreRoundedInward) {
  Harness h(0, 64);
  // [0x1001, 0x5fff) holds whole pages 2, 3 and 4 only.
  ASSERT_EQ(h->AddFreeRange(PhysAddr(0x1001), PhysAddr(0x5fff), 0), PageStatus::kOk);
  EXPECT_EQ(h->FreePages(), 3u);
  std::vector<PageBlock> blocks = FreeBlocksOf(*h);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].addr, PhysAddr(0x2000));
  EXPECT_EQ(blocks[0].order, 1);
  EXPECT_EQ(blocks[1].addr, PhysAddr(0x4000));
  EXPECT_EQ(blocks[1].order, 0);
  // Less than a page, or empty: nothing added, not an error.
  EXPECT_EQ(h->AddFreeRange(PhysAddr(0x8001), PhysAddr(0x8fff), 0), PageStatus::kOk);
  EXPECT_EQ(h->AddFreeRange(PhysAddr(0x9000), PhysAddr(0x9000), 0), PageStatus::kOk);
  EXPECT_EQ(h->AddFreeRange(PhysAddr(0x9800), PhysAddr(0xa7ff), 0), PageStatus::kOk);
  EXPECT_EQ(h->FreePages(), 3u);
  // The partial pages next to the range are still reserved and addable.
  EXPECT_EQ(h->AddFreeRange(PhysAddr(0x1000), PhysAddr(0x2000), 0), PageStatus::kOk);
  EXPECT_EQ(h->AddFreeRange(PhysAddr(0x5000), PhysAddr(0x6000), 0), PageStatus::kOk);
  EXPECT_EQ(h->FreePages(), 5u);
  EXPECT_TRUE(h->Verify());
}

TEST_F(PageAllocatorTest, BadRangesAreRejected) {
  Harness h(16, 64);
  EXPECT_EQ(h->AddFreeRange(Pfn(40), Pfn(20), 0), PageStatus::kBadArgument);
  EXPECT_EQ(h->AddFreeRange(Pfn(0), Pfn(20), 0), PageStatus::kOutOfRange);
  EXPECT_EQ(h->AddFreeRange(Pfn(60), Pfn(65), 0), PageStatus::kOutOfRange);
  EXPECT_EQ(h->AddFreeRange(PhysAddr(~uint64_t{0} - 10), PhysAddr(~uint64_t{0}), 0),
            PageStatus::kOk);  // no whole page, nothing to check
  EXPECT_EQ(h->AddFreeRange(Pfn(60), PhysAddr(~uint64_t{0}), 0), PageStatus::kOutOfRange);
  EXPECT_EQ(fake::CountLogged(LogLevel::kWarn), 4);
  EXPECT_EQ(h->FreePages(), 0u);
  EXPECT_TRUE(h->Verify());
}

TEST_F(PageAllocatorTest, OverlappingRangesAreRejected) {
  Harness h(0, 1024);
  ASSERT_EQ(h->AddFreeRange(Pfn(256), Pfn(512), 0), PageStatus::kOk);
  std::vector<PageBlock> before = FreeBlocksOf(*h);
  EXPECT_EQ(h->AddFreeRange(Pfn(500), Pfn(600), 0), PageStatus::kOverlap);
  EXPECT_EQ(h->AddFreeRange(Pfn(0), Pfn(257), 0), PageStatus::kOverlap);
  EXPECT_EQ(h->AddFreeRange(Pfn(256), Pfn(512), 0), PageStatus::kOverlap);  // the same again
  EXPECT_EQ(h->AddFreeRange(Pfn(300), Pfn(301), 1), PageStatus::kOverlap);  // inside
  EXPECT_EQ(h->AddFreeRange(Pfn(0), Pfn(1024), 0), PageStatus::kOverlap);   // around
  EXPECT_EQ(fake::CountLogged(LogLevel::kWarn, "overlaps"), 5);
  EXPECT_EQ(h->FreePages(), 256u);
  EXPECT_EQ(FreeBlocksOf(*h).size(), before.size());
  // Allocated pages count as added too.
  PageAllocResult r = h->Alloc(0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(h->AddFreeRange(r.addr, r.addr + kPageSize, 0), PageStatus::kOverlap);
  EXPECT_EQ(h->Free(r.addr, 0), PageStatus::kOk);
  // Touching ranges are fine, and coalesce: [0, 1024) is one order-10 block.
  EXPECT_EQ(h->AddFreeRange(Pfn(0), Pfn(256), 0), PageStatus::kOk);
  EXPECT_EQ(h->AddFreeRange(Pfn(512), Pfn(1024), 0), PageStatus::kOk);
  EXPECT_EQ(h->FreeBlocks(10), 1u);
  EXPECT_EQ(FreeBlocksOf(*h).size(), 1u);
  EXPECT_TRUE(h->Verify());
}

TEST_F(PageAllocatorTest, RangesCarveIntoMaximalAlignedBlocks) {
  Harness h(0, 2 * kPagesPerGiB);
  // [3, 2^18 + 5): 1+4+8+...+2^17 blocks up to the GiB line, then 4+1.
  ASSERT_EQ(h->AddFreeRange(Pfn(3), Pfn(kPagesPerGiB + 5), 0), PageStatus::kOk);
  EXPECT_EQ(h->FreePages(), kPagesPerGiB + 2);
  EXPECT_EQ(h->FreeBlocks(0), 2u);  // pfn 3 and pfn 2^18 + 4
  EXPECT_EQ(h->FreeBlocks(1), 0u);
  EXPECT_EQ(h->FreeBlocks(2), 2u);  // pfn 4 and pfn 2^18
  for (unsigned k = 3; k < kMax; ++k) EXPECT_EQ(h->FreeBlocks(k), 1u) << k;
  EXPECT_EQ(h->FreeBlocks(kMax), 0u);
  EXPECT_TRUE(h->Verify());
}

TEST_F(PageAllocatorTest, ForEachFreeBlockSeesEveryFreePage) {
  Harness h(0, 4096);
  ASSERT_EQ(h->AddFreeRange(Pfn(1), Pfn(1000), 0), PageStatus::kOk);
  ASSERT_EQ(h->AddFreeRange(Pfn(2000), Pfn(3001), 2), PageStatus::kOk);
  uint64_t pages = 0;
  uint64_t node2 = 0;
  h->ForEachFreeBlock([&](const PageBlock& b) {
    pages += Pages(b.order);
    if (b.node == 2) node2 += Pages(b.order);
    EXPECT_TRUE(b.addr.IsAligned(kPageSize << b.order));
  });
  EXPECT_EQ(pages, h->FreePages());
  EXPECT_EQ(node2, 1001u);
}

// Bitmap of the frames that TakeFreeBlocks handed out.
void MarkTaken(const PageBlock* blocks, size_t n, std::vector<int>* taken) {
  for (size_t i = 0; i < n; ++i) {
    for (uint64_t p = 0; p < Pages(blocks[i].order); ++p) ++(*taken)[blocks[i].addr.pfn() + p];
  }
}

TEST_F(PageAllocatorTest, TakeFreeBlocksTakesExactlyTheFreePagesOfARange) {
  Harness h(0, 2048);
  ASSERT_EQ(h->AddFreeRange(Pfn(0), Pfn(1024), 0), PageStatus::kOk);
  ASSERT_EQ(h->AddFreeRange(Pfn(1100), Pfn(1300), 1), PageStatus::kOk);
  PageAllocResult busy = h->Alloc(3, 0);  // pfn 0..7, must be skipped
  ASSERT_TRUE(busy.ok());
  const uint64_t free_before = h->FreePages();

  // [5, 1200) cuts node 0's blocks and the node 1 range in the middle.
  std::vector<int> taken(2048, 0);
  std::vector<PageBlock> all;
  PhysAddr cursor = Pfn(5);
  const PhysAddr end = Pfn(1200);
  int calls = 0;
  while (cursor < end) {
    PageBlock blocks[3];
    size_t n = h->TakeFreeBlocks(&cursor, end, blocks, 3);
    ASSERT_LE(n, 3u);
    MarkTaken(blocks, n, &taken);
    all.insert(all.end(), blocks, blocks + n);
    ASSERT_LT(++calls, 1000);
  }
  EXPECT_EQ(cursor, end);
  for (uint64_t p = 0; p < 2048; ++p) {
    bool want = (p >= 8 && p < 1024) || (p >= 1100 && p < 1200);
    EXPECT_EQ(taken[p], want ? 1 : 0) << p;
  }
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].addr, all[i].addr);
  EXPECT_EQ(h->FreePages(), free_before - (1024 - 8) - 100);
  EXPECT_EQ(h->FreePages(1), 100u);
  EXPECT_TRUE(h->Verify());
  // A second pass finds nothing left.
  cursor = Pfn(0);
  PageBlock b[4];
  EXPECT_EQ(h->TakeFreeBlocks(&cursor, Pfn(1200), b, 4), 0u);
  EXPECT_EQ(cursor, Pfn(1200));
  // Giving them back restores the original blocks.
  for (const PageBlock& blk : all) ASSERT_EQ(h->Free(blk.addr, blk.order), PageStatus::kOk);
  EXPECT_EQ(h->Free(busy.addr, 3), PageStatus::kOk);
  EXPECT_EQ(h->FreePages(), 1024u + 200);
  EXPECT_EQ(h->FreeBlocks(10, 0), 1u);
  EXPECT_EQ(h->FreePages(1), 200u);
  EXPECT_TRUE(h->Verify());
}

TEST_F(PageAllocatorTest, TakeFreeBlocksHandlesOddRanges) {
  Harness h(16, 64);
  ASSERT_EQ(h->AddFreeRange(Pfn(16), Pfn(64), 0), PageStatus::kOk);
  PageBlock b[64];
  // Beyond the managed range, unaligned end: clipped, and the cursor reaches end.
  PhysAddr cursor = PhysAddr(0x1234);
  size_t n = h->TakeFreeBlocks(&cursor, PhysAddr(0x100000 + 7), b, 64);
  EXPECT_EQ(cursor, PhysAddr(0x100000 + 7));
  uint64_t pages = 0;
  for (size_t i = 0; i < n; ++i) pages += Pages(b[i].order);
  EXPECT_EQ(pages, 48u);
  EXPECT_EQ(h->FreePages(), 0u);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(h->Free(b[i].addr, b[i].order), PageStatus::kOk);
  // Empty range and max == 0 take nothing.
  cursor = Pfn(30);
  EXPECT_EQ(h->TakeFreeBlocks(&cursor, Pfn(30), b, 64), 0u);
  EXPECT_EQ(h->TakeFreeBlocks(&cursor, Pfn(40), b, 0), 0u);
  EXPECT_EQ(h->FreePages(), 48u);
  EXPECT_TRUE(h->Verify());
}

// The documented recipe: N threads scrub chunk by chunk while another thread
// keeps allocating and freeing. No page may be handed out while it is being
// zeroed, and every page that stays free is zeroed exactly once.
TEST_F(PageAllocatorTest, ParallelScrubWhileAllocating) {
  constexpr uint64_t kFrames = 1 << 14;
  constexpr uint64_t kChunk = 256;
  Harness h(0, kFrames);
  ASSERT_EQ(h->AddFreeRange(Pfn(1), Pfn(kFrames / 2), 0), PageStatus::kOk);
  ASSERT_EQ(h->AddFreeRange(Pfn(kFrames / 2 + 3), Pfn(kFrames - 1), 1), PageStatus::kOk);
  std::mutex lock;  // stands in for hv's heap lock
  std::vector<std::atomic<int>> scrubbing(kFrames);
  std::vector<std::atomic<int>> zeroed(kFrames);
  std::vector<std::atomic<int>> in_use(kFrames);
  std::atomic<uint64_t> next_chunk{0};
  std::atomic<bool> done{false};
  std::atomic<int> violations{0};
  std::atomic<int> user_ops{0};

  auto scrubber = [&] {
    // Start once the user holds memory, so the two really overlap.
    while (user_ops.load() < 100) std::this_thread::yield();
    for (;;) {
      uint64_t c = next_chunk.fetch_add(1);
      if (c >= kFrames / kChunk) break;
      PhysAddr cursor = Pfn(c * kChunk);
      const PhysAddr end = Pfn((c + 1) * kChunk);
      while (cursor < end) {
        PageBlock blocks[4];
        size_t n;
        {
          std::lock_guard<std::mutex> g(lock);
          n = h->TakeFreeBlocks(&cursor, end, blocks, 4);
        }
        for (size_t i = 0; i < n; ++i) {
          for (uint64_t p = blocks[i].addr.pfn(); p < blocks[i].addr.pfn() + Pages(blocks[i].order);
               ++p) {
            if (in_use[p].load() != 0 || scrubbing[p].fetch_add(1) != 0) ++violations;
            ++zeroed[p];
            --scrubbing[p];
          }
          std::this_thread::yield();  // let the user run while blocks are out
        }
        std::lock_guard<std::mutex> g(lock);
        for (size_t i = 0; i < n; ++i) {
          if (h->Free(blocks[i].addr, blocks[i].order) != PageStatus::kOk) ++violations;
        }
      }
    }
  };
  auto user = [&] {
    std::mt19937_64 rng(7);
    std::vector<std::pair<PhysAddr, unsigned>> held;
    for (; !done.load(); std::this_thread::yield()) {
      std::lock_guard<std::mutex> g(lock);
      if (held.size() < 64 && rng() % 2 == 0) {
        unsigned order = static_cast<unsigned>(rng() % 4);
        PageAllocResult r = h->Alloc(order, static_cast<NodeId>(rng() % 2));
        if (!r.ok()) continue;
        for (uint64_t p = r.addr.pfn(); p < r.addr.pfn() + Pages(order); ++p) {
          if (scrubbing[p].load() != 0 || in_use[p].fetch_add(1) != 0) ++violations;
        }
        held.emplace_back(r.addr, order);
        ++user_ops;
      } else if (!held.empty()) {
        auto [addr, order] = held.back();
        held.pop_back();
        for (uint64_t p = addr.pfn(); p < addr.pfn() + Pages(order); ++p) --in_use[p];
        if (h->Free(addr, order) != PageStatus::kOk) ++violations;
        ++user_ops;
      }
    }
    std::lock_guard<std::mutex> g(lock);
    for (auto [addr, order] : held) {
      for (uint64_t p = addr.pfn(); p < addr.pfn() + Pages(order); ++p) --in_use[p];
      if (h->Free(addr, order) != PageStatus::kOk) ++violations;
    }
  };

  std::thread u(user);
  std::vector<std::thread> scrubbers;
  for (int i = 0; i < 4; ++i) scrubbers.emplace_back(scrubber);
  for (std::thread& t : scrubbers) t.join();
  done = true;
  u.join();

  EXPECT_EQ(violations.load(), 0);
  uint64_t zeroed_pages = 0;
  for (uint64_t p = 0; p < kFrames; ++p) {
    EXPECT_LE(zeroed[p].load(), 1) << p;
    zeroed_pages += static_cast<uint64_t>(zeroed[p].load());
  }
  // The user holds at most 64 * 8 pages at any moment, so almost all is zeroed.
  const uint64_t managed = kFrames / 2 - 1 + kFrames / 2 - 4;
  EXPECT_GE(zeroed_pages, managed - 64 * 8);
  EXPECT_EQ(h->FreePages(), managed);
  EXPECT_TRUE(h->Verify());
}

// A randomized run against a page-by-page model of the same memory.
TEST_F(PageAllocatorTest, RandomizedAgainstReferenceModel) {
  fake::SetLogEcho(false);  // the bad frees below log on purpose
  constexpr uint64_t kFirst = 8;
  constexpr uint64_t kEnd = 8192 + 8;
  Harness h(kFirst, kEnd);
  // node of each frame; -1: reserved.
  std::vector<int> node_of(kEnd, -1);
  struct Range {
    uint64_t begin, end;
    int node;
  };
  const Range ranges[] = {
      {8, 1000, 0}, {1000, 1003, 1}, {1010, 4096, 1}, {4200, 8000, 0}, {8001, 8195, 2}};
  for (const Range& r : ranges) {
    ASSERT_EQ(h->AddFreeRange(Pfn(r.begin), Pfn(r.end), static_cast<NodeId>(r.node)),
              PageStatus::kOk);
    for (uint64_t p = r.begin; p < r.end; ++p) node_of[p] = r.node;
  }
  uint64_t managed = 0;
  for (int n : node_of) managed += n >= 0;
  ASSERT_EQ(h->FreePages(), managed);

  std::vector<bool> used(kEnd, false);
  std::map<uint64_t, unsigned> blocks;  // allocated: pfn -> order
  uint64_t used_pages[3] = {0, 0, 0};

  // Is there an aligned 2^order run of free frames of one node?
  auto model_has_block = [&](unsigned order) {
    for (uint64_t p = 0; p + Pages(order) <= kEnd; p += Pages(order)) {
      bool ok = node_of[p] >= 0;
      for (uint64_t q = p; ok && q < p + Pages(order); ++q) {
        ok = node_of[q] == node_of[p] && !used[q];
      }
      if (ok) return true;
    }
    return false;
  };

  std::mt19937_64 rng(20240601);
  int allocs = 0, frees = 0, bad = 0, failures = 0, splits = 0;
  for (int step = 0; step < 40000; ++step) {
    uint64_t dice = rng() % 100;
    if (dice < 50 || blocks.empty()) {
      unsigned order = static_cast<unsigned>(rng() % 100 < 80 ? rng() % 3 : rng() % 14);
      NodeId node = rng() % 4 == 0 ? kAnyNode : static_cast<NodeId>(rng() % 4);
      PageAllocResult r = h->Alloc(order, node);
      if (!r.ok()) {
        ASSERT_EQ(r.status, PageStatus::kNoMemory);
        ASSERT_FALSE(model_has_block(order)) << "step " << step << " order " << order;
        ++failures;
        continue;
      }
      uint64_t pfn = r.addr.pfn();
      ASSERT_EQ(pfn % Pages(order), 0u);
      ASSERT_LE(pfn + Pages(order), kEnd);
      int n = node_of[pfn];
      ASSERT_GE(n, 0);
      // A preferred node that has a fitting block must be used.
      if (node != kAnyNode && node < 3 && n != static_cast<int>(node)) {
        bool node_has = false;
        for (uint64_t p = 0; !node_has && p + Pages(order) <= kEnd; p += Pages(order)) {
          bool ok = true;
          for (uint64_t q = p; ok && q < p + Pages(order); ++q) {
            ok = node_of[q] == static_cast<int>(node) && !used[q];
          }
          node_has = ok;
        }
        ASSERT_FALSE(node_has) << "step " << step;
      }
      for (uint64_t q = pfn; q < pfn + Pages(order); ++q) {
        ASSERT_FALSE(used[q]) << "step " << step << " pfn " << q;
        ASSERT_EQ(node_of[q], n);
        used[q] = true;
      }
      blocks[pfn] = order;
      used_pages[n] += Pages(order);
      ++allocs;
    } else if (dice < 55) {
      // Split a random allocated block into pages, each freed on its own later.
      auto it = blocks.begin();
      std::advance(it, static_cast<long>(rng() % blocks.size()));
      const uint64_t pfn = it->first;
      const unsigned order = it->second;
      ASSERT_EQ(h->Split(Pfn(pfn), order), PageStatus::kOk) << "step " << step;
      for (uint64_t q = pfn; q < pfn + Pages(order); ++q) blocks[q] = 0;
      ++splits;
    } else if (dice < 90) {
      auto it = blocks.begin();
      std::advance(it, static_cast<long>(rng() % blocks.size()));
      uint64_t pfn = it->first;
      unsigned order = it->second;
      ASSERT_EQ(h->Free(Pfn(pfn), order), PageStatus::kOk) << "step " << step;
      for (uint64_t q = pfn; q < pfn + Pages(order); ++q) used[q] = false;
      used_pages[node_of[pfn]] -= Pages(order);
      blocks.erase(it);
      ++frees;
    } else {
      // A bad free of a random frame: must fail unless it is exactly a block.
      uint64_t pfn = rng() % (kEnd + 16);
      unsigned order = static_cast<unsigned>(rng() % 4);
      auto it = blocks.find(pfn);
      if (it != blocks.end() && it->second == order) continue;
      PageStatus s = h->Free(Pfn(pfn), order);
      ASSERT_NE(s, PageStatus::kOk) << "step " << step << " pfn " << pfn;
      if (pfn >= kEnd || pfn < kFirst) {
        EXPECT_TRUE(s == PageStatus::kOutOfRange || s == PageStatus::kMisaligned);
      } else if (pfn % Pages(order) == 0 && pfn + Pages(order) <= kEnd) {
        if (it != blocks.end()) {
          EXPECT_EQ(s, PageStatus::kWrongOrder);
        } else if (node_of[pfn] < 0) {
          EXPECT_EQ(s, PageStatus::kReserved);
        } else if (!used[pfn]) {
          EXPECT_EQ(s, PageStatus::kDoubleFree);
        } else {
          EXPECT_EQ(s, PageStatus::kNotAllocated);
        }
      }
      ++bad;
    }
    uint64_t in_use = used_pages[0] + used_pages[1] + used_pages[2];
    ASSERT_EQ(h->FreePages(), managed - in_use) << "step " << step;
    if (step % 1000 == 0) {
      ASSERT_TRUE(h->Verify()) << "step " << step;
      for (int n = 0; n < 3; ++n) {
        uint64_t node_pages = 0;
        for (int x : node_of) node_pages += x == n;
        ASSERT_EQ(h->FreePages(static_cast<NodeId>(n)), node_pages - used_pages[n]);
      }
    }
  }
  EXPECT_GT(allocs, 5000);
  EXPECT_GT(frees, 5000);
  EXPECT_GT(bad, 1000);
  EXPECT_GT(failures, 10);
  EXPECT_GT(splits, 1000);

  for (auto [pfn, order] : blocks) ASSERT_EQ(h->Free(Pfn(pfn), order), PageStatus::kOk);
  EXPECT_EQ(h->FreePages(), managed);
  EXPECT_TRUE(h->Verify());
  // Fully coalesced: the same blocks as right after adding the ranges.
  Harness fresh(kFirst, kEnd);
  for (const Range& r : ranges) {
    ASSERT_EQ(fresh->AddFreeRange(Pfn(r.begin), Pfn(r.end), static_cast<NodeId>(r.node)),
              PageStatus::kOk);
  }
  std::vector<PageBlock> got = FreeBlocksOf(*h);
  std::vector<PageBlock> want = FreeBlocksOf(*fresh);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].addr, want[i].addr);
    EXPECT_EQ(got[i].order, want[i].order);
    EXPECT_EQ(got[i].node, want[i].node);
  }
}

}  // namespace
}  // namespace hv
