// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_EVTCHN: no ops yet (answers HV_ENOSYS).
#include "hv/core/hypercall.h"
#include "hv/hypercall.h"

namespace hv::hypercall {

// Not implemented yet: interface version 0.
const Family kEvtchnFamily = {HV_FAMILY_EVTCHN, 0, Permission::kSelf, nullptr, 0};

}  // namespace hv::hypercall
