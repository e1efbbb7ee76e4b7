// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/asid.h"

#include <gtest/gtest.h>

#include <set>

namespace hv::x86 {
namespace {

TEST(Asid, FirstUseStartsAGenerationWithAFlush) {
  AsidCpu cpu{};
  AsidTag v{};
  EXPECT_TRUE(AssignAsid(cpu, 0, 16, 0, v));
  EXPECT_EQ(v.asid, 1u);
  EXPECT_EQ(cpu.generation, 1u);
}

TEST(Asid, KeptWhileNothingChanges) {
  AsidCpu cpu{};
  AsidTag v{};
  AssignAsid(cpu, 0, 16, 0, v);
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(AssignAsid(cpu, 0, 16, 0, v));
    EXPECT_EQ(v.asid, 1u);
  }
}

TEST(Asid, VcpusOnOneCpuNeverShareAnAsid) {
  AsidCpu cpu{};
  AsidTag a{}, b{}, c{};
  AssignAsid(cpu, 0, 16, 0, a);
  AssignAsid(cpu, 0, 16, 0, b);
  AssignAsid(cpu, 0, 16, 0, c);
  EXPECT_EQ(std::set<uint32_t>({a.asid, b.asid, c.asid}).size(), 3u);
  // Switching back and forth keeps them, without flushes.
  EXPECT_FALSE(AssignAsid(cpu, 0, 16, 0, a));
  EXPECT_FALSE(AssignAsid(cpu, 0, 16, 0, b));
  EXPECT_EQ(std::set<uint32_t>({a.asid, b.asid, c.asid}).size(), 3u);
}

TEST(Asid, AnUnmapTakesAFreshAsidNotAFlush) {
  AsidCpu cpu{};
  AsidTag v{};
  AssignAsid(cpu, 0, 16, 0, v);
  const uint32_t before = v.asid;
  EXPECT_FALSE(AssignAsid(cpu, 0, 16, 1, v));
  EXPECT_NE(v.asid, before);  // the old ASID's entries are never used again
  EXPECT_EQ(v.epoch, 1u);
}

TEST(Asid, MovingCpuTakesThatCpusAsid) {
  AsidCpu cpu0{}, cpu1{};
  AsidTag v{}, w{};
  AssignAsid(cpu0, 0, 16, 0, v);
  AssignAsid(cpu1, 1, 16, 0, w);  // cpu1 gave its ASID 1 to w
  AssignAsid(cpu1, 1, 16, 0, v);  // v moves to cpu1
  EXPECT_EQ(v.cpu, 1u);
  EXPECT_NE(v.asid, w.asid);
  // Back on cpu0 it does not reuse its old ASID there: entries it left on
  // cpu0 may be stale by now.
  const uint32_t next0 = cpu0.next;
  AssignAsid(cpu0, 0, 16, 0, v);
  EXPECT_EQ(v.asid, next0);
}

TEST(Asid, RunningOutFlushesAndStartsAgain) {
  AsidCpu cpu{};
  AsidTag tags[4] = {};
  // Four ASIDs: 0 is the host's, so 1..3 for guests.
  EXPECT_TRUE(AssignAsid(cpu, 0, 4, 0, tags[0]));
  EXPECT_FALSE(AssignAsid(cpu, 0, 4, 0, tags[1]));
  EXPECT_FALSE(AssignAsid(cpu, 0, 4, 0, tags[2]));
  EXPECT_EQ(tags[2].asid, 3u);
  EXPECT_TRUE(AssignAsid(cpu, 0, 4, 0, tags[3]));  // a new generation
  EXPECT_EQ(tags[3].asid, 1u);
  EXPECT_EQ(cpu.generation, 2u);
  // tags[0] also holds ASID 1, from the old generation: it must not keep it.
  EXPECT_FALSE(AssignAsid(cpu, 0, 4, 0, tags[0]));
  EXPECT_EQ(tags[0].asid, 2u);
}

TEST(Asid, NeverHandsOutTheHostsAsid) {
  AsidCpu cpu{};
  for (uint32_t count : {2u, 3u, 16u}) {
    for (int i = 0; i < 50; ++i) {
      AsidTag v{};
      AssignAsid(cpu, 0, count, 0, v);
      EXPECT_GE(v.asid, 1u);
      EXPECT_LT(v.asid, count);
    }
  }
}

}  // namespace
}  // namespace hv::x86
