// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_SYSCTL (api/hv/sysctl.h): what the machine is and how hv uses it,
// for a control domain.
#include "hv/core/arch.h"
#include "hv/core/domain.h"
#include "hv/core/domains.h"
#include "hv/core/heap.h"
#include "hv/core/hypercall.h"
#include "hv/lib/hot.h"
#include "hv/core/sched.h"
#include "hv/sysctl.h"
#include "hv/version.h"

namespace hv::hypercall {
namespace {

template <typename T>
int64_t Read(Vcpu& v, uint64_t gpa, T* arg) {
  if (!domains::CopyFromGuest(*v.domain, GuestPhysAddr(gpa), arg, sizeof(*arg))) return HV_EFAULT;
  if (arg->interface_version != HV_SYSCTL_INTERFACE_VERSION) return HV_EVERSION;
  return HV_OK;
}

template <typename T>
int64_t Write(Vcpu& v, uint64_t gpa, const T& arg) {
  return domains::CopyToGuest(*v.domain, GuestPhysAddr(gpa), &arg, sizeof(arg)) ? HV_OK : HV_EFAULT;
}

template <size_t N>
void CopyString(char (&dst)[N], const char* src) {
  for (size_t i = 0; i + 1 < N && src[i]; ++i) dst[i] = src[i];
}

Result Physinfo(Vcpu& v, const Args& a) {
  hv_sysctl_physinfo arg;
  if (const int64_t r = Read(v, a[0], &arg); r != HV_OK) return Value(r);
  if (arg.pad0) return Value(HV_EINVAL);
  hv_sysctl_physinfo out{};
  out.interface_version = HV_SYSCTL_INTERFACE_VERSION;
  uint32_t hw_id;
  bool online;
  for (uint32_t i = 0; arch::CpuInfo(i, &hw_id, &online); ++i) {
    ++out.cpus_known;
    out.cpus_online += online;
  }
  out.total_pages = heap::ManagedPageCount();
  out.free_pages = heap::FreePageCount();
  out.tsc_hz = arch::ClockHz();
  out.capabilities = HV_CAP_NPT | HV_CAP_SUPERPAGES;  // as HV_VERSION_GET says
  CopyString(out.build_id, BuildId());
  return Value(Write(v, a[0], out));
}

Result CpuTopology(Vcpu& v, const Args& a) {
  hv_sysctl_cpu_topology arg;
  if (const int64_t r = Read(v, a[0], &arg); r != HV_OK) return Value(r);
  if (arg.pad) return Value(HV_EINVAL);
  Domain& d = *v.domain;
  // The array is checked whole (max_cpus of it) before anything is written.
  if (arg.max_cpus) {
    const uint64_t bytes = uint64_t{arg.max_cpus} * sizeof(hv_sysctl_cpu);
    if (!domains::InRam(d, arg.cpus_gpa, bytes)) return Value(HV_EFAULT);
  }
  uint32_t count = 0;
  hv_sysctl_cpu cpu{};
  bool online;
  for (; arch::CpuInfo(count, &cpu.apic_id, &online); ++count) {
    if (count >= arg.max_cpus) continue;
    cpu.flags = online ? HV_SYSCTL_CPU_ONLINE : 0;
    if (!domains::CopyToGuest(d, GuestPhysAddr(arg.cpus_gpa + uint64_t{count} * sizeof(cpu)), &cpu,
                              sizeof(cpu))) {
      return Value(HV_EFAULT);
    }
  }
  arg.cpu_count = count;
  if (const int64_t r = Write(v, a[0], arg); r != HV_OK) return Value(r);
  return Value(count < arg.max_cpus ? count : arg.max_cpus);
}

Result SchedInfo(Vcpu& v, const Args& a) {
  hv_sysctl_sched_info arg;
  if (const int64_t r = Read(v, a[0], &arg); r != HV_OK) return Value(r);
  if (arg.pad0) return Value(HV_EINVAL);
  hv_sysctl_sched_info out{};
  out.interface_version = HV_SYSCTL_INTERFACE_VERSION;
  CopyString(out.name, sched::Name());
  out.default_slice_ns = sched::kDefaultSliceNs;  // not the caller's: that varies under credit2
  return Value(Write(v, a[0], out));
}

HV_HOT_RODATA constexpr Op kOps[] = {
    {HV_OP_NUMBER(HV_SYSCTL_PHYSINFO), Physinfo},
    {HV_OP_NUMBER(HV_SYSCTL_CPU_TOPOLOGY), CpuTopology},
    {HV_OP_NUMBER(HV_SYSCTL_SCHED_INFO), SchedInfo},
};

}  // namespace

HV_HOT_RODATA const Family kSysctlFamily = {HV_FAMILY_SYSCTL, HV_SYSCTL_INTERFACE_VERSION,
                              Permission::kPrivileged, kOps, sizeof(kOps) / sizeof(kOps[0])};

}  // namespace hv::hypercall
