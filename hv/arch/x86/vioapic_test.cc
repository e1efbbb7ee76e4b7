// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/vioapic.h"

#include <gtest/gtest.h>

#include <vector>

namespace hv::x86 {
namespace {

struct Delivered {
  uint32_t apic;
  uint8_t vector;
  bool level;
};

class VIoApicTest : public ::testing::Test {
 protected:
  void SetUp() override {
    io_.Reset(0, {&got_, [](void* c, uint32_t a, uint8_t v, bool l) {
                    static_cast<std::vector<Delivered>*>(c)->push_back({a, v, l});
                  }});
  }
  void Route(uint32_t pin, uint64_t entry) {
    io_.Write(0x00, 0x10 + 2 * pin);
    io_.Write(0x10, static_cast<uint32_t>(entry));
    io_.Write(0x00, 0x11 + 2 * pin);
    io_.Write(0x10, static_cast<uint32_t>(entry >> 32));
  }
  uint32_t Reg(uint32_t index) {
    io_.Write(0x00, index);
    return io_.Read(0x10);
  }
  std::vector<Delivered> got_;
  VIoApic io_;
};

TEST_F(VIoApicTest, IdentityRegisters) {
  EXPECT_EQ(Reg(1) & 0xff, 0x20u);
  EXPECT_EQ((Reg(1) >> 16) & 0xff, 23u);  // 24 pins
  EXPECT_EQ(Reg(0x10) & (1u << 16), 1u << 16);  // all masked at reset
}

TEST_F(VIoApicTest, EdgeLineDeliversOnRisingEdgeOnly) {
  Route(4, (uint64_t{2} << 56) | 0x34);  // edge, unmasked, to APIC 2
  io_.SetLine(4, true);
  io_.SetLine(4, true);  // still high: no new edge
  io_.SetLine(4, false);
  io_.SetLine(4, true);
  ASSERT_EQ(got_.size(), 2u);
  EXPECT_EQ(got_[0].apic, 2u);
  EXPECT_EQ(got_[0].vector, 0x34);
  EXPECT_FALSE(got_[0].level);
}

TEST_F(VIoApicTest, MaskedLinesWait) {
  Route(4, (1u << 16) | 0x34);
  io_.SetLine(4, true);
  EXPECT_TRUE(got_.empty());
}

TEST_F(VIoApicTest, LevelLineNeedsEoiToFireAgain) {
  Route(9, (1u << 15) | 0x50);  // level
  io_.SetLine(9, true);
  io_.SetLine(9, true);
  ASSERT_EQ(got_.size(), 1u);
  EXPECT_NE(Reg(0x10 + 18) & (1u << 14), 0u);  // remote IRR
  io_.Eoi(0x50);  // still asserted: delivered again
  EXPECT_EQ(got_.size(), 2u);
  io_.SetLine(9, false);
  io_.Eoi(0x50);
  EXPECT_EQ(got_.size(), 2u);
  EXPECT_EQ(Reg(0x10 + 18) & (1u << 14), 0u);
  // The EOI register does the same.
  io_.SetLine(9, true);
  io_.Write(0x40, 0x50);
  EXPECT_EQ(got_.size(), 4u);
}

TEST_F(VIoApicTest, UnmaskingAnAssertedLevelLineFires) {
  Route(5, (1u << 16) | (1u << 15) | 0x51);
  io_.SetLine(5, true);
  EXPECT_TRUE(got_.empty());
  Route(5, (1u << 15) | 0x51);
  EXPECT_EQ(got_.size(), 1u);
}

TEST_F(VIoApicTest, GuestCannotSetRemoteIrrOrDeliveryStatus) {
  Route(3, (1u << 14) | (1u << 12) | (1u << 16) | 0x40);
  EXPECT_EQ(Reg(0x10 + 6) & ((1u << 14) | (1u << 12)), 0u);
}

TEST_F(VIoApicTest, OutOfRangeIsHarmless) {
  io_.SetLine(99, true);
  io_.Write(0x00, 0xff);
  io_.Write(0x10, 0xffffffff);
  EXPECT_EQ(io_.Read(0x10), 0u);
  EXPECT_EQ(io_.Read(0x20), 0u);
  EXPECT_TRUE(got_.empty());
}

}  // namespace
}  // namespace hv::x86
