/* SPDX-License-Identifier: Apache-2.0 */
/* The APs' way from real mode to hv. Copied to a page below 1 MiB (the SIPI
 * vector is its page number) and entered with CS = page >> 4, IP = 0. All
 * addressing is relative to that page, held in EBP. The BSP fills the
 * parameter block at its end before each SIPI and starts one AP at a time. */
#include "hv/arch/x86/layout.h"

#define OFF(x) ((x) - ap_trampoline)
#define PHYS(x) ((x) - HV_IMAGE_VIRT_BASE)

    .section .ap_trampoline, "a"
    .code16
    .globl ap_trampoline
ap_trampoline:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    movzwl %ax, %ebp
    shll $4, %ebp                   /* EBP = the trampoline's physical address */
    /* Point the GDT descriptor at this copy, then enter protected mode. */
    leal OFF(tramp_gdt)(%ebp), %eax
    movl %eax, OFF(tramp_gdt_ptr) + 2
    lgdtl OFF(tramp_gdt_ptr)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    leal OFF(tramp_32)(%ebp), %eax
    movl %eax, OFF(tramp_far32)
    ljmpl *OFF(tramp_far32)

    .code32
tramp_32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    leal OFF(tramp_stack_top)(%ebp), %esp  /* a few bytes for the call below */
    movl $PHYS(enter_long_mode_32), %eax  /* shared with boot.S; absolute, as this code moved */
    call *%eax
    pushl $0x18
    leal OFF(tramp_64)(%ebp), %eax
    pushl %eax
    lretl

    .code64
tramp_64:
    movl %ebp, %ebp                 /* upper half is undefined after the mode switch */
    movq OFF(tramp_arg)(%rbp), %rdi
    movq OFF(tramp_stack)(%rbp), %rsi
    movq OFF(tramp_cr3)(%rbp), %rdx
    movq OFF(tramp_entry)(%rbp), %rax
    jmp *%rax                       /* ap_entry64, below */

    .align 16
tramp_gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF        /* 0x08: 32-bit code */
    .quad 0x00CF92000000FFFF        /* 0x10: data */
    .quad 0x00AF9A000000FFFF        /* 0x18: 64-bit code */
tramp_gdt_ptr:
    .word 4 * 8 - 1
    .long 0
tramp_far32:
    .long 0
    .word 0x08
    .align 8
tramp_stack_bottom:
    .skip 64
tramp_stack_top:

/* Parameter block, written by the BSP (see ApTrampolineParams in smp.cc). */
    .align 8
    .globl ap_trampoline_params
ap_trampoline_params:
tramp_entry: .quad 0                /* ap_entry64, in the higher half */
tramp_stack: .quad 0                /* the AP's stack top (mapped only in hv's tables) */
tramp_arg:   .quad 0                /* the AP's per-CPU area */
tramp_cr3:   .quad 0                /* hv's page tables */
    .globl ap_trampoline_end
ap_trampoline_end:


/* The APs' first code in the higher half, still on the boot page tables:
 * switch to hv's tables, then to the AP's own stack, then into C++.
 * RDI = the AP's per-CPU area, RSI = its stack top, RDX = hv's CR3. */
    .text
    .globl ap_entry64
ap_entry64:
    movq %rdx, %cr3
    movq %rsi, %rsp
    xorl %ebp, %ebp
    call _ZN2hv3x863smp7ApEntryEPNS0_6PerCpuE  /* hv::x86::smp::ApEntry(PerCpu*) */
1:  cli
    hlt
    jmp 1b

    .section .note.GNU-stack, "", @progbits
