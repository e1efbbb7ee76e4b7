// SPDX-License-Identifier: Apache-2.0
// Guest ASIDs, handed out the KVM way: each CPU gives its ASIDs out in turn
// and never gives one twice in a generation; when they run out, a new
// generation starts with a flush of every ASID on that CPU. A vCPU keeps its
// ASID, and so its TLB entries, while it stays on one CPU and its domain
// unmaps nothing; moving CPU, or an unmap (a new epoch), takes a fresh ASID
// instead of a flush. Pure logic: unit-tested on the host (asid_test.cc).
#pragma once

#include <stdint.h>

namespace hv::x86 {

// One CPU's ASID state (in PerCpu). Zero is a valid start.
struct AsidCpu {
  uint64_t generation;
  uint32_t next;  // the ASID handed out next; 0 = none handed out yet
};

// One vCPU's ASID (in ArchVcpu). Zero (asid 0) means none yet.
struct AsidTag {
  uint32_t asid;
  uint32_t cpu;
  uint64_t generation;
  uint64_t epoch;  // the domain's unmap epoch when the ASID was taken
};

// Before each VMRUN of a vCPU on CPU `cpu_index`, which has `count` ASIDs
// (ASID 0 is the host's, so count >= 2). Returns true when this VMRUN must
// flush all ASIDs (TLB_CONTROL 1); tag.asid is the one to run with.
inline bool AssignAsid(AsidCpu& cpu, uint32_t cpu_index, uint32_t count, uint64_t epoch,
                       AsidTag& tag) {
  if (tag.asid && tag.cpu == cpu_index && tag.generation == cpu.generation &&
      tag.epoch == epoch) {
    return false;
  }
  bool flush = false;
  if (cpu.next == 0 || cpu.next >= count) {
    ++cpu.generation;
    cpu.next = 1;
    flush = true;
  }
  tag = {cpu.next++, cpu_index, cpu.generation, epoch};
  return flush;
}

}  // namespace hv::x86
