// SPDX-License-Identifier: Apache-2.0
// A domain: memory, vCPUs, a console, and a lifecycle. Created by hv at boot
// (boot-time domains) or, later, by dom0's toolstack through domctl.
#pragma once

#include <atomic>
#include <stddef.h>
#include <stdint.h>

#include "hv/core/domain_config.h"  // DomainAction: what follows a shutdown
#include "hv/core/vcpu.h"
#include "hv/lib/addr.h"
#include "hv/lib/spinlock.h"

namespace hv {

namespace arch {
struct ArchDomain;
}

inline constexpr uint32_t kMaxDomains = 256;
inline constexpr uint32_t kMaxVcpus = 64;  // per domain
inline constexpr uint64_t kConsoleRing = 16384;  // HV_CONSOLE_RING_SIZE

enum class DomainState : uint8_t {
  kCreated,       // built, not yet started
  kRunning,
  kPaused,
  kShuttingDown,  // asked to stop: its vCPUs are being taken off the CPUs
  kDead,          // stopped; resources are freed by Destroy()
};
const char* DomainStateName(DomainState s);

enum class ShutdownReason : uint8_t { kNone, kPoweroff, kReboot, kCrash };
const char* ShutdownReasonName(ShutdownReason r);


// A contiguous run of the domain's memory: 2^order pages, allocated as one
// block at creation.
struct MemBlock {
  GuestPhysAddr gpa;
  PhysAddr hpa;
  uint32_t order;
  uint32_t flags;  // kMemBlockSplit
};
// The block's pages became separate allocations (heap::SplitPages) when the
// first of them was released (HV_MEMORY_RELEASE). From then on the nested
// page tables say which pages of its guest-physical range the domain holds,
// and where: the block's own or pages populated later.
inline constexpr uint32_t kMemBlockSplit = 1;

struct DomainParams {
  const char* name = "";
  uint64_t memory_bytes = 0;
  uint32_t vcpus = 1;
  uint32_t weight = 256;
  uint32_t cap = 0;  // percent of one CPU, 0 = none
  uint64_t affinity = ~uint64_t{0};
  bool privileged = false;
  DomainAction on_poweroff = DomainAction::kDestroy;
  DomainAction on_reboot = DomainAction::kRestart;
  DomainAction on_crash = DomainAction::kPreserve;
};

struct Domain {
  uint32_t id = 0;
  char name[32] = {};
  DomainState state = DomainState::kCreated;
  ShutdownReason reason = ShutdownReason::kNone;
  bool privileged = false;
  uint32_t weight = 256;
  uint32_t cap = 0;
  DomainAction on_poweroff = DomainAction::kDestroy, on_reboot = DomainAction::kRestart,
             on_crash = DomainAction::kPreserve;

  // Guest RAM lies in [0, memory_bytes), fixed at creation; every page of it
  // is populated then. HV_MEMORY_RELEASE takes pages out (they are
  // unpopulated: not mapped, not the domain's) and HV_MEMORY_POPULATE puts
  // fresh ones back. The nested page tables are the truth about which pages
  // are populated.
  uint64_t memory_bytes = 0;
  uint64_t max_memory_bytes = 0;  // the most RAM it may hold (domctl)
  uint64_t ram_pages = 0;         // RAM pages populated now (memory_lock)
  // A page hv keeps a pointer to (the event page), never released; kNoPin if none.
  static constexpr uint64_t kNoPin = ~uint64_t{0};
  uint64_t pinned_gpa = kNoPin;  // memory_lock
  // The blocks backing guest RAM, in pages chained through their first word.
  PhysAddr block_pages;
  uint64_t block_count = 0;
  uint64_t pages = 0;  // everything the domain holds, for accounting
  // Guards the RAM's mappings (arch::DomainMap/Unmap/Translate), ram_pages,
  // pinned_gpa and the blocks' flags: hv copies to and from guest memory under
  // it, so a page cannot be released in the middle of a copy.
  mutable SpinLock memory_lock;
  // vCPUs (bit = id) inside arch::DomainFlushTlbs: in hv, not in the guest.
  std::atomic<uint64_t> tlb_waiting{0};

  uint32_t vcpu_count = 0;
  uint32_t vcpu_pages = 0;  // pages each vCPU holds (its Vcpu and the arch's), for accounting
  Vcpu* vcpus[kMaxVcpus] = {};
  std::atomic<uint32_t> vcpus_running{0};  // on a CPU right now

  // The console: bytes until a newline, then one "(dN) ..." line; and every
  // byte in a ring (HV_CONSOLE_READ) of its last kConsoleRing bytes.
  char line[160] = {};
  uint32_t line_len = 0;
  char* console_ring = nullptr;  // kConsoleRing bytes, once the domain writes
  uint64_t console_end = 0;      // stream position after the last byte

  struct DomainEvents* events = nullptr;  // event channels (events.h), once used

  // hv's console input while the console is switched to this domain and it
  // has no UART of its own (HV_VIRQ_CONSOLE, HV_CONSOLE_INPUT): bytes not
  // yet read, from input_start, wrapping. Under `lock`.
  static constexpr uint32_t kInputRing = 256;
  char input[kInputRing] = {};
  uint32_t input_start = 0;
  uint32_t input_len = 0;

  uint32_t refused_msrs = 0;  // reported so far (the exit handler's)
  // A running domain paused by its controller: its vCPUs stay off the CPUs
  // (blocked) until unpaused. kPaused is the state of one never started.
  std::atomic<bool> paused{false};

  SpinLock lock;  // guards state, reason, the console line and input
  arch::ArchDomain* arch = nullptr;
  // References (domains::DomainRef), one of them the domain table's while
  // the domain is in it; the last one gone frees it.
  std::atomic<uint32_t> refs{0};
  // Create has finished building it: before, its id is taken but nothing
  // finds it (INFO would see a domain without its vCPUs).
  std::atomic<bool> built{false};
};

}  // namespace hv
