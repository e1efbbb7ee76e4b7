// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_DOMCTL: no ops yet (answers HV_ENOSYS, after HV_EPERM for domUs).
#include "hv/core/hypercall.h"
#include "hv/hypercall.h"

namespace hv::hypercall {

// Not implemented yet: interface version 0.
const Family kDomctlFamily = {HV_FAMILY_DOMCTL, 0, Permission::kPrivileged, nullptr, 0};

}  // namespace hv::hypercall
