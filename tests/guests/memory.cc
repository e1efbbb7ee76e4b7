// SPDX-License-Identifier: Apache-2.0
// HV_FAMILY_MEMORY from a domU: QUERY describes the caller's own memory;
// a bad pointer is HV_EFAULT with nothing written. POPULATE and RELEASE
// exist (balloon.cc tests them); op numbers past them do not.
#include "hv/memory.h"

#include "tests/guests/lib/guest.h"

namespace {

// Two structures back to back, so that the second shows any overrun.
struct Guarded {
  hv_memory_info info;
  uint64_t guard;
};

}  // namespace

void test_main() {
  GUEST_ASSERT_EQ(guest::VersionFamily(HV_FAMILY_MEMORY), HV_MEMORY_INTERFACE_VERSION);

  Guarded g;
  g.info = {~0ull, ~0ull, ~0ull};
  g.guard = 0x1122334455667788;
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_MEMORY_QUERY, guest::Gpa(&g.info)), HV_OK);
  GUEST_ASSERT_EQ(g.guard, 0x1122334455667788u);
  guest::Printf("memory: %lu KiB, max %lu KiB, %lu pages held\n", g.info.memory_bytes >> 10,
                g.info.max_memory_bytes >> 10, g.info.pages);
  GUEST_ASSERT_EQ(g.info.memory_bytes, guest::MemoryBytes());
  // A boot-time domain may grow to no more than it started with.
  GUEST_ASSERT_EQ(g.info.max_memory_bytes, guest::MemoryBytes());
  // Its RAM, and hv's own pages for it (the domain, nested page tables, vCPUs).
  GUEST_ASSERT(g.info.pages > guest::MemoryBytes() / 4096);
  GUEST_ASSERT(g.info.pages < guest::MemoryBytes() / 4096 + 256);
  // The same answer twice: nothing changes by asking.
  hv_memory_info again;
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_MEMORY_QUERY, guest::Gpa(&again)), HV_OK);
  GUEST_ASSERT_EQ(again.memory_bytes, g.info.memory_bytes);
  GUEST_ASSERT_EQ(again.pages, g.info.pages);

  // Outside the caller's memory, or straddling its end.
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_MEMORY_QUERY, guest::MemoryBytes()), HV_EFAULT);
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_MEMORY_QUERY, guest::MemoryBytes() - 8), HV_EFAULT);
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_MEMORY_QUERY, ~0ull - 4), HV_EFAULT);
  // Right at the end is fine (and written there).
  const uint64_t last = guest::MemoryBytes() - sizeof(hv_memory_info);
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_MEMORY_QUERY, last), HV_OK);
  GUEST_ASSERT_EQ(reinterpret_cast<const hv_memory_info*>(last)->memory_bytes,
                  guest::MemoryBytes());

  // Ballooning ops (no pages: HV_EINVAL), and ones that do not exist.
  GUEST_ASSERT_EQ(guest::Hypercall5(HV_MEMORY_POPULATE, 0, 0, 0, 0, 0), HV_EINVAL);
  GUEST_ASSERT_EQ(guest::Hypercall5(HV_MEMORY_RELEASE, 0, 0, 0, 0, 0), HV_EINVAL);
  GUEST_ASSERT_EQ(guest::Hypercall0(HV_OP(HV_FAMILY_MEMORY, 0x03)), HV_ENOSYS);
  GUEST_ASSERT_EQ(guest::Hypercall0(HV_OP(HV_FAMILY_MEMORY, 0xff)), HV_ENOSYS);
}
