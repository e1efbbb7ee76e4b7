// SPDX-License-Identifier: Apache-2.0
// The scheduler on the fake arch. Most tests simulate CPUs in one thread: a
// discrete-event loop calls PickNext and Put with synthetic run times on a
// fake clock, as hv's idle loop and RunVcpu do, and checks the run queues
// after every step. One test runs real threads as CPUs.
#include "hv/core/sched.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hv/arch/fake/fake_arch.h"
#include "hv/core/arch.h"
#include "hv/core/domain.h"
#include "hv/core/domains.h"
#include "hv/core/timer.h"

namespace hv {

namespace domains {

// domains.cc is not linked: the scheduler reports stopped vCPUs here.
std::atomic<int> g_stopped{0};
void VcpuStopped(Vcpu*) { g_stopped.fetch_add(1); }

}  // namespace domains

namespace {

using sched::PutReason;

constexpr uint64_t kMs = 1000000;
constexpr uint64_t kT0 = 1000 * kMs;  // the fake clock at the start of each test
constexpr uint64_t kNever = ~uint64_t{0};

std::string Why() {
  char why[256];
  if (sched::Check(why, sizeof(why))) return "";
  return why;
}

// Runs CPUs in one thread. A CPU with a vCPU runs it until its slice ends,
// its CPU is told to reschedule, or its burst ends (then it blocks and wakes
// `sleep` later, from the timer of the CPU it slept on). An idle CPU halts
// until it is kicked or its timer fires, as x86's idle loop does.
class Sim {
 public:
  struct Behaviour {
    uint64_t burst = 0;  // 0: CPU-bound
    uint64_t sleep = 0;
  };

  explicit Sim(uint32_t cpus) : cpus_(cpus), cpu_(cpus) {
    for (uint32_t c = 0; c < cpus; ++c) cpu_[c].kicks = fake::Kicks(c);
  }

  void SetBehaviour(Vcpu* v, Behaviour b) {
    behaviour_[v] = b;
    left_[v] = b.burst;
  }

  // Runs until the fake clock has advanced by `duration`; then every running
  // vCPU is put back (preempted).
  void Run(uint64_t duration) {
    const uint64_t end = arch::NowNs() + duration;
    for (Cpu& k : cpu_) k.poked = true;
    for (;;) {
      const uint64_t now = arch::NowNs();
      uint64_t next = kNever;
      int which = -1;  // a CPU, or -2 for a sleeper
      for (uint32_t c = 0; c < cpus_; ++c) {
        const uint64_t t = EventAt(c, now);
        if (t < next) next = t, which = static_cast<int>(c);
      }
      Vcpu* sleeper = nullptr;
      for (auto& [v, at] : sleeping_) {
        if (at < next) next = at, which = -2, sleeper = v;
      }
      if (next > end) break;
      fake::SetNow(next);
      if (which == -2) {
        const uint32_t c = sleeper->cpu;
        sleeping_.erase(sleeper);
        fake::SetCpu(c);
        left_[sleeper] = behaviour_[sleeper].burst;
        sched::Wake(sleeper);
        ++wakes_;
      } else {
        Step(static_cast<uint32_t>(which));
      }
      const std::string why = Why();
      ASSERT_EQ(why, "") << "after a step at " << next;
      ASSERT_TRUE(fake::IrqsOn());
      ASSERT_LT(++steps_, 10000000u) << "the simulation does not advance";
    }
    fake::SetNow(end);
    for (uint32_t c = 0; c < cpus_; ++c) {
      if (!cpu_[c].running) continue;
      fake::SetCpu(c);
      Charge(c, end);
      sched::Put(cpu_[c].running, PutReason::kPreempted, end - cpu_[c].start);
      cpu_[c].running = nullptr;
    }
  }

  uint64_t Ran(const Vcpu* v) const {
    auto it = ran_.find(v);
    return it == ran_.end() ? 0 : it->second;
  }
  uint64_t RanOn(const Vcpu* v, uint32_t cpu) const {
    auto it = ran_on_.find({v, cpu});
    return it == ran_on_.end() ? 0 : it->second;
  }
  uint64_t Picks() const { return picks_; }
  uint64_t Wakes() const { return wakes_; }
  void ClearStats() {
    ran_.clear();
    ran_on_.clear();
  }
  // Called for every vCPU picked, with its CPU.
  std::function<void(uint32_t, Vcpu*)> on_pick;

 private:
  struct Cpu {
    Vcpu* running = nullptr;
    uint64_t start = 0, until = 0;
    uint64_t kicks = 0;
    uint64_t timer_done = 0;  // the last timer deadline handled
    bool poked = true;        // looks at its queue once when the run starts
  };

  uint64_t TimerAt(uint32_t c) const {
    const uint64_t d = fake::TimerDeadline(c);
    return d && d != cpu_[c].timer_done ? d : kNever;
  }

  uint64_t EventAt(uint32_t c, uint64_t now) const {
    const Cpu& k = cpu_[c];
    uint64_t t = TimerAt(c);
    if (k.running) {
      if (sched::NeedResched(c)) return now;
      t = std::min(t, k.until);
    } else if (fake::Kicks(c) != k.kicks || k.poked) {
      return now;
    }
    return t == kNever ? kNever : std::max(t, now);
  }

  void Charge(uint32_t c, uint64_t now) {
    Cpu& k = cpu_[c];
    const uint64_t ran = now - k.start;
    ran_[k.running] += ran;
    ran_on_[{k.running, c}] += ran;
  }

  void Step(uint32_t c) {
    fake::SetCpu(c);
    Cpu& k = cpu_[c];
    const uint64_t now = arch::NowNs();
    k.kicks = fake::Kicks(c);
    k.poked = false;
    if (TimerAt(c) <= now) {
      k.timer_done = fake::TimerDeadline(c);
      timer::OnInterrupt();
    }
    if (k.running) {
      Vcpu* v = k.running;
      Charge(c, now);
      k.running = nullptr;
      const Behaviour& b = behaviour_[v];
      const uint64_t ran = now - k.start;
      if (b.burst && ran >= left_[v]) {
        sched::Put(v, PutReason::kBlocked, ran);
        sleeping_[v] = now + b.sleep;
      } else {
        if (b.burst) left_[v] -= ran;
        sched::Put(v, PutReason::kPreempted, ran);
      }
    }
    Vcpu* v = sched::PickNext(c);
    if (!v) return;
    ++picks_;
    EXPECT_TRUE(sched::Allows(v, c));
    EXPECT_TRUE(v->affinity & (uint64_t{1} << c)) << "d" << v->domain->id << " v" << v->id << " on CPU" << c;
    if (on_pick) on_pick(c, v);
    uint64_t slice = sched::SliceNs(v);
    EXPECT_GT(slice, 0u);
    if (behaviour_[v].burst) slice = std::min(slice, left_[v]);
    k.running = v;
    k.start = now;
    k.until = now + slice;
  }

  uint32_t cpus_;
  std::vector<Cpu> cpu_;
  std::map<const Vcpu*, Behaviour> behaviour_;
  std::map<const Vcpu*, uint64_t> left_;
  std::map<Vcpu*, uint64_t> sleeping_;
  std::map<const Vcpu*, uint64_t> ran_;
  std::map<std::pair<const Vcpu*, uint32_t>, uint64_t> ran_on_;
  uint64_t picks_ = 0, wakes_ = 0, steps_ = 0;
};

class SchedTest : public ::testing::Test {
 protected:
  void Start(uint32_t cpus, const SchedulerOps* ops = &sched::kCredit2) {
    fake::SetCpu(0);
    fake::SetCpuCount(cpus);
    fake::SetNow(kT0);
    fake::ResetCalls();
    domains::g_stopped.store(0);
    sched::Init(ops, cpus);
  }

  Domain* NewDomain(uint32_t weight, uint32_t cap = 0, uint32_t vcpus = 1,
                    uint64_t affinity = ~uint64_t{0}) {
    auto d = std::make_unique<Domain>();
    d->id = next_id_++;
    d->weight = weight;
    d->cap = cap;
    d->state = DomainState::kRunning;
    for (uint32_t i = 0; i < vcpus; ++i) {
      auto v = std::make_unique<Vcpu>();
      v->domain = d.get();
      v->id = i;
      v->affinity = affinity;
      d->vcpus[i] = v.get();
      d->vcpu_count = i + 1;
      vcpus_.push_back(std::move(v));
    }
    domains_.push_back(std::move(d));
    return domains_.back().get();
  }

  Domain* StartDomain(uint32_t weight, uint32_t cap = 0, uint32_t vcpus = 1,
                      uint64_t affinity = ~uint64_t{0}) {
    Domain* d = NewDomain(weight, cap, vcpus, affinity);
    for (uint32_t i = 0; i < vcpus; ++i) sched::AddVcpu(d->vcpus[i]);
    EXPECT_EQ(Why(), "");
    return d;
  }

  static double Share(uint64_t part, uint64_t whole) {
    return static_cast<double>(part) / static_cast<double>(whole);
  }

  std::vector<std::unique_ptr<Domain>> domains_;
  std::vector<std::unique_ptr<Vcpu>> vcpus_;
  uint32_t next_id_ = 1;
};

// --- The interface --------------------------------------------------------

TEST_F(SchedTest, DefaultIsCredit2AndBothAreFound) {
  sched::Init(nullptr, 1);
  EXPECT_STREQ(sched::Name(), "credit2");
  EXPECT_EQ(sched::Find("credit2"), &sched::kCredit2);
  EXPECT_EQ(sched::Find("rr"), &sched::kRoundRobin);
  EXPECT_EQ(sched::Find("bvt"), nullptr);
  Start(1, &sched::kRoundRobin);
  EXPECT_STREQ(sched::Name(), "rr");
}

TEST_F(SchedTest, RoundRobinTakesTurns) {
  Start(1, &sched::kRoundRobin);
  Domain* a = StartDomain(256);
  Domain* b = StartDomain(512);
  for (int i = 0; i < 4; ++i) {
    Vcpu* v = sched::PickNext(0);
    ASSERT_EQ(v, (i % 2 ? b : a)->vcpus[0]);
    EXPECT_EQ(sched::SliceNs(v), 10 * kMs);
    sched::Put(v, PutReason::kPreempted, 10 * kMs);
  }
}

TEST_F(SchedTest, AddPlacesOnTheLeastLoadedAllowedCpu) {
  Start(3);
  Domain* d = StartDomain(256, 0, 4);
  EXPECT_EQ(d->vcpus[0]->cpu, 0u);
  EXPECT_EQ(d->vcpus[1]->cpu, 1u);
  EXPECT_EQ(d->vcpus[2]->cpu, 2u);
  EXPECT_EQ(d->vcpus[3]->cpu, 0u);
  Domain* pinned = StartDomain(256, 0, 1, 0b100);
  EXPECT_EQ(pinned->vcpus[0]->cpu, 2u);
  EXPECT_EQ(sched::Load(0), 2u);
  EXPECT_EQ(sched::Load(2), 2u);
  // Remote CPUs were kicked to look at their queues.
  EXPECT_GT(fake::Kicks(1), 0u);
  EXPECT_EQ(fake::Kicks(0), 0u);  // the caller's own CPU
}

TEST_F(SchedTest, AffinityWithoutOnlineCpuMeansAny) {
  Start(2);
  Domain* d = StartDomain(256, 0, 1, uint64_t{1} << 40);
  EXPECT_TRUE(sched::Allows(d->vcpus[0], 0));
  EXPECT_TRUE(sched::Allows(d->vcpus[0], 1));
  EXPECT_FALSE(sched::Allows(d->vcpus[0], 2));
}

TEST_F(SchedTest, AddTakesAClaimedVcpuOnceOnly) {
  Start(1);
  Domain* d = NewDomain(256, 0, 2);
  Vcpu* v = d->vcpus[1];
  v->state = VcpuState::kBlocked;  // as HV_VCPU_UP claims it
  sched::AddVcpu(v);
  EXPECT_EQ(v->state, VcpuState::kRunnable);
  sched::AddVcpu(v);
  EXPECT_EQ(sched::Load(0), 1u);
  EXPECT_EQ(Why(), "");
}

// --- Block, wake, stop --------------------------------------------------------

TEST_F(SchedTest, BlockedVcpusDoNotRunAndWakeIntoTheQueue) {
  Start(1);
  Vcpu* a = StartDomain(256)->vcpus[0];
  Vcpu* b = StartDomain(256)->vcpus[0];
  Vcpu* v = sched::PickNext(0);
  ASSERT_EQ(v, a);
  sched::Put(a, PutReason::kBlocked, 2 * kMs);
  EXPECT_EQ(a->state, VcpuState::kBlocked);
  EXPECT_EQ(sched::Load(0), 1u);
  for (int i = 0; i < 20; ++i) {
    v = sched::PickNext(0);
    ASSERT_EQ(v, b);
    sched::Put(b, PutReason::kPreempted, sched::SliceNs(b));
    ASSERT_EQ(Why(), "");
  }
  sched::Wake(a);
  EXPECT_EQ(a->state, VcpuState::kRunnable);
  sched::Wake(a);  // a second wake-up does not queue it twice
  EXPECT_EQ(sched::Load(0), 2u);
  ASSERT_EQ(Why(), "");
  bool ran = false;
  for (int i = 0; i < 4 && !ran; ++i) {
    v = sched::PickNext(0);
    ran = v == a;
    sched::Put(v, PutReason::kPreempted, sched::SliceNs(v));
  }
  EXPECT_TRUE(ran);
}

TEST_F(SchedTest, WakeOfARunningVcpuIsANoOp) {
  Start(1);
  Vcpu* a = StartDomain(256)->vcpus[0];
  ASSERT_EQ(sched::PickNext(0), a);
  sched::Wake(a);
  EXPECT_EQ(a->state, VcpuState::kRunning);
  EXPECT_EQ(Why(), "");
  sched::Put(a, PutReason::kBlocked, kMs);
  EXPECT_EQ(sched::PickNext(0), nullptr);
  EXPECT_EQ(fake::TimerDeadline(0), 0u);  // nothing to wait for: it halts
}

TEST_F(SchedTest, WakeWithMoreCreditPreemptsTheRunningVcpu) {
  Start(1);
  Vcpu* a = StartDomain(256)->vcpus[0];
  Vcpu* b = StartDomain(256)->vcpus[0];
  ASSERT_EQ(sched::PickNext(0), a);
  sched::Put(a, PutReason::kPreempted, 5 * kMs);  // a: 5 ms of credit left
  ASSERT_EQ(sched::PickNext(0), b);
  sched::Put(b, PutReason::kBlocked, kMs / 10);  // b: 9.9 ms
  ASSERT_EQ(sched::PickNext(0), a);
  EXPECT_FALSE(sched::NeedResched(0));
  sched::Wake(b);
  EXPECT_TRUE(sched::NeedResched(0));
  sched::Put(a, PutReason::kPreempted, kMs / 10);
  EXPECT_EQ(sched::PickNext(0), b);
  EXPECT_FALSE(sched::NeedResched(0));
}

TEST_F(SchedTest, WakeWithLessCreditDoesNotPreempt) {
  Start(1);
  Vcpu* a = StartDomain(256)->vcpus[0];
  Vcpu* b = StartDomain(256)->vcpus[0];
  ASSERT_EQ(sched::PickNext(0), a);
  sched::Put(a, PutReason::kBlocked, 8 * kMs);  // a: 2 ms
  ASSERT_EQ(sched::PickNext(0), b);
  sched::Wake(a);
  EXPECT_FALSE(sched::NeedResched(0));
  EXPECT_EQ(Why(), "");
}

TEST_F(SchedTest, WakeMovesToAnIdleCpuAndKicksIt) {
  Start(2);
  Vcpu* a = StartDomain(256, 0, 1, 0b01)->vcpus[0];
  Vcpu* b = StartDomain(256)->vcpus[0];
  EXPECT_EQ(b->cpu, 1u);
  fake::SetCpu(1);
  ASSERT_EQ(sched::PickNext(1), b);
  sched::Put(b, PutReason::kBlocked, kMs);
  EXPECT_EQ(sched::PickNext(1), nullptr);
  fake::SetCpu(0);
  ASSERT_EQ(sched::PickNext(0), a);
  // b slept on CPU1, which is idle: it goes back there, and CPU1 is kicked.
  const uint64_t kicks = fake::Kicks(1);
  sched::Wake(b);
  EXPECT_EQ(b->cpu, 1u);
  EXPECT_EQ(fake::Kicks(1), kicks + 1);
  // Now CPU1 is busy and CPU0 runs a: a wake-up goes to the least loaded.
  fake::SetCpu(1);
  ASSERT_EQ(sched::PickNext(1), b);
  sched::Put(b, PutReason::kBlocked, kMs);
  Vcpu* c = StartDomain(256)->vcpus[0];  // lands on CPU1, idle
  EXPECT_EQ(c->cpu, 1u);
  ASSERT_EQ(sched::PickNext(1), c);
  fake::SetCpu(0);
  sched::Put(a, PutReason::kBlocked, kMs);  // CPU0 is idle now
  sched::Wake(b);
  EXPECT_EQ(b->cpu, 0u);
  EXPECT_EQ(Why(), "");
}

TEST_F(SchedTest, YieldLetsAnEqualGoFirst) {
  Start(1);
  Vcpu* a = StartDomain(256)->vcpus[0];
  Vcpu* b = StartDomain(256)->vcpus[0];
  ASSERT_EQ(sched::PickNext(0), a);
  sched::Put(a, PutReason::kYielded, 0);
  EXPECT_EQ(sched::PickNext(0), b);
}

TEST_F(SchedTest, StopRemovesFromTheQueues) {
  Start(2);
  Domain* d = StartDomain(256, 0, 3);
  Vcpu* running = d->vcpus[0];
  Vcpu* queued = d->vcpus[2];  // on CPU0 behind vCPU 0
  Vcpu* blocked = d->vcpus[1];
  ASSERT_EQ(queued->cpu, 0u);
  fake::SetCpu(1);
  ASSERT_EQ(sched::PickNext(1), blocked);
  sched::Put(blocked, PutReason::kBlocked, kMs);
  fake::SetCpu(0);
  ASSERT_EQ(sched::PickNext(0), running);
  d->state = DomainState::kShuttingDown;
  fake::SetCpu(1);  // the shutdown comes from another CPU
  for (Vcpu* v : {running, queued, blocked}) sched::Stop(v);
  EXPECT_EQ(queued->state, VcpuState::kDead);
  EXPECT_EQ(blocked->state, VcpuState::kDead);
  EXPECT_EQ(running->state, VcpuState::kRunning);  // until its next exit
  EXPECT_TRUE(sched::NeedResched(0));
  EXPECT_GT(fake::Kicks(0), 0u);
  EXPECT_EQ(domains::g_stopped.load(), 2);
  EXPECT_EQ(sched::Load(0), 1u);
  EXPECT_EQ(Why(), "");
  fake::SetCpu(0);
  sched::Put(running, PutReason::kPreempted, kMs);
  EXPECT_EQ(running->state, VcpuState::kDead);
  EXPECT_EQ(domains::g_stopped.load(), 3);
  EXPECT_EQ(sched::PickNext(0), nullptr);
  EXPECT_EQ(sched::Load(0), 0u);
  sched::Wake(blocked);  // dead stays dead
  EXPECT_EQ(blocked->state, VcpuState::kDead);
  EXPECT_EQ(Why(), "");
}

TEST_F(SchedTest, OfflineAndUpAgain) {
  Start(1);
  Vcpu* v = StartDomain(256)->vcpus[0];
  ASSERT_EQ(sched::PickNext(0), v);
  sched::Put(v, PutReason::kOffline, kMs);
  EXPECT_EQ(v->state, VcpuState::kOffline);
  EXPECT_EQ(sched::Load(0), 0u);
  sched::Wake(v);
  EXPECT_EQ(v->state, VcpuState::kOffline);
  sched::AddVcpu(v);
  EXPECT_EQ(sched::PickNext(0), v);
}

TEST_F(SchedTest, CheckFindsBrokenQueues) {
  Start(2);
  Vcpu* a = StartDomain(256, 0, 1, 0b01)->vcpus[0];
  ASSERT_EQ(Why(), "");
  a->state = VcpuState::kBlocked;
  EXPECT_NE(Why().find("queued but not runnable"), std::string::npos) << Why();
  a->state = VcpuState::kRunnable;
  a->affinity = 0b10;
  EXPECT_NE(Why().find("outside its affinity"), std::string::npos) << Why();
  a->affinity = 0b01;
  // On two queues at once (what the scheduler must never do).
  sched::kCredit2.enqueue(1, a, false);
  EXPECT_NE(Why(), "");
}

// --- Slices -----------------------------------------------------------------

TEST_F(SchedTest, SliceRunsDownToTheNextOneBetweenMinAndMax) {
  Start(1);
  Vcpu* a = StartDomain(256)->vcpus[0];
  ASSERT_EQ(sched::PickNext(0), a);
  EXPECT_EQ(sched::SliceNs(a), 10 * kMs);  // alone: until its credit is gone
  sched::Put(a, PutReason::kPreempted, 4 * kMs);
  Vcpu* b = StartDomain(512)->vcpus[0];
  ASSERT_EQ(sched::PickNext(0), b);       // 10 ms of credit against a's 6
  EXPECT_EQ(sched::SliceNs(b), 8 * kMs);  // 4 ms of credit at half the burn rate
  sched::Put(b, PutReason::kPreempted, 8 * kMs);
  ASSERT_EQ(sched::PickNext(0), a);      // 6 against 6
  EXPECT_EQ(sched::SliceNs(a), 1 * kMs);  // the minimum
}

// --- Shares -----------------------------------------------------------------

TEST_F(SchedTest, Weights256And512ShareOneCpuOneToTwo) {
  Start(1);
  Vcpu* a = StartDomain(256)->vcpus[0];
  Vcpu* b = StartDomain(512)->vcpus[0];
  Sim sim(1);
  sim.Run(3000 * kMs);
  const uint64_t total = sim.Ran(a) + sim.Ran(b);
  EXPECT_EQ(total, 3000 * kMs);
  const double ratio = Share(sim.Ran(b), sim.Ran(a));
  EXPECT_NEAR(ratio, 2.0, 0.1) << "a " << sim.Ran(a) << " b " << sim.Ran(b);
  EXPECT_GT(sim.Picks(), 300u);  // many slices, not one long run each
}

TEST_F(SchedTest, WeightsOneTwoFourOnOneCpu) {
  Start(1);
  Vcpu* v[3] = {StartDomain(256)->vcpus[0], StartDomain(512)->vcpus[0], StartDomain(1024)->vcpus[0]};
  Sim sim(1);
  sim.Run(7000 * kMs);
  for (int i = 0; i < 3; ++i) {
    const double expected = (1 << i) / 7.0;
    EXPECT_NEAR(Share(sim.Ran(v[i]), 7000 * kMs), expected, expected * 0.05) << "vCPU " << i;
  }
}

TEST_F(SchedTest, WeightsHoldWithSleepersAround) {
  // Two busy vCPUs 256:512 and a light one that runs 1 ms every 20 ms: the
  // busy ones still share what is left 1:2, and the light one gets its time.
  Start(1);
  Vcpu* a = StartDomain(256)->vcpus[0];
  Vcpu* b = StartDomain(512)->vcpus[0];
  Vcpu* light = StartDomain(256)->vcpus[0];
  Sim sim(1);
  sim.SetBehaviour(light, {1 * kMs, 19 * kMs});
  sim.Run(4000 * kMs);
  EXPECT_NEAR(Share(sim.Ran(b), sim.Ran(a)), 2.0, 0.1);
  EXPECT_NEAR(Share(sim.Ran(light), 4000 * kMs), 0.05, 0.01);
  EXPECT_GT(sim.Wakes(), 150u);
}

TEST_F(SchedTest, CapOf25PercentAlone) {
  Start(1);
  Vcpu* a = StartDomain(256, 25)->vcpus[0];
  Sim sim(1);
  sim.Run(2000 * kMs);
  EXPECT_NEAR(Share(sim.Ran(a), 2000 * kMs), 0.25, 0.25 * 0.05);
}

TEST_F(SchedTest, CapOf25PercentAgainstAnUncappedVcpu) {
  Start(1);
  Vcpu* a = StartDomain(256, 25)->vcpus[0];
  Vcpu* b = StartDomain(256)->vcpus[0];
  Sim sim(1);
  sim.Run(2000 * kMs);
  EXPECT_NEAR(Share(sim.Ran(a), 2000 * kMs), 0.25, 0.25 * 0.05);
  EXPECT_NEAR(Share(sim.Ran(b), 2000 * kMs), 0.75, 0.75 * 0.05);
}

TEST_F(SchedTest, CapIsForTheWholeDomain) {
  // Two vCPUs on two CPUs, capped at 50% of one CPU together.
  Start(2);
  Domain* d = StartDomain(256, 50, 2);
  Sim sim(2);
  sim.Run(2000 * kMs);
  const uint64_t both = sim.Ran(d->vcpus[0]) + sim.Ran(d->vcpus[1]);
  EXPECT_NEAR(Share(both, 2000 * kMs), 0.5, 0.5 * 0.05);
  EXPECT_GT(sim.Ran(d->vcpus[0]), 0u);
  EXPECT_GT(sim.Ran(d->vcpus[1]), 0u);
}

TEST_F(SchedTest, CapAboveWhatItUsesChangesNothing) {
  Start(1);
  Vcpu* a = StartDomain(256, 100)->vcpus[0];
  Sim sim(1);
  sim.Run(1000 * kMs);
  EXPECT_NEAR(Share(sim.Ran(a), 1000 * kMs), 1.0, 0.01);
}

// --- Affinity and load balancing -------------------------------------------

TEST_F(SchedTest, BalancingSpreadsFourBusyVcpusTwoAndTwo) {
  Start(2);
  // All four start pinned to CPU0, then may run anywhere: CPU1 is idle
  // (halted) and must be kicked to pull work.
  Domain* d = StartDomain(256, 0, 4, 0b01);
  Sim sim(2);
  sim.Run(50 * kMs);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(sim.RanOn(d->vcpus[i], 1), 0u);
  for (uint32_t i = 0; i < 4; ++i) sched::SetAffinity(d->vcpus[i], ~uint64_t{0});
  sim.Run(100 * kMs);
  EXPECT_EQ(sched::Load(0), 2u);
  EXPECT_EQ(sched::Load(1), 2u);
  sim.ClearStats();
  sim.Run(2000 * kMs);
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(Share(sim.Ran(d->vcpus[i]), 2000 * kMs), 0.5, 0.5 * 0.05) << "vCPU " << i;
  }
  EXPECT_EQ(sched::Load(0), 2u);
  EXPECT_EQ(sched::Load(1), 2u);
}

TEST_F(SchedTest, BalancingNeverMovesAPinnedVcpu) {
  Start(2);
  Vcpu* free_one = StartDomain(256)->vcpus[0];  // CPU0: the tie goes to the first
  Domain* pinned = StartDomain(256, 0, 3, 0b01);
  ASSERT_EQ(free_one->cpu, 0u);
  Sim sim(2);
  sim.on_pick = [&](uint32_t cpu, Vcpu* v) {
    if (v->domain == pinned) {
      EXPECT_EQ(cpu, 0u);
    }
  };
  sim.Run(1000 * kMs);
  EXPECT_EQ(free_one->cpu, 1u);  // pulled to the idle CPU
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(sim.RanOn(pinned->vcpus[i], 1), 0u);
    EXPECT_NEAR(Share(sim.Ran(pinned->vcpus[i]), 1000 * kMs), 1.0 / 3, 0.02);
  }
  EXPECT_GT(Share(sim.Ran(free_one), 1000 * kMs), 0.95);
}

TEST_F(SchedTest, AllPinnedLeavesTheOtherCpuAlone) {
  Start(2);
  Domain* pinned = StartDomain(256, 0, 4, 0b01);
  Sim sim(2);
  sim.Run(500 * kMs);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(sim.RanOn(pinned->vcpus[i], 1), 0u);
  EXPECT_EQ(fake::Kicks(1), 0u);  // nothing for it: it was never woken
}

TEST_F(SchedTest, SetAffinityMovesQueuedAndRunningVcpus) {
  Start(2);
  Domain* d = StartDomain(256, 0, 2, 0b01);
  Vcpu* running = sched::PickNext(0);
  ASSERT_NE(running, nullptr);
  Vcpu* queued = running == d->vcpus[0] ? d->vcpus[1] : d->vcpus[0];
  sched::SetAffinity(queued, 0b10);
  EXPECT_EQ(queued->cpu, 1u);
  EXPECT_EQ(queued->state, VcpuState::kRunnable);
  sched::SetAffinity(running, 0b10);
  EXPECT_TRUE(sched::NeedResched(0));
  EXPECT_EQ(running->cpu, 0u);  // not while it runs
  sched::Put(running, PutReason::kPreempted, kMs);
  EXPECT_EQ(running->cpu, 1u);
  EXPECT_EQ(running->state, VcpuState::kRunnable);
  EXPECT_EQ(sched::Load(0), 0u);
  EXPECT_EQ(sched::Load(1), 2u);
  EXPECT_EQ(Why(), "");
}

TEST_F(SchedTest, AffinityIsNeverViolatedUnderChurn) {
  constexpr uint32_t kCpus = 4;
  Start(kCpus);
  std::mt19937 rng(42);
  std::vector<Vcpu*> all;
  for (int i = 0; i < 8; ++i) {
    const uint64_t mask = 1 + rng() % ((1u << kCpus) - 1);
    Domain* d = StartDomain(128 << (i % 4), i == 3 ? 60 : 0, 2, mask);
    for (uint32_t j = 0; j < 2; ++j) all.push_back(d->vcpus[j]);
  }
  Sim sim(kCpus);
  for (size_t i = 0; i < all.size(); i += 3) {
    sim.SetBehaviour(all[i], {(1 + rng() % 5) * kMs, (1 + rng() % 20) * kMs});
  }
  for (int round = 0; round < 40; ++round) {
    sim.Run(25 * kMs);
    Vcpu* v = all[rng() % all.size()];
    fake::SetCpu(rng() % kCpus);
    sched::SetAffinity(v, 1 + rng() % ((1u << kCpus) - 1));
    ASSERT_EQ(Why(), "");
  }
  EXPECT_GT(sim.Picks(), 1000u);
}

// --- Concurrency ------------------------------------------------------------

TEST_F(SchedTest, ThreadsAsCpus) {
  constexpr uint32_t kCpus = 3;
  Start(kCpus);
  std::vector<Vcpu*> all;
  for (int i = 0; i < 6; ++i) {
    const uint64_t mask = i % 3 == 0 ? ~uint64_t{0} : uint64_t{1} << (i % kCpus);
    Domain* d = StartDomain(256 * (1 + i % 2), i == 5 ? 50 : 0, 2, mask);
    for (uint32_t j = 0; j < 2; ++j) all.push_back(d->vcpus[j]);
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> picks{0}, violations{0};
  std::vector<std::thread> threads;
  for (uint32_t c = 0; c < kCpus; ++c) {
    threads.emplace_back([&, c] {
      fake::SetCpu(c);
      std::mt19937 rng(c);
      while (!stop.load()) {
        Vcpu* v = sched::PickNext(c);
        if (!v) {
          std::this_thread::yield();
          continue;
        }
        picks.fetch_add(1);
        // (Its affinity may change under it: it moves at its next Put. Check()
        // holds the queued ones to their affinity.)
        if (v->state != VcpuState::kRunning || v->cpu != c) violations.fetch_add(1);
        (void)sched::SliceNs(v);
        const uint64_t ran = 100000 + rng() % 1000000;
        fake::Advance(ran / 16);
        const uint32_t r = rng() % 4;
        sched::Put(v, r == 0 ? PutReason::kBlocked : r == 1 ? PutReason::kYielded : PutReason::kPreempted, ran);
      }
    });
  }
  std::string failure;
  threads.emplace_back([&] {  // wakes vCPUs and changes affinities
    fake::SetCpu(kCpus);
    std::mt19937 rng(99);
    while (!stop.load()) {
      Vcpu* v = all[rng() % all.size()];
      if (rng() % 8 == 0) {
        sched::SetAffinity(v, 1 + rng() % ((1u << kCpus) - 1));
      } else {
        sched::Wake(v);
      }
      std::this_thread::yield();
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(400);
  int checks = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string why = Why();
    if (!why.empty() && failure.empty()) failure = why;
    ++checks;
    std::this_thread::yield();
  }
  stop.store(true);
  for (auto& t : threads) t.join();
  EXPECT_EQ(failure, "");
  EXPECT_EQ(violations.load(), 0u);
  EXPECT_GT(picks.load(), 100u);
  EXPECT_GT(checks, 10);
  EXPECT_EQ(Why(), "");
  // Everything stops, whatever state it was left in.
  for (Vcpu* v : all) v->domain->state = DomainState::kShuttingDown;
  for (Vcpu* v : all) sched::Stop(v);
  for (Vcpu* v : all) EXPECT_EQ(v->state, VcpuState::kDead);
  EXPECT_EQ(domains::g_stopped.load(), static_cast<int>(all.size()));
  for (uint32_t c = 0; c < kCpus; ++c) EXPECT_EQ(sched::Load(c), 0u);
  EXPECT_EQ(Why(), "");
}

}  // namespace
}  // namespace hv
