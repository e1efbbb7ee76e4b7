// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_MEMORY (api/hv/memory.h): a domain's own memory. POPULATE and
// RELEASE are reserved (HV_ENOSYS, from the dispatcher) until the nested
// page tables can unmap.
#include "hv/core/domain.h"
#include "hv/core/domains.h"
#include "hv/core/hypercall.h"
#include "hv/memory.h"

namespace hv::hypercall {
namespace {

Result Query(Vcpu& v, const Args& a) {
  const Domain& d = *v.domain;
  hv_memory_info info{};
  info.memory_bytes = d.memory_bytes;
  info.max_memory_bytes = d.max_memory_bytes;
  info.pages = d.pages;
  if (!domains::CopyToGuest(*v.domain, GuestPhysAddr(a[0]), &info, sizeof(info))) {
    return Value(HV_EFAULT);
  }
  return Value(HV_OK);
}

constexpr Op kOps[] = {
    {HV_OP_NUMBER(HV_MEMORY_QUERY), Query},
};

}  // namespace

const Family kMemoryFamily = {HV_FAMILY_MEMORY, HV_MEMORY_INTERFACE_VERSION, Permission::kSelf,
                              kOps, sizeof(kOps) / sizeof(kOps[0])};

}  // namespace hv::hypercall
