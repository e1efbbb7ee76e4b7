// SPDX-License-Identifier: Apache-2.0
// Segment and interrupt descriptor tables. Every CPU has its own GDT and TSS
// (its own IST stacks); all CPUs load the one IDT, which never changes after boot.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hv::x86 {

inline constexpr uint16_t kCodeSelector = 0x08;
inline constexpr uint16_t kDataSelector = 0x10;
inline constexpr uint16_t kTssSelector = 0x18;

// Interrupt stack table slots (1-based, as in the gate descriptor).
inline constexpr uint8_t kIstNmi = 1;
inline constexpr uint8_t kIstDoubleFault = 2;
inline constexpr uint8_t kIstMachineCheck = 3;
inline constexpr int kIstCount = 3;

struct [[gnu::packed]] Tss {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t iomap_base;
};
static_assert(sizeof(Tss) == 104);
static_assert(offsetof(Tss, rsp) == 4);
static_assert(offsetof(Tss, ist) == 36);
static_assert(offsetof(Tss, iomap_base) == 102);

struct [[gnu::packed]] IdtGate {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attr;
  uint16_t offset_mid;
  uint32_t offset_high;
  uint32_t reserved;
};
static_assert(sizeof(IdtGate) == 16);

// null, code, data, and the TSS descriptor, which takes two slots.
struct alignas(16) Gdt {
  uint64_t entries[5];
};

// Fills the shared IDT from isr.S's stubs. Once, on the boot CPU.
void BuildIdt();
// Builds this CPU's GDT and TSS (ist_tops: the IST stacks' tops) and loads
// GDT, TSS and IDT on the calling CPU.
void LoadDescriptors(Gdt& gdt, Tss& tss, const uint64_t (&ist_tops)[kIstCount]);

}  // namespace hv::x86
