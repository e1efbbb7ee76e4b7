// SPDX-License-Identifier: Apache-2.0
// hv's virtual memory layout. Shared by C++ and assembly, so only #defines.
#pragma once

// hv's image: linked at -2 GiB (-mcmodel=kernel), loaded at 1 MiB physical.
#define HV_IMAGE_VIRT_BASE 0xffffffff80000000
#define HV_IMAGE_PHYS_LOAD 0x100000

// All RAM, mapped once (NX, write-back): phys p is at HV_DIRECT_MAP_BASE + p.
#define HV_DIRECT_MAP_BASE 0xffff800000000000
// Device memory (uncached) and stacks with guard pages, handed out upward.
#define HV_IOREMAP_BASE 0xffffc00000000000
#define HV_STACKS_BASE 0xffffc80000000000

#define HV_STACK_SIZE 0x4000      // 16 KiB per CPU, a guard page below it
#define HV_IST_STACK_SIZE 0x2000  // NMI, #DF, #MC each have their own

// Boot page tables (boot.S) identity-map and direct-map the first 4 GiB.
#define HV_BOOT_MAPPED_LIMIT 0x100000000
