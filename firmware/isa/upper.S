/* LUI and AUIPC. */
#include "zvtest.h"
TEST_BEGIN
    lui s0, 0x12345
    CHECK(1, s0, 0x12345000)
    lui s0, 0xfffff
    CHECK(2, s0, 0xfffff000)
    lui s0, 0
    CHECK(3, s0, 0)
1:  auipc s0, 0
    la s1, 1b
    li gp, 4
    bne s0, s1, zv_fail
2:  auipc s0, 1
    la s1, 2b
    sub s0, s0, s1
    CHECK(5, s0, 0x1000)
3:  auipc s0, 0xfffff
    la s1, 3b
    sub s0, s1, s0
    CHECK(6, s0, 0x1000)
    PASS
TEST_END
