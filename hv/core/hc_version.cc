// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_VERSION: discovery. Stable forever (api/hv/version.h).
#include "hv/core/domain.h"
#include "hv/core/domains.h"
#include "hv/core/hypercall.h"
#include "hv/core/version.h"
#include "hv/lib/hot.h"
#include "hv/version.h"

namespace hv::hypercall {

Result FamilyVersion(uint64_t family);  // hypercall.cc

namespace {

Result Get(Vcpu& v, const Args& a) {
  hv_version_info info{};
  info.major = HV_VERSION_MAJOR;
  info.minor = HV_VERSION_MINOR;
  info.patch = HV_VERSION_PATCH;
  info.domain_id = v.domain->id;
  info.vcpu_id = v.id;
  info.capabilities = HV_CAP_NPT | HV_CAP_SUPERPAGES;
  const char* id = BuildId();
  for (size_t i = 0; i + 1 < sizeof(info.build_id) && id[i]; ++i) info.build_id[i] = id[i];
  if (!domains::CopyToGuest(*v.domain, GuestPhysAddr(a[0]), &info, sizeof(info))) {
    return Value(HV_EFAULT);
  }
  return Value(HV_OK);
}

// The null hypercall of the exit benchmark (tests/bench/exit_bench.py).
HV_HOT Result FamilyOf(Vcpu&, const Args& a) { return FamilyVersion(a[0]); }

HV_HOT_RODATA constexpr Op kOps[] = {
    {HV_OP_NUMBER(HV_VERSION_GET), Get},
    {HV_OP_NUMBER(HV_VERSION_FAMILY), FamilyOf},
};

}  // namespace

HV_HOT_RODATA const Family kVersionFamily = {HV_FAMILY_VERSION, 1, Permission::kAnyone, kOps,
                               sizeof(kOps) / sizeof(kOps[0])};

}  // namespace hv::hypercall
