// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/cpu.h"

namespace hv::x86 {

CpuFeatures DetectFeatures() {
  CpuFeatures f;
  const CpuidResult v = Cpuid(0);
  const uint32_t vendor[3] = {v.ebx, v.edx, v.ecx};
  for (int i = 0; i < 12; ++i) f.vendor[i] = static_cast<char>(vendor[i / 4] >> (8 * (i % 4)));
  const CpuidResult l1 = Cpuid(1);
  f.x2apic = (l1.ecx >> 21) & 1;
  f.tsc_deadline = (l1.ecx >> 24) & 1;
  if (v.eax >= 7) {
    const CpuidResult l7 = Cpuid(7, 0);
    f.smep = (l7.ebx >> 7) & 1;
    f.smap = (l7.ebx >> 20) & 1;
  }
  const uint32_t max_ext = Cpuid(0x80000000).eax;
  if (max_ext >= 0x80000001) {
    const CpuidResult e1 = Cpuid(0x80000001);
    f.page1g = (e1.edx >> 26) & 1;
    f.svm = (e1.ecx >> 2) & 1;
  }
  if (max_ext >= 0x80000004) {
    for (uint32_t leaf = 0; leaf < 3; ++leaf) {
      const CpuidResult b = Cpuid(0x80000002 + leaf);
      const uint32_t words[4] = {b.eax, b.ebx, b.ecx, b.edx};
      for (int i = 0; i < 16; ++i) {
        f.brand[leaf * 16 + i] = static_cast<char>(words[i / 4] >> (8 * (i % 4)));
      }
    }
  }
  if (max_ext >= 0x80000007) f.invariant_tsc = (Cpuid(0x80000007).edx >> 8) & 1;
  return f;
}

}  // namespace hv::x86
