// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/vlapic.h"

#include <gtest/gtest.h>

#include <vector>

namespace hv::x86 {
namespace {

constexpr uint64_t kTscHz = 2000000000;  // 2 GHz: 2 TSC ticks per APIC tick at 1 GHz

struct Recorder {
  int kicks = 0;
  std::vector<uint64_t> armed;
  struct Ipi {
    uint32_t dest;
    VLapic::Delivery mode;
    uint8_t vector;
  };
  std::vector<Ipi> ipis;
};

class VLapicTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VLapic::Hooks h{&rec_, [](void* c) { ++static_cast<Recorder*>(c)->kicks; },
                    [](void* c, uint64_t d) { static_cast<Recorder*>(c)->armed.push_back(d); },
                    [](void* c, uint32_t dest, VLapic::Delivery m, uint8_t v) {
                      static_cast<Recorder*>(c)->ipis.push_back({dest, m, v});
                    }};
    apic_.Reset(3, kTscHz, h);
  }
  uint64_t Read(uint32_t msr, uint64_t now = 0) {
    uint64_t v = ~0ull;
    EXPECT_TRUE(apic_.ReadMsr(msr, now, &v)) << std::hex << msr;
    return v;
  }
  void Write(uint32_t msr, uint64_t v, uint64_t now = 0) {
    EXPECT_TRUE(apic_.WriteMsr(msr, v, now)) << std::hex << msr;
  }
  void Enable() { Write(0x80f, 0x1ff); }

  Recorder rec_;
  VLapic apic_;
};

TEST_F(VLapicTest, IdentityRegisters) {
  EXPECT_EQ(Read(0x802), 3u);
  EXPECT_EQ(Read(0x803) & 0xff, 0x14u);
  EXPECT_EQ(Read(0x80d), (0u << 16) | (1u << 3));  // cluster 0, bit 3
  EXPECT_EQ(Read(0x80f), 0xffu);                   // software-disabled at reset
  EXPECT_EQ(Read(0x832) & (1u << 16), 1u << 16);   // LVTs masked
}

TEST_F(VLapicTest, ReadOnlyAndReservedRegistersFault) {
  uint64_t v;
  EXPECT_FALSE(apic_.WriteMsr(0x802, 5, 0));   // ID
  EXPECT_FALSE(apic_.WriteMsr(0x803, 5, 0));   // version
  EXPECT_FALSE(apic_.WriteMsr(0x839, 5, 0));   // current count
  EXPECT_FALSE(apic_.ReadMsr(0x80b, 0, &v));   // EOI is write-only
  EXPECT_FALSE(apic_.ReadMsr(0x83f, 0, &v));   // self IPI is write-only
  EXPECT_FALSE(apic_.ReadMsr(0x801, 0, &v));   // reserved
  EXPECT_FALSE(apic_.WriteMsr(0x80b, 1, 0));   // non-zero EOI
  EXPECT_FALSE(apic_.WriteMsr(0x808, 0x100, 0));  // TPR above 0xff
  EXPECT_FALSE(apic_.WriteMsr(0x828, 1, 0));   // ESR takes 0 only
}

TEST_F(VLapicTest, DisabledApicDeliversNothing) {
  apic_.Accept(0x40);
  EXPECT_EQ(apic_.Pending(), -1);
  Enable();
  EXPECT_EQ(apic_.Pending(), 0x40);
}

TEST_F(VLapicTest, PriorityIrrIsrAndEoi) {
  Enable();
  apic_.Accept(0x31);
  apic_.Accept(0x52);
  EXPECT_GE(rec_.kicks, 2);
  EXPECT_EQ(apic_.Pending(), 0x52);  // highest first
  apic_.Acknowledge(0x52);
  EXPECT_EQ(Read(0x820 + 2) & (1u << 0x12), 0u);  // IRR bit gone
  EXPECT_NE(Read(0x810 + 2) & (1u << 0x12), 0u);  // ISR bit set
  // 0x31 is below the in-service class 0x50: blocked until EOI.
  EXPECT_EQ(apic_.Pending(), -1);
  EXPECT_EQ(Read(0x80a), 0x50u);  // PPR
  Write(0x80b, 0);                // EOI clears the highest ISR
  EXPECT_EQ(apic_.Pending(), 0x31);
  // TPR masks a class and below.
  Write(0x808, 0x30);
  EXPECT_EQ(apic_.Pending(), -1);
  Write(0x808, 0x20);
  EXPECT_EQ(apic_.Pending(), 0x31);
}

TEST_F(VLapicTest, IllegalVectorsSetEsr) {
  Enable();
  apic_.Accept(5);
  EXPECT_EQ(apic_.Pending(), -1);
  EXPECT_NE(Read(0x828), 0u);
  Write(0x828, 0);
  EXPECT_EQ(Read(0x828), 0u);
}

TEST_F(VLapicTest, IpisGoThroughTheHook) {
  Enable();
  Write(0x830, (uint64_t{7} << 32) | 0x45);  // fixed to APIC 7
  Write(0x830, (uint64_t{1} << 32) | (5u << 8));  // INIT to 1
  Write(0x830, (uint64_t{1} << 32) | (6u << 8) | 0x9a);  // SIPI to 1, page 0x9a
  Write(0x830, (3u << 18) | 0x46);  // all but self
  ASSERT_EQ(rec_.ipis.size(), 4u);
  EXPECT_EQ(rec_.ipis[0].dest, 7u);
  EXPECT_EQ(rec_.ipis[0].vector, 0x45);
  EXPECT_EQ(rec_.ipis[1].mode, VLapic::Delivery::kInit);
  EXPECT_EQ(rec_.ipis[2].mode, VLapic::Delivery::kStartup);
  EXPECT_EQ(rec_.ipis[2].vector, 0x9a);
  EXPECT_EQ(rec_.ipis[3].dest, VLapic::kAllButSelf);
  // To itself, by id or by shorthand or self-IPI: straight into IRR.
  Write(0x830, (uint64_t{3} << 32) | 0x60);
  Write(0x830, (1u << 18) | 0x61);
  Write(0x83f, 0x62);
  EXPECT_EQ(rec_.ipis.size(), 4u);
  EXPECT_EQ(apic_.Pending(), 0x62);
}

TEST_F(VLapicTest, OneShotTimer) {
  Enable();
  Write(0x83e, 0xb);     // divide by 1
  Write(0x832, 0xef);    // one-shot, vector 0xef, unmasked
  Write(0x838, 1000, 100);  // 1000 ticks at 1 GHz = 1 us = 2000 TSC
  ASSERT_FALSE(rec_.armed.empty());
  EXPECT_EQ(rec_.armed.back(), 100u + 2000u);
  EXPECT_EQ(Read(0x839, 100 + 1000), 500u);  // half way
  apic_.TimerExpired(100 + 1999);  // early: nothing
  EXPECT_EQ(apic_.Pending(), -1);
  apic_.TimerExpired(100 + 2000);
  EXPECT_EQ(apic_.Pending(), 0xef);
  EXPECT_EQ(Read(0x839, 100 + 5000), 0u);
}

TEST_F(VLapicTest, DividerScalesTheTimer) {
  Enable();
  Write(0x83e, 0x3);  // divide by 16
  Write(0x832, 0x40);
  Write(0x838, 100, 0);
  EXPECT_EQ(rec_.armed.back(), 100u * 16 * 2);
}

TEST_F(VLapicTest, PeriodicTimerRearms) {
  Enable();
  Write(0x83e, 0xb);
  Write(0x832, (1u << 17) | 0x41);  // periodic
  Write(0x838, 500, 0);             // 1000 TSC per period
  EXPECT_EQ(rec_.armed.back(), 1000u);
  apic_.TimerExpired(1000);
  EXPECT_EQ(rec_.armed.back(), 2000u);
  EXPECT_EQ(apic_.Pending(), 0x41);
  apic_.TimerExpired(5500);  // late: the next deadline is in the future
  EXPECT_GT(rec_.armed.back(), 5500u);
}

TEST_F(VLapicTest, TscDeadlineMode) {
  Enable();
  Write(0x832, (2u << 17) | 0x42);
  Write(0x838, 1234, 0);  // ignored in deadline mode
  Write(0x6e0, 99999);
  EXPECT_EQ(rec_.armed.back(), 99999u);
  EXPECT_EQ(Read(0x6e0), 99999u);
  apic_.TimerExpired(99999);
  EXPECT_EQ(apic_.Pending(), 0x42);
  EXPECT_EQ(Read(0x6e0), 0u);  // a fired deadline reads as 0
  // Leaving deadline mode disarms.
  Write(0x832, 0x42);
  EXPECT_EQ(rec_.armed.back(), 0u);
}

TEST_F(VLapicTest, MaskedTimerRaisesNothing) {
  Enable();
  Write(0x832, (1u << 16) | 0x43);
  Write(0x838, 10, 0);
  apic_.TimerExpired(rec_.armed.back());
  EXPECT_EQ(apic_.Pending(), -1);
}

TEST_F(VLapicTest, SoftwareDisableMasksLvts) {
  Enable();
  Write(0x832, 0x44);
  Write(0x80f, 0xff);  // disable
  EXPECT_NE(Read(0x832) & (1u << 16), 0u);
}

}  // namespace
}  // namespace hv::x86
