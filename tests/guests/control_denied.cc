// SPDX-License-Identifier: Apache-2.0
// A domU (not privileged) gets HV_EPERM for every domain- and host-control
// op, known or not, even with a well-formed argument, and nothing changes;
// discovery still tells it the families' versions, and its own memory
// family (HV_MEMORY_QUERY) works.
#include "hv/domctl.h"
#include "hv/memory.h"
#include "hv/sysctl.h"
#include "tests/guests/lib/guest.h"

void test_main() {
  GUEST_ASSERT_NE(guest::DomainId(), 0u);
  for (uint32_t n = 0; n < 256; ++n) {
    GUEST_ASSERT_EQ(guest::Hypercall5(HV_OP(HV_FAMILY_DOMCTL, n), 0, 0, 0, 0, 0), HV_EPERM);
    GUEST_ASSERT_EQ(guest::Hypercall5(HV_OP(HV_FAMILY_SYSCTL, n), 0, 0, 0, 0, 0), HV_EPERM);
  }

  // Well-formed requests are refused before hv reads them: nothing is
  // written back, nothing is created.
  hv_domctl_create create{};
  create.interface_version = HV_DOMCTL_INTERFACE_VERSION;
  create.domain_id = 0x5a5a5a5a;
  const char name[] = "intruder";
  for (size_t i = 0; i < sizeof(name); ++i) create.name[i] = name[i];
  create.memory_bytes = 1 << 20;
  create.vcpus = 1;
  create.weight = 256;
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_DOMCTL_CREATE, guest::Gpa(&create)), HV_EPERM);
  GUEST_ASSERT_EQ(create.domain_id, 0x5a5a5a5au);

  hv_domctl_domain self{HV_DOMCTL_INTERFACE_VERSION, guest::DomainId()};
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_DOMCTL_DESTROY, guest::Gpa(&self)), HV_EPERM);
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_DOMCTL_PAUSE, guest::Gpa(&self)), HV_EPERM);

  hv_domctl_info info{};
  info.interface_version = HV_DOMCTL_INTERFACE_VERSION;
  info.domain_id = guest::DomainId();
  info.state = 0xeeee;
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_DOMCTL_INFO, guest::Gpa(&info)), HV_EPERM);
  GUEST_ASSERT_EQ(info.state, 0xeeeeu);

  hv_domctl_max_memory max{HV_DOMCTL_INTERFACE_VERSION, guest::DomainId(), 1ull << 30};
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_DOMCTL_SET_MAX_MEMORY, guest::Gpa(&max)), HV_EPERM);

  hv_sysctl_physinfo phys{};
  phys.interface_version = HV_SYSCTL_INTERFACE_VERSION;
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_SYSCTL_PHYSINFO, guest::Gpa(&phys)), HV_EPERM);
  GUEST_ASSERT_EQ(phys.free_pages, 0u);

  // Discovery answers anyone.
  GUEST_ASSERT_EQ(guest::VersionFamily(HV_FAMILY_DOMCTL), HV_DOMCTL_INTERFACE_VERSION);
  GUEST_ASSERT_EQ(guest::VersionFamily(HV_FAMILY_SYSCTL), HV_SYSCTL_INTERFACE_VERSION);
  GUEST_ASSERT_EQ(guest::VersionFamily(HV_FAMILY_MEMORY), HV_MEMORY_INTERFACE_VERSION);

  // The memory family is the caller's own: a domU may ask, and the refused
  // SET_MAX_MEMORY above changed nothing.
  hv_memory_info mem;
  GUEST_ASSERT_EQ(guest::Hypercall1(HV_MEMORY_QUERY, guest::Gpa(&mem)), HV_OK);
  GUEST_ASSERT_EQ(mem.memory_bytes, guest::MemoryBytes());
  GUEST_ASSERT_EQ(mem.max_memory_bytes, guest::MemoryBytes());
}
