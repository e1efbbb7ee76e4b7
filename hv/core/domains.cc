// SPDX-License-Identifier: Apache-2.0
#include "hv/core/domains.h"

#include <new>

#include "hv/core/arch.h"
#include "hv/core/console.h"
#include "hv/core/events.h"
#include "hv/core/heap.h"
#include "hv/core/sched.h"
#include "hv/lib/format.h"
#include "hv/lib/log.h"

extern "C" void* memset(void* dst, int c, size_t n);
extern "C" void* memcpy(void* dst, const void* src, size_t n);

namespace hv {

const char* DomainStateName(DomainState s) {
  switch (s) {
    case DomainState::kCreated: return "created";
    case DomainState::kRunning: return "running";
    case DomainState::kPaused: return "paused";
    case DomainState::kShuttingDown: return "shutting down";
    case DomainState::kDead: return "dead";
  }
  return "?";
}

const char* ShutdownReasonName(ShutdownReason r) {
  switch (r) {
    case ShutdownReason::kNone: return "none";
    case ShutdownReason::kPoweroff: return "poweroff";
    case ShutdownReason::kReboot: return "reboot";
    case ShutdownReason::kCrash: return "crash";
  }
  return "?";
}

namespace domains {
namespace {

// The blocks of a domain's RAM live in pages chained through `next`.
struct BlockPage {
  uint64_t next;  // host-physical address of the next page, or 0
  uint64_t count;
  MemBlock blocks[(kPageSize - 16) / sizeof(MemBlock)];
};
static_assert(sizeof(BlockPage) <= kPageSize);
constexpr uint64_t kBlocksPerPage = sizeof(BlockPage::blocks) / sizeof(MemBlock);

SpinLock g_lock;  // guards g_domains and g_next_id
Domain* g_domains[kMaxDomains];
uint32_t g_next_id = 1;
void (*g_all_done)() = nullptr;
bool (*g_restart)(const char* name) = nullptr;

BlockPage* PageAt(PhysAddr pa) { return static_cast<BlockPage*>(arch::PhysToVirt(pa)); }

// Calls f(MemBlock&) for every block until it returns false.
template <typename F>
void ForEachBlock(const Domain& d, F&& f) {
  for (PhysAddr p = d.block_pages; p.value();) {
    BlockPage* page = PageAt(p);
    for (uint64_t i = 0; i < page->count; ++i) {
      if (!f(page->blocks[i])) return;
    }
    p = PhysAddr(page->next);
  }
}

bool AddBlock(Domain& d, const MemBlock& b) {
  // Blocks are appended; the newest page is first in the chain.
  BlockPage* page = d.block_pages.value() ? PageAt(d.block_pages) : nullptr;
  if (!page || page->count == kBlocksPerPage) {
    const PhysAddr fresh = heap::AllocZeroedPage();
    if (!fresh.value()) return false;
    ++d.pages;
    BlockPage* np = PageAt(fresh);
    np->next = d.block_pages.value();
    d.block_pages = fresh;
    page = np;
  }
  page->blocks[page->count++] = b;
  ++d.block_count;
  return true;
}

// Frees the domain's RAM; before arch::DomainFree, since the nested page
// tables say which pages of a split block the domain still holds.
void FreeMemory(Domain& d) {
  ForEachBlock(d, [&](const MemBlock& b) {
    if (!(b.flags & kMemBlockSplit)) {
      heap::FreePages(b.hpa, b.order);
      return true;
    }
    for (uint64_t i = 0; i < uint64_t{1} << b.order; ++i) {
      const PhysAddr hpa = arch::DomainTranslate(d, b.gpa + i * kPageSize);
      if (hpa.value()) heap::FreePages(hpa, 0);
    }
    return true;
  });
  for (PhysAddr p = d.block_pages; p.value();) {
    const PhysAddr next(PageAt(p)->next);
    heap::FreePages(p, 0);
    p = next;
  }
  d.block_pages = PhysAddr(0);
  d.block_count = 0;
}

// Guest RAM in the largest blocks alignment allows, so that the nested page
// tables can use 1 GiB and 2 MiB pages.
Status AllocateMemory(Domain& d) {
  uint64_t gpa = 0;
  while (gpa < d.memory_bytes) {
    unsigned order = PageAllocator::kMaxOrder;
    while (order > 0 && ((kPageSize << order) > d.memory_bytes - gpa || gpa % (kPageSize << order))) {
      --order;
    }
    PhysAddr hpa;
    for (;;) {
      hpa = heap::AllocPages(order);
      if (hpa.value() || order == 0) break;
      --order;  // fragmented: take smaller blocks
    }
    if (!hpa.value()) return Status::kNoMemory;
    const uint64_t size = kPageSize << order;
    memset(arch::PhysToVirt(hpa), 0, size);  // never hand a guest another's data
    const MemBlock block{GuestPhysAddr(gpa), hpa, order, 0};
    d.pages += uint64_t{1} << order;
    if (!AddBlock(d, block)) {
      heap::FreePages(hpa, order);
      d.pages -= uint64_t{1} << order;
      return Status::kNoMemory;
    }
    if (!arch::DomainMap(d, block)) return Status::kNoMemory;
    gpa += size;
  }
  return Status::kOk;
}

bool ValidName(const char* name) {
  size_t n = 0;
  for (; name[n]; ++n) {
    const char c = name[n];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok || n >= sizeof(Domain::name) - 1) return false;
  }
  return n > 0;
}

void FreeDomain(Domain* d) {
  if (d->console_ring) heap::FreePages(arch::VirtToPhys(d->console_ring), 2);
  FreeMemory(*d);
  arch::DomainFree(*d);  // before the vCPUs: the arch's domain state points at them
  // Poisoned, so that a use after free faults on a non-canonical pointer (and
  // says so in a panic report) rather than reading what the page holds next.
  for (uint32_t i = 0; i < d->vcpu_count; ++i) {
    if (!d->vcpus[i]) continue;
    arch::VcpuFree(*d->vcpus[i]);
    memset(static_cast<void*>(d->vcpus[i]), 0xdb, kPageSize);
    heap::FreePages(arch::VirtToPhys(d->vcpus[i]), 0);
  }
  memset(static_cast<void*>(d), 0xdb, kPageSize);
  heap::FreePages(arch::VirtToPhys(d), 0);
}

// Drops a reference; the last one frees the domain.
void Release(Domain* d) {
  if (d->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  const uint32_t id = d->id;
  const uint64_t pages = d->pages;
  FreeDomain(d);
  HV_INFO("d%u: destroyed, %lu KiB returned", id, pages * 4);
}

// A Domain or Vcpu at the start of a zeroed page; the arch's part goes in
// the rest (arch::PageTail).
template <typename T>
T* NewInPage() {
  static_assert(sizeof(T) <= kPageSize);
  const PhysAddr page = heap::AllocZeroedPage();
  if (!page.value()) return nullptr;
  return new (arch::PhysToVirt(page)) T();
}

// Appends an offline vCPU (number d.vcpu_count); nothing is kept on failure.
Status AddVcpu(Domain& d, uint64_t affinity) {
  Vcpu* v = NewInPage<Vcpu>();
  if (!v) return Status::kNoMemory;
  v->domain = &d;
  v->id = d.vcpu_count;
  v->affinity = affinity;
  const uint64_t before = d.pages;
  if (!arch::VcpuInit(*v)) {
    arch::VcpuFree(*v);
    heap::FreePages(arch::VirtToPhys(v), 0);
    d.pages = before;
    return Status::kNoMemory;
  }
  d.vcpu_pages = static_cast<uint32_t>(1 + d.pages - before);
  d.pages = before + d.vcpu_pages;
  d.vcpus[d.vcpu_count++] = v;
  return Status::kOk;
}

// Frees the highest-numbered vCPU of a domain that has not started.
void RemoveLastVcpu(Domain& d) {
  Vcpu* v = d.vcpus[--d.vcpu_count];
  d.vcpus[d.vcpu_count] = nullptr;
  arch::VcpuFree(*v);
  heap::FreePages(arch::VirtToPhys(v), 0);
  d.pages -= d.vcpu_pages;
}

// The host page behind gpa (< d.memory_bytes), or PhysAddr(0) if it is not
// populated; under d.memory_lock.
PhysAddr TranslateLocked(const Domain& d, GuestPhysAddr gpa) {
  return arch::DomainTranslate(d, gpa);
}

// The domain's RAM as host pointers: calls f(host pointer, offset, length)
// per piece, under d.memory_lock so that no page is released meanwhile.
// False if any byte is outside the RAM or not populated; then f ran for none.
template <typename F>
bool ForGuestRange(const Domain& d, GuestPhysAddr gpa, uint64_t len, F&& f) {
  if (!InRam(d, gpa.value(), len)) return false;
  if (len == 0) return true;
  SpinGuard guard(d.memory_lock);
  for (uint64_t at = gpa.value() & ~(kPageSize - 1); at < gpa.value() + len; at += kPageSize) {
    if (!TranslateLocked(d, GuestPhysAddr(at)).value()) return false;
  }
  uint64_t done = 0;
  while (done < len) {
    const uint64_t at = gpa.value() + done;
    const PhysAddr hpa = TranslateLocked(d, GuestPhysAddr(at));
    // Within one page at a time: pages need not be contiguous.
    const uint64_t in_page = kPageSize - (at % kPageSize);
    const uint64_t n = len - done < in_page ? len - done : in_page;
    f(static_cast<uint8_t*>(arch::PhysToVirt(hpa)), done, n);
    done += n;
  }
  return true;
}

// Whether every page of [gpa, gpa + count pages) is populated (want true) or
// none is (want false); under d.memory_lock.
bool AllPages(const Domain& d, GuestPhysAddr gpa, uint64_t count, bool want) {
  for (uint64_t i = 0; i < count; ++i) {
    if ((TranslateLocked(d, gpa + i * kPageSize).value() != 0) != want) return false;
  }
  return true;
}

// Makes every block that overlaps [gpa, gpa + size) separate pages, so that
// they can be freed one by one; under d.memory_lock.
bool SplitBlocks(Domain& d, GuestPhysAddr gpa, uint64_t size) {
  bool ok = true;
  ForEachBlock(d, [&](MemBlock& b) {
    const uint64_t bytes = kPageSize << b.order;
    if ((b.flags & kMemBlockSplit) || b.gpa.value() >= gpa.value() + size ||
        gpa.value() >= b.gpa.value() + bytes) {
      return true;
    }
    if (!heap::SplitPages(b.hpa, b.order)) {
      ok = false;
      return false;
    }
    b.flags |= kMemBlockSplit;
    return true;
  });
  return ok;
}

// The checks every ballooning call starts with.
RamStatus CheckRamRange(const Domain& d, GuestPhysAddr gpa, uint64_t count) {
  if (!gpa.IsAligned(kPageSize) || count == 0 || count > kMaxRamPagesPerCall) {
    return RamStatus::kBadArgument;
  }
  if (gpa.value() >= d.memory_bytes || count > (d.memory_bytes - gpa.value()) / kPageSize) {
    return RamStatus::kOutside;
  }
  return RamStatus::kOk;
}

// Whether `count` unpopulated pages at gpa may be populated; under d.memory_lock.
RamStatus CheckPopulate(const Domain& d, GuestPhysAddr gpa, uint64_t count) {
  if (!AllPages(d, gpa, count, false)) return RamStatus::kPopulated;
  if (d.ram_pages + count > d.max_memory_bytes / kPageSize) return RamStatus::kOverMax;
  return RamStatus::kOk;
}

// Tells every live control domain (VIRQ_DOMAIN_STATE on its vCPU 0) that
// `changed` changed state. Targets are collected under g_lock and raised
// after it is released: events code takes g_lock (Find) under its own lock.
void NotifyStateChange(const Domain& changed) {
  Vcpu* targets[8];
  uint32_t n = 0;
  {
    SpinGuard guard(g_lock);
    for (Domain* o : g_domains) {
      if (!o || o == &changed || !o->privileged || !o->vcpu_count || n == 8) continue;
      if (o->state == DomainState::kRunning) targets[n++] = o->vcpus[0];
    }
  }
  for (uint32_t i = 0; i < n; ++i) events::RaiseVirq(*targets[i], HV_VIRQ_DOMAIN_STATE);
}

}  // namespace

const char* StatusName(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kNoMemory: return "not enough memory";
    case Status::kBadArgument: return "bad argument";
    case Status::kNoSlot: return "too many domains";
    case Status::kNotFound: return "no such domain";
    case Status::kBusy: return "domain busy";
  }
  return "?";
}

Status Create(const DomainParams& p, Domain** out) {
  *out = nullptr;
  if (!p.memory_bytes || p.memory_bytes % kPageSize || !p.vcpus || p.vcpus > kMaxVcpus ||
      !ValidName(p.name)) {
    return Status::kBadArgument;
  }
  Domain* d = NewInPage<Domain>();
  if (!d) return Status::kNoMemory;
  d->pages = 1;
  for (size_t i = 0; p.name[i]; ++i) d->name[i] = p.name[i];
  d->memory_bytes = p.memory_bytes;
  d->max_memory_bytes = p.memory_bytes;
  d->ram_pages = p.memory_bytes / kPageSize;
  d->privileged = p.privileged;
  d->weight = p.weight;
  d->cap = p.cap;
  d->on_poweroff = p.on_poweroff;
  d->on_reboot = p.on_reboot;
  d->on_crash = p.on_crash;
  {
    SpinGuard guard(g_lock);
    uint32_t id = 0;
    for (uint32_t tries = 0; tries < kMaxDomains - 1; ++tries) {
      const uint32_t candidate = g_next_id;
      g_next_id = g_next_id + 1 < kMaxDomains ? g_next_id + 1 : 1;
      if (!g_domains[candidate]) {
        id = candidate;
        break;
      }
    }
    if (!id) {
      FreeDomain(d);
      return Status::kNoSlot;
    }
    d->id = id;
    d->refs.store(1);  // the table's
    g_domains[id] = d;  // reserved; not visible as running until started
  }
  Status st = arch::DomainInit(*d) ? AllocateMemory(*d) : Status::kNoMemory;
  for (uint32_t i = 0; st == Status::kOk && i < p.vcpus; ++i) st = AddVcpu(*d, p.affinity);
  if (st != Status::kOk) {
    {
      SpinGuard guard(g_lock);
      g_domains[d->id] = nullptr;
    }
    Release(d);  // another CPU may have found it meanwhile
    return st;
  }
  d->built.store(true, std::memory_order_release);
  HV_INFO("d%u (%s): created, %lu MiB in %lu blocks, %u vCPUs", d->id, d->name,
          d->memory_bytes >> 20, d->block_count, d->vcpu_count);
  *out = d;
  return Status::kOk;
}

Status SetVcpuCount(Domain* d, uint32_t count) {
  if (!count || count > kMaxVcpus) return Status::kBadArgument;
  // Under the domain's lock, so that it cannot start meanwhile.
  SpinGuard guard(d->lock);
  if (d->state != DomainState::kCreated && d->state != DomainState::kPaused) return Status::kBusy;
  const uint32_t old_count = d->vcpu_count;
  while (d->vcpu_count < count) {
    if (AddVcpu(*d, ~uint64_t{0}) != Status::kOk) {
      while (d->vcpu_count > old_count) RemoveLastVcpu(*d);
      return Status::kNoMemory;
    }
  }
  while (d->vcpu_count > count) RemoveLastVcpu(*d);
  return Status::kOk;
}

Status Start(Domain* d) {
  {
    SpinGuard guard(d->lock);
    if (d->state != DomainState::kCreated) return Status::kBusy;
    d->state = DomainState::kRunning;
  }
  sched::AddVcpu(d->vcpus[0]);
  NotifyStateChange(*d);
  return Status::kOk;
}

void Shutdown(Domain* d, ShutdownReason reason) {
  {
    SpinGuard guard(d->lock);
    if (d->state == DomainState::kShuttingDown || d->state == DomainState::kDead) return;
    d->state = DomainState::kShuttingDown;
    d->reason = reason;
  }
  HV_INFO("d%u (%s): shutting down (%s)", d->id, d->name, ShutdownReasonName(reason));
  NotifyStateChange(*d);
  // vCPUs that are not on a CPU stop now; running ones at their next exit.
  for (uint32_t i = 0; i < d->vcpu_count; ++i) sched::Stop(d->vcpus[i]);
}

void Crash(Domain* d, const char* fmt, ...) {
  char why[256];
  va_list args;
  va_start(args, fmt);
  VFormat(why, sizeof(why), fmt, args);
  va_end(args);
  HV_ERROR("d%u crashed: %s", d->id, why);
  Shutdown(d, ShutdownReason::kCrash);
}

void VcpuStopped(Vcpu* v) {
  Domain* d = v->domain;
  bool last = true;
  {
    SpinGuard guard(d->lock);
    for (uint32_t i = 0; i < d->vcpu_count; ++i) {
      if (d->vcpus[i]->state != VcpuState::kDead && d->vcpus[i]->state != VcpuState::kOffline) {
        last = false;
      }
    }
    if (!last || d->state == DomainState::kDead) return;
    d->state = DomainState::kDead;
  }
  const DomainAction action = d->reason == ShutdownReason::kCrash    ? d->on_crash
                            : d->reason == ShutdownReason::kReboot ? d->on_reboot
                                                                   : d->on_poweroff;
  HV_INFO("d%u (%s): dead (%s)", d->id, d->name, ShutdownReasonName(d->reason));
  NotifyStateChange(*d);
  if (action != DomainAction::kPreserve) {
    // A restart builds the domain anew from its recipe (its name finds it),
    // after the old one is gone: the memory is needed again.
    char name[sizeof(d->name)];
    for (size_t i = 0; i < sizeof(name); ++i) name[i] = d->name[i];
    const uint32_t old_id = d->id;
    (void)Destroy(d);
    if (action == DomainAction::kRestart) {
      if (!g_restart) {
        HV_WARN("d%u (%s): nothing knows how to restart it; destroyed", old_id, name);
      } else if (!g_restart(name)) {
        HV_ERROR("d%u (%s): restart failed; destroyed", old_id, name);
      }
    }
  }
  bool any_alive = false;
  {
    SpinGuard guard(g_lock);
    for (Domain* o : g_domains) {
      if (o && o->state != DomainState::kDead) any_alive = true;
    }
  }
  if (!any_alive && g_all_done) g_all_done();
}

Status Destroy(Domain* d) {
  if (d->state != DomainState::kDead) return Status::kBusy;
  {
    SpinGuard guard(g_lock);
    if (g_domains[d->id] != d) return Status::kNotFound;
    g_domains[d->id] = nullptr;
  }
  events::Teardown(*d);  // cancels vCPU timers, unbinds peers
  Release(d);            // the table's reference
  return Status::kOk;
}

void DomainRef::Reset() {
  if (d_) Release(d_);
  d_ = nullptr;
}

namespace {

// The built domain with this id, or null; under g_lock.
Domain* LookUpLocked(uint32_t id) {
  Domain* d = id < kMaxDomains ? g_domains[id] : nullptr;
  return d && d->built.load(std::memory_order_acquire) ? d : nullptr;
}

}  // namespace

DomainRef Get(uint32_t id) {
  SpinGuard guard(g_lock);
  Domain* d = LookUpLocked(id);
  if (d) d->refs.fetch_add(1, std::memory_order_relaxed);  // the table holds one: not 0
  return DomainRef(d);
}

Domain* Find(uint32_t id) {
  SpinGuard guard(g_lock);
  return LookUpLocked(id);
}

uint32_t Count() {
  SpinGuard guard(g_lock);
  uint32_t n = 0;
  for (Domain* d : g_domains) n += d != nullptr;
  return n;
}

void SetAllDoneHandler(void (*fn)()) { g_all_done = fn; }
void SetRestartHandler(bool (*fn)(const char* name)) { g_restart = fn; }

PhysAddr Translate(const Domain& d, GuestPhysAddr gpa) {
  if (gpa.value() >= d.memory_bytes) return PhysAddr(0);
  SpinGuard guard(d.memory_lock);
  return TranslateLocked(d, gpa);
}

bool CopyFromGuest(const Domain& d, GuestPhysAddr gpa, void* dst, uint64_t len) {
  auto* out = static_cast<uint8_t*>(dst);
  return ForGuestRange(d, gpa, len, [&](uint8_t* p, uint64_t off, uint64_t n) {
    memcpy(out + off, p, n);
  });
}

bool CopyToGuest(Domain& d, GuestPhysAddr gpa, const void* src, uint64_t len) {
  const auto* in = static_cast<const uint8_t*>(src);
  return ForGuestRange(d, gpa, len, [&](uint8_t* p, uint64_t off, uint64_t n) {
    memcpy(p, in + off, n);
  });
}

bool ZeroGuest(Domain& d, GuestPhysAddr gpa, uint64_t len) {
  return ForGuestRange(d, gpa, len, [](uint8_t* p, uint64_t, uint64_t n) { memset(p, 0, n); });
}

PhysAddr PinPage(Domain& d, GuestPhysAddr gpa) {
  if (!gpa.IsAligned(kPageSize) || gpa.value() >= d.memory_bytes) return PhysAddr(0);
  SpinGuard guard(d.memory_lock);
  if (d.pinned_gpa != Domain::kNoPin) return PhysAddr(0);
  const PhysAddr hpa = TranslateLocked(d, gpa);
  if (hpa.value()) d.pinned_gpa = gpa.value();
  return hpa;
}

RamStatus ReleaseRam(Domain& d, const Vcpu* self, GuestPhysAddr gpa, uint64_t count) {
  if (const RamStatus st = CheckRamRange(d, gpa, count); st != RamStatus::kOk) return st;
  // Frame numbers fit 32 bits (PageAllocator::kMaxFrames): 2 KiB of stack.
  uint32_t pfns[kMaxRamPagesPerCall];
  {
    SpinGuard guard(d.memory_lock);
    for (uint64_t i = 0; i < count; ++i) {
      const GuestPhysAddr at = gpa + i * kPageSize;
      const PhysAddr hpa = TranslateLocked(d, at);
      if (!hpa.value()) return RamStatus::kNotPopulated;
      if (at.value() == d.pinned_gpa) return RamStatus::kPinned;
      if (hpa.pfn() >> 32) return RamStatus::kNoMemory;  // cannot happen: see above
      pfns[i] = static_cast<uint32_t>(hpa.pfn());
    }
    // Blocks allocated whole become single pages. If the unmap then fails,
    // they stay split, which changes nothing for the guest.
    if (!SplitBlocks(d, gpa, count * kPageSize)) {
      HV_ERROR("d%u: cannot split the blocks at guest-physical 0x%lx", d.id, gpa.value());
      return RamStatus::kNoMemory;
    }
    if (!arch::DomainUnmap(d, gpa, count * kPageSize)) return RamStatus::kNoMemory;
    d.ram_pages -= count;
    d.pages -= count;
  }
  // Copies by hv see the pages gone (memory_lock); the other vCPUs' TLBs
  // may still hold them until this returns. Only then are they hv's again.
  arch::DomainFlushTlbs(d, self);
  for (uint64_t i = 0; i < count; ++i) heap::FreePages(PhysAddr::FromPfn(pfns[i]), 0);
  return RamStatus::kOk;
}

RamStatus PopulateRam(Domain& d, const Vcpu* self, GuestPhysAddr gpa, uint64_t count) {
  if (const RamStatus st = CheckRamRange(d, gpa, count); st != RamStatus::kOk) return st;
  {
    SpinGuard guard(d.memory_lock);
    if (const RamStatus st = CheckPopulate(d, gpa, count); st != RamStatus::kOk) return st;
  }
  // Fresh zeroed pages, taken (and zeroed) without the lock.
  uint32_t pfns[kMaxRamPagesPerCall];
  uint64_t got = 0;
  for (; got < count; ++got) {
    const PhysAddr hpa = heap::AllocZeroedPage();
    if (!hpa.value() || hpa.pfn() >> 32) {
      if (hpa.value()) heap::FreePages(hpa, 0);
      break;
    }
    pfns[got] = static_cast<uint32_t>(hpa.pfn());
  }
  RamStatus st = got == count ? RamStatus::kOk : RamStatus::kNoMemory;
  uint64_t mapped = 0;
  if (st == RamStatus::kOk) {
    SpinGuard guard(d.memory_lock);
    st = CheckPopulate(d, gpa, count);  // again: another vCPU may have been faster
    for (; st == RamStatus::kOk && mapped < count; ++mapped) {
      const MemBlock page{gpa + mapped * kPageSize, PhysAddr::FromPfn(pfns[mapped]), 0, 0};
      if (!arch::DomainMap(d, page)) {
        st = RamStatus::kNoMemory;  // no page for a table
        break;
      }
    }
    if (st == RamStatus::kOk) {
      d.ram_pages += count;
      d.pages += count;
    } else if (mapped) {
      // 4 KiB mappings of our own: unmapping them needs no table page.
      if (!arch::DomainUnmap(d, gpa, mapped * kPageSize)) {
        HV_ERROR("d%u: cannot undo a populate at guest-physical 0x%lx", d.id, gpa.value());
      }
    }
  }
  if (st != RamStatus::kOk) {
    // The guest may have touched what was mapped for a moment.
    if (mapped) arch::DomainFlushTlbs(d, self);
    for (uint64_t i = 0; i < got; ++i) heap::FreePages(PhysAddr::FromPfn(pfns[i]), 0);
  }
  return st;
}

void ConsoleWrite(Domain* d, const char* bytes, size_t len) {
  SpinGuard guard(d->lock);
  if (!d->console_ring) {
    static_assert(kConsoleRing == 4 * kPageSize);
    const PhysAddr ring = heap::AllocPages(2);
    if (ring.value()) {
      d->console_ring = static_cast<char*>(arch::PhysToVirt(ring));
      d->pages += 4;
    }
  }
  for (size_t i = 0; i < len; ++i) {
    char c = bytes[i];
    if (d->console_ring) d->console_ring[d->console_end % kConsoleRing] = c;
    ++d->console_end;
    if (c == '\r') continue;
    const bool end = c == '\n';
    // Never pass a guest's control characters to the operator's terminal.
    if (!end && (c < 0x20 || c > 0x7e) && c != '\t') c = '?';
    if (!end) d->line[d->line_len++] = c;
    if (end || d->line_len == sizeof(d->line) - 1) {
      d->line[d->line_len] = '\0';
      char out[sizeof(d->line) + 24];
      Format(out, sizeof(out), "(d%u) %s\r\n", d->id, d->line);
      console::Write(out);
      d->line_len = 0;
    }
  }
}

uint32_t ConsoleRead(Domain* d, uint64_t* position, char* out, uint32_t size, uint64_t* end) {
  SpinGuard guard(d->lock);
  *end = d->console_end;
  const uint64_t oldest = d->console_end > kConsoleRing ? d->console_end - kConsoleRing : 0;
  if (*position < oldest) *position = oldest;
  if (*position > d->console_end) *position = d->console_end;
  uint32_t n = 0;
  for (; n < size && *position + n < d->console_end && d->console_ring; ++n) {
    out[n] = d->console_ring[(*position + n) % kConsoleRing];
  }
  return n;
}

bool ConsoleInput(Domain& d, char c) {
  {
    SpinGuard guard(d.lock);
    if (d.input_len == Domain::kInputRing) return false;
    d.input[(d.input_start + d.input_len++) % Domain::kInputRing] = c;
  }
  events::RaiseVirq(*d.vcpus[0], HV_VIRQ_CONSOLE);
  return true;
}

uint32_t ConsoleInputPeek(Domain& d, char* out, uint32_t size) {
  SpinGuard guard(d.lock);
  uint32_t n = 0;
  for (; n < size && n < d.input_len; ++n) out[n] = d.input[(d.input_start + n) % Domain::kInputRing];
  return n;
}

void ConsoleInputDone(Domain& d, uint32_t n) {
  SpinGuard guard(d.lock);
  if (n > d.input_len) n = d.input_len;
  d.input_start = (d.input_start + n) % Domain::kInputRing;
  d.input_len -= n;
}

}  // namespace domains
}  // namespace hv
