// SPDX-License-Identifier: Apache-2.0
#include "hv/core/hypercall.h"

#include "hv/console.h"
#include "hv/core/domain.h"
#include "hv/core/domains.h"
#include "hv/core/version.h"
#include "hv/hypercall.h"
#include "hv/sched.h"
#include "hv/version.h"

namespace hv::hypercall {
namespace {

enum class Permission : uint8_t { kAnyone, kSelf, kPrivileged };

// Who may call each family; checked before the op is even looked up, so a
// domU probing a control op learns only HV_EPERM.
constexpr Permission kFamilyPermission[HV_FAMILY_COUNT] = {
    Permission::kAnyone,      // version
    Permission::kSelf,        // console
    Permission::kSelf,        // sched
    Permission::kSelf,        // vcpu
    Permission::kSelf,        // evtchn
    Permission::kSelf,        // memory
    Permission::kPrivileged,  // domctl
    Permission::kPrivileged,  // sysctl
    Permission::kPrivileged,  // livepatch
};

// Interface versions of the families hv implements; 0 = not implemented.
constexpr uint32_t kFamilyVersion[HV_FAMILY_COUNT] = {
    1, HV_CONSOLE_INTERFACE_VERSION, HV_SCHED_INTERFACE_VERSION, 0, 0, 0, 0, 0, 0};

char g_build_id[48] = "unknown";

using Handler = Result (*)(Vcpu&, const uint64_t (&)[5]);
struct Op {
  uint64_t op;
  Handler handler;
};

Result Value(int64_t v) { return {v, After::kContinue}; }

Result VersionGet(Vcpu& v, const uint64_t (&a)[5]) {
  hv_version_info info{};
  info.major = HV_VERSION_MAJOR;
  info.minor = HV_VERSION_MINOR;
  info.patch = HV_VERSION_PATCH;
  info.domain_id = v.domain->id;
  info.vcpu_id = v.id;
  info.capabilities = HV_CAP_NPT | HV_CAP_SUPERPAGES;
  for (size_t i = 0; i + 1 < sizeof(info.build_id) && g_build_id[i]; ++i) {
    info.build_id[i] = g_build_id[i];
  }
  if (!domains::CopyToGuest(*v.domain, GuestPhysAddr(a[0]), &info, sizeof(info))) {
    return Value(HV_EFAULT);
  }
  return Value(HV_OK);
}

Result VersionFamily(Vcpu&, const uint64_t (&a)[5]) {
  if (a[0] >= HV_FAMILY_COUNT || !kFamilyVersion[a[0]]) return Value(HV_ENOSYS);
  return Value(kFamilyVersion[a[0]]);
}

Result ConsoleWrite(Vcpu& v, const uint64_t (&a)[5]) {
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

Result SchedYield(Vcpu&, const uint64_t (&)[5]) { return {HV_OK, After::kYield}; }

Result SchedShutdown(Vcpu& v, const uint64_t (&a)[5]) {
  ShutdownReason reason;
  switch (a[0]) {
    case HV_SHUTDOWN_POWEROFF: reason = ShutdownReason::kPoweroff; break;
    case HV_SHUTDOWN_REBOOT: reason = ShutdownReason::kReboot; break;
    case HV_SHUTDOWN_CRASH: reason = ShutdownReason::kCrash; break;
    default: return Value(HV_EINVAL);
  }
  domains::Shutdown(v.domain, reason);
  return {HV_OK, After::kStop};
}

constexpr Op kOps[] = {
    {HV_VERSION_GET, VersionGet},
    {HV_VERSION_FAMILY, VersionFamily},
    {HV_CONSOLE_WRITE, ConsoleWrite},
    {HV_SCHED_YIELD, SchedYield},
    {HV_SCHED_SHUTDOWN, SchedShutdown},
};

}  // namespace

void SetBuildId(const char* hex) {
  size_t i = 0;
  for (; hex[i] && i + 1 < sizeof(g_build_id); ++i) g_build_id[i] = hex[i];
  g_build_id[i] = '\0';
}

Result Dispatch(Vcpu& caller, uint64_t op, const uint64_t (&args)[5]) {
  const uint64_t family = HV_OP_FAMILY(op);
  if (op >> 16 || family >= HV_FAMILY_COUNT) return Value(HV_ENOSYS);
  if (kFamilyPermission[family] == Permission::kPrivileged && !caller.domain->privileged) {
    return Value(HV_EPERM);
  }
  for (const Op& o : kOps) {
    if (o.op == op) return o.handler(caller, args);
  }
  return Value(HV_ENOSYS);
}

}  // namespace hv::hypercall
