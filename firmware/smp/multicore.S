/* Four harts at once: each runs a kernel copied into its own RAM bank; LR/SC and AMO
 * counters in shared memory stay exact under contention; a PLIC S context interrupts only
 * its own hart. Hart 0 checks everything and reports through tohost. Build for the SoC
 * with 4 harts and 4 banks (BANK_SIZE below). */
#include "zvtest.h"
#include "smp.h"

#define HARTS 4
#define BANK_SIZE (RAM_SIZE / HARTS)
#define ITER 200                   /* kernel loop count */
#define ROUNDS 50                  /* LR/SC and AMO increments per hart */
#define EXPECT 2646700             /* sum of i*i for i < 200 */

    .section .text.init
    .globl _start
_start:
    la t0, trap
    csrw mtvec, t0
    MY_BANK(BANK_SIZE)             /* s0: hart, s1: its bank, sp: the bank's top */
    bnez s0, wait_go
    /* hart 0 copies the kernel to the bottom of banks 1 to 3 */
    COPY_TO_BANKS(kernel, kernel_end, HARTS, BANK_SIZE)
    la t0, go
    li t6, 1
    sw t6, 0(t0)
    la s1, kernel                  /* hart 0 runs the original, in bank 0 */
    j work
wait_go:
    la t0, go
1:  lw t6, 0(t0)
    beqz t6, 1b
    fence.i
work:
    li a0, ITER
    jalr ra, 0(s1)
    la t0, results
    slli t1, s0, 2
    add t0, t0, t1
    sw a0, 0(t0)
    /* contended counters */
    la t0, counter_lrsc
    li t2, ROUNDS
2:  lr.w t1, (t0)
    addi t1, t1, 1
    sc.w t3, t1, (t0)
    bnez t3, 2b
    addi t2, t2, -1
    bnez t2, 2b
    la t0, counter_amo
    li t2, ROUNDS
    li t1, 1
3:  amoadd.w zero, t1, (t0)
    addi t2, t2, -1
    bnez t2, 3b
    la t0, done1
    amoadd.w zero, t1, (t0)
    /* phase 2: which harts see the PLIC's S-context interrupt. Hart 0 waits for all,
     * routes the UART's interrupt to hart 2's S context only, raises it, then says go. */
    bnez s0, 6f
    la t0, done1
7:  lw t6, 0(t0)
    li t5, HARTS
    bne t6, t5, 7b
    li t5, PLIC_BASE + PLIC_PRIORITY + 4 * IRQ_UART0
    li t6, 1
    sw t6, 0(t5)
    li t5, PLIC_BASE + PLIC_ENABLE + PLIC_ENABLE_STRIDE * (PLIC_CONTEXTS_PER_HART * 2 + 1)
    li t6, 1 << IRQ_UART0
    sw t6, 0(t5)
    li t5, UART0_BASE + UART_IER
    li t6, 2
    sb t6, 0(t5)
    lb t6, 0(t5)
    nop
    nop
    la t0, go2
    li t6, 1
    sw t6, 0(t0)
6:  la t0, go2
4:  lw t6, 0(t0)
    beqz t6, 4b
    csrr t1, mip
    la t0, mips
    slli t2, s0, 2
    add t0, t0, t2
    sw t1, 0(t0)
    la t0, done2
    li t1, 1
    amoadd.w zero, t1, (t0)
    bnez s0, zv_park

    /* hart 0: wait for everyone, then check */
    la t0, done2
5:  lw t6, 0(t0)
    li t5, HARTS
    bne t6, t5, 5b
    la t0, results
    lw s2, 0(t0)
    CHECK(1, s2, EXPECT)
    lw s2, 4(t0)
    CHECK(2, s2, EXPECT)
    lw s2, 8(t0)
    CHECK(3, s2, EXPECT)
    lw s2, 12(t0)
    CHECK(4, s2, EXPECT)
    la t0, counter_lrsc
    lw s2, 0(t0)
    CHECK(5, s2, HARTS * ROUNDS)
    la t0, counter_amo
    lw s2, 0(t0)
    CHECK(6, s2, HARTS * ROUNDS)
    la t0, mips
    lw s2, 8(t0)                   /* hart 2: SEIP */
    andi s2, s2, 0x200
    CHECK(7, s2, 0x200)
    lw s2, 0(t0)
    andi s2, s2, 0x200
    CHECK(8, s2, 0)
    lw s2, 4(t0)
    andi s2, s2, 0x200
    CHECK(9, s2, 0)
    lw s2, 12(t0)
    andi s2, s2, 0x200
    CHECK(10, s2, 0)
    PASS

    .balign 4
trap:
    li gp, 99                      /* no trap is expected */
    j zv_fail

/* Position-independent: runs from any bank. a0 = n; returns the sum of i*i, i < n. */
    .balign 4
kernel:
    li t0, 0
    li t1, 0
1:  mul t2, t1, t1
    add t0, t0, t2
    addi t1, t1, 1
    bne t1, a0, 1b
    mv a0, t0
    ret
kernel_end:

TEST_END

    .data
    .balign 64
go:           .word 0
go2:          .word 0
done1:        .word 0
done2:        .word 0
counter_lrsc: .word 0
counter_amo:  .word 0
results:      .fill HARTS, 4, 0
mips:         .fill HARTS, 4, 0
