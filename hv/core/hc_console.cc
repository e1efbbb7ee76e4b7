// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_CONSOLE (api/hv/console.h).
#include "hv/console.h"

#include "hv/core/domain.h"
#include "hv/core/domains.h"
#include "hv/core/hypercall.h"

namespace hv::hypercall {
namespace {

Result Write(Vcpu& v, const Args& a) {
  const uint64_t gpa = a[0], len = a[1];
  if (len > HV_CONSOLE_WRITE_MAX) return Value(HV_EINVAL);
  // Checked whole before any byte is printed: all or nothing.
  if (gpa > v.domain->memory_bytes || len > v.domain->memory_bytes - gpa) return Value(HV_EFAULT);
  char chunk[128];
  for (uint64_t done = 0; done < len;) {
    const uint64_t n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
    if (!domains::CopyFromGuest(*v.domain, GuestPhysAddr(gpa + done), chunk, n)) {
      return Value(HV_EFAULT);
    }
    domains::ConsoleWrite(v.domain, chunk, n);
    done += n;
  }
  return Value(static_cast<int64_t>(len));
}

constexpr Op kOps[] = {
    {HV_OP_NUMBER(HV_CONSOLE_WRITE), Write},
};

}  // namespace

const Family kConsoleFamily = {HV_FAMILY_CONSOLE, HV_CONSOLE_INTERFACE_VERSION, Permission::kSelf,
                               kOps, sizeof(kOps) / sizeof(kOps[0])};

}  // namespace hv::hypercall
