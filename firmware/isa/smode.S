/* S-mode: delegation of exceptions and interrupts, sstatus/sie/sip as views of the M CSRs,
 * SRET, TSR, TVM, TW, counter enables, and the Sstc timer (stimecmp). */
#include "zvtest.h"

#define MIDELEG_RO1 0x1444        /* VS-level interrupts and SGEI: always delegated */

TEST_BEGIN
    PMP_ALL
    /* the delegation registers keep their writable bits only */
    li t6, -1
    csrw medeleg, t6
    csrr s1, medeleg
    CHECK(1, s1, 0xf0b7ff)        /* not 11 (ecall from M), not 14, 16..19 */
    csrw medeleg, zero
    li t6, -1
    csrw mideleg, t6
    csrr s1, mideleg
    CHECK(2, s1, 0x222 | MIDELEG_RO1)
    csrw mideleg, zero
    csrr s1, mideleg
    CHECK(3, s1, MIDELEG_RO1)

    /* undelegated: an ecall from S goes to M with cause 9, and MPP says S */
    TO_S(1f)
1:  ecall
    CHECK_TRAP(4, 9)
    CHECK(5, a4, 3)
    /* S-mode cannot touch an M CSR */
    csrr s1, mstatus
    CHECK_TRAP(6, 2)
    CHECK(7, a4, 3)

    /* delegated illegal instructions and U ecalls reach HS-mode's handler */
    FETCH_TO_M
    li t6, (1 << 2) | (1 << 8)
    csrw medeleg, t6
    TO_S(2f)
2:  .word 0x0000000b
    CHECK_TRAP(8, 2)
    CHECK(9, a4, 1)
    CHECK(10, a6, 0x0000000b)     /* stval holds the instruction */
    /* SRET to U (SPP = 0) at sepc, then a U ecall comes back to HS */
    li t6, 0x100
    csrc sstatus, t6
    la t6, 3f
    csrw sepc, t6
    sret
3:  ecall
    CHECK_TRAP(11, 8)
    CHECK(12, a4, 1)
    csrr s1, sstatus              /* U cannot read sstatus: illegal, to HS */
    CHECK_TRAP(13, 2)
    CHECK(14, a4, 1)
    FETCH_TO_M
    csrr s1, mstatus              /* the trap from U left SPP = 0 */
    andi s1, s1, 0x100
    CHECK(15, s1, 0)

    /* sstatus is a view: only SIE, SPIE, SPP, SUM, MXR reach mstatus */
    csrw medeleg, zero
    csrw mstatus, zero
    TO_S(4f)
4:  li t6, -1
    csrw sstatus, t6
    csrr s1, sstatus
    CHECK(16, s1, 0x000c0122)
    FETCH_TO_M
    csrr s1, mstatus
    CHECK(17, s1, 0x000c01a2)     /* and MPIE, set by the MRET on the way back */
    csrw mstatus, zero

    /* TSR, TVM, TW: SRET, satp/SFENCE.VMA and WFI become illegal in S */
    li t6, (1 << 22) | (1 << 20) | (1 << 21)
    csrs mstatus, t6
    TO_S(5f)
5:  sret
    CHECK_TRAP(18, 2)
    csrr s1, satp
    CHECK_TRAP(19, 2)
    sfence.vma
    CHECK_TRAP(20, 2)
    wfi
    CHECK_TRAP(21, 2)
    CHECK(22, a4, 3)
    FETCH_TO_M
    csrw mstatus, zero
    /* without them, all run in S; WFI returns because an interrupt is pending */
    li t6, 2
    csrs mideleg, t6
    csrs mie, t6                   /* SSIE, but sstatus.SIE = 0 */
    csrs mip, t6
    TO_S(6f)
6:  csrr s1, satp
    sfence.vma
    wfi
    CHECK_NO_TRAP(23)
    csrr s1, sip
    CHECK(24, s1, 2)

    /* a delegated software interrupt is taken in S when sstatus.SIE is set */
    csrsi sstatus, 2
    nop
    nop
    CHECK(25, a7, 0x80000001)
    CHECK(26, a4, 1)
    li a7, -1
    csrci sip, 2                   /* S clears its own software interrupt */
    csrr s1, sip
    CHECK(27, s1, 0)
    csrci sstatus, 2

    /* counters: S needs mcounteren, U needs scounteren as well */
    FETCH_TO_M
    csrw mcounteren, zero
    TO_S(7f)
7:  csrr s1, cycle
    CHECK_TRAP(28, 2)
    FETCH_TO_M
    li t6, 7
    csrw mcounteren, t6
    TO_S(8f)
8:  csrr s1, cycle
    CHECK_NO_TRAP(29)
    csrw scounteren, zero
    FETCH_TO_M
    TO_USER(9f)
9:  csrr s1, instret
    CHECK_TRAP(30, 2)
    FETCH_TO_M
    li t6, 7
    csrw scounteren, t6
    TO_USER(10f)
10: csrr s1, instret
    CHECK_NO_TRAP(31)
    FETCH_TO_M

    /* Sstc: stimecmp is M's alone until menvcfg.STCE; then S's timer interrupt */
    TO_S(11f)
11: csrr s1, stimecmp
    CHECK_TRAP(32, 2)
    FETCH_TO_M
    li t6, 0x80000000
    csrs menvcfgh, t6
    li t6, 0x20
    csrs mideleg, t6
    csrs mie, t6
    csrw mip, zero
    csrr s1, mip                   /* STIP is the comparison now: stimecmp is all ones */
    CHECK(33, s1, 0)
    TO_S(12f)
12: csrr s1, time
    addi s1, s1, 100
    csrw stimecmph, zero
    csrw stimecmp, s1
    csrsi sstatus, 2
13: li t6, -1
    beq a7, t6, 13b
    CHECK(34, a7, 0x80000005)
    CHECK(35, a4, 1)
    csrr s1, sip                   /* pending until stimecmp moves past time */
    CHECK(36, s1, 0x20)
    li t6, -1
    csrw stimecmp, t6
    csrw stimecmph, t6
    nop
    csrr s1, sip
    CHECK(37, s1, 0)
    FETCH_TO_M
    PASS
TEST_END
