// SPDX-License-Identifier: Apache-2.0
// Domains looked up on one CPU while another destroys them (domains::DomainRef):
//   role=control secs=S  (privileged=yes) asks INFO and CONSOLE_READ of every
//                        domain id, over and over, while the workers come and
//                        go; every answer is HV_OK with the worker's own
//                        values, or HV_ESRCH. It sees several workers.
//   role=worker secs=S   (on_poweroff=restart, on_reboot=destroy) writes a
//                        line and powers off at once, so hv destroys it and
//                        builds it again, until S seconds after power-on;
//                        then it reboots, and is destroyed for good.
// hv poisons a freed domain's page, so a lookup that outlived the domain
// would fault in hv rather than read stale values.
#include "hv/console.h"
#include "hv/domctl.h"
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/ops.h"

namespace {

constexpr uint32_t kMaxIds = 64;

bool Prefix(const char* s, const char* prefix) {
  for (; *prefix; ++s, ++prefix) {
    if (*s != *prefix) return false;
  }
  return true;
}

void Control(uint64_t secs) {
  const uint64_t deadline = guest::Rdtsc() + guest::StartInfo().tsc_hz * secs;
  uint32_t seen[kMaxIds] = {};  // worker ids met (INFO said it is one)
  uint32_t workers = 0, lookups = 0;
  static char text[256];
  bool any;
  do {
    any = false;
    for (uint32_t id = 1; id < kMaxIds; ++id) {
      if (id == guest::DomainId()) continue;
      hv_domctl_info info{};
      info.interface_version = HV_DOMCTL_INTERFACE_VERSION;
      info.domain_id = id;
      const int64_t r = guest::Call(HV_DOMCTL_INFO, &info);
      ++lookups;
      if (r == HV_ESRCH) continue;
      GUEST_ASSERT_EQ(r, HV_OK);
      GUEST_ASSERT(Prefix(info.name, "domain_refs"));
      GUEST_ASSERT_EQ(info.vcpus, 1u);
      GUEST_ASSERT_EQ(info.flags, 0u);  // not the control domain's values
      any = true;
      if (!seen[id]) {
        seen[id] = 1;
        ++workers;
      }
      hv_console_read rd{};
      rd.interface_version = HV_CONSOLE_INTERFACE_VERSION;
      rd.domain_id = id;
      rd.buffer_gpa = reinterpret_cast<uint64_t>(text);
      rd.size = sizeof(text);
      const int64_t c = guest::Call(HV_CONSOLE_READ, &rd);
      GUEST_ASSERT(c == HV_OK || c == HV_ESRCH);
      GUEST_ASSERT(rd.returned <= sizeof(text));
    }
  } while (guest::Rdtsc() < deadline || any);
  guest::Printf("%u lookups met %u workers come and go\n", lookups, workers);
  GUEST_ASSERT(workers >= 3);
}

void Worker(uint64_t secs) {
  guest::Printf("worker up\n");
  const bool again = guest::Rdtsc() < guest::StartInfo().tsc_hz * secs;  // TSC: 0 at power-on
  guest::SchedShutdown(again ? HV_SHUTDOWN_POWEROFF : HV_SHUTDOWN_REBOOT);
  guest::Error("still running after HV_SCHED_SHUTDOWN");
}

}  // namespace

void test_main() {
  const uint64_t secs = guest::CmdlineU64("secs", 3);
  GUEST_ASSERT(secs >= 1 && secs <= 60);
  char role[16];
  if (!guest::CmdlineGet("role", role, sizeof(role))) guest::Error("no role= on the command line");
  if (role[0] == 'c') {
    Control(secs);
  } else {
    Worker(secs);
  }
}
