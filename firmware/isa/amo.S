/* The A extension: every AMO, LR/SC success and its failure paths. */
#include "zvtest.h"

#define TEST_AMO(n, op, old, operand, new)  \
    li s1, old;                             \
    sw s1, 0(s0);                           \
    li s1, operand;                         \
    op s2, s1, (s0);                        \
    CHECK(n, s2, old);                      \
    lw s3, 0(s0);                           \
    CHECK(n + 100, s3, new)

TEST_BEGIN
    la s0, scratch
    TEST_AMO(1, amoswap.w, 0x11111111, 0x22222222, 0x22222222)
    TEST_AMO(2, amoadd.w, 0xffffffff, 2, 1)
    TEST_AMO(3, amoxor.w, 0xff00ff00, 0x0ff00ff0, 0xf0f0f0f0)
    TEST_AMO(4, amoand.w, 0xff00ff00, 0x0ff00ff0, 0x0f000f00)
    TEST_AMO(5, amoor.w, 0xff00ff00, 0x0ff00ff0, 0xfff0fff0)
    TEST_AMO(6, amomin.w, 0xffffffff, 1, 0xffffffff)
    TEST_AMO(7, amomax.w, 0xffffffff, 1, 1)
    TEST_AMO(8, amominu.w, 0xffffffff, 1, 1)
    TEST_AMO(9, amomaxu.w, 0xffffffff, 1, 0xffffffff)
    TEST_AMO(10, amoswap.w.aqrl, 5, 6, 6)
    /* LR then SC to the same word succeeds */
    li s1, 40
    sw s1, 0(s0)
    lr.w s2, (s0)
    CHECK(11, s2, 40)
    addi s2, s2, 2
    sc.w s3, s2, (s0)
    CHECK(12, s3, 0)
    lw s4, 0(s0)
    CHECK(13, s4, 42)
    /* a second SC without a new LR fails and writes nothing */
    li s2, 99
    sc.w s3, s2, (s0)
    CHECK(14, s3, 1)
    lw s4, 0(s0)
    CHECK(15, s4, 42)
    /* SC to another address than the reservation's fails */
    lr.w s2, (s0)
    addi s5, s0, 4
    sw zero, 0(s5)
    sc.w s3, s2, (s5)
    CHECK(16, s3, 1)
    lw s4, 0(s5)
    CHECK(17, s4, 0)
    /* a trap between LR and SC drops the reservation */
    lr.w s2, (s0)
    ecall
    CHECK_TRAP(18, 11)
    sc.w s3, s2, (s0)
    CHECK(19, s3, 1)
    /* misaligned AMO and LR trap */
    addi s5, s0, 2
    amoadd.w s2, s1, (s5)
    CHECK_TRAP(20, 6)
    lr.w s2, (s5)
    CHECK_TRAP(21, 4)
    PASS
TEST_END
