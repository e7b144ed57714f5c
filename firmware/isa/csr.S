/* Zicsr: every access form, read-only and missing CSRs, identification and counters. */
#include "zvtest.h"
TEST_BEGIN
    li s0, 0x12345678
    csrw mscratch, s0
    csrr s1, mscratch
    CHECK(1, s1, 0x12345678)
    li s0, 0xff
    csrrs s1, mscratch, s0
    CHECK(2, s1, 0x12345678)
    csrr s1, mscratch
    CHECK(3, s1, 0x123456ff)
    li s0, 0xf0f0
    csrrc s1, mscratch, s0
    csrr s1, mscratch
    CHECK(4, s1, 0x1234060f)
    csrrwi s1, mscratch, 0x15
    CHECK(5, s1, 0x1234060f)
    csrrsi s1, mscratch, 0x0a
    csrr s1, mscratch
    CHECK(6, s1, 0x1f)
    csrrci s1, mscratch, 0x3
    csrr s1, mscratch
    CHECK(7, s1, 0x1c)
    /* identification */
    csrr s1, misa
    CHECK(8, s1, 0x40141181)   /* RV32 A H I M S U */
    csrr s1, mhartid
    CHECK(9, s1, 0)
    csrr s1, mvendorid
    CHECK(10, s1, 0)
    CHECK_NO_TRAP(11)
    /* writing a read-only CSR is illegal; reading it with csrrs x0 is not */
    csrw mhartid, s0
    CHECK_TRAP(12, 2)
    csrrs s1, mhartid, zero
    CHECK_NO_TRAP(13)
    /* a CSR that does not exist (custom 0x7c1 here) is illegal; mtval holds the insn */
    csrr s1, 0x7c1
    CHECK_TRAP(14, 2)
    li t6, 0x7c1024f3
    li gp, 15
    bne a6, t6, zv_fail
    /* mtvec keeps only legal modes; mepc clears its low bits */
    csrr s3, mtvec
    li s0, 0x80000003
    csrw mtvec, s0
    csrr s1, mtvec
    csrw mtvec, s3
    CHECK(16, s1, 0x80000001)
    li s0, 0x80000007
    csrw mepc, s0
    csrr s1, mepc
    CHECK(17, s1, 0x80000004)
    /* counters move; writes to them stick */
    csrr s1, mcycle
    csrr s2, mcycle
    li gp, 18
    bgeu s1, s2, zv_fail
    csrr s1, minstret
    nop
    nop
    csrr s2, minstret
    sub s2, s2, s1
    CHECK(19, s2, 3)
    csrw minstret, zero
    csrr s1, minstret
    CHECK(20, s1, 0)
    /* a write to either half is made instead of counting its instruction: the low half
     * stays as the write before left it */
    csrw minstret, zero
    csrw minstreth, zero
    csrr s1, minstret
    CHECK(26, s1, 0)
    csrr s1, minstreth
    CHECK(27, s1, 0)
    /* the instruction just before a read is counted in what it reads */
    csrw minstret, zero
    nop
    csrr s1, minstret
    CHECK(28, s1, 1)
    csrr s1, instret
    csrr s2, cycle
    csrr s3, time
    li gp, 21
    beqz s2, zv_fail
    beqz s3, zv_fail
    /* mcountinhibit stops mcycle */
    csrwi mcountinhibit, 1
    csrr s1, mcycle
    nop
    csrr s2, mcycle
    csrwi mcountinhibit, 0
    li gp, 22
    bne s1, s2, zv_fail
    /* hpm counters exist and read zero */
    csrr s1, mhpmcounter3
    CHECK(23, s1, 0)
    csrr s1, mhpmcounter31h
    CHECK(24, s1, 0)
    CHECK_NO_TRAP(25)
    PASS
TEST_END
