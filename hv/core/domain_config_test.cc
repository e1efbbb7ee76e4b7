// SPDX-License-Identifier: Apache-2.0
#include "hv/core/domain_config.h"

#include <gtest/gtest.h>
#include <string.h>

#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "hv/arch/fake/log.h"

namespace hv {
namespace {

constexpr uint64_t kKiB = uint64_t{1} << 10;
constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = uint64_t{1} << 30;

// The smallest good line, to which a test adds the key it is about.
constexpr char kBase[] = "name=d kernel=1 memory=16M";

class DomainConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { fake::ClearLog(); }

  static std::unique_ptr<BootDomains> Parse(const std::string& text) {
    auto out = std::make_unique<BootDomains>();
    memset(static_cast<void*>(out.get()), 0xa5, sizeof(*out));  // must be fully overwritten
    ParseDomainConfig(text.data(), text.size(), out.get());
    return out;
  }
  // One line that must give one domain, without warnings.
  static DomainConfig Good(const std::string& line) {
    fake::ClearLog();
    auto out = Parse(line);
    EXPECT_EQ(out->count, 1u) << line;
    EXPECT_EQ(out->skipped, 0u) << line;
    EXPECT_EQ(Warnings(), 0) << line;
    return out->domains[0];
  }
  // One line that must be refused with exactly one warning containing `why`.
  static void Bad(const std::string& line, const std::string& why) {
    fake::ClearLog();
    auto out = Parse(line);
    EXPECT_EQ(out->count, 0u) << line;
    EXPECT_EQ(out->skipped, 1u) << line;
    EXPECT_EQ(Warnings(), 1) << line;
    EXPECT_TRUE(Warned(why)) << line << "\n  wanted: " << why << "\n  got: " << LastWarning();
    EXPECT_TRUE(Warned("domain skipped")) << line;
  }
  static int Warnings() { return fake::CountLogged(LogLevel::kWarn); }
  static bool Warned(const std::string& text) { return fake::Logged(LogLevel::kWarn, text); }
  static std::string LastWarning() {
    std::vector<fake::LoggedLine> lines = fake::LoggedLines();
    return lines.empty() ? "(none)" : lines.back().text;
  }
};

void ExpectDefaults(const DomainConfig& c) {
  EXPECT_FALSE(c.has_ramdisk);
  EXPECT_EQ(c.vcpus, 1u);
  EXPECT_EQ(c.weight, 256u);
  EXPECT_EQ(c.cap, 0u);
  EXPECT_EQ(c.cpu_mask, ~uint64_t{0});
  EXPECT_STREQ(c.cmdline, "");
  EXPECT_EQ(c.on_poweroff, DomainAction::kDestroy);
  EXPECT_EQ(c.on_reboot, DomainAction::kRestart);
  EXPECT_EQ(c.on_crash, DomainAction::kPreserve);
  EXPECT_FALSE(c.privileged);
}

TEST_F(DomainConfigTest, EmptyInput) {
  auto out = std::make_unique<BootDomains>();
  out->count = 7;
  ParseDomainConfig(nullptr, 0, out.get());
  EXPECT_EQ(out->count, 0u);
  EXPECT_EQ(out->skipped, 0u);
  EXPECT_EQ(Parse("")->count, 0u);
  EXPECT_EQ(Parse("\n\n\r\n")->count, 0u);
  EXPECT_EQ(Parse("   \t \n# a comment\n\n  \t# another\n#\n")->count, 0u);
  EXPECT_EQ(Warnings(), 0);
  ParseDomainConfig(nullptr, 10, out.get());
  EXPECT_EQ(out->count, 0u);
  EXPECT_TRUE(Warned("domain config: no text (null) for 10 bytes, nothing parsed"));
}

TEST_F(DomainConfigTest, Defaults) {
  DomainConfig c = Good(kBase);
  EXPECT_STREQ(c.name, "d");
  EXPECT_EQ(c.kernel_module, 1);
  EXPECT_EQ(c.memory, 16 * kMiB);
  EXPECT_EQ(c.line, 1u);
  ExpectDefaults(c);
  // The slots after the last domain hold defaults too.
  auto out = Parse(kBase);
  EXPECT_STREQ(out->domains[1].name, "");
  EXPECT_EQ(out->domains[1].memory, 0u);
  ExpectDefaults(out->domains[kMaxBootDomains - 1]);
}

TEST_F(DomainConfigTest, EveryKey) {
  DomainConfig c = Good(
      "name=web.01 kernel=2 ramdisk=3 memory=512M vcpus=4 weight=512 cap=150 cpus=0,2-3 "
      "cmdline=\"console=ttyS0 quiet\" on_poweroff=restart on_reboot=preserve on_crash=destroy "
      "privileged=yes");
  EXPECT_STREQ(c.name, "web.01");
  EXPECT_EQ(c.kernel_module, 2);
  EXPECT_TRUE(c.has_ramdisk);
  EXPECT_EQ(c.ramdisk_module, 3);
  EXPECT_EQ(c.memory, 512 * kMiB);
  EXPECT_EQ(c.vcpus, 4u);
  EXPECT_EQ(c.weight, 512u);
  EXPECT_EQ(c.cap, 150u);
  EXPECT_EQ(c.cpu_mask, 0b1101u);
  EXPECT_STREQ(c.cmdline, "console=ttyS0 quiet");
  EXPECT_EQ(c.on_poweroff, DomainAction::kRestart);
  EXPECT_EQ(c.on_reboot, DomainAction::kPreserve);
  EXPECT_EQ(c.on_crash, DomainAction::kDestroy);
  EXPECT_TRUE(c.privileged);
  // Order does not matter.
  DomainConfig d = Good("memory=1G on_crash=restart kernel=0 name=x");
  EXPECT_STREQ(d.name, "x");
  EXPECT_EQ(d.memory, kGiB);
  EXPECT_EQ(d.on_crash, DomainAction::kRestart);
}

TEST_F(DomainConfigTest, Name) {
  EXPECT_STREQ(Good("kernel=1 memory=16M name=a").name, "a");
  EXPECT_STREQ(Good("kernel=1 memory=16M name=AZaz09_.-").name, "AZaz09_.-");
  const std::string longest(31, 'n');
  EXPECT_EQ(Good("kernel=1 memory=16M name=" + longest).name, longest);
  EXPECT_STREQ(Good("kernel=1 memory=16M name=\"q\"").name, "q");
  for (const std::string& bad : std::vector<std::string>{"", "\"\"", "\"a b\"", "a/b", "a:b",
                                                         "\xc3\xa4", "a,b", std::string(32, 'n')}) {
    Bad("kernel=1 memory=16M name=" + bad, "line 1: bad value '");
    EXPECT_TRUE(Warned("' for 'name' (want 1..31 of A-Z a-z 0-9 _ . -), domain skipped"));
  }
  Bad("kernel=1 memory=16M name=a/b",
      "domain config: line 1: bad value 'a/b' for 'name' (want 1..31 of A-Z a-z 0-9 _ . -), "
      "domain skipped");
}

TEST_F(DomainConfigTest, DuplicateName) {
  fake::ClearLog();
  auto out = Parse(
      "name=a kernel=1 memory=16M\n"
      "name=b kernel=2 memory=16M\n"
      "name=a kernel=3 memory=16M\n"
      "name=A kernel=4 memory=16M\n");  // names are case-sensitive
  ASSERT_EQ(out->count, 3u);
  EXPECT_EQ(out->skipped, 1u);
  EXPECT_STREQ(out->domains[2].name, "A");
  EXPECT_EQ(Warnings(), 1);
  EXPECT_TRUE(Warned("domain config: line 3: name 'a' is already used on line 1, domain skipped"));
  // A refused domain does not reserve its name.
  fake::ClearLog();
  out = Parse("name=a kernel=99 memory=16M\nname=a kernel=1 memory=16M\n");
  EXPECT_EQ(out->count, 1u);
  EXPECT_EQ(out->domains[0].line, 2u);
  EXPECT_EQ(Warnings(), 1);
}

TEST_F(DomainConfigTest, KernelAndRamdisk) {
  EXPECT_EQ(Good("name=d memory=16M kernel=0").kernel_module, 0);
  EXPECT_EQ(Good("name=d memory=16M kernel=15").kernel_module, 15);
  EXPECT_EQ(Good("name=d memory=16M kernel=007").kernel_module, 7);
  DomainConfig c = Good(std::string(kBase) + " ramdisk=0");
  EXPECT_TRUE(c.has_ramdisk);
  EXPECT_EQ(c.ramdisk_module, 0);
  EXPECT_EQ(Good(std::string(kBase) + " ramdisk=15").ramdisk_module, 15);
  for (const char* bad : {"16", "-1", "x", "", "1x", "0x1", "+1", "99999999999999999999999"}) {
    Bad(std::string("name=d memory=16M kernel=") + bad,
        "' for 'kernel' (want a module index 0..15), domain skipped");
    Bad(std::string(kBase) + " ramdisk=" + bad,
        "' for 'ramdisk' (want a module index 0..15), domain skipped");
  }
  Bad("name=d memory=16M kernel=16", "line 1: bad value '16' for 'kernel'");
}

TEST_F(DomainConfigTest, Memory) {
  struct {
    const char* text;
    uint64_t bytes;
  } const good[] = {
      {"1M", kMiB},
      {"1m", kMiB},
      {"1048576", kMiB},
      {"1024K", kMiB},
      {"1028k", 1028 * kKiB},
      {"1G", kGiB},
      {"3g", 3 * kGiB},
      {"1024G", 1024 * kGiB},
      {"1099511627776", 1024 * kGiB},
      {"1052672", kMiB + 4 * kKiB},
  };
  for (const auto& g : good) {
    EXPECT_EQ(Good(std::string("name=d kernel=1 memory=") + g.text).memory, g.bytes) << g.text;
  }
  for (const char* bad : {"", "0", "0M", "M", "1023K", "1048575", "1048577", "4097K", "1025G",
                          "1099511627777", "1T", "1.5G", "1GB", "1 G", "-1G", "0x100000",
                          "18446744073709551616", "17179869184G", "99999999999999999999999M"}) {
    Bad(std::string("name=d kernel=1 memory=\"") + bad + "\"",
        "' for 'memory' (want 1M..1024G, a multiple of 4K), domain skipped");
  }
  Bad("name=d kernel=1 memory=1T", "line 1: bad value '1T' for 'memory'");
}

TEST_F(DomainConfigTest, Vcpus) {
  EXPECT_EQ(Good(std::string(kBase) + " vcpus=1").vcpus, 1u);
  EXPECT_EQ(Good(std::string(kBase) + " vcpus=64").vcpus, 64u);
  for (const char* bad : {"0", "65", "", "two", "4294967297"}) {
    Bad(std::string(kBase) + " vcpus=" + bad, "' for 'vcpus' (want 1..64), domain skipped");
  }
}

TEST_F(DomainConfigTest, Weight) {
  EXPECT_EQ(Good(std::string(kBase) + " weight=1").weight, 1u);
  EXPECT_EQ(Good(std::string(kBase) + " weight=65535").weight, 65535u);
  for (const char* bad : {"0", "65536", "", "-5", "1k"}) {
    Bad(std::string(kBase) + " weight=" + bad, "' for 'weight' (want 1..65535), domain skipped");
  }
}

TEST_F(DomainConfigTest, Cap) {
  EXPECT_EQ(Good(std::string(kBase) + " cap=0").cap, 0u);
  EXPECT_EQ(Good(std::string(kBase) + " cap=100").cap, 100u);
  EXPECT_EQ(Good(std::string(kBase) + " cap=200 vcpus=2").cap, 200u);  // vcpus after cap
  EXPECT_EQ(Good(std::string(kBase) + " vcpus=64 cap=6400").cap, 6400u);
  Bad(std::string(kBase) + " cap=101",
      "domain config: line 1: 'cap' 101 is above 100 * vcpus (100), domain skipped");
  Bad(std::string(kBase) + " cap=201 vcpus=2", "line 1: 'cap' 201 is above 100 * vcpus (200)");
  for (const char* bad : {"6401", "-1", "", "50%", "1e2"}) {
    Bad(std::string(kBase) + " vcpus=64 cap=" + bad,
        "' for 'cap' (want 0..100 * vcpus), domain skipped");
  }
}

TEST_F(DomainConfigTest, Cpus) {
  struct {
    const char* text;
    uint64_t mask;
  } const good[] = {
      {"all", ~uint64_t{0}},     {"ALL", ~uint64_t{0}}, {"0", 1},
      {"63", uint64_t{1} << 63}, {"0,2-3", 0b1101},     {"5-5", 1u << 5},
      {"0-63", ~uint64_t{0}},    {"1,1,1-2", 0b110},    {"\"4-7,0\"", 0xf1},
  };
  for (const auto& g : good) {
    EXPECT_EQ(Good(std::string(kBase) + " cpus=" + g.text).cpu_mask, g.mask) << g.text;
  }
  for (const char* bad : {"64", "3-2", "0,", ",0", "0,,1", "1-", "-1", "0-64", "", "a", "al",
                          "all,1", "0 ,1", "1-2-3", "0x1", "none"}) {
    Bad(std::string(kBase) + " cpus=\"" + bad + "\"",
        "' for 'cpus' (want all, or CPUs 0..63 like 0,2-3), domain skipped");
  }
}

TEST_F(DomainConfigTest, Cmdline) {
  EXPECT_STREQ(Good(std::string(kBase) + " cmdline=quiet").cmdline, "quiet");
  EXPECT_STREQ(Good(std::string(kBase) + " cmdline=").cmdline, "");
  EXPECT_STREQ(Good(std::string(kBase) + " cmdline=\"\"").cmdline, "");
  EXPECT_STREQ(Good(std::string(kBase) + " cmdline=\"a  b\tc\"").cmdline, "a  b\tc");
  EXPECT_STREQ(Good(std::string(kBase) + " cmdline=\"say \\\"hi\\\"\"").cmdline, "say \"hi\"");
  EXPECT_STREQ(Good(std::string(kBase) + " cmdline=\"a\\\\b\"").cmdline, "a\\b");
  EXPECT_STREQ(Good(std::string(kBase) + " cmdline=\"a\\nb\"").cmdline,
               "a\\nb");  // other escapes: literal
  EXPECT_STREQ(Good(std::string(kBase) + " cmdline=a\\b").cmdline, "a\\b");  // bare: literal
  EXPECT_STREQ(Good(std::string(kBase) + " cmdline=\"#x\" # comment").cmdline, "#x");
  EXPECT_STREQ(Good(std::string(kBase) + " cmdline=a#b").cmdline, "a#b");
  EXPECT_STREQ(Good(std::string(kBase) + " cmdline=\"caf\xc3\xa9\"").cmdline, "caf\xc3\xa9");
  const std::string longest(1023, 'x');
  EXPECT_EQ(Good(std::string(kBase) + " cmdline=" + longest).cmdline, longest);
  EXPECT_EQ(Good(std::string(kBase) + " cmdline=\"" + longest + "\"").cmdline, longest);
  // 1023 characters after unescaping, from 2046 in the file.
  std::string escaped;
  for (int i = 0; i < 1023; ++i) escaped += "\\\"";
  EXPECT_EQ(Good(std::string(kBase) + " cmdline=\"" + escaped + "\"").cmdline,
            std::string(1023, '"'));
  Bad(std::string(kBase) + " cmdline=" + longest + "x",
      "domain config: line 1: value of 'cmdline' is longer than 1023 characters, domain "
      "skipped");
  Bad(std::string(kBase) + " cmdline=\"" + escaped + "\\\\\"",
      "value of 'cmdline' is longer than 1023 characters");
}

TEST_F(DomainConfigTest, Actions) {
  struct {
    const char* text;
    DomainAction action;
  } const values[] = {{"destroy", DomainAction::kDestroy},
                      {"restart", DomainAction::kRestart},
                      {"preserve", DomainAction::kPreserve},
                      {"Restart", DomainAction::kRestart},
                      {"PRESERVE", DomainAction::kPreserve}};
  for (const auto& v : values) {
    EXPECT_EQ(Good(std::string(kBase) + " on_poweroff=" + v.text).on_poweroff, v.action);
    EXPECT_EQ(Good(std::string(kBase) + " on_reboot=" + v.text).on_reboot, v.action);
    EXPECT_EQ(Good(std::string(kBase) + " on_crash=" + v.text).on_crash, v.action);
  }
  for (const char* key : {"on_poweroff", "on_reboot", "on_crash"}) {
    for (const char* bad : {"", "reboot", "destroyed", "rename-restart", "coredump-destroy"}) {
      Bad(std::string(kBase) + " " + key + "=" + bad,
          std::string("' for '") + key + "' (want destroy, restart or preserve), domain skipped");
    }
  }
  EXPECT_STREQ(DomainActionName(DomainAction::kDestroy), "destroy");
  EXPECT_STREQ(DomainActionName(DomainAction::kRestart), "restart");
  EXPECT_STREQ(DomainActionName(DomainAction::kPreserve), "preserve");
  EXPECT_STREQ(DomainActionName(static_cast<DomainAction>(9)), "unknown");
}

TEST_F(DomainConfigTest, Privileged) {
  EXPECT_TRUE(Good(std::string(kBase) + " privileged=yes").privileged);
  EXPECT_TRUE(Good(std::string(kBase) + " privileged=YES").privileged);
  EXPECT_TRUE(Good(std::string(kBase) + " privileged=\"Yes\"").privileged);
  EXPECT_FALSE(Good(std::string(kBase) + " privileged=no").privileged);
  EXPECT_FALSE(Good(std::string(kBase) + " privileged=No").privileged);
  // Only one domain of two is privileged.
  auto out = Parse(std::string(kBase) + " privileged=yes\nname=e kernel=1 memory=16M\n");
  ASSERT_EQ(out->count, 2u);
  EXPECT_TRUE(out->domains[0].privileged);
  EXPECT_FALSE(out->domains[1].privileged);
  for (const char* bad : {"", "1", "0", "true", "y", "yess", "on", "\"yes \""}) {
    Bad(std::string(kBase) + " privileged=" + bad,
        "' for 'privileged' (want yes or no), domain skipped");
  }
  Bad(std::string(kBase) + " privileged=yes privileged=no", "key 'privileged' given twice");
}

TEST_F(DomainConfigTest, MissingRequiredKeys) {
  Bad("kernel=1 memory=16M", "domain config: line 1: missing required key 'name', domain skipped");
  Bad("name=d memory=16M", "line 1: missing required key 'kernel', domain skipped");
  Bad("name=d kernel=1", "line 1: missing required key 'memory', domain skipped");
  Bad("vcpus=2", "line 1: missing required keys 'name', 'kernel', 'memory', domain skipped");
  Bad("name=d  # kernel=1 memory=16M",
      "line 1: missing required keys 'kernel', 'memory', domain skipped");
}

TEST_F(DomainConfigTest, UnknownKey) {
  Bad(std::string(kBase) + " disk=foo",
      "domain config: line 1: unknown key 'disk', domain skipped");
  Bad(std::string(kBase) + " Name=x", "line 1: unknown key 'Name'");  // keys are lowercase
  Bad(std::string(kBase) + " on-crash=destroy", "line 1: unknown key 'on-crash'");
  Bad(std::string(kBase) + " " + std::string(100, 'k') + "=1",
      "line 1: unknown key '" + std::string(40, 'k') + "...', domain skipped");
  Bad(std::string(kBase) + " k\x01\x1b[2J=1", "line 1: unknown key 'k??[2J', domain skipped");
}

TEST_F(DomainConfigTest, NotKeyValue) {
  Bad(std::string(kBase) + " quiet",
      "domain config: line 1: 'quiet' is not key=value, domain skipped");
  Bad(std::string(kBase) + " =5", "line 1: '=5' is not key=value");
  Bad(std::string(kBase) + " \"name=x\"", "line 1: unknown key '\"name'");  // keys are bare
  Bad("name = d kernel=1 memory=16M", "line 1: 'name' is not key=value");
}

TEST_F(DomainConfigTest, DuplicateKey) {
  Bad(std::string(kBase) + " memory=32M",
      "domain config: line 1: key 'memory' given twice, domain skipped");
  Bad(std::string(kBase) + " vcpus=1 vcpus=1", "line 1: key 'vcpus' given twice");
}

TEST_F(DomainConfigTest, Quotes) {
  EXPECT_EQ(Good("name=\"d\" kernel=\"1\" memory=\"16M\"").memory, 16 * kMiB);
  Bad(std::string(kBase) + " cmdline=\"quiet",
      "domain config: line 1: unterminated quote in value of 'cmdline', domain skipped");
  Bad(std::string(kBase) + " cmdline=\"quiet\\\"",
      "unterminated quote in value of 'cmdline'");  // the last quote is escaped
  Bad(std::string(kBase) + " cmdline=a\"b c\"",
      "domain config: line 1: stray '\"' in value of 'cmdline' (quote the whole value), domain "
      "skipped");
  Bad(std::string(kBase) + " cmdline=\"a\"b",
      "domain config: line 1: text after the closing quote of 'cmdline', domain skipped");
  Bad(std::string(kBase) + " cmdline=\"a\"\"b\"", "text after the closing quote of 'cmdline'");
}

TEST_F(DomainConfigTest, ControlCharacters) {
  Bad(std::string(kBase) + " cmdline=a\x01z",
      "domain config: line 1: control character 0x01 in value of 'cmdline', domain skipped");
  Bad(std::string(kBase) + " cmdline=\"a\x1b[2Jz\"",
      "control character 0x1b in value of 'cmdline'");
  Bad(std::string(kBase) + " cmdline=\"a\x7fz\"", "control character 0x7f in value of 'cmdline'");
  Bad(std::string(kBase) + " cmdline=\"a\rz\"", "control character 0x0d in value of 'cmdline'");
  Bad(std::string(kBase) + " cmdline=a\rz", "control character 0x0d in value of 'cmdline'");
  // Tabs separate pairs and may appear inside quotes.
  DomainConfig c = Good("name=d\tkernel=1\t\tmemory=16M cmdline=\"a\tb\"\t");
  EXPECT_STREQ(c.cmdline, "a\tb");
}

TEST_F(DomainConfigTest, NulBytes) {
  using namespace std::string_literals;
  Bad(std::string(kBase) + " cmdline=a\0b"s,
      "domain config: line 1: control character 0x00 in value of 'cmdline', domain skipped");
  Bad(std::string(kBase) + " cmdline=\"a\0b\""s, "control character 0x00 in value of 'cmdline'");
  Bad("name=d\0 kernel=1 memory=16M"s, "control character 0x00 in value of 'name'");
  Bad(std::string(kBase) + " \0"s, "line 1: '?' is not key=value, domain skipped");
  // A NUL does not end the text: the next lines still count; in a comment it is ignored.
  fake::ClearLog();
  auto out = Parse("name=a kernel=1 memory=16M\n\0\nname=b kernel=1 memory=16M # \0\n"s);
  EXPECT_EQ(out->count, 2u);
  EXPECT_EQ(out->skipped, 1u);
  EXPECT_TRUE(Warned("line 2: '?' is not key=value"));
  EXPECT_STREQ(out->domains[1].name, "b");
  EXPECT_EQ(out->domains[1].line, 3u);
}

TEST_F(DomainConfigTest, CommentsAndBlankLines) {
  fake::ClearLog();
  auto out = Parse(
      "# boot domains\n"
      "\n"
      "   \n"
      "name=a kernel=1 memory=16M   # the first\n"
      "\t# name=x kernel=1 memory=16M\n"
      "name=b kernel=2 memory=32M#not-a-comment-here\n"
      "name=c kernel=3 memory=64M #\n");
  EXPECT_EQ(out->count, 2u);
  EXPECT_EQ(out->skipped, 1u);
  EXPECT_STREQ(out->domains[0].name, "a");
  EXPECT_EQ(out->domains[0].line, 4u);
  EXPECT_STREQ(out->domains[1].name, "c");
  EXPECT_EQ(out->domains[1].line, 7u);
  EXPECT_EQ(Warnings(), 1);
  EXPECT_TRUE(Warned("line 6: bad value '32M#not-a-comment-here' for 'memory'"));
}

TEST_F(DomainConfigTest, LineEndings) {
  fake::ClearLog();
  auto out = Parse(
      "name=a kernel=1 memory=16M cmdline=\"x y\"\r\n"
      "\r\n"
      "# comment\r\n"
      "name=b kernel=2 memory=16M cmdline=z\r\n"
      "name=c kernel=3 memory=16M\r");  // no final LF, a CR left at the end
  ASSERT_EQ(out->count, 3u);
  EXPECT_STREQ(out->domains[0].cmdline, "x y");
  EXPECT_STREQ(out->domains[1].cmdline, "z");
  EXPECT_EQ(out->domains[1].line, 4u);
  EXPECT_STREQ(out->domains[2].name, "c");
  EXPECT_EQ(out->domains[2].line, 5u);
  EXPECT_EQ(Warnings(), 0);
  // A lone CR is not a line end.
  Bad("name=a kernel=1 memory=16M\rname=b kernel=1 memory=16M",
      "control character 0x0d in value of 'memory'");
}

TEST_F(DomainConfigTest, BadLinesSkipOnlyTheirDomain) {
  fake::ClearLog();
  auto out = Parse(
      "name=a kernel=1 memory=16M\n"
      "name=b kernel=1 memory=16M vcpus=0\n"
      "name=c kernel=1 memory=16M\n"
      "name=d kernel=1 bogus=1\n"
      "name=e kernel=1 memory=16M\n");
  ASSERT_EQ(out->count, 3u);
  EXPECT_EQ(out->skipped, 2u);
  EXPECT_STREQ(out->domains[0].name, "a");
  EXPECT_STREQ(out->domains[1].name, "c");
  EXPECT_STREQ(out->domains[2].name, "e");
  EXPECT_EQ(out->domains[2].line, 5u);
  EXPECT_EQ(Warnings(), 2);
  EXPECT_TRUE(Warned("line 2: bad value '0' for 'vcpus'"));
  EXPECT_TRUE(Warned("line 4: unknown key 'bogus'"));
  // The refused line's slot was cleared.
  ExpectDefaults(out->domains[3]);
  EXPECT_STREQ(out->domains[3].name, "");
}

TEST_F(DomainConfigTest, TooManyDomains) {
  std::string text;
  for (int i = 0; i < 20; ++i) {
    text += "name=d" + std::to_string(i) + " kernel=1 memory=16M\n";
    if (i == 3) text += "# a comment does not count\n\n";
  }
  fake::ClearLog();
  auto out = Parse(text);
  ASSERT_EQ(out->count, kMaxBootDomains);
  EXPECT_EQ(out->skipped, 4u);
  EXPECT_STREQ(out->domains[15].name, "d15");
  EXPECT_EQ(out->domains[15].line, 18u);
  EXPECT_EQ(Warnings(), 4);
  EXPECT_TRUE(Warned("domain config: line 19: more than 16 domains, domain skipped"));
  EXPECT_TRUE(Warned("domain config: line 22: more than 16 domains, domain skipped"));
}

TEST_F(DomainConfigTest, OverlongLine) {
  const std::string filler(kMaxDomainConfigLine, ' ');
  // Exactly the limit (trailing blanks count) is fine.
  std::string at_limit = std::string(kBase) + filler;
  at_limit.resize(kMaxDomainConfigLine);
  EXPECT_STREQ(Good(at_limit).name, "d");
  Bad(at_limit + " ", "domain config: line 1: longer than 4096 characters, domain skipped");
  // The CR of a CRLF does not count.
  EXPECT_STREQ(Good(at_limit + "\r\n").name, "d");
  fake::ClearLog();
  auto out = Parse(std::string(kBase) + "\n" + std::string(kBase) + filler +
                   "\nname=e kernel=1 "
                   "memory=16M\n");
  EXPECT_EQ(out->count, 2u);
  EXPECT_TRUE(Warned("line 2: longer than 4096 characters"));
  // Long comment lines are just comments.
  EXPECT_EQ(Parse("#" + std::string(10000, 'c') + "\n" + kBase)->count, 1u);
}

TEST_F(DomainConfigTest, InputSizeLimit) {
  // A domain, then comment lines up to just below the limit, then a domain
  // line that crosses it and one after it.
  std::string text = "name=a kernel=1 memory=16M\n";
  while (text.size() < kMaxDomainConfigSize - 100) text += "# " + std::string(60, 'c') + "\n";
  const size_t cut = text.size();
  text += "name=b kernel=1 memory=16M cmdline=\"" + std::string(200, 'x') + "\"\n";
  text += "name=c kernel=1 memory=16M\n";
  ASSERT_GT(text.size(), kMaxDomainConfigSize);
  fake::ClearLog();
  auto out = Parse(text);
  ASSERT_EQ(out->count, 1u);
  EXPECT_STREQ(out->domains[0].name, "a");
  EXPECT_EQ(out->skipped, 0u);
  EXPECT_EQ(Warnings(), 1);
  EXPECT_TRUE(Warned("domain config: " + std::to_string(text.size()) +
                     " bytes, more than 65536: only the first " + std::to_string(cut) +
                     " (whole lines) parsed"));
  // Exactly the limit is parsed whole, even without a final line end.
  fake::ClearLog();
  std::string exact2 = std::string(kMaxDomainConfigSize - 26, '\n') + "name=z kernel=1 memory=16M";
  ASSERT_EQ(exact2.size(), kMaxDomainConfigSize);
  out = Parse(exact2);
  EXPECT_EQ(out->count, 1u);
  EXPECT_EQ(out->domains[0].line, kMaxDomainConfigSize - 26 + 1);
  EXPECT_EQ(Warnings(), 0);
  // One more byte, and that last (unterminated) line is dropped.
  out = Parse(exact2 + "\n");
  EXPECT_EQ(out->count, 0u);
  EXPECT_TRUE(Warned("only the first 65510 (whole lines) parsed"));
}

// What ParseDomainConfig promises about what it accepts.
void ExpectConsistent(const BootDomains& out) {
  ASSERT_LE(out.count, kMaxBootDomains);
  std::set<std::string> names;
  for (size_t i = 0; i < out.count; ++i) {
    const DomainConfig& c = out.domains[i];
    const size_t n = strnlen(c.name, sizeof(c.name));
    ASSERT_GE(n, 1u);
    ASSERT_LE(n, kMaxDomainNameLength);
    for (size_t j = 0; j < n; ++j) {
      const char ch = c.name[j];
      ASSERT_TRUE(isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-');
    }
    ASSERT_TRUE(names.insert(c.name).second);
    ASSERT_LT(strnlen(c.cmdline, sizeof(c.cmdline)), sizeof(c.cmdline));
    ASSERT_LE(c.kernel_module, kMaxBootModuleIndex);
    ASSERT_LE(c.ramdisk_module, kMaxBootModuleIndex);
    ASSERT_GE(c.memory, kMinDomainMemory);
    ASSERT_LE(c.memory, kMaxDomainMemory);
    ASSERT_EQ(c.memory % kDomainMemoryAlign, 0u);
    ASSERT_GE(c.vcpus, 1u);
    ASSERT_LE(c.vcpus, kMaxDomainVcpus);
    ASSERT_GE(c.weight, 1u);
    ASSERT_LE(c.weight, 65535u);
    ASSERT_LE(c.cap, 100 * c.vcpus);
    ASSERT_NE(c.cpu_mask, 0u);
    ASSERT_LE(static_cast<int>(c.on_crash), static_cast<int>(DomainAction::kPreserve));
    ASSERT_GE(c.line, 1u);
  }
}

TEST_F(DomainConfigTest, RandomMutationsNeverCrash) {
  fake::SetLogEcho(false);
  const std::string valid =
      "# test domains\n"
      "name=web kernel=2 ramdisk=3 memory=512M vcpus=2 cap=150 cpus=0,2-3 "
      "cmdline=\"console=ttyS0 \\\"q\\\"\" on_crash=destroy\n"
      "name=db kernel=4 memory=1G weight=512 on_reboot=preserve\r\n"
      "\n"
      "name=t0 kernel=5 memory=16M # tiny\n";
  const char alphabet[] = "=\"\\# \t\r\n\0,-0123456789KMGkmgallname";
  std::mt19937_64 rng(0xd0d0);
  int accepted = 0;
  for (int iter = 0; iter < 10000; ++iter) {
    std::string text = valid;
    const int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const size_t at = rng() % text.size();
      const char c =
          rng() % 2 ? alphabet[rng() % (sizeof(alphabet) - 1)] : static_cast<char>(rng());
      switch (rng() % 4) {
        case 0:
          text[at] = c;
          break;
        case 1:
          text.insert(at, 1, c);
          break;
        case 2:
          text.erase(at, 1 + rng() % 8);
          break;
        default:  // duplicate a piece of text somewhere
          text.insert(rng() % text.size(), text.substr(at, rng() % 64));
      }
    }
    // An exactly sized, unterminated copy: reading past it is a heap overflow.
    std::unique_ptr<char[]> exact(new char[text.size()]);
    memcpy(exact.get(), text.data(), text.size());
    fake::ClearLog();
    auto out = std::make_unique<BootDomains>();
    ParseDomainConfig(exact.get(), text.size(), out.get());
    ExpectConsistent(*out);
    ASSERT_EQ(static_cast<size_t>(Warnings()), out->skipped);
    ASSERT_EQ(fake::LoggedLines().size(), out->skipped);
    if (out->count == 3) ++accepted;
  }
  // Random bytes, and lots of lines.
  for (int iter = 0; iter < 200; ++iter) {
    std::string text(rng() % 4096, '\0');
    for (char& c : text)
      c = rng() % 4 ? alphabet[rng() % (sizeof(alphabet) - 1)] : static_cast<char>(rng());
    fake::ClearLog();
    auto out = std::make_unique<BootDomains>();
    ParseDomainConfig(text.data(), text.size(), out.get());
    ExpectConsistent(*out);
  }
  fake::SetLogEcho(true);
  EXPECT_GT(accepted, 100);
}

}  // namespace
}  // namespace hv
