/* U-mode: entering it with MRET, its ecall, the CSRs it may not touch, mcounteren, TW. */
#include "zvtest.h"

TEST_BEGIN
    /* U-mode may use all memory (PMP entry 0: NAPOT over everything, RWX) */
    li t6, -1
    csrw pmpaddr0, t6
    li t6, 0x1f
    csrw pmpcfg0, t6
    li t6, 0x200000             /* TW: WFI in U-mode is illegal */
    csrs mstatus, t6
    TO_USER(1f)
1:  ecall
    CHECK_TRAP(1, 8)
    csrr s1, mscratch
    CHECK_TRAP(2, 2)
    csrw mstatus, zero
    CHECK_TRAP(3, 2)
    mret
    CHECK_TRAP(4, 2)
    wfi                         /* with S-mode present, WFI in U-mode is always illegal */
    CHECK_TRAP(5, 2)
    /* mcounteren is clear: the counters are out of reach */
    csrr s1, cycle
    CHECK_TRAP(6, 2)
    csrr s1, time
    CHECK_TRAP(7, 2)
    csrr s1, instreth
    CHECK_TRAP(8, 2)
    /* back to M: the trap saw U in MPP */
    li a0, ECALL_TO_M
    ecall
    CHECK_TRAP(9, 8)
    li a0, 0
    csrr s1, mscratch
    CHECK_NO_TRAP(10)
    li t6, 0x5                  /* CY and IR, not TM, in both M's and S's enables */
    csrw mcounteren, t6
    csrw scounteren, t6
    TO_USER(2f)
2:  csrr s1, cycle
    csrr s2, instret
    csrr s3, cycleh
    CHECK_NO_TRAP(11)
    li gp, 12
    beqz s1, zv_fail
    csrr s1, time
    CHECK_TRAP(13, 2)
    csrr s1, hpmcounter3
    CHECK_TRAP(14, 2)
    /* U-mode loads and stores work through the PMP entry */
    la s0, scratch
    li s1, 77
    sw s1, 0(s0)
    lw s2, 0(s0)
    CHECK(15, s2, 77)
    CHECK_NO_TRAP(16)
    PASS
TEST_END
