/* RV32I shifts: by register (low five bits only) and by immediate. */
#include "zvtest.h"
TEST_BEGIN
    TEST_RR(1, sll, 1, 31, 0x80000000)
    TEST_RR(2, sll, 1, 32, 1)               /* only rs2[4:0] counts */
    TEST_RR(3, sll, 0x12345678, 4, 0x23456780)
    TEST_RR(4, srl, 0x80000000, 31, 1)
    TEST_RR(5, srl, 0x80000000, 0xffffffe1, 0x40000000)
    TEST_RR(6, sra, 0x80000000, 31, 0xffffffff)
    TEST_RR(7, sra, 0x80000000, 1, 0xc0000000)
    TEST_RR(8, sra, 0x7fffffff, 30, 1)
    TEST_RR(9, srl, 0xffffffff, 0, 0xffffffff)
    TEST_RI(10, slli, 3, 30, 0xc0000000)
    TEST_RI(11, srli, 0xf0000000, 28, 0xf)
    TEST_RI(12, srai, 0xf0000000, 28, 0xffffffff)
    TEST_RI(13, srai, 0x70000000, 28, 7)
    TEST_RI(14, slli, 0xdeadbeef, 0, 0xdeadbeef)
    TEST_RI(15, srai, 0x80000001, 0, 0x80000001)
    PASS
TEST_END
