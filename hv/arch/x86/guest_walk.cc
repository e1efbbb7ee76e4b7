// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/guest_walk.h"

#include "hv/arch/x86/page_table.h"
#include "hv/arch/x86/vcpu_arch.h"
#include "hv/core/domain.h"
#include "hv/core/domains.h"

namespace hv::x86 {

bool GuestVirtToPhys(const Vcpu& v, uint64_t va, uint64_t* gpa) {
  const VmcbState& s = v.arch->vmcb->state;
  if (!(s.cr0 & (uint64_t{1} << 31))) {  // no paging: virtual is physical
    *gpa = va;
    return true;
  }
  if (!(s.efer & (1u << 10))) return false;  // only long mode is walked
  uint64_t table = s.cr3 & kPteAddrMask;
  for (int level = 3; level >= 0; --level) {
    const uint64_t index = (va >> (12 + 9 * level)) & 511;
    uint64_t e;
    if (!domains::CopyFromGuest(*v.domain, GuestPhysAddr(table + 8 * index), &e, sizeof(e))) {
      return false;
    }
    if (!(e & kPteP)) return false;
    const bool leaf = level == 0 || (level <= 2 && (e & kPtePs));
    if (leaf) {
      const uint64_t page_mask = (uint64_t{1} << (12 + 9 * level)) - 1;
      *gpa = ((e & kPteAddrMask) & ~page_mask) | (va & page_mask);
      return true;
    }
    table = e & kPteAddrMask;
  }
  return false;
}

bool ReadGuestVirt(const Vcpu& v, uint64_t va, void* dst, uint64_t len) {
  auto* out = static_cast<uint8_t*>(dst);
  while (len) {
    const uint64_t in_page = kPageSize - (va % kPageSize);
    const uint64_t n = len < in_page ? len : in_page;
    uint64_t gpa;
    if (!GuestVirtToPhys(v, va, &gpa) ||
        !domains::CopyFromGuest(*v.domain, GuestPhysAddr(gpa), out, n)) {
      return false;
    }
    out += n;
    va += n;
    len -= n;
  }
  return true;
}

}  // namespace hv::x86
