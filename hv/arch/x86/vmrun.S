/* SPDX-License-Identifier: Apache-2.0 */
/* The world switch.
 *
 * void svm_vmrun(GuestRegs* regs, uint64_t vmcb_pa, uint64_t host_vmcb_pa)
 *
 * Called with interrupts off. CLGI first, so nothing interrupts the switch;
 * then the host's FS/GS/TR/LDTR/syscall MSRs go to its VMCB (VMSAVE), IF is
 * set so that physical interrupts end the guest (V_INTR_MASKING) yet stay
 * pending while GIF is 0, the guest's state comes in (VMLOAD, its registers),
 * VMRUN. At #VMEXIT the CPU restores RSP and RAX (= vmcb_pa); the guest's
 * registers and VMSAVE state are stored, IF cleared, the host state loaded
 * back, and STGI: a pending interrupt is taken at the caller's next STI. */

/* Offsets in GuestRegs (vcpu_arch.h); RAX lives in the VMCB. */
#define R_RBX 0
#define R_RCX 8
#define R_RDX 16
#define R_RSI 24
#define R_RDI 32
#define R_RBP 40
#define R_R8 48
#define R_R9 56
#define R_R10 64
#define R_R11 72
#define R_R12 80
#define R_R13 88
#define R_R14 96
#define R_R15 104

    .text
    .globl svm_vmrun
svm_vmrun:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdi                  /* 16(%rsp): regs */
    pushq %rdx                  /*  8(%rsp): host VMCB */
    pushq %rsi                  /*  0(%rsp): guest VMCB */

    clgi
    movq %rdx, %rax
    vmsave %rax
    sti

    movq %rdi, %rax
    movq R_RBX(%rax), %rbx
    movq R_RCX(%rax), %rcx
    movq R_RDX(%rax), %rdx
    movq R_RSI(%rax), %rsi
    movq R_RDI(%rax), %rdi
    movq R_RBP(%rax), %rbp
    movq R_R8(%rax), %r8
    movq R_R9(%rax), %r9
    movq R_R10(%rax), %r10
    movq R_R11(%rax), %r11
    movq R_R12(%rax), %r12
    movq R_R13(%rax), %r13
    movq R_R14(%rax), %r14
    movq R_R15(%rax), %r15
    movq 0(%rsp), %rax
    vmload %rax
    vmrun %rax
    vmsave %rax

    movq 16(%rsp), %rax
    movq %rbx, R_RBX(%rax)
    movq %rcx, R_RCX(%rax)
    movq %rdx, R_RDX(%rax)
    movq %rsi, R_RSI(%rax)
    movq %rdi, R_RDI(%rax)
    movq %rbp, R_RBP(%rax)
    movq %r8, R_R8(%rax)
    movq %r9, R_R9(%rax)
    movq %r10, R_R10(%rax)
    movq %r11, R_R11(%rax)
    movq %r12, R_R12(%rax)
    movq %r13, R_R13(%rax)
    movq %r14, R_R14(%rax)
    movq %r15, R_R15(%rax)

    cli
    movq 8(%rsp), %rax
    vmload %rax
    stgi

    addq $24, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

    .section .note.GNU-stack, "", @progbits
