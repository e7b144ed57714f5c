/* RV32I conditional branches: every condition taken and not taken, signed and unsigned. */
#include "zvtest.h"

#define TAKEN(n, op, a, b)   li s0, a; li s1, b; li gp, n; op s0, s1, 1f; j zv_fail; 1:
#define NOT_TAKEN(n, op, a, b) li s0, a; li s1, b; li gp, n; op s0, s1, zv_fail

TEST_BEGIN
    TAKEN(1, beq, 5, 5)
    NOT_TAKEN(2, beq, 5, 6)
    TAKEN(3, bne, 5, 6)
    NOT_TAKEN(4, bne, 7, 7)
    TAKEN(5, blt, -1, 0)
    NOT_TAKEN(6, blt, 0, -1)
    NOT_TAKEN(7, blt, 3, 3)
    TAKEN(8, bge, 0, -1)
    TAKEN(9, bge, 3, 3)
    NOT_TAKEN(10, bge, -1, 0)
    TAKEN(11, bltu, 0, -1)
    NOT_TAKEN(12, bltu, -1, 0)
    TAKEN(13, bgeu, -1, 0)
    TAKEN(14, bgeu, 0x80000000, 0x7fffffff)
    NOT_TAKEN(15, bgeu, 0, 1)
    TAKEN(16, blt, 0x80000000, 0x7fffffff)
    /* backward branch: a counted loop */
    li s0, 10
    li s1, 0
2:  addi s1, s1, 3
    addi s0, s0, -1
    bnez s0, 2b
    CHECK(17, s1, 30)
    PASS
TEST_END
