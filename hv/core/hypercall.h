// SPDX-License-Identifier: Apache-2.0
// Hypercall dispatch: permission (by family) before anything else, then the
// op's handler. Each op family lives in its own file (hc_<family>.cc) and is
// listed in hypercall.cc. Architecture-neutral: the arch passes the op and
// the arguments from the guest's registers.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/core/vcpu.h"

namespace hv::hypercall {

// What the calling vCPU does after the call returns its value.
// kOffline: the vCPU leaves its CPU and stays offline until HV_VCPU_UP.
enum class After : uint8_t { kContinue, kYield, kBlock, kStop, kOffline };

struct Result {
  int64_t value;
  After after;
};

inline constexpr Result Value(int64_t v) { return {v, After::kContinue}; }

using Args = uint64_t[5];
using Handler = Result (*)(Vcpu& caller, const Args& args);

enum class Permission : uint8_t {
  kAnyone,      // any domain
  kSelf,        // any domain, acting on itself
  kPrivileged,  // only a privileged (control) domain
};

struct Op {
  uint8_t number;  // HV_OP_NUMBER
  Handler handler;
};

struct Family {
  uint32_t id;                 // HV_FAMILY_*
  uint32_t interface_version;  // what HV_VERSION_FAMILY answers
  Permission permission;       // checked before the op is looked up
  const Op* ops;
  size_t op_count;
};

Result Dispatch(Vcpu& caller, uint64_t op, const Args& args);

// hv's build id, for HV_VERSION_GET.
void SetBuildId(const char* hex);
const char* BuildId();

// The families (hc_*.cc).
extern const Family kVersionFamily;
extern const Family kConsoleFamily;
extern const Family kSchedFamily;
extern const Family kVcpuFamily;
extern const Family kEvtchnFamily;
extern const Family kMemoryFamily;
extern const Family kDomctlFamily;
extern const Family kSysctlFamily;

}  // namespace hv::hypercall
