/* PMP: U-mode denied by default; TOR, NA4 and NAPOT regions; locked entries bind M-mode
 * and cannot be rewritten; MPRV applies U-mode's permissions to M-mode's data accesses. */
#include "zvtest.h"

TEST_BEGIN
    /* no entry enabled: U-mode cannot even fetch */
    la ra, 1f
    TO_USER(2f)
2:  j zv_fail
1:  CHECK_TRAP(1, 1)
    la t6, 2b
    li gp, 2
    bne a6, t6, zv_fail

    la s0, scratch
    /* entry 0: NA4, locked, read-only    scratch+192
     * entry 1: OFF, base of entry 2
     * entry 2: TOR, read-only            [scratch, scratch+64)
     * entry 3: NA4, no access            scratch+128
     * entry 4: NAPOT, everything, RWX */
    addi t6, s0, 192
    srli t6, t6, 2
    csrw pmpaddr0, t6
    srli t6, s0, 2
    csrw pmpaddr1, t6
    addi t6, s0, 64
    srli t6, t6, 2
    csrw pmpaddr2, t6
    addi t6, s0, 128
    srli t6, t6, 2
    csrw pmpaddr3, t6
    li t6, -1
    csrw pmpaddr4, t6
    li t6, 0x1f
    csrw pmpcfg1, t6
    li t6, 0x10090091
    csrw pmpcfg0, t6
    csrr s1, pmpcfg0
    CHECK(3, s1, 0x10090091)
    /* R=0 W=1 is reserved: W is dropped */
    li t6, 0x1e
    csrw pmpcfg1, t6
    csrr s1, pmpcfg1
    CHECK(4, s1, 0x1c)
    li t6, 0x1f
    csrw pmpcfg1, t6

    /* the locked entry binds M-mode and cannot be changed */
    lw s1, 192(s0)
    CHECK_NO_TRAP(5)
    sw s1, 192(s0)
    CHECK_TRAP(6, 7)
    csrr s2, pmpaddr0
    csrw pmpaddr0, zero
    csrr s3, pmpaddr0
    li gp, 7
    bne s2, s3, zv_fail
    li t6, 0x10090000
    csrw pmpcfg0, t6
    csrr s1, pmpcfg0
    CHECK(8, s1, 0x10090091)
    /* M-mode ignores the unlocked entries */
    sw s1, 0(s0)
    sw s1, 128(s0)
    CHECK_NO_TRAP(9)

    /* MPRV with MPP=U: M-mode's data accesses are checked as U-mode's */
    li t6, 0x1800
    csrc mstatus, t6
    li t6, 0x20000
    csrs mstatus, t6
    sw s1, 0(s0)
    CHECK_TRAP(10, 7)
    li t6, 0x20000
    csrc mstatus, t6
    sw s1, 0(s0)
    CHECK_NO_TRAP(11)

    TO_USER(3f)
3:  lw s1, 0(s0)                /* TOR region: read allowed */
    CHECK_NO_TRAP(12)
    sw s1, 60(s0)               /* ... write denied */
    CHECK_TRAP(13, 7)
    addi t6, s0, 60
    li gp, 14
    bne a6, t6, zv_fail
    sw s1, 64(s0)               /* just past it: entry 4 */
    CHECK_NO_TRAP(15)
    lw s1, 128(s0)              /* NA4, no access */
    CHECK_TRAP(16, 5)
    lw s1, 132(s0)
    CHECK_NO_TRAP(17)
    amoadd.w s1, s1, (s0)       /* AMO needs write too */
    CHECK_TRAP(18, 7)
    PASS
TEST_END
