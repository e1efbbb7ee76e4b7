// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_VCPU (api/hv/vcpu.h).
#include "hv/vcpu.h"

#include "hv/core/arch.h"
#include "hv/core/domain.h"
#include "hv/core/domains.h"
#include "hv/core/hypercall.h"
#include "hv/lib/hot.h"
#include "hv/core/sched.h"

namespace hv::hypercall {
namespace {

Result Up(Vcpu& v, const Args& a) {
  Domain& d = *v.domain;
  if (a[0] >= d.vcpu_count) return Value(HV_ENOENT);
  Vcpu& target = *d.vcpus[a[0]];
  {
    SpinGuard guard(d.lock);
    if (target.state != VcpuState::kOffline) return Value(HV_EBUSY);
    target.state = VcpuState::kBlocked;  // claimed: a second UP sees it busy
    target.going_offline = false;
  }
  arch::VcpuStartLike(target, v, a[1], a[2], a[3]);
  sched::AddVcpu(&target);
  return Value(HV_OK);
}

// The last vCPU standing cannot go: that is HV_SCHED_SHUTDOWN's job.
Result Down(Vcpu& v, const Args&) {
  Domain& d = *v.domain;
  SpinGuard guard(d.lock);
  uint32_t others = 0;
  for (uint32_t i = 0; i < d.vcpu_count; ++i) {
    const VcpuState s = d.vcpus[i]->state;
    const bool leaving = d.vcpus[i]->going_offline;
    if (d.vcpus[i] != &v && s != VcpuState::kOffline && s != VcpuState::kDead && !leaving) ++others;
  }
  if (!others) return Value(HV_EBUSY);
  v.going_offline = true;  // two vCPUs going down at once cannot both leave
  return {HV_OK, After::kOffline};
}

Result Info(Vcpu& v, const Args& a) {
  Domain& d = *v.domain;
  if (a[0] >= d.vcpu_count) return Value(HV_ENOENT);
  const Vcpu& t = *d.vcpus[a[0]];
  hv_vcpu_info info{};
  switch (t.state) {
    case VcpuState::kOffline:
    case VcpuState::kDead: info.state = HV_VCPU_STATE_OFFLINE; break;
    case VcpuState::kRunnable: info.state = HV_VCPU_STATE_RUNNABLE; break;
    case VcpuState::kRunning: info.state = HV_VCPU_STATE_RUNNING; break;
    case VcpuState::kBlocked: info.state = HV_VCPU_STATE_BLOCKED; break;
  }
  info.cpu = t.cpu;
  info.runtime_ns = t.runtime_ns;
  info.exits = t.exits;
  if (!domains::CopyToGuest(d, GuestPhysAddr(a[1]), &info, sizeof(info))) return Value(HV_EFAULT);
  return Value(HV_OK);
}

HV_HOT_RODATA constexpr Op kOps[] = {
    {HV_OP_NUMBER(HV_VCPU_UP), Up},
    {HV_OP_NUMBER(HV_VCPU_DOWN), Down},
    {HV_OP_NUMBER(HV_VCPU_INFO), Info},
};

}  // namespace

HV_HOT_RODATA const Family kVcpuFamily = {HV_FAMILY_VCPU, HV_VCPU_INTERFACE_VERSION, Permission::kSelf, kOps,
                            sizeof(kOps) / sizeof(kOps[0])};

}  // namespace hv::hypercall
