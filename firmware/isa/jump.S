/* JAL and JALR: link values, targets, and JALR clearing bit 0 of the target. */
#include "zvtest.h"
TEST_BEGIN
    li gp, 1
    jal s0, 1f
2:  j zv_fail
1:  la s1, 2b
    li gp, 2
    bne s0, s1, zv_fail
    la s1, 3f
    jalr s2, 0(s1)
4:  j zv_fail
3:  la s3, 4b
    li gp, 3
    bne s2, s3, zv_fail
    /* bit 0 of the target is cleared */
    la s1, 5f
    addi s1, s1, 1
    jalr zero, 0(s1)
    j zv_fail
5:  /* offset added before clearing */
    la s1, 6f
    addi s1, s1, -7
    jalr zero, 8(s1)
    j zv_fail
6:  /* rd == rs1: the target uses the old value */
    la s1, 7f
    jalr s1, 0(s1)
8:  j zv_fail
7:  la s2, 8b
    li gp, 4
    bne s1, s2, zv_fail
    /* jal with x0 does not link */
    jal zero, 9f
    j zv_fail
9:  PASS
TEST_END
