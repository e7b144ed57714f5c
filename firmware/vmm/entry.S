/* The VMM's way in and out: entry from the boot firmware, and the trap path.
 *
 * While a guest runs, sscratch holds its vCPU record; the trap path swaps it into tp,
 * saves the guest's caller-saved registers there (the C code keeps s0-s11 as it found
 * them, and never touches gp: it is built without linker relaxation, so the compiler has
 * no use for it) and calls vmm_trap on a fresh stack, the guest's a0-a7 left in place as
 * its arguments (an SBI call's). A vCPU set up afresh (enter_guest)
 * is marked and gets every register from its record. sscratch is 0 while the VMM itself
 * runs, so a trap taken in the VMM (a VMM bug) is recognised and parks the hart instead
 * of corrupting a guest. */
#include "zv_abi.h"

#define REG(n) (ZV_VCPU_REGS + 4 * (n))(tp)

    .section .text
    .globl vmm_entry
vmm_entry:                         /* a0 = hart ID, a1 = vCPU record */
    mv tp, a1
    lw sp, ZV_VCPU_STACK(tp)
    csrw sscratch, zero
    la t0, vmm_trap_entry
    csrw stvec, t0
    mv a0, tp
    call vmm_start                 /* runs the vCPU's life; returns into the guest */
    j vmm_resume

    .balign 4
vmm_trap_entry:
    csrrw tp, sscratch, tp
    beqz tp, vmm_fatal
    sw ra, REG(1)
    sw sp, REG(2)
    sw t0, REG(5)
    sw t1, REG(6)
    sw t2, REG(7)
    sw a0, REG(10)
    sw a1, REG(11)
    sw a2, REG(12)
    sw a3, REG(13)
    sw a4, REG(14)
    sw a5, REG(15)
    sw a6, REG(16)
    sw a7, REG(17)
    sw t3, REG(28)
    sw t4, REG(29)
    sw t5, REG(30)
    sw t6, REG(31)
    csrrw t0, sscratch, zero       /* the guest's tp; sscratch = 0 while in the VMM */
    sw t0, REG(4)
    lw sp, ZV_VCPU_STACK(tp)
    call vmm_trap                  /* a0-a7 as the guest left them, tp the vCPU */

    .globl vmm_resume
vmm_resume:                        /* tp = vCPU record: back into its guest */
    lw t0, ZV_VCPU_FRESH(tp)
    csrw sscratch, tp              /* between the load and its use: no load-use stall */
    bnez t0, vmm_fresh             /* rare: the usual way back falls through (a taken */
1:                                 /* forward branch costs the core two bubbles) */
    lw ra, REG(1)
    lw sp, REG(2)
    lw t0, REG(5)
    lw t1, REG(6)
    lw t2, REG(7)
    lw a0, REG(10)
    lw a1, REG(11)
    lw a2, REG(12)
    lw a3, REG(13)
    lw a4, REG(14)
    lw a5, REG(15)
    lw a6, REG(16)
    lw a7, REG(17)
    lw t3, REG(28)
    lw t4, REG(29)
    lw t5, REG(30)
    lw t6, REG(31)
    lw tp, REG(4)
    sret
vmm_fresh:                         /* a vCPU set up afresh: its callee-saved registers too */
    sw zero, ZV_VCPU_FRESH(tp)
    lw gp, REG(3)
    lw s0, REG(8)
    lw s1, REG(9)
    lw s2, REG(18)
    lw s3, REG(19)
    lw s4, REG(20)
    lw s5, REG(21)
    lw s6, REG(22)
    lw s7, REG(23)
    lw s8, REG(24)
    lw s9, REG(25)
    lw s10, REG(26)
    lw s11, REG(27)
    j 1b

vmm_fatal:                         /* a trap in the VMM itself: park this hart */
    csrw sie, zero
1:  wfi
    j 1b

#ifdef ZV_ATTACK
/* uint32_t zv_raw(kind, addr, value, uint32_t *out): for the audit's buggy VMM build (see
 * vmm.c), one access from HS-mode: 0 load, 1 store, 2 instruction fetch, 3 AMO swap,
 * 4 HLV.W, 5 HSV.W (as the guest), 6 write mpartition, 7 mret. Returns the scause of the
 * trap it took, or -1 when it completed (*out = the value read). The trap comes back here
 * through stvec; sepc, sstatus and hstatus (the way back into the guest) are kept. */
    .globl zv_raw
zv_raw:
    csrr t4, sepc
    csrr t5, sstatus
    csrr t6, hstatus
    la t0, 9f
    csrrw t1, stvec, t0
    li t2, -1
    li t3, 0
    beqz a0, 10f
    addi a0, a0, -1
    beqz a0, 11f
    addi a0, a0, -1
    beqz a0, 12f
    addi a0, a0, -1
    beqz a0, 13f
    addi a0, a0, -1
    beqz a0, 14f
    addi a0, a0, -1
    beqz a0, 15f
    addi a0, a0, -1
    beqz a0, 16f
    mret
10: lw t3, 0(a1)
    j 8f
11: sw a2, 0(a1)
    j 8f
12: jalr t0, 0(a1)                 /* reached only if another's code could run: a breach */
    j 8f
13: amoswap.w t3, a2, (a1)
    j 8f
14: hlv.w t3, (a1)
    j 8f
15: hsv.w a2, (a1)
    j 8f
16: csrw 0x7c0, a2
    j 8f
    .balign 4
9:  csrr t2, scause
8:  csrw stvec, t1
    csrw sepc, t4
    csrw sstatus, t5
    csrw hstatus, t6
    sw t3, 0(a3)
    mv a0, t2
    ret
#endif
