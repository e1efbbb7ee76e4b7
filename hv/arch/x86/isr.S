/* SPDX-License-Identifier: Apache-2.0 */
/* One stub per IDT vector. Each pushes a dummy error code where the CPU does
 * not, then the vector, saves the general registers into a TrapFrame
 * (trap_frame.h) and calls hv::x86::HandleTrap(TrapFrame*). */

    .text
/* Vectors whose exceptions push an error code: #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX */
#define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

    .macro isr_stub vector
    .align 16
isr_\vector:
    .if !HAS_ERROR(\vector)
    pushq $0
    .endif
    pushq $\vector
    jmp isr_common
    .endm

    .altmacro
    .macro isr_stubs from, to
    isr_stub \from
    .if \to-\from
    isr_stubs %(\from+1), \to
    .endif
    .endm

    /* Split to stay under gas's macro nesting limit. */
    isr_stubs 0, 63
    isr_stubs 64, 127
    isr_stubs 128, 191
    isr_stubs 192, 255

isr_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    cld
    movq %rsp, %rdi
    /* Keep a frame-pointer chain through the trap for backtraces: a fake frame
     * {saved rbp, interrupted rip} (the interrupted RIP is at 17*8 in the frame). */
    pushq 17 * 8(%rsp)
    pushq %rbp
    movq %rsp, %rbp
    call _ZN2hv3x8610HandleTrapEPNS0_9TrapFrameE  /* hv::x86::HandleTrap(TrapFrame*) */
    addq $16, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp                  /* vector and error code */
    iretq

    /* The stubs' addresses, for building the IDT. */
    .section .rodata
    .align 8
    .globl isr_stub_table
    .macro isr_addr vector
    .quad isr_\vector
    .endm
    .macro isr_addrs from, to
    isr_addr \from
    .if \to-\from
    isr_addrs %(\from+1), \to
    .endif
    .endm
isr_stub_table:
    isr_addrs 0, 63
    isr_addrs 64, 127
    isr_addrs 128, 191
    isr_addrs 192, 255

    .section .note.GNU-stack, "", @progbits
