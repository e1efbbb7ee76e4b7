// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_VCPU: no ops yet (answers HV_ENOSYS).
#include "hv/core/hypercall.h"
#include "hv/hypercall.h"

namespace hv::hypercall {

// Not implemented yet: interface version 0.
const Family kVcpuFamily = {HV_FAMILY_VCPU, 0, Permission::kSelf, nullptr, 0};

}  // namespace hv::hypercall
