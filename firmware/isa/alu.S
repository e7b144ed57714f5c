/* RV32I register-register and register-immediate arithmetic and logic. */
#include "zvtest.h"
TEST_BEGIN
    TEST_RR(1, add, 1, 2, 3)
    TEST_RR(2, add, 0x7fffffff, 1, 0x80000000)
    TEST_RR(3, add, 0xffffffff, 1, 0)
    TEST_RR(4, sub, 0, 1, 0xffffffff)
    TEST_RR(5, sub, 0x80000000, 1, 0x7fffffff)
    TEST_RR(6, and, 0xff00ff00, 0x0ff00ff0, 0x0f000f00)
    TEST_RR(7, or, 0xff00ff00, 0x0ff00ff0, 0xfff0fff0)
    TEST_RR(8, xor, 0xff00ff00, 0x0ff00ff0, 0xf0f0f0f0)
    TEST_RR(9, slt, 0xffffffff, 0, 1)
    TEST_RR(10, slt, 0, 0xffffffff, 0)
    TEST_RR(11, slt, 0x80000000, 0x7fffffff, 1)
    TEST_RR(12, sltu, 0xffffffff, 0, 0)
    TEST_RR(13, sltu, 0, 0xffffffff, 1)
    TEST_RR(14, sltu, 5, 5, 0)
    TEST_RI(20, addi, 1, -1, 0)
    TEST_RI(21, addi, 0x7fffffff, 2047, 0x800007fe)
    TEST_RI(22, addi, 0, -2048, 0xfffff800)
    TEST_RI(23, andi, 0xffffffff, -2048, 0xfffff800)
    TEST_RI(24, ori, 0x12340000, 0x567, 0x12340567)
    TEST_RI(25, xori, 0x0000ffff, -1, 0xffff0000)
    TEST_RI(26, slti, 0xfffffffe, -1, 1)
    TEST_RI(27, slti, 0, -1, 0)
    TEST_RI(28, sltiu, 0, -1, 1)     /* the immediate is sign-extended, then unsigned */
    TEST_RI(29, sltiu, 0xffffffff, -1, 0)
    TEST_RR_SAME(30, add, 21, 42)
    TEST_RR_SAME(31, sub, 21, 0)
    TEST_RR_SAME(32, xor, 21, 0)
    /* x0 reads zero and ignores writes */
    li s0, 7
    add zero, s0, s0
    CHECK(40, zero, 0)
    add s2, zero, s0
    CHECK(41, s2, 7)
    /* back-to-back dependences */
    li s0, 1
    add s0, s0, s0
    add s0, s0, s0
    add s0, s0, s0
    CHECK(42, s0, 8)
    PASS
TEST_END
