/* Sv32: 4 KiB and 4 MiB pages, every page-fault cause, A/D handling (no hardware update:
 * A = 0, or D = 0 on a store, faults), U/SUM/MXR, MPRV, SFENCE.VMA, satp's fields, and
 * an access fault for a physical address above 4 GiB, and for a page table there. */
#include "zvtest.h"

#define VA 0xc0000000              /* root[0x300] -> pt_l0; page i at VA + i * 4096 */
#define VA_ALIAS 0xc1000000        /* root[0x304]: 4 MiB page over RAM */

/* pt_l0[idx] = PTE for page_a with flags */
#define MAP_A(idx, flags)                  \
    la s0, page_a;                         \
    MAKE_PTE(s0, flags);                   \
    SET_PTE(pt_l0, idx, s0)

TEST_BEGIN
    PMP_ALL
    /* root: RAM identity-mapped by a 4 MiB S page, VA -> pt_l0 */
    li s0, 0x80000000
    MAKE_PTE(s0, PTE_RWXAD)
    SET_PTE(pt_root, 0x200, s0)
    la s0, pt_l0
    MAKE_PTE(s0, PTE_V)
    SET_PTE(pt_root, 0x300, s0)
    li s0, 0x80000000
    MAKE_PTE(s0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    SET_PTE(pt_root, 0x304, s0)
    li s0, 0x80001000              /* a 4 MiB leaf whose PPN[0] is not zero */
    MAKE_PTE(s0, PTE_RWXAD)
    SET_PTE(pt_root, 0x301, s0)
    MAP_A(0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    MAP_A(1, PTE_V | PTE_R | PTE_A)
    MAP_A(2, PTE_V | PTE_R | PTE_W | PTE_A)
    MAP_A(3, PTE_V | PTE_R | PTE_W | PTE_D)
    MAP_A(4, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)
    MAP_A(5, PTE_V | PTE_X | PTE_A)
    MAP_A(6, PTE_R | PTE_W | PTE_A | PTE_D)
    MAP_A(7, PTE_V | PTE_W | PTE_A | PTE_D)
    la s0, page_code
    MAKE_PTE(s0, PTE_V | PTE_X | PTE_A)
    SET_PTE(pt_l0, 8, s0)
    la s0, page_code
    MAKE_PTE(s0, PTE_V | PTE_R | PTE_A)
    SET_PTE(pt_l0, 9, s0)
    li s0, (0x100000 << 10) | PTE_V | PTE_R | PTE_A   /* PPN 0x100000: 4 GiB */
    SET_PTE(pt_l0, 10, s0)
    la s0, pt_l0
    MAKE_PTE(s0, PTE_V)            /* a pointer where only leaves may be */
    SET_PTE(pt_l0, 11, s0)
    li s0, (0x100000 << 10) | PTE_V   /* a pointer to a table at 4 GiB */
    SET_PTE(pt_root, 0x305, s0)
    la s0, page_a
    li t6, 0x5a5a0001
    sw t6, 0(s0)

    /* satp: MODE and PPN stick, ASID is read-only zero */
    la s0, pt_root
    srli s0, s0, 12
    li t6, 0xffc00000
    or t6, t6, s0
    csrw satp, t6
    csrr s1, satp
    li t6, 0x80000000
    or s0, s0, t6
    li gp, 1
    bne s1, s0, zv_fail
    /* M-mode does not translate */
    la s0, page_a
    lw s1, 0(s0)
    CHECK(2, s1, 0x5a5a0001)

    TO_S(1f)
1:  sfence.vma
    li s0, VA
    lw s1, 0(s0)                   /* a 4 KiB page */
    CHECK(3, s1, 0x5a5a0001)
    li t6, 0x5a5a0002
    sw t6, 0(s0)
    la s0, page_a                  /* the code's own 4 MiB page */
    lw s1, 0(s0)
    CHECK(4, s1, 0x5a5a0002)
    la s0, page_a                  /* the same word through the alias superpage */
    li t6, 0x80000000
    sub s0, s0, t6
    li t6, VA_ALIAS
    add s0, s0, t6
    lw s1, 0(s0)
    CHECK(5, s1, 0x5a5a0002)
    CHECK_NO_TRAP(6)

    /* page faults: stval holds the virtual address */
    li s0, VA + 0x1000
    lw s1, 0(s0)
    CHECK_NO_TRAP(7)
    sw s1, 0(s0)                   /* not writable */
    CHECK_TRAP(8, 15)
    li s0, VA + 0x2000
    sw s1, 4(s0)                   /* D = 0 */
    CHECK_TRAP(9, 15)
    li t6, VA + 0x2004
    CHECK(10, a6, VA + 0x2004)
    lw s1, 0(s0)                   /* a load is fine with D = 0 */
    CHECK_NO_TRAP(11)
    li s0, VA + 0x3000
    lw s1, 0(s0)                   /* A = 0 */
    CHECK_TRAP(12, 13)
    li s0, VA + 0x4000
    lw s1, 0(s0)                   /* a U page, SUM = 0 */
    CHECK_TRAP(13, 13)
    li t6, 1 << 18
    csrs sstatus, t6
    lw s1, 0(s0)
    CHECK_NO_TRAP(14)
    li s0, VA + 0x5000
    lw s1, 0(s0)                   /* execute-only, MXR = 0 */
    CHECK_TRAP(15, 13)
    li t6, 1 << 19
    csrs sstatus, t6
    lw s1, 0(s0)
    CHECK(16, s1, 0x5a5a0002)
    li s0, VA + 0x6000
    lw s1, 0(s0)                   /* V = 0 */
    CHECK_TRAP(17, 13)
    li s0, VA + 0x7000
    lw s1, 0(s0)                   /* W without R is reserved */
    CHECK_TRAP(18, 13)
    li s0, 0xc0400000
    lw s1, 0(s0)                   /* a misaligned superpage */
    CHECK_TRAP(19, 13)
    li s0, VA + 0xb000
    lw s1, 0(s0)                   /* a pointer at level 0 */
    CHECK_TRAP(20, 13)
    li s0, 0xd0000000
    sw s1, 0(s0)                   /* nothing mapped: a store page fault */
    CHECK_TRAP(21, 15)
    li s0, VA + 0xa000
    lw s1, 0(s0)                   /* translates to 4 GiB: access fault */
    CHECK_TRAP(22, 5)
    CHECK(23, a4, 3)
    li s0, 0xc1400000
    lw s1, 0(s0)                   /* its table is read at 4 GiB: the walk's access fault */
    CHECK_TRAP(34, 5)
    sw s1, 0(s0)                   /* ... which takes the store's cause */
    CHECK_TRAP(35, 7)

    /* fetch: an executable page runs, a readable one does not */
    li s0, VA + 0x8000
    jalr ra, 0(s0)
    CHECK(24, s1, 42)
    CHECK_NO_TRAP(25)
    li s0, VA + 0x9000
    la ra, 2f
    jr s0
2:  CHECK_TRAP(26, 12)
    CHECK(27, a6, VA + 0x9000)
    CHECK(28, a5, VA + 0x9000)

    /* U-mode may not use S pages; it runs here with RAM mapped by a U superpage */
    FETCH_TO_M
    li s0, 0x80000000
    MAKE_PTE(s0, PTE_URWXAD)
    SET_PTE(pt_root, 0x200, s0)
    sfence.vma
    TO_USER(3f)
3:  li s0, VA
    lw s1, 0(s0)
    CHECK_TRAP(29, 13)
    li s0, VA + 0x4000
    lw s1, 0(s0)
    CHECK_NO_TRAP(30)
    FETCH_TO_M
    /* ... which S-mode may not execute, even with SUM */
    la ra, 6f
    TO_S(5f)
5:  j zv_fail
6:  CHECK_TRAP(33, 12)
    li s0, 0x80000000
    MAKE_PTE(s0, PTE_RWXAD)
    SET_PTE(pt_root, 0x200, s0)
    sfence.vma                     /* the TLB still holds the U superpage until now */

    /* SFENCE.VMA makes a changed PTE visible */
    la s0, page_b
    li t6, 0x0b0b0b0b
    sw t6, 0(s0)
    la s0, page_b
    MAKE_PTE(s0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    SET_PTE(pt_l0, 0, s0)
    TO_S(4f)
4:  sfence.vma
    li s0, VA
    lw s1, 0(s0)
    CHECK(31, s1, 0x0b0b0b0b)

    /* MPRV: M-mode's loads translate as S-mode's (MPP = S) */
    FETCH_TO_M
    li t6, 0x1800
    csrc mstatus, t6
    li t6, (1 << 17) | 0x800
    csrs mstatus, t6
    li s0, VA
    lw s1, 0(s0)
    li t6, 1 << 17
    csrc mstatus, t6
    CHECK(32, s1, 0x0b0b0b0b)
    csrw satp, zero
    PASS

    .section .text.page, "ax"
    .balign 4096
page_code:
    li s1, 42
    ret
    .balign 4096
TEST_END

    .data
    .balign 4096
pt_root: .fill 1024, 4, 0
pt_l0:   .fill 1024, 4, 0
page_a:  .fill 1024, 4, 0
page_b:  .fill 1024, 4, 0
