/* SPDX-License-Identifier: Apache-2.0 */
/* Multiboot v1 entry. The loader enters _start in 32-bit protected mode with
 * paging off (EAX = magic, EBX = multiboot info). We zero .bss, build boot page
 * tables (identity and direct map of the first 4 GiB, the image at -2 GiB),
 * switch to long mode and call hv::x86::BootMain(magic, mbi) in the higher half.
 * The same boot tables carry the APs from their trampoline into long mode. */
#include "hv/arch/x86/layout.h"

#define PHYS(x) ((x) - HV_IMAGE_VIRT_BASE)
#define MB_MAGIC 0x1BADB002
/* page-align modules, memory info, a.out kludge (QEMU refuses a 64-bit ELF otherwise) */
#define MB_FLAGS 0x00010003
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80
#define COM1 0x3f8

    .section .multiboot, "a"
    .align 4
mb_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
    .long PHYS(mb_header)       /* header_addr */
    .long PHYS(__image_start)   /* load_addr */
    .long PHYS(__load_end)      /* load_end_addr */
    .long PHYS(__bss_end)       /* bss_end_addr */
    .long PHYS(_start)          /* entry_addr */

    .section .boot.text, "ax"
    .code32
    .globl _start
_start:
    cli
    cld
    movl %eax, %edi                 /* multiboot magic -> 1st argument */
    movl %ebx, %esi                 /* multiboot info -> 2nd argument */

    /* Zero .bss: the boot page tables and the boot stack live there. */
    movl $PHYS(__bss_start), %ebx
    movl $PHYS(__bss_end), %ecx
    subl %ebx, %ecx
    shrl $2, %ecx
    xorl %eax, %eax
    pushl %edi
    movl %ebx, %edi
    rep stosl
    popl %edi
    movl $PHYS(boot_stack_top), %esp

    /* Long mode and NX are required; say so on COM1 if absent. */
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb no_long_mode
    movl $0x80000001, %eax
    cpuid
    testl $(1 << 29), %edx          /* LM */
    jz no_long_mode
    testl $(1 << 20), %edx          /* NX */
    jz no_long_mode

    /* PML4[0] (identity) and PML4[256] (direct map) share one PDPT covering
     * 4 GiB with 2 MiB pages; PML4[511]/PDPT[510] maps the image at -2 GiB. */
    movl $PHYS(boot_pdpt_low), %eax
    orl $(PTE_P | PTE_W), %eax
    movl %eax, PHYS(boot_pml4)
    movl %eax, PHYS(boot_pml4) + 256 * 8
    movl $PHYS(boot_pdpt_high), %eax
    orl $(PTE_P | PTE_W), %eax
    movl %eax, PHYS(boot_pml4) + 511 * 8
    xorl %ecx, %ecx
1:  movl %ecx, %eax                 /* PDPT_low[i] -> boot_pd + i*4K, i < 4 */
    shll $12, %eax
    addl $(PHYS(boot_pd) + PTE_P + PTE_W), %eax
    movl %eax, PHYS(boot_pdpt_low)(,%ecx,8)
    incl %ecx
    cmpl $4, %ecx
    jne 1b
    movl $(PHYS(boot_pd) + PTE_P + PTE_W), %eax
    movl %eax, PHYS(boot_pdpt_high) + 510 * 8
    xorl %ecx, %ecx
2:  movl %ecx, %eax                 /* PD[i] -> i * 2 MiB, i < 2048 */
    shll $21, %eax
    orl $(PTE_P | PTE_W | PTE_PS), %eax
    movl %eax, PHYS(boot_pd)(,%ecx,8)
    movl %ecx, %eax
    shrl $11, %eax                  /* high dword: bits 32+ of i * 2 MiB */
    movl %eax, PHYS(boot_pd) + 4(,%ecx,8)
    incl %ecx
    cmpl $2048, %ecx
    jne 2b

    call enter_long_mode_32
    lgdt PHYS(boot_gdt_ptr)
    ljmp $0x08, $PHYS(bsp_long_mode_low)

/* Shared by the BSP and the APs' trampoline: PAE, EFER.LME|NXE, CR3 = boot
 * tables, paging and write protection on. Expects a stack. */
    .globl enter_long_mode_32
enter_long_mode_32:
    movl %cr4, %eax
    orl $(1 << 5), %eax             /* PAE */
    movl %eax, %cr4
    movl $PHYS(boot_pml4), %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx          /* EFER */
    rdmsr
    orl $((1 << 8) | (1 << 11)), %eax  /* LME | NXE */
    wrmsr
    movl %cr0, %eax
    orl $0x80010001, %eax           /* PG | WP | PE */
    movl %eax, %cr0
    ret

no_long_mode:
    movl $no_lm_msg - HV_IMAGE_VIRT_BASE, %esi
3:  lodsb
    testb %al, %al
    jz 5f
    movl %eax, %ebx
    movw $(COM1 + 5), %dx
4:  inb %dx, %al                    /* wait for the transmitter */
    testb $0x20, %al
    jz 4b
    movl %ebx, %eax
    movw $COM1, %dx
    outb %al, %dx
    jmp 3b
5:  cli
    hlt
    jmp 5b

    .code64
bsp_long_mode_low:
    movabsq $bsp_long_mode_high, %rax
    jmp *%rax

    .text
bsp_long_mode_high:
    xorl %eax, %eax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp                 /* ends every backtrace */
    call _ZN2hv3x868BootMainEjj     /* hv::x86::BootMain(uint32_t, uint32_t) */
6:  cli
    hlt
    jmp 6b

    .section .rodata
no_lm_msg:
    .asciz "hv: this CPU has no long mode or no NX; hv needs x86_64\r\n"
    .align 8
    .globl boot_gdt
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF        /* 0x08: 64-bit code */
    .quad 0x00CF92000000FFFF        /* 0x10: data */
boot_gdt_end:
boot_gdt_ptr:
    .word boot_gdt_end - boot_gdt - 1
    .long PHYS(boot_gdt)

    .section .bss
    .align 4096
    .globl boot_pml4
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4096 * 4
    .globl boot_stack, boot_stack_top
boot_stack:     .skip HV_STACK_SIZE
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
