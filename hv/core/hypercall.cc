// SPDX-License-Identifier: Apache-2.0
#include "hv/core/hypercall.h"

#include "hv/core/domain.h"
#include "hv/hypercall.h"
#include "hv/lib/hot.h"

namespace hv::hypercall {
namespace {

// Live patching comes later; it is privileged already, so that a domU
// probing it learns only HV_EPERM.
HV_HOT_RODATA constexpr Family kLivepatchFamily = {HV_FAMILY_LIVEPATCH, 0, Permission::kPrivileged, nullptr, 0};

// Every family, by HV_FAMILY_* number.
HV_HOT_RODATA const Family* const kFamilies[HV_FAMILY_COUNT] = {
    &kVersionFamily, &kConsoleFamily, &kSchedFamily,  &kVcpuFamily,     &kEvtchnFamily,
    &kMemoryFamily,  &kDomctlFamily,  &kSysctlFamily, &kLivepatchFamily,
};

char g_build_id[48] = "unknown";

}  // namespace

void SetBuildId(const char* hex) {
  size_t i = 0;
  for (; hex[i] && i + 1 < sizeof(g_build_id); ++i) g_build_id[i] = hex[i];
  g_build_id[i] = '\0';
}

const char* BuildId() { return g_build_id; }

// HV_VERSION_FAMILY's answer lives here, beside the table it reads.
HV_HOT Result FamilyVersion(uint64_t family) {
  if (family >= HV_FAMILY_COUNT || !kFamilies[family] || !kFamilies[family]->interface_version) {
    return Value(HV_ENOSYS);
  }
  return Value(kFamilies[family]->interface_version);
}

HV_HOT Result Dispatch(Vcpu& caller, uint64_t op, const Args& args) {
  const uint64_t family = HV_OP_FAMILY(op);
  if (op >> 16 || family >= HV_FAMILY_COUNT || !kFamilies[family]) return Value(HV_ENOSYS);
  const Family& f = *kFamilies[family];
  if (f.permission == Permission::kPrivileged && !caller.domain->privileged) {
    return Value(HV_EPERM);
  }
  for (size_t i = 0; i < f.op_count; ++i) {
    if (f.ops[i].number == HV_OP_NUMBER(op)) return f.ops[i].handler(caller, args);
  }
  return Value(HV_ENOSYS);
}

}  // namespace hv::hypercall
