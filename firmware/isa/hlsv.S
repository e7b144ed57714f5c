/* HLV, HLVX and HSV: loads and stores made from HS-mode (or U-mode with hstatus.HU) as if
 * V = 1 at the privilege hstatus.SPVP names, through both translation stages. */
#include "zvtest.h"

#define SPVP (1 << 8)
#define HU (1 << 9)

TEST_BEGIN
    PMP_ALL
    /* the guest's tables: 0x80000000 S pages, 0xc0000000 U pages, 0xc0400000 execute-only */
    li s0, 0x80000000
    MAKE_PTE(s0, PTE_RWXAD)
    SET_PTE(vs_root, 0x200, s0)
    li s0, 0x80000000
    MAKE_PTE(s0, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)
    SET_PTE(vs_root, 0x300, s0)
    li s0, 0x80000000
    MAKE_PTE(s0, PTE_V | PTE_X | PTE_A)
    SET_PTE(vs_root, 0x301, s0)
    SV_ON(vsatp, vs_root)
    la s0, word
    li t6, 0x8081f0f1
    sw t6, 0(s0)
    la s2, word                    /* s2: its address in the S pages, s3: in the U pages */
    li t6, 0x40000000
    add s3, s2, t6
    li t6, 0x40400000
    add s4, s2, t6                 /* s4: in the execute-only pages */

    TO_S(1f)
1:  li t6, SPVP                    /* as VS-mode */
    csrs hstatus, t6
    hlv.w s1, (s2)
    CHECK(1, s1, 0x8081f0f1)
    hlv.b s1, (s2)
    CHECK(2, s1, 0xfffffff1)
    hlv.bu s1, (s2)
    CHECK(3, s1, 0xf1)
    addi t5, s2, 2
    hlv.h s1, (t5)
    CHECK(4, s1, 0xffff8081)
    hlv.hu s1, (t5)
    CHECK(5, s1, 0x8081)
    CHECK_NO_TRAP(6)
    hlv.w s1, (s3)                 /* a U page, vsstatus.SUM = 0 */
    CHECK_TRAP(7, 13)
    li gp, 8                       /* stval: the guest virtual address */
    bne a6, s3, zv_fail
    li t6, 1 << 18
    csrs vsstatus, t6
    hlv.w s1, (s3)
    CHECK(9, s1, 0x8081f0f1)
    csrc vsstatus, t6
    /* HLVX reads what is executable; HLV does not */
    hlv.w s1, (s4)
    CHECK_TRAP(10, 13)
    hlvx.wu s1, (s4)
    CHECK(11, s1, 0x8081f0f1)
    addi t5, s4, 2
    hlvx.hu s1, (t5)
    CHECK(12, s1, 0x8081)
    hlvx.wu s1, (s3)               /* readable, not executable */
    CHECK_TRAP(13, 13)
    /* as VU-mode */
    li t6, SPVP
    csrc hstatus, t6
    hlv.w s1, (s3)
    CHECK(14, s1, 0x8081f0f1)
    hlv.w s1, (s2)                 /* S pages are not VU's */
    CHECK_TRAP(15, 13)
    li t6, 0x12345678
    hsv.w t6, (s3)
    li t6, 0x99
    hsv.b t6, (s3)
    addi t5, s3, 2
    li t6, 0xabcd
    hsv.h t6, (t5)
    CHECK_NO_TRAP(16)
    lw s1, 0(s2)                   /* HS's own view of the word */
    CHECK(17, s1, 0xabcd5699)
    hsv.w t6, (s2)                 /* a store page fault */
    CHECK_TRAP(18, 15)
    addi t5, s3, 1
    hsv.w t6, (t5)                 /* misaligned */
    CHECK_TRAP(19, 6)
    TO_M

    /* U-mode (V = 0) may use them only with hstatus.HU */
    TO_USER(2f)
2:  hlv.w s1, (s3)
    CHECK_TRAP(20, 2)
    FETCH_TO_M
    li t6, HU
    csrs hstatus, t6
    TO_USER(3f)
3:  hlv.w s1, (s3)
    CHECK(21, s1, 0xabcd5699)
    CHECK_NO_TRAP(22)
    FETCH_TO_M

    /* the G-stage applies: guest-physical memory past the guest's RAM faults */
    li s0, 0x80000000
    MAKE_PTE(s0, PTE_URWXAD)
    SET_PTE(g_root, 0x200, s0)
    SV_ON(hgatp, g_root)
    csrw vsatp, zero
    hlv.w s1, (s2)
    CHECK(23, s1, 0xabcd5699)
    li s0, 0x90000000
    hlv.w s1, (s0)
    CHECK_TRAP(24, 21)
    CHECK(25, a3, 0x90000000 >> 2)
    csrw hgatp, zero
    PASS
TEST_END

    .data
    .balign 16384
g_root:  .fill 4096, 4, 0
vs_root: .fill 1024, 4, 0
word:    .word 0
