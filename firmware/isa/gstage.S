/* Two-stage translation: G-stage (Sv32x4, 16 KiB root) alone and under a VS-stage,
 * guest-page faults (20, 21, 23) with htval/mtval2 = guest-physical address >> 2 and GVA,
 * faults on the implicit reads of VS-level tables, guest-physical addresses above 4 GiB,
 * MXR at each level, and HFENCE.GVMA / HFENCE.VVMA making changed tables visible. */
#include "zvtest.h"

#define GVA 0xc0000000             /* guest-physical 0xc0000000 -> g_l0; page i at + i * 4096 */

#define GMAP(idx, page, flags)             \
    la s0, page;                           \
    MAKE_PTE(s0, flags);                   \
    SET_PTE(g_l0, idx, s0)

#define PTE_G_DATA (PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)

TEST_BEGIN
    PMP_ALL
    /* G-stage: guest RAM at 0x80000000 is host RAM (a 4 MiB page), 0xc0000000 -> g_l0 */
    li s0, 0x80000000
    MAKE_PTE(s0, PTE_URWXAD)
    SET_PTE(g_root, 0x200, s0)
    la s0, g_l0
    MAKE_PTE(s0, PTE_V)
    SET_PTE(g_root, 0x300, s0)
    GMAP(0, page_a, PTE_G_DATA)
    GMAP(1, page_a, PTE_V | PTE_R | PTE_U | PTE_A)
    GMAP(2, page_a, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)     /* no U */
    GMAP(4, page_a, PTE_V | PTE_X | PTE_U | PTE_A)
    GMAP(5, page_a, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A)     /* no D */
    GMAP(6, page_code, PTE_V | PTE_X | PTE_U | PTE_A)
    GMAP(7, page_code, PTE_V | PTE_R | PTE_U | PTE_A)
    la s0, page_a
    li t6, 0xa0a0a0a0
    sw t6, 0(s0)
    la s0, page_b
    li t6, 0xb0b0b0b0
    sw t6, 0(s0)
    SV_ON(hgatp, g_root)
    li t6, (1 << 20) | (1 << 21) | (1 << 23)    /* guest-page faults to HS */
    csrw medeleg, t6

    /* vsatp Bare: guest virtual = guest physical */
    TO_VS(1f)
1:  li s0, GVA
    lw s1, 0(s0)
    CHECK(1, s1, 0xa0a0a0a0)
    sw s1, 4(s0)
    CHECK_NO_TRAP(2)
    li s0, GVA + 0x1000
    sw s1, 8(s0)                   /* G-stage read-only */
    CHECK_TRAP(3, 23)
    CHECK(4, a4, 1)
    CHECK(5, a6, GVA + 0x1008)     /* stval: the guest virtual address */
    CHECK(6, a3, (GVA + 0x1008) >> 2)   /* htval: the guest-physical address >> 2 */
    li s0, GVA + 0x2000
    lw s1, 0(s0)                   /* G-stage leaves must be U */
    CHECK_TRAP(7, 21)
    li s0, GVA + 0x3000
    lw s1, 12(s0)                  /* invalid */
    CHECK_TRAP(8, 21)
    CHECK(9, a3, (GVA + 0x300c) >> 2)
    li s0, GVA + 0x5000
    sw s1, 0(s0)                   /* D = 0 */
    CHECK_TRAP(10, 23)
    li s0, GVA + 0x4000
    lw s1, 0(s0)                   /* execute-only */
    CHECK_TRAP(11, 21)
    li t6, 1 << 19                 /* the guest's MXR does not reach the G-stage */
    csrs sstatus, t6
    lw s1, 0(s0)
    CHECK_TRAP(12, 21)
    csrc sstatus, t6
    /* fetch */
    li s0, GVA + 0x6000
    jalr ra, 0(s0)
    CHECK(13, s1, 42)
    la ra, 2f
    li s0, GVA + 0x7000
    jr s0
2:  CHECK_TRAP(14, 20)
    CHECK(15, a3, (GVA + 0x7000) >> 2)
    TO_M
    csrr s1, hstatus               /* the traps from VS set GVA and SPVP (SPV went on SRET) */
    andi s1, s1, 0x1c0
    CHECK(16, s1, 0x140)
    /* HS-level MXR does reach the G-stage */
    li t6, 1 << 19
    csrs mstatus, t6
    TO_VS(3f)
3:  li s0, GVA + 0x4000
    lw s1, 0(s0)
    TO_M
    CHECK(17, s1, 0xa0a0a0a0)
    li t6, 1 << 19
    csrc mstatus, t6
    /* undelegated, a guest-page fault goes to M with mtval2 */
    csrw medeleg, zero
    TO_VS(4f)
4:  li s0, GVA + 0x1000
    sw s1, 0(s0)
    CHECK_TRAP(18, 23)
    CHECK(19, a4, 3)
    CHECK(20, a3, (GVA + 0x1000) >> 2)
    TO_M
    csrr s1, mstatush
    andi s1, s1, 0x40              /* GVA: clear again, an ecall's tval is no address */
    CHECK(21, s1, 0)

    /* VS-stage on: the guest's own tables, in guest-physical memory */
    li s0, 0x80000000              /* guest RAM identity, an S page */
    MAKE_PTE(s0, PTE_RWXAD)
    SET_PTE(vs_root, 0x200, s0)
    li s0, GVA                     /* a 4 MiB guest page over the G-stage's 4 KiB ones */
    MAKE_PTE(s0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    SET_PTE(vs_root, 0x300, s0)
    SET_PTE(vs_root, 0x304, s0)
    li s0, GVA + 0x3000            /* a pointer to a table the G-stage does not map */
    MAKE_PTE(s0, PTE_V)
    SET_PTE(vs_root, 0x301, s0)
    li s0, (0x100000 << 10) | PTE_V | PTE_R | PTE_A | PTE_D   /* guest-physical 4 GiB */
    SET_PTE(vs_root, 0x302, s0)
    SV_ON(vsatp, vs_root)
    li t6, (1 << 20) | (1 << 21) | (1 << 23) | (1 << 13)
    csrw medeleg, t6
    li t6, 1 << 13                 /* the guest's own page faults go to the guest */
    csrw hedeleg, t6
    TO_VS(5f)
5:  li s0, 0xc0000000
    lw s1, 0(s0)
    CHECK(22, s1, 0xa0a0a0a0)
    li s0, 0xc0001000
    sw s1, 0(s0)                   /* VS allows it, G does not */
    CHECK_TRAP(23, 23)
    CHECK(24, a3, (GVA + 0x1000) >> 2)
    li s0, 0xc0400000
    lw s1, 0(s0)                   /* the VS-level PTE's own read faults at the G-stage */
    CHECK_TRAP(25, 21)
    CHECK(26, a3, (GVA + 0x3000) >> 2)
    CHECK(27, a6, 0xc0400000)
    li s0, 0xc0800000
    lw s1, 0(s0)                   /* guest-physical 0x1_0000_0000 */
    CHECK_TRAP(28, 21)
    CHECK(29, a3, 0x40000000)
    li s0, 0xc0c00000
    lw s1, 0(s0)                   /* not mapped by the guest: its own page fault */
    CHECK_TRAP(30, 13)
    CHECK(31, a4, 2)
    CHECK(32, a6, 0xc0c00000)
    li s0, 0xc1000000
    lw s1, 0(s0)
    CHECK(33, s1, 0xa0a0a0a0)
    TO_M

    /* HFENCE.GVMA (from HS) shows a changed G-stage entry */
    GMAP(0, page_b, PTE_G_DATA)
    TO_S(6f)
6:  hfence.gvma zero, zero
    TO_M
    TO_VS(7f)
7:  li s0, 0xc0000000
    lw s1, 0(s0)
    CHECK(34, s1, 0xb0b0b0b0)
    TO_M
    /* HFENCE.VVMA shows a changed VS-stage entry */
    SET_PTE(vs_root, 0x304, zero)
    hfence.vvma zero, zero
    TO_VS(8f)
8:  li s0, 0xc1000000
    lw s1, 0(s0)
    CHECK_TRAP(35, 13)
    TO_M
    csrr s1, htinst
    CHECK(36, s1, 0)
    csrw hgatp, zero
    csrw vsatp, zero
    PASS

    .section .text.page, "ax"
    .balign 4096
page_code:
    li s1, 42
    ret
    .balign 4096
TEST_END

    .data
    .balign 16384
g_root:  .fill 4096, 4, 0
g_l0:    .fill 1024, 4, 0
vs_root: .fill 1024, 4, 0
page_a:  .fill 1024, 4, 0
page_b:  .fill 1024, 4, 0
