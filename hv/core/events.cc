// SPDX-License-Identifier: Apache-2.0
#include "hv/core/events.h"

#include <new>

#include "hv/core/arch.h"
#include "hv/core/domains.h"
#include "hv/core/heap.h"
#include "hv/core/sched.h"
#include "hv/lib/format.h"
#include "hv/lib/spinlock.h"

namespace hv {

struct Port {
  uint8_t state;  // HV_EVTCHN_*
  uint8_t pad[3];
  uint32_t vcpu;
  uint32_t remote_domain;
  uint32_t remote;  // the remote port (interdomain) or the virq
};

struct DomainEvents {
  hv_event_page* page;  // in the domain's own memory; null until HV_EVTCHN_INIT
  Port ports[HV_EVTCHN_PORTS];
  uint16_t virq_port[kMaxVcpus][HV_VIRQ_COUNT];
};

namespace events {
namespace {

// One lock for every port of every domain, always taken with interrupts off
// (timers raise VIRQs from interrupt context). Simple and safe against a
// domain being destroyed under a sender; per-domain locks can come later.
SpinLock g_lock;
constexpr unsigned kOrder = 3;  // 32 KiB for DomainEvents
static_assert(sizeof(DomainEvents) <= kPageSize << kOrder);

class Locked {
 public:
  Locked() : flags_(arch::IrqSave()) { g_lock.Lock(); }
  ~Locked() {
    g_lock.Unlock();
    arch::IrqRestore(flags_);
  }

 private:
  uint64_t flags_;
};

DomainEvents* Ensure(Domain& d) {
  if (d.events) return d.events;
  const PhysAddr pa = heap::AllocPages(kOrder);
  if (!pa.value()) return nullptr;
  d.pages += uint64_t{1} << kOrder;
  d.events = new (arch::PhysToVirt(pa)) DomainEvents();
  return d.events;
}

bool Valid(uint64_t port) { return port > 0 && port < HV_EVTCHN_PORTS; }

int64_t FreePort(DomainEvents& e) {
  for (uint32_t p = 1; p < HV_EVTCHN_PORTS; ++p) {
    if (e.ports[p].state == HV_EVTCHN_CLOSED) return p;
  }
  return HV_ENOSPC;
}

bool Polls(const Vcpu& v, uint32_t port) {
  if (!v.polling.load()) return false;
  for (uint32_t i = 0; i < v.poll_count; ++i) {
    if (v.poll_ports[i] == port) return true;
  }
  return false;
}

// Sets the port pending and, unless masked, raises its vCPU's upcall.
void RaiseLocked(Domain& d, uint32_t port) {
  DomainEvents* e = d.events;
  if (!e || !e->page) return;
  const uint64_t bit = uint64_t{1} << (port % 64);
  __atomic_fetch_or(&e->page->pending[port / 64], bit, __ATOMIC_SEQ_CST);
  const uint32_t vcpu = e->ports[port].vcpu;
  if (vcpu >= d.vcpu_count) return;
  Vcpu& v = *d.vcpus[vcpu];
  // A vCPU polling for this port wakes, masked or not (HV_SCHED_POLL).
  if (Polls(v, port)) Kick(v, false);
  if (__atomic_load_n(&e->page->mask[port / 64], __ATOMIC_SEQ_CST) & bit) return;
  Kick(v, true);
}

// The domain behind an id, if it can take events (not dying).
Domain* Live(uint64_t id) {
  Domain* d = id < kMaxDomains ? domains::Find(static_cast<uint32_t>(id)) : nullptr;
  if (!d || d->state == DomainState::kDead || d->state == DomainState::kShuttingDown) return nullptr;
  return d;
}

}  // namespace

void Kick(Vcpu& v, bool upcall) {
  if (upcall) {
    v.upcall_pending.store(true);
    if (v.polling.load()) return;  // it waits for its polled ports only
  } else {
    v.wake_pending.store(true);
  }
  sched::Wake(&v);  // if it is blocked
  // If it is in the guest on another CPU, an IPI makes it exit and take the upcall.
  if (v.state == VcpuState::kRunning && v.cpu != arch::CpuIndex()) arch::KickCpu(v.cpu);
}

int64_t Init(Domain& d, uint64_t gpa) {
  if (gpa % kPageSize || gpa >= d.memory_bytes) return HV_EFAULT;
  Locked guard;
  DomainEvents* e = Ensure(d);
  if (!e) return HV_ENOMEM;
  if (e->page) return HV_EEXIST;
  // hv keeps a pointer to the page: pinned, the domain cannot release it.
  const PhysAddr hpa = domains::PinPage(d, GuestPhysAddr(gpa));
  if (!hpa.value()) return HV_EFAULT;
  e->page = static_cast<hv_event_page*>(arch::PhysToVirt(hpa));
  return HV_OK;
}

int64_t SetUpcall(Vcpu& v, uint64_t vector) {
  if (vector != 0 && (vector < 32 || vector > 255)) return HV_EINVAL;
  v.upcall_vector = static_cast<uint8_t>(vector);
  return HV_OK;
}

int64_t AllocUnbound(Domain& d, uint64_t remote) {
  Locked guard;
  if (!Live(remote)) return HV_ESRCH;
  DomainEvents* e = Ensure(d);
  if (!e) return HV_ENOMEM;
  const int64_t p = FreePort(*e);
  if (p < 0) return p;
  e->ports[p] = Port{HV_EVTCHN_UNBOUND, {}, 0, static_cast<uint32_t>(remote), 0};
  return p;
}

int64_t BindInterdomain(Domain& d, uint64_t remote_id, uint64_t remote_port) {
  Locked guard;
  Domain* r = Live(remote_id);
  if (!r) return HV_ESRCH;
  if (!Valid(remote_port) || !r->events) return HV_EINVAL;
  Port& rp = r->events->ports[remote_port];
  // Only a port its owner allocated for this very domain.
  if (rp.state != HV_EVTCHN_UNBOUND || rp.remote_domain != d.id) return HV_EINVAL;
  DomainEvents* e = Ensure(d);
  if (!e) return HV_ENOMEM;
  const int64_t p = FreePort(*e);
  if (p < 0) return p;
  if (r == &d && static_cast<uint64_t>(p) == remote_port) return HV_EINVAL;
  e->ports[p] = Port{HV_EVTCHN_INTERDOMAIN, {}, 0, r->id, static_cast<uint32_t>(remote_port)};
  rp.state = HV_EVTCHN_INTERDOMAIN;
  rp.remote = static_cast<uint32_t>(p);
  return p;
}

int64_t BindVirq(Domain& d, uint64_t virq, uint64_t vcpu) {
  if (virq >= HV_VIRQ_COUNT || vcpu >= d.vcpu_count) return HV_EINVAL;
  Locked guard;
  DomainEvents* e = Ensure(d);
  if (!e) return HV_ENOMEM;
  if (e->virq_port[vcpu][virq]) return HV_EEXIST;
  const int64_t p = FreePort(*e);
  if (p < 0) return p;
  e->ports[p] = Port{HV_EVTCHN_VIRQ, {}, static_cast<uint32_t>(vcpu), 0, static_cast<uint32_t>(virq)};
  e->virq_port[vcpu][virq] = static_cast<uint16_t>(p);
  return p;
}

int64_t Send(Domain& d, uint64_t port) {
  Locked guard;
  if (!Valid(port) || !d.events || d.events->ports[port].state != HV_EVTCHN_INTERDOMAIN) {
    return HV_EINVAL;
  }
  const Port& p = d.events->ports[port];
  Domain* r = Live(p.remote_domain);
  if (r) RaiseLocked(*r, p.remote);  // a dying peer's event is dropped
  return HV_OK;
}

int64_t Close(Domain& d, uint64_t port) {
  Locked guard;
  if (!Valid(port) || !d.events || d.events->ports[port].state == HV_EVTCHN_CLOSED) return HV_EINVAL;
  Port& p = d.events->ports[port];
  if (p.state == HV_EVTCHN_INTERDOMAIN) {
    Domain* r = domains::Find(p.remote_domain);
    if (r && r->events) {
      Port& rp = r->events->ports[p.remote];
      rp.state = HV_EVTCHN_UNBOUND;  // still allocated for this domain
      rp.remote = 0;
    }
  } else if (p.state == HV_EVTCHN_VIRQ) {
    d.events->virq_port[p.vcpu][p.remote] = 0;
  }
  p = Port{};
  return HV_OK;
}

int64_t Status(Domain& d, uint64_t port, hv_evtchn_status* out) {
  Locked guard;
  if (!Valid(port)) return HV_EINVAL;
  *out = hv_evtchn_status{};
  if (!d.events) return HV_OK;  // closed
  const Port& p = d.events->ports[port];
  out->state = p.state;
  out->vcpu = p.vcpu;
  if (p.state == HV_EVTCHN_UNBOUND || p.state == HV_EVTCHN_INTERDOMAIN) {
    out->remote_domain = p.remote_domain;
  }
  if (p.state == HV_EVTCHN_INTERDOMAIN) out->remote_port = p.remote;
  if (p.state == HV_EVTCHN_VIRQ) out->virq = p.remote;
  return HV_OK;
}

int64_t Unmask(Domain& d, uint64_t port) {
  Locked guard;
  if (!Valid(port) || !d.events || !d.events->page) return HV_EINVAL;
  const uint64_t bit = uint64_t{1} << (port % 64);
  __atomic_fetch_and(&d.events->page->mask[port / 64], ~bit, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&d.events->page->pending[port / 64], __ATOMIC_SEQ_CST) & bit) {
    const uint32_t vcpu = d.events->ports[port].vcpu;
    if (vcpu < d.vcpu_count) Kick(*d.vcpus[vcpu], true);
  }
  return HV_OK;
}

void RaiseVirq(Vcpu& v, uint32_t virq) {
  Locked guard;
  Domain& d = *v.domain;
  const uint16_t port = d.events && virq < HV_VIRQ_COUNT ? d.events->virq_port[v.id][virq] : 0;
  if (port) {
    RaiseLocked(d, port);
  }
  if (!v.polling.load()) Kick(v, false);  // a block ends even without a bound port
}

bool VirqBound(const Domain& d, uint32_t vcpu, uint32_t virq) {
  Locked guard;
  return d.events && vcpu < d.vcpu_count && virq < HV_VIRQ_COUNT &&
         d.events->virq_port[vcpu][virq] != 0;
}

int64_t PollCheck(Domain& d, const uint32_t* ports, uint32_t count) {
  Locked guard;
  if (!d.events || !d.events->page) return HV_EINVAL;
  bool any = false;
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t p = ports[i];
    if (!Valid(p) || d.events->ports[p].state == HV_EVTCHN_CLOSED) return HV_EINVAL;
    any |= (__atomic_load_n(&d.events->page->pending[p / 64], __ATOMIC_SEQ_CST) >> (p % 64)) & 1;
  }
  return any ? HV_OK : HV_EAGAIN;
}

void Describe(const Domain& d, char* buf, size_t size) {
  Locked guard;
  const DomainEvents* e = d.events;
  if (!e) {
    Format(buf, size, "no event channels");
    return;
  }
  uint32_t bound = 0;
  for (const Port& p : e->ports) bound += p.state != HV_EVTCHN_CLOSED;
  Format(buf, size, "%u ports, event page %s, pending[0] %lx, mask[0] %lx", bound,
         e->page ? "set" : "not set", e->page ? e->page->pending[0] : 0,
         e->page ? e->page->mask[0] : 0);
}

void Teardown(Domain& d) {
  for (uint32_t i = 0; i < d.vcpu_count; ++i) {
    if (!d.vcpus[i]) continue;
    timer::Cancel(&d.vcpus[i]->timer);
    timer::Cancel(&d.vcpus[i]->poll_timer);
  }
  Locked guard;
  DomainEvents* e = d.events;
  if (!e) return;
  for (uint32_t port = 1; port < HV_EVTCHN_PORTS; ++port) {
    const Port& p = e->ports[port];
    if (p.state != HV_EVTCHN_INTERDOMAIN) continue;
    Domain* r = domains::Find(p.remote_domain);
    if (r && r != &d && r->events) {
      r->events->ports[p.remote].state = HV_EVTCHN_UNBOUND;
      r->events->ports[p.remote].remote = 0;
    }
  }
  d.events = nullptr;
  heap::FreePages(arch::VirtToPhys(e), kOrder);
}

}  // namespace events
}  // namespace hv
