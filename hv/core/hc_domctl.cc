// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_DOMCTL (api/hv/domctl.h): a control domain creates, inspects and
// destroys other domains. Every op reads its structure, checks the interface
// version, then the padding, then its arguments (the order the header gives).
#include "hv/core/arch.h"
#include "hv/core/domain.h"
#include "hv/core/domain_config.h"
#include "hv/core/domains.h"
#include "hv/core/heap.h"
#include "hv/core/hypercall.h"
#include "hv/lib/hot.h"
#include "hv/core/sched.h"
#include "hv/domctl.h"
#include "hv/lib/spinlock.h"
#include "hv/sched.h"

namespace hv::hypercall {
namespace {

static_assert(HV_DOMAIN_NAME_SIZE == sizeof(Domain::name));
static_assert(HV_DOMAIN_MAX_VCPUS == kMaxVcpus);
static_assert(HV_DOMAIN_MIN_MEMORY == kMinDomainMemory);
static_assert(HV_DOMAIN_MAX_MEMORY == kMaxDomainMemory);
static_assert(HV_DOMAIN_MEMORY_ALIGN == kPageSize);

// One domctl at a time (as Xen's domctl lock): a domain looked up by one op
// is not destroyed by another meanwhile, and names stay unique.
SpinLock g_domctl_lock;

// Reads the op's structure and checks its version.
template <typename T>
int64_t Read(Vcpu& v, uint64_t gpa, T* arg) {
  if (!domains::CopyFromGuest(*v.domain, GuestPhysAddr(gpa), arg, sizeof(*arg))) return HV_EFAULT;
  if (arg->interface_version != HV_DOMCTL_INTERFACE_VERSION) return HV_EVERSION;
  return HV_OK;
}

template <typename T>
int64_t Write(Vcpu& v, uint64_t gpa, const T& arg) {
  return domains::CopyToGuest(*v.domain, GuestPhysAddr(gpa), &arg, sizeof(arg)) ? HV_OK : HV_EFAULT;
}

bool HasNotStarted(DomainState s) {
  return s == DomainState::kCreated || s == DomainState::kPaused;
}

bool SameName(const char* a, const char* b) {
  size_t i = 0;
  for (; a[i] && a[i] == b[i]; ++i) {
  }
  return a[i] == b[i];
}

// A name as CREATE takes it: 1..31 of [A-Za-z0-9_.-], a NUL, then zeros.
bool ValidName(const char (&name)[HV_DOMAIN_NAME_SIZE]) {
  size_t n = 0;
  for (; n < sizeof(name) && name[n]; ++n) {
    const char c = name[n];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  if (n == 0 || n == sizeof(name)) return false;
  for (size_t i = n; i < sizeof(name); ++i) {
    if (name[i]) return false;
  }
  return true;
}

int64_t FromStatus(domains::Status s) {
  switch (s) {
    case domains::Status::kOk:
      return HV_OK;
    case domains::Status::kNoMemory:
      return HV_ENOMEM;
    case domains::Status::kBadArgument:
      return HV_EINVAL;
    case domains::Status::kNoSlot:
      return HV_ENOSPC;
    case domains::Status::kNotFound:
      return HV_ESRCH;
    case domains::Status::kBusy:
      return HV_EBUSY;
  }
  return HV_EINVAL;
}

Result Create(Vcpu& v, const Args& a) {
  hv_domctl_create arg;
  if (const int64_t r = Read(v, a[0], &arg); r != HV_OK) return Value(r);
  if (!ValidName(arg.name) || arg.memory_bytes % HV_DOMAIN_MEMORY_ALIGN ||
      arg.memory_bytes < HV_DOMAIN_MIN_MEMORY || arg.memory_bytes > HV_DOMAIN_MAX_MEMORY ||
      arg.vcpus < 1 || arg.vcpus > HV_DOMAIN_MAX_VCPUS || arg.weight < 1 ||
      arg.weight > HV_DOMAIN_MAX_WEIGHT || arg.cap > 100 * arg.vcpus || arg.flags) {
    return Value(HV_EINVAL);
  }
  SpinGuard guard(g_domctl_lock);
  for (uint32_t id = 0; id < kMaxDomains; ++id) {
    const domains::DomainRef o = domains::Get(id);
    if (o && SameName(o->name, arg.name)) return Value(HV_EEXIST);
  }
  // Far more than there is: refused before anything is allocated. (Nearly
  // enough is found out by trying; Create then gives back what it took.)
  if (arg.memory_bytes / kPageSize > heap::FreePageCount()) return Value(HV_ENOMEM);
  DomainParams p;
  p.name = arg.name;
  p.memory_bytes = arg.memory_bytes;
  p.vcpus = arg.vcpus;
  p.weight = arg.weight;
  p.cap = arg.cap;
  Domain* d = nullptr;
  const domains::Status st = domains::Create(p, &d);
  if (st != domains::Status::kOk) return Value(FromStatus(st));
  arg.domain_id = d->id;
  if (Write(v, a[0], arg) != HV_OK) {
    // Cannot happen (the structure was just read there), but never leak it.
    d->state = DomainState::kDead;
    (void)domains::Destroy(d);
    return Value(HV_EFAULT);
  }
  return Value(HV_OK);
}

Result Destroy(Vcpu& v, const Args& a) {
  hv_domctl_domain arg;
  if (const int64_t r = Read(v, a[0], &arg); r != HV_OK) return Value(r);
  SpinGuard guard(g_domctl_lock);
  const domains::DomainRef d = domains::Get(arg.domain_id);
  if (!d) return Value(HV_ESRCH);
  if (d.get() == v.domain) return Value(HV_EINVAL);
  {
    SpinGuard dg(d->lock);
    // A domain that never started has no vCPU on any CPU or queue: it is
    // dead as it stands.
    if (HasNotStarted(d->state)) d->state = DomainState::kDead;
    if (d->state != DomainState::kDead) return Value(HV_EBUSY);
  }
  return Value(FromStatus(domains::Destroy(d.get())));
}

Result Pause(Vcpu& v, const Args& a) {
  hv_domctl_domain arg;
  if (const int64_t r = Read(v, a[0], &arg); r != HV_OK) return Value(r);
  SpinGuard guard(g_domctl_lock);
  const domains::DomainRef d = domains::Get(arg.domain_id);
  if (!d) return Value(HV_ESRCH);
  if (d.get() == v.domain) return Value(HV_EINVAL);
  {
    SpinGuard dg(d->lock);
    if (HasNotStarted(d->state)) {
      d->state = DomainState::kPaused;
      return Value(HV_OK);
    }
    if (d->state != DomainState::kRunning) return Value(HV_EBUSY);
    d->paused.store(true);
  }
  // A running domain: each vCPU leaves its CPU at its next exit; wait until
  // none is still in the guest, as a pause that returns must hold.
  for (uint32_t i = 0; i < d->vcpu_count; ++i) {
    Vcpu* t = d->vcpus[i];
    if (t->state == VcpuState::kRunning) {
      sched::SetNeedResched(t->cpu);
      arch::KickCpu(t->cpu);
    }
  }
  const uint64_t give_up = arch::NowNs() + 1000000000;
  for (uint32_t i = 0; i < d->vcpu_count; ++i) {
    while (d->vcpus[i]->state == VcpuState::kRunning && arch::NowNs() < give_up) {
    }
  }
  return Value(HV_OK);
}

Result Unpause(Vcpu& v, const Args& a) {
  hv_domctl_domain arg;
  if (const int64_t r = Read(v, a[0], &arg); r != HV_OK) return Value(r);
  SpinGuard guard(g_domctl_lock);
  const domains::DomainRef d = domains::Get(arg.domain_id);
  if (!d) return Value(HV_ESRCH);
  if (d.get() == v.domain) return Value(HV_EINVAL);
  SpinGuard dg(d->lock);
  switch (d->state) {
    case DomainState::kPaused:
      d->state = DomainState::kCreated;
      return Value(HV_OK);
    case DomainState::kRunning:
      if (d->paused.exchange(false)) {
        // Back on the CPUs: a wake-up that was truly for nothing only makes a
        // halted vCPU look again.
        for (uint32_t i = 0; i < d->vcpu_count; ++i) sched::Wake(d->vcpus[i]);
      }
      return Value(HV_OK);
    case DomainState::kCreated:
      return Value(HV_OK);
    case DomainState::kShuttingDown:
    case DomainState::kDead:
      return Value(HV_EBUSY);
  }
  return Value(HV_EBUSY);
}

uint32_t StateOf(DomainState s) {
  switch (s) {
    case DomainState::kCreated:
      return HV_DOMAIN_STATE_CREATED;
    case DomainState::kRunning:
      return HV_DOMAIN_STATE_RUNNING;
    case DomainState::kPaused:
      return HV_DOMAIN_STATE_PAUSED;
    case DomainState::kShuttingDown:
      return HV_DOMAIN_STATE_SHUTTING_DOWN;
    case DomainState::kDead:
      return HV_DOMAIN_STATE_DEAD;
  }
  return HV_DOMAIN_STATE_DEAD;
}

uint32_t StateOf(const Domain& d) {
  if (d.state == DomainState::kRunning && d.paused.load()) return HV_DOMAIN_STATE_PAUSED;
  return StateOf(d.state);
}

uint32_t ReasonOf(ShutdownReason r) {
  switch (r) {
    case ShutdownReason::kNone:
      return HV_DOMCTL_NO_SHUTDOWN;
    case ShutdownReason::kPoweroff:
      return HV_SHUTDOWN_POWEROFF;
    case ShutdownReason::kReboot:
      return HV_SHUTDOWN_REBOOT;
    case ShutdownReason::kCrash:
      return HV_SHUTDOWN_CRASH;
  }
  return HV_DOMCTL_NO_SHUTDOWN;
}

Result Info(Vcpu& v, const Args& a) {
  hv_domctl_info arg;
  if (const int64_t r = Read(v, a[0], &arg); r != HV_OK) return Value(r);
  hv_domctl_info out{};
  out.interface_version = HV_DOMCTL_INTERFACE_VERSION;
  out.domain_id = arg.domain_id;
  {
    SpinGuard guard(g_domctl_lock);
    const domains::DomainRef d = domains::Get(arg.domain_id);
    if (!d) return Value(HV_ESRCH);
    {
      SpinGuard dg(d->lock);
      out.state = StateOf(*d);
      out.shutdown_reason = ReasonOf(d->reason);
    }
    out.memory_bytes = d->memory_bytes;
    out.max_memory_bytes = d->max_memory_bytes;
    out.pages = d->pages;
    {
      SpinGuard mg(d->memory_lock);
      out.ram_bytes = d->ram_pages * kPageSize;
    }
    out.vcpus = d->vcpu_count;
    out.weight = d->weight;
    out.cap = d->cap;
    out.flags = d->privileged ? HV_DOMCTL_INFO_PRIVILEGED : 0;
    for (size_t i = 0; i + 1 < sizeof(out.name) && d->name[i]; ++i) out.name[i] = d->name[i];
  }
  return Value(Write(v, a[0], out));
}

Result List(Vcpu& v, const Args& a) {
  hv_domctl_list arg;
  if (const int64_t r = Read(v, a[0], &arg); r != HV_OK) return Value(r);
  if (arg.pad) return Value(HV_EINVAL);
  uint32_t ids[kMaxDomains];
  uint32_t total = 0;
  {
    SpinGuard guard(g_domctl_lock);
    for (uint32_t id = 0; id < kMaxDomains; ++id) {
      if (domains::Get(id)) ids[total++] = id;
    }
  }
  const uint32_t n = arg.max_ids < total ? arg.max_ids : total;
  // The array is checked whole (max_ids of it) before anything is written.
  if (arg.max_ids) {
    const uint64_t bytes = uint64_t{arg.max_ids} * sizeof(uint32_t);
    if (!domains::InRam(*v.domain, arg.ids_gpa, bytes)) return Value(HV_EFAULT);
  }
  if (n && !domains::CopyToGuest(*v.domain, GuestPhysAddr(arg.ids_gpa), ids, n * sizeof(ids[0]))) {
    return Value(HV_EFAULT);
  }
  arg.total = total;
  if (const int64_t r = Write(v, a[0], arg); r != HV_OK) return Value(r);
  return Value(n);
}

Result SetMaxMemory(Vcpu& v, const Args& a) {
  hv_domctl_max_memory arg;
  if (const int64_t r = Read(v, a[0], &arg); r != HV_OK) return Value(r);
  SpinGuard guard(g_domctl_lock);
  const domains::DomainRef d = domains::Get(arg.domain_id);
  if (!d) return Value(HV_ESRCH);
  if (arg.max_memory_bytes % HV_DOMAIN_MEMORY_ALIGN) return Value(HV_EINVAL);
  // Below what it holds now (HV_MEMORY_RELEASE lowers that) is refused.
  if (arg.max_memory_bytes < d->ram_pages * kPageSize ||
      arg.max_memory_bytes > HV_DOMAIN_MAX_MEMORY) {
    return Value(HV_ERANGE);
  }
  d->max_memory_bytes = arg.max_memory_bytes;
  return Value(HV_OK);
}

Result SetVcpuCount(Vcpu& v, const Args& a) {
  hv_domctl_vcpu_count arg;
  if (const int64_t r = Read(v, a[0], &arg); r != HV_OK) return Value(r);
  if (arg.pad) return Value(HV_EINVAL);
  SpinGuard guard(g_domctl_lock);
  const domains::DomainRef d = domains::Get(arg.domain_id);
  if (!d) return Value(HV_ESRCH);
  if (arg.vcpus < 1 || arg.vcpus > HV_DOMAIN_MAX_VCPUS || d->cap > 100 * arg.vcpus) {
    return Value(HV_EINVAL);
  }
  return Value(FromStatus(domains::SetVcpuCount(d.get(), arg.vcpus)));
}

// The CPUs that are online now, as a mask.
uint64_t OnlineCpus() {
  uint64_t mask = 0;
  uint32_t hw_id;
  bool online;
  for (uint32_t i = 0; i < 64 && arch::CpuInfo(i, &hw_id, &online); ++i) {
    if (online) mask |= uint64_t{1} << i;
  }
  return mask;
}

Result SetVcpuAffinity(Vcpu& v, const Args& a) {
  hv_domctl_vcpu_affinity arg;
  if (const int64_t r = Read(v, a[0], &arg); r != HV_OK) return Value(r);
  if (arg.pad) return Value(HV_EINVAL);
  SpinGuard guard(g_domctl_lock);
  const domains::DomainRef d = domains::Get(arg.domain_id);
  if (!d) return Value(HV_ESRCH);
  if (!arg.cpu_mask || arg.cpu_mask & ~OnlineCpus()) return Value(HV_EINVAL);
  // Under the domain's lock, as HV_VCPU_UP claims an offline vCPU.
  SpinGuard dg(d->lock);
  if (arg.vcpu >= d->vcpu_count) return Value(HV_ENOENT);
  if (d->state == DomainState::kShuttingDown || d->state == DomainState::kDead ||
      d->vcpus[arg.vcpu]->state != VcpuState::kOffline) {
    return Value(HV_EBUSY);
  }
  d->vcpus[arg.vcpu]->affinity = arg.cpu_mask;
  return Value(HV_OK);
}

HV_HOT_RODATA constexpr Op kOps[] = {
    {HV_OP_NUMBER(HV_DOMCTL_CREATE), Create},
    {HV_OP_NUMBER(HV_DOMCTL_DESTROY), Destroy},
    {HV_OP_NUMBER(HV_DOMCTL_PAUSE), Pause},
    {HV_OP_NUMBER(HV_DOMCTL_UNPAUSE), Unpause},
    {HV_OP_NUMBER(HV_DOMCTL_INFO), Info},
    {HV_OP_NUMBER(HV_DOMCTL_LIST), List},
    {HV_OP_NUMBER(HV_DOMCTL_SET_MAX_MEMORY), SetMaxMemory},
    {HV_OP_NUMBER(HV_DOMCTL_SET_VCPU_COUNT), SetVcpuCount},
    {HV_OP_NUMBER(HV_DOMCTL_SET_VCPU_AFFINITY), SetVcpuAffinity},
};

}  // namespace

HV_HOT_RODATA const Family kDomctlFamily = {HV_FAMILY_DOMCTL, HV_DOMCTL_INTERFACE_VERSION,
                              Permission::kPrivileged, kOps, sizeof(kOps) / sizeof(kOps[0])};

}  // namespace hv::hypercall
