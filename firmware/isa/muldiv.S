/* The M extension, with division's corner cases. */
#include "zvtest.h"
TEST_BEGIN
    TEST_RR(1, mul, 7, 6, 42)
    TEST_RR(2, mul, 0xffffffff, 0xffffffff, 1)
    TEST_RR(3, mul, 0x12345678, 0x9abcdef0, 0x242d2080)
    TEST_RR(4, mulh, 0xffffffff, 0xffffffff, 0)
    TEST_RR(5, mulh, 0x80000000, 0x80000000, 0x40000000)
    TEST_RR(6, mulh, 0x80000000, 0x7fffffff, 0xc0000000)
    TEST_RR(7, mulhu, 0xffffffff, 0xffffffff, 0xfffffffe)
    TEST_RR(8, mulhu, 0x80000000, 2, 1)
    TEST_RR(9, mulhsu, 0xffffffff, 0xffffffff, 0xffffffff)
    TEST_RR(10, mulhsu, 0x80000000, 0xffffffff, 0x80000000)
    TEST_RR(11, mulh, 0x12345678, 0x9abcdef0, 0xf8cc93d6)
    TEST_RR(12, mulhu, 0x12345678, 0x9abcdef0, 0x0b00ea4e)
    TEST_RR(20, div, 20, 6, 3)
    TEST_RR(21, div, -20, 6, -3)
    TEST_RR(22, div, 20, -6, -3)
    TEST_RR(23, div, -20, -6, 3)
    TEST_RR(24, divu, 20, 6, 3)
    TEST_RR(25, divu, -20, 6, 0x2aaaaaa7)
    TEST_RR(26, rem, 20, 6, 2)
    TEST_RR(27, rem, -20, 6, -2)
    TEST_RR(28, rem, 20, -6, 2)
    TEST_RR(29, rem, -20, -6, -2)
    TEST_RR(30, remu, -20, 6, 2)
    /* division by zero */
    TEST_RR(31, div, 7, 0, -1)
    TEST_RR(32, div, -7, 0, -1)
    TEST_RR(33, divu, 7, 0, 0xffffffff)
    TEST_RR(34, rem, -7, 0, -7)
    TEST_RR(35, remu, 7, 0, 7)
    /* signed overflow */
    TEST_RR(36, div, 0x80000000, -1, 0x80000000)
    TEST_RR(37, rem, 0x80000000, -1, 0)
    TEST_RR(38, divu, 0xffffffff, 1, 0xffffffff)
    TEST_RR(39, remu, 0xffffffff, 0xfffffffe, 1)
    TEST_RR_SAME(40, mul, 12, 144)
    TEST_RR_SAME(41, div, -9, 1)
    /* a product read by the very next instruction, as either operand, and by another
     * multiplication at once (a board's hart works a product out in W's cycle) */
    li s0, 7
    li s1, 6
    mul s2, s0, s1
    add s3, s2, x0
    add s4, x0, s2
    mul s5, s2, s1
    mulhu s6, s5, s5
    sub s7, s5, s2
    CHECK(50, s3, 42)
    CHECK(51, s4, 42)
    CHECK(52, s5, 252)
    CHECK(53, s6, 0)
    CHECK(54, s7, 210)
    PASS
TEST_END
