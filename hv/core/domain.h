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


// A contiguous run of the domain's memory: 2^order pages.
struct MemBlock {
  GuestPhysAddr gpa;
  PhysAddr hpa;
  uint32_t order;
  uint32_t pad;
};

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

  uint64_t memory_bytes = 0;      // guest RAM is [0, memory_bytes)
  uint64_t max_memory_bytes = 0;  // the most it may grow to (domctl); >= memory_bytes
  // The blocks backing guest RAM, in pages chained through their first word.
  PhysAddr block_pages;
  uint64_t block_count = 0;
  uint64_t pages = 0;  // everything the domain holds, for accounting

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

  SpinLock lock;  // guards state, reason and the console line
  arch::ArchDomain* arch = nullptr;
};

}  // namespace hv
