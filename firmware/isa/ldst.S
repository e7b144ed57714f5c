/* Loads and stores of every width and sign, at every legal offset. */
#include "zvtest.h"
TEST_BEGIN
    la s0, scratch
    li s1, 0x8899aabb
    sw s1, 0(s0)
    lw s2, 0(s0)
    CHECK(1, s2, 0x8899aabb)
    lb s2, 0(s0)
    CHECK(2, s2, 0xffffffbb)
    lb s2, 1(s0)
    CHECK(3, s2, 0xffffffaa)
    lb s2, 2(s0)
    CHECK(4, s2, 0xffffff99)
    lb s2, 3(s0)
    CHECK(5, s2, 0xffffff88)
    lbu s2, 0(s0)
    CHECK(6, s2, 0xbb)
    lbu s2, 3(s0)
    CHECK(7, s2, 0x88)
    lh s2, 0(s0)
    CHECK(8, s2, 0xffffaabb)
    lh s2, 2(s0)
    CHECK(9, s2, 0xffff8899)
    lhu s2, 0(s0)
    CHECK(10, s2, 0xaabb)
    lhu s2, 2(s0)
    CHECK(11, s2, 0x8899)
    /* positive values do not sign-extend */
    li s1, 0x7f017f01
    sw s1, 4(s0)
    lb s2, 4(s0)
    CHECK(12, s2, 1)
    lb s2, 5(s0)
    CHECK(13, s2, 0x7f)
    lh s2, 6(s0)
    CHECK(14, s2, 0x7f01)
    /* byte stores touch one byte each */
    sw zero, 8(s0)
    li s1, 0x11
    sb s1, 8(s0)
    li s1, 0x22
    sb s1, 9(s0)
    li s1, 0x33
    sb s1, 10(s0)
    li s1, 0x144
    sb s1, 11(s0)
    lw s2, 8(s0)
    CHECK(15, s2, 0x44332211)
    /* halfword stores */
    li s1, 0xdead5678
    sh s1, 12(s0)
    li s1, 0xbeef1234
    sh s1, 14(s0)
    lw s2, 12(s0)
    CHECK(16, s2, 0x12345678)
    /* negative offsets and a load right after the store */
    addi s3, s0, 32
    li s1, 0xcafef00d
    sw s1, -4(s3)
    lw s2, -4(s3)
    CHECK(17, s2, 0xcafef00d)
    /* load into the base register */
    sw s0, 40(s0)
    mv s4, s0
    lw s4, 40(s4)
    li gp, 18
    bne s4, s0, zv_fail
    CHECK_NO_TRAP(19)
    PASS
TEST_END
