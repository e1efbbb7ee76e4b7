// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_CONSOLE (api/hv/console.h).
#include "hv/console.h"

#include "hv/core/domain.h"
#include "hv/core/domains.h"
#include "hv/core/hypercall.h"
#include "hv/lib/hot.h"

namespace hv::hypercall {
namespace {

Result Write(Vcpu& v, const Args& a) {
  const uint64_t gpa = a[0], len = a[1];
  if (len > HV_CONSOLE_WRITE_MAX) return Value(HV_EINVAL);
  // Checked whole before any byte is printed: all or nothing.
  if (!domains::InRam(*v.domain, gpa, len)) return Value(HV_EFAULT);
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

Result Read(Vcpu& v, const Args& a) {
  hv_console_read req;
  if (!domains::CopyFromGuest(*v.domain, GuestPhysAddr(a[0]), &req, sizeof(req))) {
    return Value(HV_EFAULT);
  }
  if (req.interface_version != HV_CONSOLE_INTERFACE_VERSION) return Value(HV_EVERSION);
  if (req.size > HV_CONSOLE_WRITE_MAX) return Value(HV_EINVAL);
  if (req.domain_id != v.domain->id && !v.domain->privileged) return Value(HV_EPERM);
  if (!domains::InRam(*v.domain, req.buffer_gpa, req.size)) return Value(HV_EFAULT);
  const domains::DomainRef d = domains::Get(req.domain_id);
  if (!d) return Value(HV_ESRCH);
  char chunk[HV_CONSOLE_WRITE_MAX];
  req.returned = domains::ConsoleRead(d.get(), &req.position, chunk, req.size, &req.end);
  if (!domains::CopyToGuest(*v.domain, GuestPhysAddr(req.buffer_gpa), chunk, req.returned) ||
      !domains::CopyToGuest(*v.domain, GuestPhysAddr(a[0]), &req, sizeof(req))) {
    return Value(HV_EFAULT);
  }
  return Value(HV_OK);
}

static_assert(Domain::kInputRing == HV_CONSOLE_INPUT_QUEUE);

Result Input(Vcpu& v, const Args& a) {
  const uint64_t gpa = a[0], len = a[1];
  if (len > HV_CONSOLE_WRITE_MAX) return Value(HV_EINVAL);
  if (!domains::InRam(*v.domain, gpa, len)) return Value(HV_EFAULT);
  char chunk[HV_CONSOLE_WRITE_MAX];
  const uint32_t n = domains::ConsoleInputPeek(*v.domain, chunk, static_cast<uint32_t>(len));
  // Taken only once they are the domain's: a bad buffer loses no input.
  if (!domains::CopyToGuest(*v.domain, GuestPhysAddr(gpa), chunk, n)) return Value(HV_EFAULT);
  domains::ConsoleInputDone(*v.domain, n);
  return Value(n);
}

HV_HOT_RODATA constexpr Op kOps[] = {
    {HV_OP_NUMBER(HV_CONSOLE_WRITE), Write},
    {HV_OP_NUMBER(HV_CONSOLE_READ), Read},
    {HV_OP_NUMBER(HV_CONSOLE_INPUT), Input},
};

}  // namespace

HV_HOT_RODATA const Family kConsoleFamily = {HV_FAMILY_CONSOLE, HV_CONSOLE_INTERFACE_VERSION,
                                             Permission::kSelf, kOps,
                                             sizeof(kOps) / sizeof(kOps[0])};

}  // namespace hv::hypercall
