// SPDX-License-Identifier: Apache-2.0
// Hypercall dispatch: permission (by family) before anything else, then the
// op's handler. Architecture-neutral: the arch passes the op and arguments.
#pragma once

#include <stdint.h>

#include "hv/core/vcpu.h"

namespace hv::hypercall {

// What the calling vCPU does after the call returns its value.
enum class After : uint8_t { kContinue, kYield, kBlock, kStop };

struct Result {
  int64_t value;
  After after;
};

Result Dispatch(Vcpu& caller, uint64_t op, const uint64_t (&args)[5]);

// hv's build id, for HV_VERSION_GET.
void SetBuildId(const char* hex);

}  // namespace hv::hypercall
