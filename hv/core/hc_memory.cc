// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_MEMORY (api/hv/memory.h): a domain's own memory. QUERY, and
// ballooning: POPULATE and RELEASE (domains::PopulateRam, ReleaseRam).
#include "hv/core/domain.h"
#include "hv/core/domains.h"
#include "hv/core/hypercall.h"
#include "hv/lib/hot.h"
#include "hv/memory.h"

namespace hv::hypercall {
namespace {

static_assert(HV_MEMORY_MAX_PAGES == domains::kMaxRamPagesPerCall);

Result Query(Vcpu& v, const Args& a) {
  const Domain& d = *v.domain;
  hv_memory_info info{};
  info.memory_bytes = d.ram_pages * kPageSize;
  info.max_memory_bytes = d.max_memory_bytes;
  info.pages = d.pages;
  if (!domains::CopyToGuest(*v.domain, GuestPhysAddr(a[0]), &info, sizeof(info))) {
    return Value(HV_EFAULT);
  }
  return Value(HV_OK);
}

int64_t ToHv(domains::RamStatus st, uint64_t done) {
  switch (st) {
    case domains::RamStatus::kOk: return static_cast<int64_t>(done);
    case domains::RamStatus::kBadArgument: return HV_EINVAL;
    case domains::RamStatus::kOutside: return HV_EFAULT;
    case domains::RamStatus::kNotPopulated: return HV_ENOENT;
    case domains::RamStatus::kPinned: return HV_EBUSY;
    case domains::RamStatus::kPopulated: return HV_EEXIST;
    case domains::RamStatus::kOverMax:
    case domains::RamStatus::kNoMemory: return HV_ENOMEM;
  }
  return HV_EINVAL;
}

Result Populate(Vcpu& v, const Args& a) {
  return Value(ToHv(domains::PopulateRam(*v.domain, &v, GuestPhysAddr(a[0]), a[1]), a[1]));
}

Result Release(Vcpu& v, const Args& a) {
  return Value(ToHv(domains::ReleaseRam(*v.domain, &v, GuestPhysAddr(a[0]), a[1]), a[1]));
}

HV_HOT_RODATA constexpr Op kOps[] = {
    {HV_OP_NUMBER(HV_MEMORY_QUERY), Query},
    {HV_OP_NUMBER(HV_MEMORY_POPULATE), Populate},
    {HV_OP_NUMBER(HV_MEMORY_RELEASE), Release},
};

}  // namespace

HV_HOT_RODATA const Family kMemoryFamily = {HV_FAMILY_MEMORY, HV_MEMORY_INTERFACE_VERSION, Permission::kSelf,
                              kOps, sizeof(kOps) / sizeof(kOps[0])};

}  // namespace hv::hypercall
