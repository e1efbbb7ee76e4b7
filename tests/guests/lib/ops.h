// SPDX-License-Identifier: Apache-2.0
// Wrappers for the hypercalls many guest tests make the same way: the
// control ops (domctl, sysctl; a control domain only) and ballooning. A
// wrapper that returns a structure asserts that the call succeeded.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hv/domctl.h"
#include "hv/memory.h"
#include "hv/sysctl.h"
#include "tests/guests/lib/guest.h"

namespace guest {

// An op whose one argument is a structure in our memory.
inline int64_t Call(uint64_t op, const void* arg) { return Hypercall1(op, Gpa(arg)); }

// --- Control ops -------------------------------------------------------------

// DESTROY, PAUSE, UNPAUSE and the other ops on one domain id.
inline int64_t DomainOp(uint64_t op, uint32_t id,
                        uint32_t version = HV_DOMCTL_INTERFACE_VERSION) {
  hv_domctl_domain a{version, id};
  return Call(op, &a);
}

// Copies `name` into a CREATE's name: at most the whole field, so a name of
// HV_DOMAIN_NAME_SIZE characters or more is left unterminated on purpose.
inline void SetDomainName(hv_domctl_create* c, const char* name) {
  for (char& ch : c->name) ch = 0;
  for (size_t i = 0; name[i] && i < sizeof(c->name); ++i) c->name[i] = name[i];
}

inline hv_domctl_create MakeCreate(const char* name, uint64_t memory, uint32_t vcpus) {
  hv_domctl_create c{};
  c.interface_version = HV_DOMCTL_INTERFACE_VERSION;
  SetDomainName(&c, name);
  c.memory_bytes = memory;
  c.vcpus = vcpus;
  c.weight = 256;
  return c;
}

inline hv_domctl_info DomainInfo(uint32_t id) {
  hv_domctl_info info{};
  info.interface_version = HV_DOMCTL_INTERFACE_VERSION;
  info.domain_id = id;
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_INFO, &info), HV_OK);
  return info;
}

// How many domains exist, in any state.
inline uint32_t DomainCount() {
  hv_domctl_list l{HV_DOMCTL_INTERFACE_VERSION, 0, 0, 0, 0};
  GUEST_ASSERT_EQ(Call(HV_DOMCTL_LIST, &l), 0);
  return l.total;
}

// hv's free pages (HV_SYSCTL_PHYSINFO).
inline uint64_t FreePages() {
  hv_sysctl_physinfo p{};
  p.interface_version = HV_SYSCTL_INTERFACE_VERSION;
  GUEST_ASSERT_EQ(Call(HV_SYSCTL_PHYSINFO, &p), HV_OK);
  return p.free_pages;
}

// --- Ballooning --------------------------------------------------------------

inline int64_t Release(uint64_t gpa, uint64_t n) { return Hypercall2(HV_MEMORY_RELEASE, gpa, n); }
inline int64_t Populate(uint64_t gpa, uint64_t n) { return Hypercall2(HV_MEMORY_POPULATE, gpa, n); }

inline hv_memory_info MemoryQuery() {
  hv_memory_info info{};
  GUEST_ASSERT_EQ(Call(HV_MEMORY_QUERY, &info), HV_OK);
  return info;
}

// Whether the page at gpa is populated, asked of hv without touching it:
// QUERY writes the last 24 bytes of the page, or fails with HV_EFAULT.
inline bool Populated(uint64_t gpa) {
  const int64_t r = Hypercall1(HV_MEMORY_QUERY, gpa + 4096 - sizeof(hv_memory_info));
  GUEST_ASSERT(r == HV_OK || r == HV_EFAULT);
  return r == HV_OK;
}

// The first 2 MiB boundary 64 KiB past the image: room to balloon in.
inline uint64_t BalloonBase() {
  constexpr uint64_t k2MiB = 2ull << 20;
  return (StartInfo().free_gpa + 0x10000 + k2MiB - 1) & ~(k2MiB - 1);
}

}  // namespace guest
