// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/fake/log.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace hv::fake {
namespace {

TEST(FakeLogTest, RecordsFormattedLinesWithLevels) {
  ClearLog();
  HV_ERROR("e %d", 1);
  HV_WARN("w %s", "two");
  HV_INFO("i %#x", 3u);
  HV_DEBUG("d %c", '4');
  std::vector<LoggedLine> lines = LoggedLines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].level, LogLevel::kError);
  EXPECT_EQ(lines[0].text, "e 1");
  EXPECT_EQ(lines[1].level, LogLevel::kWarn);
  EXPECT_EQ(lines[1].text, "w two");
  EXPECT_EQ(lines[2].level, LogLevel::kInfo);
  EXPECT_EQ(lines[2].text, "i 0x3");
  EXPECT_EQ(lines[3].level, LogLevel::kDebug);
  EXPECT_EQ(lines[3].text, "d 4");
  EXPECT_TRUE(Logged(LogLevel::kWarn, "two"));
  EXPECT_FALSE(Logged(LogLevel::kError, "two"));
  EXPECT_EQ(CountLogged(LogLevel::kInfo), 1);
  ClearLog();
  EXPECT_TRUE(LoggedLines().empty());
}

TEST(FakeLogTest, LongLinesAreKeptWhole) {
  ClearLog();
  SetLogEcho(false);
  std::string big(5000, 'x');
  HV_INFO("[%s]", big.c_str());
  SetLogEcho(true);
  ASSERT_EQ(LoggedLines().size(), 1u);
  EXPECT_EQ(LoggedLines()[0].text, "[" + big + "]");
}

TEST(FakeLogTest, ThreadsMayLog) {
  ClearLog();
  SetLogEcho(false);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 100; ++i) HV_DEBUG("t%d i%d", t, i);
    });
  }
  for (std::thread& th : threads) th.join();
  SetLogEcho(true);
  EXPECT_EQ(CountLogged(LogLevel::kDebug), 400);
}

}  // namespace
}  // namespace hv::fake
