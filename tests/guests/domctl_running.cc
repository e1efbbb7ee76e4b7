// SPDX-License-Identifier: Apache-2.0
// A control domain and a running domU (two boot-time domains, one kernel):
//   role=control peer=N  (privileged=yes) watches domU N: INFO says RUNNING
//                        and not privileged; DESTROY, PAUSE and SET_VCPU_COUNT
//                        are HV_EBUSY while it runs; once it has powered off
//                        (on_poweroff=preserve) INFO says DEAD with the
//                        reason, and DESTROY frees it.
//   role=worker secs=S   runs (yielding) for S seconds, then ends.
#include "hv/domctl.h"
#include "hv/sysctl.h"
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/ops.h"

namespace {

using guest::Call;
using guest::DomainOp;

constexpr uint32_t kV = HV_DOMCTL_INTERFACE_VERSION;

uint64_t Seconds(uint64_t s) { return guest::StartInfo().tsc_hz * s; }

// Yields until the peer is in `state`, for at most `secs` seconds.
hv_domctl_info WaitFor(uint32_t peer, uint32_t state, uint64_t secs) {
  const uint64_t deadline = guest::Rdtsc() + Seconds(secs);
  for (;;) {
    const hv_domctl_info info = guest::DomainInfo(peer);
    if (info.state == state) return info;
    if (guest::Rdtsc() > deadline) {
      guest::Failure("d%u is in state %u after %lu s, expected %u", peer, info.state, secs, state);
    }
    guest::SchedYield();
  }
}

void Control() {
  const uint32_t peer = static_cast<uint32_t>(guest::CmdlineU64("peer", 0));
  GUEST_ASSERT(peer != 0 && peer != guest::DomainId());
  // hv starts boot-time domains in order; the peer may not be running yet.
  hv_domctl_info info = WaitFor(peer, HV_DOMAIN_STATE_RUNNING, 20);
  GUEST_ASSERT_EQ(info.flags, 0u);  // not privileged
  GUEST_ASSERT_EQ(info.shutdown_reason, HV_DOMCTL_NO_SHUTDOWN);
  GUEST_ASSERT_EQ(info.vcpus, 1u);

  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_DESTROY, peer), HV_EBUSY);
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_UNPAUSE, peer), HV_OK);  // not paused: nothing to do
  // Paused while running: shown as PAUSED, still not destroyable, then on again.
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_PAUSE, peer), HV_OK);
  GUEST_ASSERT_EQ(guest::DomainInfo(peer).state, static_cast<uint32_t>(HV_DOMAIN_STATE_PAUSED));
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_DESTROY, peer), HV_EBUSY);
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_UNPAUSE, peer), HV_OK);
  hv_domctl_vcpu_count count{kV, peer, 2, 0};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_COUNT, &count), HV_EBUSY);
  hv_domctl_vcpu_affinity aff{kV, peer, 0, 0, 1};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_AFFINITY, &aff), HV_EBUSY);  // vCPU 0 is placed
  info = guest::DomainInfo(peer);
  GUEST_ASSERT_EQ(info.state, static_cast<uint32_t>(HV_DOMAIN_STATE_RUNNING));
  GUEST_ASSERT_EQ(info.vcpus, 1u);
  guest::Printf("d%u runs: destroy, pause and vCPU changes refused\n", peer);

  // It powers off by itself and is kept (on_poweroff=preserve).
  info = WaitFor(peer, HV_DOMAIN_STATE_DEAD, 40);
  GUEST_ASSERT_EQ(info.shutdown_reason, static_cast<uint32_t>(HV_SHUTDOWN_POWEROFF));
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_PAUSE, peer), HV_EBUSY);
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_UNPAUSE, peer), HV_EBUSY);
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_SET_VCPU_AFFINITY, &aff), HV_EBUSY);
  hv_sysctl_physinfo p{};
  p.interface_version = HV_SYSCTL_INTERFACE_VERSION;
  GUEST_ASSERT_EQ(Call(HV_SYSCTL_PHYSINFO, &p), HV_OK);
  const uint64_t free = p.free_pages;
  GUEST_ASSERT_EQ(DomainOp(HV_DOMCTL_DESTROY, peer), HV_OK);
  GUEST_ASSERT_EQ(Call(HV_SYSCTL_PHYSINFO, &p), HV_OK);
  GUEST_ASSERT(p.free_pages >= free + info.pages);
  hv_domctl_info gone{};
  gone.interface_version = kV;
  gone.domain_id = peer;
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_INFO, &gone), HV_ESRCH);
  guest::Printf("d%u dead (poweroff), then destroyed: %lu pages back\n", peer, info.pages);
}

void Worker() {
  const uint64_t deadline = guest::Rdtsc() + Seconds(guest::CmdlineU64("secs", 3));
  while (guest::Rdtsc() < deadline) guest::SchedYield();
}

}  // namespace

void test_main() {
  char role[16];
  if (!guest::CmdlineGet("role", role, sizeof(role))) guest::Error("no role= on the command line");
  if (role[0] == 'c') {
    Control();
  } else {
    Worker();
  }
}
