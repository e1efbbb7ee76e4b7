// SPDX-License-Identifier: Apache-2.0
#include "hv/arch/x86/descriptors.h"

extern "C" const uint64_t isr_stub_table[256];

namespace hv::x86 {
namespace {

struct [[gnu::packed]] DescriptorPointer {
  uint16_t limit;
  uint64_t base;
};
static_assert(sizeof(DescriptorPointer) == 10);

alignas(4096) IdtGate g_idt[256];

uint8_t IstFor(int vector) {
  switch (vector) {
    case 2:
      return kIstNmi;
    case 8:
      return kIstDoubleFault;
    case 18:
      return kIstMachineCheck;
    default:
      return 0;
  }
}

}  // namespace

void BuildIdt() {
  for (int v = 0; v < 256; ++v) {
    const uint64_t target = isr_stub_table[v];
    g_idt[v] = IdtGate{
        .offset_low = static_cast<uint16_t>(target),
        .selector = kCodeSelector,
        .ist = IstFor(v),
        .type_attr = 0x8e,  // present, DPL 0, 64-bit interrupt gate (IF cleared on entry)
        .offset_mid = static_cast<uint16_t>(target >> 16),
        .offset_high = static_cast<uint32_t>(target >> 32),
        .reserved = 0,
    };
  }
}

void LoadDescriptors(Gdt& gdt, Tss& tss, const uint64_t (&ist_tops)[kIstCount]) {
  tss = Tss{};
  for (int i = 0; i < kIstCount; ++i) tss.ist[i] = ist_tops[i];
  tss.iomap_base = sizeof(Tss);  // no I/O bitmap
  const uint64_t base = reinterpret_cast<uint64_t>(&tss);
  const uint64_t limit = sizeof(Tss) - 1;
  gdt.entries[0] = 0;
  gdt.entries[1] = 0x00af9a000000ffff;  // 64-bit code, DPL 0
  gdt.entries[2] = 0x00cf92000000ffff;  // data
  // Available 64-bit TSS (type 9), present.
  gdt.entries[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (uint64_t{0x89} << 40) |
                   (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
  gdt.entries[4] = base >> 32;

  const DescriptorPointer gdtr{sizeof(gdt.entries) - 1, reinterpret_cast<uint64_t>(&gdt)};
  const DescriptorPointer idtr{sizeof(g_idt) - 1, reinterpret_cast<uint64_t>(&g_idt)};
  asm volatile(
      "lgdt %0\n\t"
      "pushq %[cs]\n\t"
      "leaq 1f(%%rip), %%rax\n\t"
      "pushq %%rax\n\t"
      "lretq\n"
      "1:\n\t"
      "movw %[ds], %%ax\n\t"
      "movw %%ax, %%ds\n\t"
      "movw %%ax, %%es\n\t"
      "movw %%ax, %%ss\n\t"
      "xorl %%eax, %%eax\n\t"
      "movw %%ax, %%fs\n\t"  // FS/GS bases are set through MSRs
      "movw %%ax, %%gs\n\t"
      "ltr %w[tr]\n\t"
      "lidt %1"
      :
      : "m"(gdtr),
        "m"(idtr), [cs] "i"(kCodeSelector), [ds] "i"(kDataSelector), [tr] "r"(kTssSelector)
      : "rax", "memory");
}

}  // namespace hv::x86
