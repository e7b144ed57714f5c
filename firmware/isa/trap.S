/* Synchronous exceptions: cause, mtval and mepc of each, and MRET back. */
#include "zvtest.h"
TEST_BEGIN
    /* ecall from M-mode */
1:  ecall
    CHECK_TRAP(1, 11)
    la t6, 1b
    li gp, 2
    bne a5, t6, zv_fail
    /* ebreak: mtval holds its address */
2:  ebreak
    CHECK_TRAP(3, 3)
    la t6, 2b
    li gp, 4
    bne a6, t6, zv_fail
    /* an illegal instruction: mtval holds it */
    .word 0x0000000b
    CHECK_TRAP(5, 2)
    CHECK(6, a6, 0x0000000b)
    .word 0xffffffff
    CHECK_TRAP(7, 2)
    .word 0x00000000
    CHECK_TRAP(8, 2)
    .word 0x30208073          /* MRET with rs1 != 0: not an instruction */
    CHECK_TRAP(9, 2)
    /* misaligned loads and stores: mtval holds the address */
    la s0, scratch
    lw s1, 1(s0)
    CHECK_TRAP(10, 4)
    addi t6, s0, 1
    li gp, 11
    bne a6, t6, zv_fail
    lh s1, 3(s0)
    CHECK_TRAP(12, 4)
    sw s1, 2(s0)
    CHECK_TRAP(13, 6)
    sh s1, 1(s0)
    CHECK_TRAP(14, 6)
    lhu s1, 2(s0)              /* aligned halfword: fine */
    CHECK_NO_TRAP(15)
    /* a misaligned jump target traps on the jump, which does not link */
    li s3, 0
    la s1, 3f
    addi s1, s1, 2
4:  jalr s3, 0(s1)
    CHECK_TRAP(16, 0)
    CHECK(17, s3, 0)
    la t6, 4b
    li gp, 18
    bne a5, t6, zv_fail
    /* bit 1 of a JALR's target with a carry out of bit 0: (3f + 1) + 1 traps, (7f - 1) + 1
     * does not (bit 0 cleared) */
    la s1, 3f
    addi s1, s1, 1
    jalr s3, 1(s1)
    CHECK_TRAP(37, 0)
    CHECK(38, s3, 0)
    la s1, 7f
    addi s1, s1, -1
    jalr s3, 1(s1)
    j zv_fail
7:  CHECK_NO_TRAP(39)
    /* so does a taken branch (mepc: the branch, mtval: the target); not taken, it does
     * not, and JAL does not link either */
    li s1, 1
6:  beq s1, s1, 3f + 2
    CHECK_TRAP(31, 0)
    la t6, 6b
    li gp, 32
    bne a5, t6, zv_fail
    la t6, 3f + 2
    li gp, 33
    bne a6, t6, zv_fail
    bne s1, s1, 3f + 2
    CHECK_NO_TRAP(34)
    li s3, 0
    jal s3, 3f + 2
    CHECK_TRAP(35, 0)
    CHECK(36, s3, 0)
    j 5f
3:  j zv_fail
    j zv_fail
5:  /* access faults: a load from nowhere, a store to ROM, a fetch from nowhere */
    li s0, 0x20000000
    lw s1, 0(s0)
    CHECK_TRAP(19, 5)
    CHECK(20, a6, 0x20000000)
    li s0, BOOTROM_BASE
    sw s1, 0(s0)
    CHECK_TRAP(21, 7)
    li s0, UART0_BASE
    jalr ra, 0(s0)
    CHECK_TRAP(22, 1)
    CHECK(23, a6, UART0_BASE)
    /* no atomics on a device (an I/O region): AMO and SC are store faults, LR a load
     * fault, all with the address; a plain store and load there go through */
    amoswap.w s1, s1, (s0)
    CHECK_TRAP(25, 7)
    CHECK(26, a6, UART0_BASE)
    lr.w s1, (s0)
    CHECK_TRAP(27, 5)
    sc.w s1, s1, (s0)
    CHECK_TRAP(28, 7)
    sb zero, UART_IER(s0)
    lbu s1, UART_IER(s0)
    CHECK_NO_TRAP(29)
    CHECK(30, s1, 0)
    /* a trap saves MIE in MPIE and clears MIE; MPP holds M */
    csrsi mstatus, 8
    ecall
    csrr s1, mstatus
    li t6, 0x1888
    and s1, s1, t6
    CHECK(24, s1, 0x88)          /* MRET: MIE from MPIE, MPIE set, MPP to U */
    PASS
TEST_END
