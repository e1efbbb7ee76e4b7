// SPDX-License-Identifier: Apache-2.0
// The domain table and lifecycle: create, start, shut down, destroy; guest
// memory access checked against the domain's own memory; domain consoles.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/core/domain.h"
#include "hv/lib/addr.h"

namespace hv::domains {

enum class [[nodiscard]] Status : uint8_t {
  kOk,
  kNoMemory,     // not enough free memory (nothing is kept)
  kBadArgument,  // zero or unaligned memory, bad vCPU count, bad name
  kNoSlot,       // kMaxDomains domains exist
  kNotFound,
  kBusy,         // the domain is not in a state that allows this
};
const char* StatusName(Status s);

// Creates a domain (state kCreated, vCPUs offline) with zeroed memory.
Status Create(const DomainParams& params, Domain** out);
// Makes vCPU 0 runnable; the domain is kRunning.
Status Start(Domain* d);
// Gives a domain that has not started (kCreated, kPaused) exactly `count`
// offline vCPUs: new ones may run on any CPU, removed ones (the highest) are
// freed. kBusy once started; kNoMemory leaves it as it was.
Status SetVcpuCount(Domain* d, uint32_t count);
// Ends the domain: every vCPU stops at its next exit; when the last one is
// off its CPU the domain is kDead and its exit action runs.
void Shutdown(Domain* d, ShutdownReason reason);
// A report on hv's console, then Shutdown(kCrash).
void Crash(Domain* d, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
// Takes a kDead domain out of the table (its id may be reused) and frees
// everything of it once no DomainRef is left.
Status Destroy(Domain* d);

// A counted reference to a domain. The domain's memory stays until the last
// reference is gone, even if the domain is destroyed meanwhile (it is then no
// longer found by id): what one CPU looks up, another may destroy.
class DomainRef {
 public:
  DomainRef() = default;
  ~DomainRef() { Reset(); }
  DomainRef(DomainRef&& o) : d_(o.d_) { o.d_ = nullptr; }
  DomainRef& operator=(DomainRef&& o) {
    if (this != &o) {
      Reset();
      d_ = o.d_;
      o.d_ = nullptr;
    }
    return *this;
  }
  DomainRef(const DomainRef&) = delete;
  DomainRef& operator=(const DomainRef&) = delete;

  Domain* get() const { return d_; }
  Domain* operator->() const { return d_; }
  Domain& operator*() const { return *d_; }
  explicit operator bool() const { return d_ != nullptr; }
  void Reset();

 private:
  friend DomainRef Get(uint32_t id);
  explicit DomainRef(Domain* d) : d_(d) {}
  Domain* d_ = nullptr;
};

// The domain with this id, counted; empty if there is none.
DomainRef Get(uint32_t id);
// The same, uncounted: only for code that a destroy waits for (the event
// channels, under their lock, which Destroy takes before the domain can go).
Domain* Find(uint32_t id);
uint32_t Count();  // domains that exist, dead or alive

// Called by the scheduler when a vCPU of a shutting-down domain leaves its CPU.
void VcpuStopped(Vcpu* v);
// Called once when no domain is left alive (boot-time domains all ended).
void SetAllDoneHandler(void (*fn)());
// Builds and starts a domain again by name (on_reboot/on_crash=restart), after
// the old one was destroyed; false if it could not.
void SetRestartHandler(bool (*fn)(const char* name));

// Whether [gpa, gpa + len) lies inside the domain's RAM (populated or not):
// what a hypercall checks of a whole buffer before it writes any of it.
inline bool InRam(const Domain& d, uint64_t gpa, uint64_t len) {
  return gpa <= d.memory_bytes && len <= d.memory_bytes - gpa;
}

// Guest memory, by guest-physical address; false (and nothing copied) if any
// byte is outside the domain's RAM.
[[nodiscard]] bool CopyFromGuest(const Domain& d, GuestPhysAddr gpa, void* dst, uint64_t len);
[[nodiscard]] bool CopyToGuest(Domain& d, GuestPhysAddr gpa, const void* src, uint64_t len);
[[nodiscard]] bool ZeroGuest(Domain& d, GuestPhysAddr gpa, uint64_t len);
// The host-physical address behind gpa, or PhysAddr(0) if gpa is outside the
// domain's RAM or not populated. The page may be released right after: code
// that keeps the address pins the page (PinPage).
PhysAddr Translate(const Domain& d, GuestPhysAddr gpa);
// Pins the page at gpa (page-aligned) for as long as the domain lives:
// RELEASE refuses it. For a page hv keeps a pointer to (the event page).
// Returns its host-physical address; PhysAddr(0) if it is not a populated
// page of the domain's RAM or the domain already has a pinned page.
PhysAddr PinPage(Domain& d, GuestPhysAddr gpa);

// Ballooning (HV_MEMORY_RELEASE, HV_MEMORY_POPULATE): `count` (1 ..
// kMaxRamPagesPerCall) 4 KiB pages of guest RAM from page-aligned gpa, all or
// nothing. `self` is the calling vCPU (or null).
inline constexpr uint64_t kMaxRamPagesPerCall = 512;
enum class [[nodiscard]] RamStatus : uint8_t {
  kOk,
  kBadArgument,   // gpa unaligned, count 0 or over kMaxRamPagesPerCall
  kOutside,       // a page outside [0, memory_bytes)
  kNotPopulated,  // RELEASE: a page is not populated
  kPinned,        // RELEASE: a page is pinned (PinPage)
  kPopulated,     // POPULATE: a page is populated
  kOverMax,       // POPULATE: more than max_memory_bytes
  kNoMemory,      // not enough free memory (pages, or tables for the NPT)
};
// Unmaps the pages and returns them to hv's pool once no vCPU can reach them.
RamStatus ReleaseRam(Domain& d, const Vcpu* self, GuestPhysAddr gpa, uint64_t count);
// Maps fresh zeroed pages at unpopulated pages.
RamStatus PopulateRam(Domain& d, const Vcpu* self, GuestPhysAddr gpa, uint64_t count);

// Console output from the domain: complete lines go to hv's console as "(dN) ...".
void ConsoleWrite(Domain* d, const char* bytes, size_t len);
// Copies up to `size` bytes of the domain's console stream from *position
// (moved up to the oldest byte the ring still holds); returns the count and
// the stream's end.
uint32_t ConsoleRead(Domain* d, uint64_t* position, char* out, uint32_t size, uint64_t* end);
// Console input for a domain without a UART: queued, then HV_VIRQ_CONSOLE on
// its vCPU 0. False (the byte dropped, as a UART overruns) if the queue is full.
bool ConsoleInput(Domain& d, char c);
// The oldest `size` bytes of queued input at most, left queued until
// ConsoleInputDone(d, n) takes the first n of them: nothing is lost if they
// cannot be handed to the domain.
uint32_t ConsoleInputPeek(Domain& d, char* out, uint32_t size);
void ConsoleInputDone(Domain& d, uint32_t n);

}  // namespace hv::domains
