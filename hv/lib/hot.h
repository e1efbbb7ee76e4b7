// SPDX-License-Identifier: Apache-2.0
// The #VMEXIT path, packed: its code in .text.hot, the globals it reads in
// .data.hot and the tables in .rodata.hot (the hypercall families), each at
// the start of its section (hv/arch/x86/linker.ld).
// Under QEMU's TCG every VMRUN and #VMEXIT flushes the software TLB and the
// jump cache, so every page an exit touches, and every indirect branch target
// it reaches (returns too), is paid for again on every exit. On hardware the
// same packing keeps the path in few TLB entries and cache lines.
#pragma once

#define HV_HOT __attribute__((hot, section(".text.hot")))
#define HV_HOT_DATA __attribute__((section(".data.hot")))
#define HV_HOT_RODATA __attribute__((section(".rodata.hot")))
// Rare paths called from hot code: kept out of line, and out of its pages.
#define HV_COLD __attribute__((cold, noinline))
