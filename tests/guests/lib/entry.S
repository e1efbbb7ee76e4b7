/* SPDX-License-Identifier: Apache-2.0 */
/* A guest test kernel's entry, its exception stubs and guest_catch().
 *
 * hv enters _start in 64-bit mode at CPL 0 with paging on (the first 4 GiB
 * identity-mapped), interrupts off, RSI = the guest-physical address of a
 * struct hv_start_info and RSP = a small stack of hv's. We move to our own
 * stack at once, zero .bss (the stack is in it: nothing is on it yet) and
 * call guest_start(start_info), which never returns. */

    .section .text.entry, "ax"
    .code64
    .globl _start
    .type _start, @function
_start:
    cli
    cld
    movq $__stack_top, %rsp
    movq %rsi, %rbx                 /* the start info, kept across the zeroing */
    movq $__bss_start, %rdi
    movq $__bss_end, %rcx
    subq %rdi, %rcx
    xorl %eax, %eax
    rep stosb
    movq %rbx, %rdi
    xorl %ebp, %ebp                 /* the end of the frame-pointer chain */
    call guest_start
1:  cli
    hlt
    jmp 1b
    .size _start, . - _start

/* One stub per IDT vector, 16 bytes apart (the IDT is built from
 * guest_trap_stubs + 16 * vector). Each pushes a dummy error code where the
 * CPU does not, then the vector, saves the general registers into a
 * guest::TrapFrame (guest.h) and calls guest_trap(TrapFrame*). */
    .text
/* Vectors whose exceptions push an error code: #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX */
#define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

    .macro trap_stub vector
    .balign 16
    .if !HAS_ERROR(\vector)
    pushq $0
    .endif
    pushq $\vector
    jmp trap_common
    .endm

    .altmacro
    .macro trap_stubs from, to
    trap_stub \from
    .if \to-\from
    trap_stubs %(\from+1), \to
    .endif
    .endm

    .balign 16
    .globl guest_trap_stubs
guest_trap_stubs:
    /* Split to stay under gas's macro nesting limit. */
    trap_stubs 0, 63
    trap_stubs 64, 127
    trap_stubs 128, 191
    trap_stubs 192, 255
    .noaltmacro

trap_common:
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
    movq %rsp, %rdi                 /* 16-byte aligned: the CPU aligned it, and 22 words follow */
    call guest_trap                 /* may change the frame: rip, rsp, rax, rdi */
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

/* uint64_t guest_catch(void (*fn)(void*), void* arg): calls fn(arg) and
 * returns 0. If fn raises an exception, guest_trap resumes at
 * guest_catch_resume on the stack saved here with RAX = the exception's
 * exinfo, abandoning the rest of fn. Not nested. */
    .globl guest_catch
    .type guest_catch, @function
guest_catch:
    pushq %rbp
    movq %rsp, %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp                   /* 16-byte aligned for the call */
    movq %rsp, guest_catch_rsp
    movq %rdi, %rax
    movq %rsi, %rdi
    call *%rax
    xorl %eax, %eax
    .globl guest_catch_resume
guest_catch_resume:
    movq $0, guest_catch_rsp
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size guest_catch, . - guest_catch

    .bss
    .balign 8
    .globl guest_catch_rsp
guest_catch_rsp:                    /* non-zero while guest_catch runs fn */
    .skip 8

    .section .note.GNU-stack, "", @progbits
