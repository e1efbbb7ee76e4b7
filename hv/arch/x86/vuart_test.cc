// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/vuart.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hv::x86 {
namespace {

struct Sink {
  std::string out;
  std::vector<bool> irq;
};

class VUartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uart_.Reset({&sink_, [](void* c, char ch) { static_cast<Sink*>(c)->out += ch; },
                 [](void* c, bool l) { static_cast<Sink*>(c)->irq.push_back(l); }});
  }
  Sink sink_;
  VUart uart_;
};

TEST_F(VUartTest, ScratchAndDivisorLatch) {
  uart_.Write(7, 0xa5);
  EXPECT_EQ(uart_.Read(7), 0xa5);  // the driver's "is there a UART" probe
  uart_.Write(3, 0x80);            // DLAB
  uart_.Write(0, 0x01);
  uart_.Write(1, 0x00);
  EXPECT_EQ(uart_.Read(0), 0x01);
  uart_.Write(3, 0x03);  // 8N1, DLAB off
  EXPECT_EQ(uart_.Read(3), 0x03);
  EXPECT_TRUE(sink_.out.empty());  // divisor writes are not output
}

TEST_F(VUartTest, OutputGoesToTheSink) {
  for (char c : std::string("hi\n")) uart_.Write(0, static_cast<uint8_t>(c));
  EXPECT_EQ(sink_.out, "hi\n");
  EXPECT_EQ(uart_.Read(5) & 0x60, 0x60);  // THRE and TEMT: always ready
}

TEST_F(VUartTest, FifoIdentifiesAs16550A) {
  uart_.Write(2, 0x01);  // FIFO on
  EXPECT_EQ(uart_.Read(2) & 0xc0, 0xc0);
  uart_.Write(2, 0x00);
  EXPECT_EQ(uart_.Read(2) & 0xc0, 0x00);
}

TEST_F(VUartTest, ReceiveFifoAndDataReady) {
  EXPECT_EQ(uart_.Read(5) & 1, 0);
  EXPECT_TRUE(uart_.Receive('a'));
  EXPECT_TRUE(uart_.Receive('b'));
  EXPECT_EQ(uart_.Read(5) & 1, 1);
  EXPECT_EQ(uart_.Read(0), 'a');
  EXPECT_EQ(uart_.Read(0), 'b');
  EXPECT_EQ(uart_.Read(5) & 1, 0);
  for (int i = 0; i < 16; ++i) EXPECT_TRUE(uart_.Receive('x'));
  EXPECT_FALSE(uart_.Receive('y'));  // full: refused, nothing lost silently
  EXPECT_EQ(uart_.rx_free(), 0u);
  uart_.Write(2, 0x03);  // clear the receive FIFO
  EXPECT_EQ(uart_.Read(5) & 1, 0);
}

TEST_F(VUartTest, InterruptsNeedOut2) {
  uart_.Write(1, 0x01);  // RDA interrupt
  uart_.Receive('z');
  EXPECT_TRUE(sink_.irq.empty());  // OUT2 off: the line stays low
  uart_.Write(4, 0x08);            // OUT2
  ASSERT_FALSE(sink_.irq.empty());
  EXPECT_TRUE(sink_.irq.back());
  EXPECT_EQ(uart_.Read(2) & 0x0f, 0x04);  // IIR: received data
  EXPECT_EQ(uart_.Read(0), 'z');
  EXPECT_FALSE(sink_.irq.back());
  EXPECT_EQ(uart_.Read(2) & 0x0f, 0x01);  // nothing pending
}

TEST_F(VUartTest, ThreInterruptOnEnableAndAfterEachByte) {
  uart_.Write(4, 0x08);
  uart_.Write(1, 0x02);  // THRE interrupt: the register is empty, so at once
  ASSERT_FALSE(sink_.irq.empty());
  EXPECT_TRUE(sink_.irq.back());
  EXPECT_EQ(uart_.Read(2) & 0x0f, 0x02);  // reading IIR clears THRE
  EXPECT_FALSE(sink_.irq.back());
  uart_.Write(0, 'q');
  EXPECT_TRUE(sink_.irq.back());
}

TEST_F(VUartTest, LoopbackReturnsBytesAndModemLines) {
  uart_.Write(4, 0x10 | 0x0f);  // loopback, all outputs on
  EXPECT_EQ(uart_.Read(6) & 0xf0, 0xf0);
  uart_.Write(0, 'L');
  EXPECT_TRUE(sink_.out.empty());
  EXPECT_EQ(uart_.Read(0), 'L');
  uart_.Write(4, 0x00);
  EXPECT_EQ(uart_.Read(6), 0xb0);  // DCD, DSR, CTS: a terminal is there
}

}  // namespace
}  // namespace hv::x86
