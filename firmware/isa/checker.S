/* The partition checkers, from software: M-mode firmware gives partition 1 the first half
 * of RAM (read, write, execute) and the finisher, locks its own hart into partition 1,
 * then locks every checker. From then on, M-mode or not, every access outside that set faults
 * precisely, never reaches its target, and is logged; and nothing can be unlocked: the
 * control block holding the checkers' registers is itself guarded, read-only for
 * partition 1. A page-table walk is refused the same way. */
#include "zvtest.h"
#define MPARTITION 0x7c0
#define HALF 0x40000
#define OTHER (RAM_BASE + HALF)
#define SLOT(t) (PARTCTL_BASE + PARTCTL_##t)
#define ENTRY(n) (CHECKER_ENTRY_BASE + 16 * (n))
#define PART1 (1 << 9)                 /* PERM.PARTS bit for partition 1 */

/* Program entry 0 of the checker whose slot address is in reg: a region and its PERM. */
#define GRANT(reg, base, mask, perm)    \
    li t6, base;                        \
    sw t6, ENTRY(0)(reg);               \
    li t6, mask;                        \
    sw t6, ENTRY(0) + 4(reg);           \
    li t6, perm;                        \
    sw t6, ENTRY(0) + 8(reg)

#define LOCK(t)                         \
    li t5, SLOT(t);                     \
    sw t6, CHECKER_CTRL(t5)

TEST_BEGIN
    /* violations interrupt M-mode through the PLIC: priority 1, enabled in context 0 */
    li t5, PLIC_BASE + PLIC_PRIORITY + 4 * IRQ_VIOLATION
    li t6, 1
    sw t6, 0(t5)
    li t5, PLIC_BASE + PLIC_ENABLE
    li t6, 1 << IRQ_VIOLATION
    sw t6, 0(t5)
    li s0, SLOT(RAM_DATA)
    GRANT(s0, RAM_BASE, ~(HALF - 1), PART1 | 3)            /* read, write */
    li s1, SLOT(RAM_FETCH)
    GRANT(s1, RAM_BASE, ~(HALF - 1), PART1 | 4)            /* execute */
    li s2, SLOT(FINISHER)
    GRANT(s2, FINISHER_BASE, 0xfffff000, PART1 | 2)        /* write */
    li s7, SLOT(PARTCTL)
    GRANT(s7, PARTCTL_BASE, 0xfffff000, PART1 | 1)         /* the control block: read */
    /* lock the hart into partition 1, then every checker (in the other order the hart,
     * still partition 0, could no longer fetch its own code) */
    li t6, 0x80000001
    csrw MPARTITION, t6
    li t6, 1
    LOCK(RAM_DATA)
    LOCK(RAM_FETCH)
    LOCK(UART0)
    LOCK(CLINT)
    LOCK(FINISHER)
    LOCK(PLIC)
    LOCK(DOORBELL)
    LOCK(PARTCTL)
    CHECK_NO_TRAP(1)

    /* its own half of RAM works */
    la s3, scratch
    li t6, 0x1234
    sw t6, 0(s3)
    lw s4, 0(s3)
    CHECK(2, s4, 0x1234)
    CHECK_NO_TRAP(3)
    /* the other half does not: load, store, AMO, fetch */
    li s5, OTHER
    lw s4, 0(s5)
    CHECK_TRAP(4, 5)
    CHECK(5, a6, OTHER)
    sw s4, 8(s5)
    CHECK_TRAP(6, 7)
    amoadd.w s4, s4, (s5)
    CHECK_TRAP(7, 7)
    jalr ra, 0(s5)
    CHECK_TRAP(8, 1)
    /* devices it was not given: the UART and the CLINT */
    li s6, UART0_BASE
    lbu s4, UART_LSR(s6)
    CHECK_TRAP(9, 5)
    li s6, CLINT_BASE + CLINT_MTIME
    lw s4, 0(s6)
    CHECK_TRAP(10, 5)

    /* the log: three refusals at the RAM's data port, the first a read at OTHER by
     * partition 1, hart 0; one at the fetch port; one at the UART */
    lw s4, CHECKER_VCOUNT(s0)
    CHECK(11, s4, 3)
    lw s4, CHECKER_VADDR(s0)
    CHECK(12, s4, OTHER)
    lw s4, CHECKER_VINFO(s0)
    CHECK(13, s4, 0x001)
    lw s4, CHECKER_VCOUNT(s1)
    CHECK(14, s4, 1)
    li t5, SLOT(UART0)
    lw s4, CHECKER_VCOUNT(t5)
    CHECK(15, s4, 1)
    lw s4, CHECKER_VINFO(s1)
    CHECK(16, s4, 0x201)              /* kind 2: instruction fetch */
    /* the violations raised the machine external interrupt, through the PLIC */
    csrr s4, mip
    li t6, 0x800
    and s4, s4, t6
    CHECK(17, s4, 0x800)

    /* nothing unlocks: the control block refuses partition 1's writes (entries, locks,
     * acknowledgements), and the hart's partition stays */
    li t6, PART1 | 7
    sw t6, ENTRY(1) + 8(s0)
    CHECK_TRAP(18, 7)
    lw s4, ENTRY(1) + 8(s0)
    CHECK(19, s4, 0)
    sw zero, CHECKER_CTRL(s0)
    CHECK_TRAP(22, 7)
    lw s4, CHECKER_CTRL(s0)
    CHECK(23, s4, 1)
    li t6, 1
    sw t6, CHECKER_VACK(s0)
    CHECK_TRAP(24, 7)
    li t5, SLOT(PARTCTL)
    lw s4, CHECKER_VCOUNT(t5)
    CHECK(25, s4, 3)
    csrw MPARTITION, zero
    csrr s4, MPARTITION
    CHECK(20, s4, 0x80000001)
    lw s4, 0(s5)
    CHECK_TRAP(21, 5)

    /* a page table in the other half: the walk's read of it is refused by the checker (a
     * bus error, PMP allowing it) and the access faults: a load through MPRV as S-mode */
    PMP_ALL
    li t6, (1 << 31) | (OTHER >> 12)
    csrw satp, t6
    li s8, (1 << 17) | (1 << 11)         /* MPRV, MPP = S */
    csrs mstatus, s8
    lw s4, 0(s3)
    csrc mstatus, s8
    CHECK_TRAP(26, 5)
    sub s4, a6, s3                       /* mtval: the virtual address */
    CHECK(27, s4, 0)
    lw s4, CHECKER_VCOUNT(s0)
    CHECK(28, s4, 5)                     /* tests 4, 6, 7, 21 and this walk */
    PASS
TEST_END
