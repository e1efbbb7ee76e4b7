/* SPDX-License-Identifier: Apache-2.0 */
/* The world switch.
 *
 * void svm_vmrun(GuestRegs* regs, uint64_t vmcb_pa, uint64_t host_vmcb_pa)
 *
 * Called after CLGI with IF set (RunVcpu): nothing interrupts the switch,
 * yet a physical interrupt ends the guest (V_INTR_MASKING) and stays pending
 * while GIF is 0. The host's FS/GS/TR/LDTR/syscall MSRs are already in its
 * VMCB (svm_save_host: they never change while a vCPU runs, so they are
 * saved once per RunVcpu, as KVM does per vcpu_load, not per exit).
 * The guest's state comes in (VMLOAD, its registers), VMRUN. At #VMEXIT the
 * CPU restores RSP and RAX (= vmcb_pa); the guest's registers and VMSAVE
 * state are stored, the host's loaded back, and STGI: an interrupt that
 * ended the guest is taken right there. */

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

    .section .text.hot, "ax"   /* beside the exit path: hv/lib/hot.h */
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

/* void svm_save_host(uint64_t host_vmcb_pa): VMSAVE of the host's state. */
    .globl svm_save_host
svm_save_host:
    movq %rdi, %rax
    vmsave %rax
    ret

    .section .note.GNU-stack, "", @progbits
