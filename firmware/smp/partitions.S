/* Four harts, four partitions, locked checkers: what one partition may not reach, it
 * cannot, in M-mode too. Hart h runs partition h from RAM bank h. Hart 0 (partition 0,
 * the control partition here) copies the others' code into their banks, programs every
 * checker, and locks them. Then each of harts 1 to 3 locks itself into its partition and
 * tries the neighbours' RAM (load, store, AMO, fetch), the UART, another hart's CLINT and
 * PLIC registers, and doorbells; partitions 1 and 2 share a channel page and 1 may ring 2.
 * Each hart writes its verdict to a mailbox every partition may write; hart 0 then reads
 * the checkers' logs and reports through tohost. */
#include "zvtest.h"
#include "smp.h"

#define HARTS 4
#define BANK_SIZE (RAM_SIZE / HARTS)
#define MPARTITION 0x7c0
#define SLOT(t) (PARTCTL_BASE + PARTCTL_##t)
#define ENTRY(n) (CHECKER_ENTRY_BASE + 16 * (n))
#define PART(p) (1 << (8 + (p)))
#define R 1
#define W 2
#define X 4
#define BANK(b) (RAM_BASE + (b) * BANK_SIZE)
#define CTX_ENABLE(h) (PLIC_BASE + PLIC_ENABLE + PLIC_ENABLE_STRIDE * PLIC_CONTEXTS_PER_HART * (h))
#define RING(p) (DOORBELL_BASE + DOORBELL_RING + DOORBELL_RING_STRIDE * (p))
#define CHANNEL (BANK(0) + BANK_SIZE / 2)          /* partitions 1 and 2 */
#define MAILBOX (CHANNEL + 0x1000)                 /* everyone */
#define ACK(p) (DOORBELL_BASE + DOORBELL_ACK + DOORBELL_ACK_STRIDE * (p))

/* entry n of the checker at slot: base, size, permission word */
#define GRANT(slot, n, base, size, perm) \
    li t5, SLOT(slot);                  \
    li t6, base;                        \
    sw t6, ENTRY(n)(t5);                \
    li t6, ~((size) - 1);               \
    sw t6, ENTRY(n) + 4(t5);            \
    li t6, perm;                        \
    sw t6, ENTRY(n) + 8(t5)

/* verdict: a7 (the trap frame's cause) must be `cause`; else record check n */
#define EXPECT(n, cause)                \
    li t6, cause;                       \
    beq a7, t6, 9f;                     \
    li s9, n;                           \
9:  li a7, -1

    .section .text.init
    .globl _start
_start:
    MY_BANK(BANK_SIZE)             /* s0: hart, s1: its bank, sp: the bank's top */
    bnez s0, wait_go

    /* ---- hart 0: copy the partition code into banks 1-3 ---- */
    COPY_TO_BANKS(part_code, part_code_end, HARTS, BANK_SIZE)
    la t0, go
    li t6, 1
    sw t6, 0(t0)

    /* the checkers: every bank to its partition; a channel page for 1 and 2 and a
     * mailbox page for all, both in bank 0 */
    GRANT(RAM0_DATA, 0, BANK(0), BANK_SIZE, PART(0) | R | W)
    GRANT(RAM0_DATA, 1, CHANNEL, 0x1000, PART(1) | PART(2) | R | W)
    GRANT(RAM0_DATA, 2, MAILBOX, 0x1000, PART(0) | PART(1) | PART(2) | PART(3) | R | W)
    GRANT(RAM0_FETCH, 0, BANK(0), BANK_SIZE, PART(0) | X)
    GRANT(RAM1_DATA, 0, BANK(1), BANK_SIZE, PART(1) | R | W)
    GRANT(RAM1_FETCH, 0, BANK(1), BANK_SIZE, PART(1) | X)
    GRANT(RAM2_DATA, 0, BANK(2), BANK_SIZE, PART(2) | R | W)
    GRANT(RAM2_FETCH, 0, BANK(2), BANK_SIZE, PART(2) | X)
    GRANT(RAM3_DATA, 0, BANK(3), BANK_SIZE, PART(3) | R | W)
    GRANT(RAM3_FETCH, 0, BANK(3), BANK_SIZE, PART(3) | X)
    GRANT(UART0, 0, UART0_BASE, 0x1000, PART(0) | R | W)
    GRANT(FINISHER, 0, FINISHER_BASE, 0x1000, PART(0) | W)
    GRANT(PARTCTL, 0, PARTCTL_BASE, 0x4000, PART(0) | R)
    /* CLINT: each hart's msip and mtimecmp to its partition, mtime to all */
    GRANT(CLINT, 0, CLINT_BASE + CLINT_MTIME, 8, PART(0) | PART(1) | PART(2) | PART(3) | R)
    GRANT(CLINT, 1, CLINT_BASE + CLINT_MSIP + 4, 4, PART(1) | R | W)
    GRANT(CLINT, 2, CLINT_BASE + CLINT_MSIP + 8, 4, PART(2) | R | W)
    GRANT(CLINT, 3, CLINT_BASE + CLINT_MSIP + 12, 4, PART(3) | R | W)
    GRANT(CLINT, 4, CLINT_BASE + CLINT_MTIMECMP + 8, 8, PART(1) | R | W)
    /* PLIC: each hart's context enables */
    GRANT(PLIC, 0, CTX_ENABLE(1), PLIC_ENABLE_STRIDE * PLIC_CONTEXTS_PER_HART, PART(1) | R | W)
    GRANT(PLIC, 1, CTX_ENABLE(2), PLIC_ENABLE_STRIDE * PLIC_CONTEXTS_PER_HART, PART(2) | R | W)
    GRANT(PLIC, 2, CTX_ENABLE(3), PLIC_ENABLE_STRIDE * PLIC_CONTEXTS_PER_HART, PART(3) | R | W)
    GRANT(PLIC, 3, PLIC_BASE, 0x4000000, PART(0) | R | W)
    /* doorbells: 1 may ring 2; each partition acknowledges its own; 0 rings anyone */
    GRANT(DOORBELL, 0, RING(2), 0x1000, PART(1) | PART(0) | R | W)
    GRANT(DOORBELL, 1, ACK(1), 0x1000, PART(1) | R | W)
    GRANT(DOORBELL, 2, ACK(2), 0x1000, PART(2) | R | W)
    GRANT(DOORBELL, 3, ACK(3), 0x1000, PART(3) | R | W)
    GRANT(DOORBELL, 4, RING(1), 0x1000, PART(0) | W)
    GRANT(DOORBELL, 5, RING(3), 0x1000, PART(0) | W)
    /* lock hart 0 into partition 0, then every checker */
    li t6, 0x80000000
    csrw MPARTITION, t6
    li t5, PARTCTL_BASE
    li t6, 1
    li t4, 0
3:  sw t6, 0(t5)
    addi t5, t5, 0x200
    addi t4, t4, 1
    li t3, 14                      /* 4 banks x 2 ports + 6 devices */
    bltu t4, t3, 3b
    /* start the others: ring their doorbells (they wait on their own ack page) */
    li t5, RING(1)
    sw t6, 0(t5)
    li t5, RING(2)
    sw t6, 0(t5)
    li t5, RING(3)
    sw t6, 0(t5)

    /* ---- hart 0: wait for the verdicts ---- */
    li t0, MAILBOX
4:  lw t1, 4(t0)
    lw t2, 8(t0)
    lw t3, 12(t0)
    beqz t1, 4b
    beqz t2, 4b
    beqz t3, 4b
    CHECK(1, t1, 1)                /* 1: passed; 2n+1: check n failed */
    CHECK(2, t2, 1)
    CHECK(3, t3, 1)
    /* the logs: partition 3's neighbour loads, and partition 1's, were refused and logged */
    li t5, SLOT(RAM1_DATA)
    lw s2, CHECKER_VCOUNT(t5)
    li gp, 4
    beqz s2, zv_fail
    li t5, SLOT(RAM2_DATA)
    lw s2, CHECKER_VINFO(t5)       /* first refused at bank 2: partition 1 or 3 */
    andi s2, s2, 7
    li gp, 5
    beqz s2, zv_fail
    li t5, SLOT(UART0)
    lw s2, CHECKER_VCOUNT(t5)
    CHECK(6, s2, 3)                /* one try from each of partitions 1, 2, 3 */
    li t5, SLOT(DOORBELL)
    lw s2, CHECKER_VCOUNT(t5)
    CHECK(7, s2, 2)                /* 1 -> 3 and 3 -> 1 */
    li t5, PLIC_BASE + PLIC_PENDING
    lw s2, 0(t5)
    li t6, 1 << IRQ_VIOLATION
    and s2, s2, t6
    CHECK(8, s2, 1 << IRQ_VIOLATION)
    PASS

wait_go:
    la t0, go
1:  lw t6, 0(t0)
    beqz t6, 1b
    fence.i
    jr s1                          /* into its own bank's copy of part_code */

/* ---- partitions 1-3: position independent, runs from its own bank. s0 = hart = partition,
 * s1 = bank base; s9 = 0 or the first failed check. ---- */
    .balign 4
part_code:
    lla t0, part_trap              /* pc-relative: right in any bank */
    csrw mtvec, t0
    li t6, 0x80000000
    or t6, t6, s0
    csrw MPARTITION, t6            /* lock this hart into partition h */
    li s9, 0
    li a7, -1
    /* wait to be rung: the checkers are locked then */
    slli t5, s0, 12
    li t6, ACK(0)
    add t5, t5, t6                 /* own ack page */
1:  lw t6, 0(t5)
    beqz t6, 1b
    sw zero, 0(t5)                 /* acknowledge */
    lw t6, 0(t5)
    EXPECT(10, -1)
2:  /* own bank: fine (its data half, above the code) */
    li t3, BANK_SIZE / 2
    add s2, s1, t3
    sw s0, 0(s2)
    lw t6, 0(s2)
    EXPECT(11, -1)
    /* the next partition's bank: load, store, AMO refused */
    li t1, BANK_SIZE
    add t2, s1, t1
    li t3, RAM_BASE + RAM_SIZE
    bltu t2, t3, 3f
    li t2, BANK(1)
3:  lw t6, 0x100(t2)
    EXPECT(12, 5)
    sw s0, 0x100(t2)
    EXPECT(13, 7)
    addi t3, t2, 0x100
    amoadd.w t6, s0, (t3)          /* none of them touched the neighbour's code */
    EXPECT(14, 7)
    /* ... and its code: an instruction access fault */
    auipc ra, 0
    addi ra, ra, 12
    jr t2
    EXPECT(15, 1)
    /* bank 0 outside the mailbox and the channel */
    li t2, RAM_BASE + 0x100
    lw t6, 0(t2)
    EXPECT(16, 5)
    /* the UART belongs to partition 0 */
    li t2, UART0_BASE
    lb t6, 5(t2)
    EXPECT(17, 5)
    /* hart 0's msip and another context's enables are not ours; our own msip is */
    li t2, CLINT_BASE + CLINT_MSIP
    sw zero, 0(t2)
    EXPECT(18, 7)
    slli t3, s0, 2
    add t3, t3, t2
    sw zero, 0(t3)
    EXPECT(19, -1)
    li t2, CTX_ENABLE(0)
    lw t6, 0(t2)
    EXPECT(20, 5)
    li t3, PLIC_ENABLE_STRIDE * PLIC_CONTEXTS_PER_HART
    mul t3, t3, s0
    add t2, t2, t3
    lw t6, 0(t2)
    EXPECT(21, -1)
    /* the partition control block: no one but 0 reads it, no one writes it */
    li t2, PARTCTL_BASE
    lw t6, 0(t2)
    EXPECT(22, 5)
    /* channels and doorbells */
    li t6, 1
    beq s0, t6, part1
    li t6, 2
    beq s0, t6, part2
part3:
    li t2, RING(1)                 /* no channel to 1 */
    sw s0, 0(t2)
    EXPECT(30, 7)
    li t2, CHANNEL
    lw t6, 0(t2)
    EXPECT(31, 5)
    j verdict
part1:
    li t2, CHANNEL
    li t6, 0x5eed
    sw t6, 0(t2)
    li t2, RING(3)                 /* no channel to 3 */
    sw s0, 0(t2)
    EXPECT(40, 7)
    li t2, RING(2)                 /* a channel to 2: ring it */
    sw s0, 0(t2)
    EXPECT(41, -1)
    j verdict
part2:
    li t2, CHANNEL                 /* partition 1 writes the channel, then rings */
    li t5, 0x5eed
1:  lw t6, 0(t2)
    bne t6, t5, 1b
    li t5, ACK(2)
2:  lw t6, 0(t5)                   /* the ring from 1 arrives */
    beqz t6, 2b
    EXPECT(51, -1)
verdict:
    slli t6, s9, 1
    ori t6, t6, 1
    li t2, MAILBOX
    slli t3, s0, 2
    add t2, t2, t3
    sw t6, 0(t2)
5:  wfi
    j 5b

    .balign 4
part_trap:
    csrr a7, mcause
    csrr t6, mepc
    li t4, 1
    beq a7, t4, 6f
    addi t6, t6, 4
    csrw mepc, t6
    mret
6:  csrw mepc, ra                  /* a fetch fault: back to ra */
    mret
part_code_end:

TEST_END

    .data
    .balign 64
go:     .word 0
