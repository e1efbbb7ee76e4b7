// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_MEMORY: no ops yet (answers HV_ENOSYS).
#include "hv/core/hypercall.h"
#include "hv/hypercall.h"

namespace hv::hypercall {

// Not implemented yet: interface version 0.
const Family kMemoryFamily = {HV_FAMILY_MEMORY, 0, Permission::kSelf, nullptr, 0};

}  // namespace hv::hypercall
