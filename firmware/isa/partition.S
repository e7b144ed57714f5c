/* The partition register (custom M-mode CSR mpartition, 0x7c0): M-mode sets the hart's
 * partition ID, locks it, and nothing changes it afterwards; U-mode cannot touch it. */
#include "zvtest.h"
#define MPARTITION 0x7c0
TEST_BEGIN
    csrr s1, MPARTITION
    CHECK(1, s1, 0)
    li t6, 5
    csrw MPARTITION, t6
    csrr s1, MPARTITION
    CHECK(2, s1, 5)
    li t6, 0x80000003             /* ID 3 and the lock */
    csrw MPARTITION, t6
    csrr s1, MPARTITION
    CHECK(3, s1, 0x80000003)
    li t6, 6                      /* locked: ignored, and so is clearing the lock */
    csrw MPARTITION, t6
    csrw MPARTITION, zero
    csrr s1, MPARTITION
    CHECK(4, s1, 0x80000003)
    CHECK_NO_TRAP(5)
    PASS
TEST_END
