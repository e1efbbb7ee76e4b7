// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_SCHED (api/hv/sched.h).
#include "hv/sched.h"

#include "hv/core/domain.h"
#include "hv/core/domains.h"
#include "hv/core/hypercall.h"

namespace hv::hypercall {
namespace {

Result Yield(Vcpu&, const Args&) { return {HV_OK, After::kYield}; }

Result Shutdown(Vcpu& v, const Args& a) {
  ShutdownReason reason;
  switch (a[0]) {
    case HV_SHUTDOWN_POWEROFF: reason = ShutdownReason::kPoweroff; break;
    case HV_SHUTDOWN_REBOOT: reason = ShutdownReason::kReboot; break;
    case HV_SHUTDOWN_CRASH: reason = ShutdownReason::kCrash; break;
    default: return Value(HV_EINVAL);
  }
  domains::Shutdown(v.domain, reason);
  return {HV_OK, After::kStop};
}

constexpr Op kOps[] = {
    {HV_OP_NUMBER(HV_SCHED_YIELD), Yield},
    {HV_OP_NUMBER(HV_SCHED_SHUTDOWN), Shutdown},
};

}  // namespace

const Family kSchedFamily = {HV_FAMILY_SCHED, HV_SCHED_INTERFACE_VERSION, Permission::kSelf, kOps,
                             sizeof(kOps) / sizeof(kOps[0])};

}  // namespace hv::hypercall
