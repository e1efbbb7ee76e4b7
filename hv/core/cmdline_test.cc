// SPDX-License-Identifier: Apache-2.0
#include "hv/core/cmdline.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hv/arch/fake/log.h"

namespace hv {
namespace {

class CmdlineTest : public ::testing::Test {
 protected:
  void SetUp() override { fake::ClearLog(); }

  static BootOptions Parse(const std::string& s) { return ParseCommandLine(s.c_str()); }
  static int Warnings() { return fake::CountLogged(LogLevel::kWarn); }
  static bool Warned(const std::string& text) { return fake::Logged(LogLevel::kWarn, text); }
};

void ExpectDefaults(const BootOptions& o) {
  EXPECT_EQ(o.consoles, kConsoleCom1);
  EXPECT_EQ(o.log_level, LogLevel::kInfo);
  EXPECT_EQ(o.dom0_mem, 0u);
  EXPECT_EQ(o.max_cpus, 0u);
  EXPECT_EQ(o.after_boot, AfterBoot::kIdle);
  EXPECT_EQ(o.on_panic, OnPanic::kHalt);
  EXPECT_TRUE(o.scrub);
  EXPECT_EQ(o.selftest, SelfTest::kNone);
  EXPECT_TRUE(o.hpet);
  EXPECT_TRUE(o.x2apic);
  EXPECT_FALSE(o.bench);
}

TEST_F(CmdlineTest, NullAndEmptyGiveDefaults) {
  ExpectDefaults(ParseCommandLine(nullptr));
  ExpectDefaults(Parse(""));
  ExpectDefaults(Parse("   \t \n "));
  EXPECT_EQ(Warnings(), 0);
}

TEST_F(CmdlineTest, Console) {
  EXPECT_EQ(Parse("console=com1").consoles, kConsoleCom1);
  EXPECT_EQ(Parse("console=com2").consoles, kConsoleCom2);
  EXPECT_EQ(Parse("console=com1,com2").consoles, kConsoleCom1 | kConsoleCom2);
  EXPECT_EQ(Parse("console=com2,com1,com2").consoles, kConsoleCom1 | kConsoleCom2);
  EXPECT_EQ(Parse("console=COM2").consoles, kConsoleCom2);
  EXPECT_EQ(Parse("console=none").consoles, 0);
  EXPECT_EQ(Warnings(), 0);
  for (const char* bad : {"console=com3", "console=", "console=com1,", "console=,com1",
                          "console=com1,,com2", "console=none,com1", "console=com", "console"}) {
    fake::ClearLog();
    EXPECT_EQ(Parse(std::string("console=com2 ") + bad).consoles, kConsoleCom1) << bad;
    EXPECT_EQ(Warnings(), 1) << bad;
  }
  fake::ClearLog();
  Parse("console=com3");
  EXPECT_TRUE(Warned("bad value 'com3' for 'console', using default 'com1'"));
  fake::ClearLog();
  Parse("console");
  EXPECT_TRUE(Warned("option 'console' needs a value, using default 'com1'"));
}

TEST_F(CmdlineTest, LogLevel) {
  EXPECT_EQ(Parse("loglvl=error").log_level, LogLevel::kError);
  EXPECT_EQ(Parse("loglvl=warn").log_level, LogLevel::kWarn);
  EXPECT_EQ(Parse("loglvl=info").log_level, LogLevel::kInfo);
  EXPECT_EQ(Parse("loglvl=debug").log_level, LogLevel::kDebug);
  EXPECT_EQ(Parse("loglvl=DEBUG").log_level, LogLevel::kDebug);
  EXPECT_EQ(Warnings(), 0);
  EXPECT_EQ(Parse("loglvl=debug loglvl=x").log_level, LogLevel::kInfo);
  EXPECT_TRUE(Warned("bad value 'x' for 'loglvl', using default 'info'"));
  EXPECT_EQ(Parse("loglvl=").log_level, LogLevel::kInfo);
  EXPECT_EQ(Parse("loglvl=warning").log_level, LogLevel::kInfo);
  EXPECT_EQ(Parse("loglvl").log_level, LogLevel::kInfo);
  EXPECT_EQ(Warnings(), 4);
}

TEST_F(CmdlineTest, Dom0Mem) {
  EXPECT_EQ(Parse("dom0_mem=512M").dom0_mem, 512ull << 20);
  EXPECT_EQ(Parse("dom0_mem=1G").dom0_mem, 1ull << 30);
  EXPECT_EQ(Parse("dom0_mem=4096K").dom0_mem, 4096ull << 10);
  EXPECT_EQ(Parse("dom0_mem=2T").dom0_mem, 2ull << 40);
  EXPECT_EQ(Parse("dom0_mem=3g").dom0_mem, 3ull << 30);
  EXPECT_EQ(Parse("dom0_mem=1073741824").dom0_mem, 1073741824u);
  EXPECT_EQ(Parse("dom0_mem=18446744073709551615").dom0_mem, ~0ull);
  EXPECT_EQ(Parse("dom0_mem=16777215T").dom0_mem, 16777215ull << 40);
  EXPECT_EQ(Warnings(), 0);
  for (const char* bad : {"", "0", "0M", "M", "-1G", "1.5G", "1GB", "1X", "12 ", "0x100",
                          "18446744073709551616", "16777216T", "99999999999999999999999G"}) {
    fake::ClearLog();
    EXPECT_EQ(Parse(std::string("dom0_mem=1G dom0_mem=\"") + bad + "\"").dom0_mem, 0u) << bad;
    EXPECT_EQ(Warnings(), 1) << bad;
    EXPECT_TRUE(Warned("for 'dom0_mem', using default 'unset'")) << bad;
  }
}

TEST_F(CmdlineTest, CpuCount) {
  EXPECT_EQ(Parse("smp=4").max_cpus, 4u);
  EXPECT_EQ(Parse("maxcpus=1").max_cpus, 1u);
  EXPECT_EQ(Parse("smp=4294967295").max_cpus, 4294967295u);
  EXPECT_EQ(Parse("smp=2 maxcpus=3").max_cpus, 3u);  // aliases: the last wins
  EXPECT_EQ(Warnings(), 0);
  for (const char* bad :
       {"smp=0", "smp=", "smp=-1", "smp=4294967296", "smp=two", "smp=4k", "maxcpus=0", "smp"}) {
    fake::ClearLog();
    EXPECT_EQ(Parse(std::string("smp=8 ") + bad).max_cpus, 0u) << bad;
    EXPECT_EQ(Warnings(), 1) << bad;
  }
  fake::ClearLog();
  Parse("maxcpus=x");
  EXPECT_TRUE(Warned("bad value 'x' for 'maxcpus', using default 'all'"));
}

TEST_F(CmdlineTest, IdlePoll) {
  EXPECT_EQ(Parse("").idle_poll_us, 100u);
  EXPECT_EQ(Parse("idle_poll_us=0").idle_poll_us, 0u);
  EXPECT_EQ(Parse("idle-poll-us=250").idle_poll_us, 250u);
  EXPECT_EQ(Parse("idle_poll_us=10000").idle_poll_us, 10000u);
  EXPECT_EQ(Warnings(), 0);
  for (const char* bad : {"idle_poll_us=10001", "idle_poll_us=5x", "idle_poll_us=-1", "idle_poll_us"}) {
    fake::ClearLog();
    EXPECT_EQ(Parse(std::string("idle_poll_us=7 ") + bad).idle_poll_us, 100u) << bad;
    EXPECT_EQ(Warnings(), 1) << bad;
  }
}

TEST_F(CmdlineTest, AfterBoot) {
  EXPECT_EQ(Parse("after_boot=idle").after_boot, AfterBoot::kIdle);
  EXPECT_EQ(Parse("after_boot=poweroff").after_boot, AfterBoot::kPoweroff);
  EXPECT_EQ(Parse("after_boot=reboot").after_boot, AfterBoot::kReboot);
  EXPECT_EQ(Parse("after_boot=debug_exit").after_boot, AfterBoot::kDebugExit);
  EXPECT_EQ(Warnings(), 0);
  EXPECT_EQ(Parse("after_boot=reboot after_boot=halt").after_boot, AfterBoot::kIdle);
  EXPECT_TRUE(Warned("bad value 'halt' for 'after_boot', using default 'idle'"));
}

TEST_F(CmdlineTest, OnPanic) {
  EXPECT_EQ(Parse("on_panic=halt").on_panic, OnPanic::kHalt);
  EXPECT_EQ(Parse("on_panic=reboot").on_panic, OnPanic::kReboot);
  EXPECT_EQ(Parse("on_panic=poweroff").on_panic, OnPanic::kPoweroff);
  EXPECT_EQ(Parse("on_panic=debug_exit").on_panic, OnPanic::kDebugExit);
  EXPECT_EQ(Warnings(), 0);
  EXPECT_EQ(Parse("on_panic=idle").on_panic, OnPanic::kHalt);
  EXPECT_TRUE(Warned("bad value 'idle' for 'on_panic', using default 'halt'"));
}

TEST_F(CmdlineTest, SelfTest) {
  EXPECT_EQ(Parse("selftest=none").selftest, SelfTest::kNone);
  EXPECT_EQ(Parse("selftest=pagefault").selftest, SelfTest::kPageFault);
  EXPECT_EQ(Parse("selftest=ud").selftest, SelfTest::kInvalidOpcode);
  EXPECT_EQ(Parse("selftest=gp").selftest, SelfTest::kGeneralProtection);
  EXPECT_EQ(Parse("selftest=divide").selftest, SelfTest::kDivide);
  EXPECT_EQ(Warnings(), 0);
  EXPECT_EQ(Parse("selftest=nmi").selftest, SelfTest::kNone);
  EXPECT_TRUE(Warned("bad value 'nmi' for 'selftest', using default 'none'"));
}

TEST_F(CmdlineTest, Bools) {
  struct Case {
    const char* text;
    bool value;
  };
  const Case cases[] = {{"1", true},    {"0", false},     {"yes", true},  {"no", false},
                        {"true", true}, {"false", false}, {"on", true},   {"off", false},
                        {"YES", true},  {"Off", false},   {"TRUE", true}, {"\"on\"", true}};
  for (const Case& c : cases) {
    std::string v = c.text;
    EXPECT_EQ(Parse("scrub=" + v).scrub, c.value) << v;
    EXPECT_EQ(Parse("hpet=" + v).hpet, c.value) << v;
    EXPECT_EQ(Parse("x2apic=" + v).x2apic, c.value) << v;
    EXPECT_EQ(Parse("bench=" + v).bench, c.value) << v;
  }
  EXPECT_EQ(Warnings(), 0);
  // A bare name means on.
  EXPECT_TRUE(Parse("scrub=off scrub").scrub);
  EXPECT_TRUE(Parse("hpet").hpet);
  EXPECT_EQ(Warnings(), 0);
  // Bad values fall back to the default.
  EXPECT_TRUE(Parse("scrub=off scrub=2").scrub);
  EXPECT_TRUE(Warned("bad value '2' for 'scrub', using default 'on'"));
  EXPECT_TRUE(Parse("x2apic=").x2apic);
  EXPECT_TRUE(Warned("bad value '' for 'x2apic', using default 'on'"));
  EXPECT_FALSE(Parse("bench=maybe").bench);
  EXPECT_TRUE(Warned("bad value 'maybe' for 'bench', using default 'off'"));
  EXPECT_TRUE(Parse("hpet=enable").hpet);
  EXPECT_EQ(Warnings(), 4);
}

TEST_F(CmdlineTest, BenchFlag) {
  EXPECT_FALSE(Parse("").bench);
  EXPECT_TRUE(Parse("bench").bench);
  EXPECT_TRUE(Parse("loglvl=debug bench smp=2").bench);
  EXPECT_EQ(Warnings(), 0);
}

TEST_F(CmdlineTest, EverythingAtOnce) {
  BootOptions o = Parse(
      "/boot/hv.elf console=com1,com2 loglvl=debug dom0_mem=2G smp=3 after_boot=poweroff "
      "on_panic=debug_exit scrub=no selftest=gp hpet=off x2apic=0 bench");
  EXPECT_EQ(Warnings(), 0);
  EXPECT_EQ(o.consoles, kConsoleCom1 | kConsoleCom2);
  EXPECT_EQ(o.log_level, LogLevel::kDebug);
  EXPECT_EQ(o.dom0_mem, 2ull << 30);
  EXPECT_EQ(o.max_cpus, 3u);
  EXPECT_EQ(o.after_boot, AfterBoot::kPoweroff);
  EXPECT_EQ(o.on_panic, OnPanic::kDebugExit);
  EXPECT_FALSE(o.scrub);
  EXPECT_EQ(o.selftest, SelfTest::kGeneralProtection);
  EXPECT_FALSE(o.hpet);
  EXPECT_FALSE(o.x2apic);
  EXPECT_TRUE(o.bench);
}

TEST_F(CmdlineTest, ImagePathFirstWordIsSkipped) {
  for (const char* path : {"/boot/hv", "out/hv", "hv.elf", "HV.ELF", "hv.bin", "hv-image",
                           "bzImage", "./hv", "\"/path with space/hv\""}) {
    fake::ClearLog();
    EXPECT_EQ(Parse(std::string(path) + " loglvl=warn").log_level, LogLevel::kWarn) << path;
    EXPECT_EQ(Warnings(), 0) << path;
  }
  // Only the first word, and not one that is an option.
  fake::ClearLog();
  EXPECT_EQ(Parse("loglvl=warn /boot/hv").log_level, LogLevel::kWarn);
  EXPECT_TRUE(Warned("unknown option '/boot/hv' ignored"));
  fake::ClearLog();
  Parse("hv loglvl=warn");
  EXPECT_TRUE(Warned("unknown option 'hv' ignored"));
  fake::ClearLog();
  Parse("foo=/a/b");
  EXPECT_TRUE(Warned("unknown option 'foo' ignored"));
  fake::ClearLog();
  Parse("  /boot/hv.elf   ");  // leading blanks do not matter
  EXPECT_EQ(Warnings(), 0);
}

TEST_F(CmdlineTest, UnknownOptionsAreReportedByName) {
  BootOptions o = Parse("foo loglvl=debug bar=1 =x LOGLVL=warn");
  EXPECT_EQ(o.log_level, LogLevel::kDebug);
  EXPECT_TRUE(Warned("unknown option 'foo' ignored"));
  EXPECT_TRUE(Warned("unknown option 'bar' ignored"));
  EXPECT_TRUE(Warned("unknown option '' ignored"));
  EXPECT_TRUE(Warned("unknown option 'LOGLVL' ignored"));  // names are case-sensitive
  EXPECT_EQ(Warnings(), 4);
}

TEST_F(CmdlineTest, DashesAndUnderscoresInNamesAreEqual) {
  BootOptions o = Parse("dom0-mem=1G after-boot=reboot on-panic=reboot");
  EXPECT_EQ(o.dom0_mem, 1ull << 30);
  EXPECT_EQ(o.after_boot, AfterBoot::kReboot);
  EXPECT_EQ(o.on_panic, OnPanic::kReboot);
  EXPECT_EQ(Warnings(), 0);
}

TEST_F(CmdlineTest, Quoting) {
  EXPECT_EQ(Parse("dom0_mem=\"512M\"").dom0_mem, 512ull << 20);
  EXPECT_EQ(Parse("\"dom0_mem=512M\"").dom0_mem, 512ull << 20);
  EXPECT_EQ(Parse("dom0_mem='1G'").dom0_mem, 1ull << 30);
  EXPECT_EQ(Parse("console=\"com1\",'com2'").consoles, kConsoleCom1 | kConsoleCom2);
  EXPECT_EQ(Parse("\"\" loglvl=warn ''").log_level, LogLevel::kWarn);  // empty words
  EXPECT_EQ(Warnings(), 0);
  // Quoted blanks stay in the value (and make it bad here).
  BootOptions o = Parse("loglvl=\"debug info\" smp=2");
  EXPECT_EQ(o.log_level, LogLevel::kInfo);
  EXPECT_EQ(o.max_cpus, 2u);
  EXPECT_TRUE(Warned("bad value 'debug info' for 'loglvl'"));
  // Other quotes inside quotes are plain characters.
  fake::ClearLog();
  Parse("foo=\"it's\"");
  EXPECT_TRUE(Warned("unknown option 'foo' ignored"));
  EXPECT_EQ(Warnings(), 1);
}

TEST_F(CmdlineTest, UnterminatedQuoteTakesTheRest) {
  BootOptions o = Parse("smp=2 loglvl=\"debug smp=4");
  EXPECT_EQ(o.max_cpus, 2u);
  EXPECT_EQ(o.log_level, LogLevel::kInfo);
  EXPECT_TRUE(Warned("missing closing quote"));
  EXPECT_TRUE(Warned("bad value 'debug smp=4' for 'loglvl'"));
}

TEST_F(CmdlineTest, BlanksOfAllKinds) {
  BootOptions o = Parse("\tloglvl=warn\n\nsmp=2\r\n  bench  ");
  EXPECT_EQ(o.log_level, LogLevel::kWarn);
  EXPECT_EQ(o.max_cpus, 2u);
  EXPECT_TRUE(o.bench);
  EXPECT_EQ(Warnings(), 0);
}

TEST_F(CmdlineTest, MaximumLengthIsNotTruncated) {
  std::string s = "loglvl=debug " + std::string(kMaxCommandLine - 13 - 5, ' ') + "bench";
  ASSERT_EQ(s.size(), kMaxCommandLine);
  BootOptions o = Parse(s);
  EXPECT_EQ(o.log_level, LogLevel::kDebug);
  EXPECT_TRUE(o.bench);
  EXPECT_EQ(Warnings(), 0);
}

TEST_F(CmdlineTest, HugeInputIsTruncatedWithAWarning) {
  // The option that straddles the limit is cut; everything after is dropped.
  std::string s = "loglvl=debug " + std::string(kMaxCommandLine - 13 - 3, ' ') + "bench smp=4";
  BootOptions o = Parse(s);
  EXPECT_EQ(o.log_level, LogLevel::kDebug);
  EXPECT_FALSE(o.bench);
  EXPECT_EQ(o.max_cpus, 0u);
  EXPECT_TRUE(Warned("longer than 1024 characters, truncated"));
  EXPECT_TRUE(Warned("unknown option 'ben' ignored"));
  EXPECT_EQ(Warnings(), 2);

  // A megabyte of garbage, and one giant word.
  fake::SetLogEcho(false);
  fake::ClearLog();
  std::string junk;
  for (int i = 0; junk.size() < (1 << 20); ++i) junk += "x" + std::to_string(i) + "=\"y ";
  ParseCommandLine(junk.c_str());
  EXPECT_TRUE(Warned("truncated"));
  fake::ClearLog();
  ExpectDefaults(Parse(std::string(1 << 20, 'a')));
  EXPECT_TRUE(Warned("truncated"));
  EXPECT_EQ(Warnings(), 2);
  fake::ClearLog();
  ExpectDefaults(Parse("loglvl=" + std::string(5000, 'q')));
  EXPECT_EQ(Warnings(), 2);
  fake::SetLogEcho(true);
}

TEST_F(CmdlineTest, ReadsNoFurtherThanTheLimit) {
  // No terminating NUL within the buffer: only kMaxCommandLine + 1 bytes are read.
  std::vector<char> buf(kMaxCommandLine + 1, 'z');
  ExpectDefaults(ParseCommandLine(buf.data()));
  EXPECT_TRUE(Warned("truncated"));
}

TEST_F(CmdlineTest, AllBytesAreSurvivable) {
  fake::SetLogEcho(false);
  std::string s;
  for (int c = 1; c < 256; ++c) {
    s += static_cast<char>(c);
    if (c % 7 == 0) s += "=";
  }
  Parse(s);
  Parse(s + s + s + s + s);
  for (size_t i = 0; i < s.size(); ++i) Parse(s.substr(i));
  fake::SetLogEcho(true);
}

TEST_F(CmdlineTest, SchedulerAndDomains) {
  EXPECT_EQ(Parse("").scheduler, Scheduler::kCredit2);
  EXPECT_EQ(Parse("sched=rr").scheduler, Scheduler::kRoundRobin);
  EXPECT_EQ(Parse("sched=credit2").scheduler, Scheduler::kCredit2);
  EXPECT_EQ(Parse("sched=fifo").scheduler, Scheduler::kCredit2);
  EXPECT_EQ(Parse("").domains_module, -1);
  EXPECT_EQ(Parse("domains=3").domains_module, 3);
  EXPECT_EQ(Parse("domains=16").domains_module, -1);
  EXPECT_EQ(Parse("domains=x").domains_module, -1);
}

}  // namespace
}  // namespace hv
