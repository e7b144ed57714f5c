/* Interrupts from the CLINT: timer and software, direct and vectored mtvec, WFI. */
#include "zvtest.h"

#define MTIMECMP (CLINT_BASE + CLINT_MTIMECMP)
#define MTIME (CLINT_BASE + CLINT_MTIME)
#define MSIP (CLINT_BASE + CLINT_MSIP)

TEST_BEGIN
    /* nothing pending at reset */
    csrr s1, mip
    CHECK(1, s1, 0)
    /* timer: pending once mtime passes mtimecmp, taken when enabled */
    li s0, MTIME
    lw s1, 0(s0)
    addi s1, s1, 200
    li s0, MTIMECMP
    sw zero, 4(s0)
    sw s1, 0(s0)
    li t6, 0x80
    csrs mie, t6
    csrsi mstatus, 8
1:  li t6, -1
    beq a7, t6, 1b              /* spin until the handler runs */
    CHECK(2, a7, 0x80000007)
    /* the handler cleared MTIE; the interrupt is still pending in mip */
    csrr s1, mip
    andi s1, s1, 0x80
    CHECK(3, s1, 0x80)
    li a7, -1
    li s0, MTIMECMP
    li t6, -1
    sw t6, 4(s0)
    sw t6, 0(s0)
    csrr s1, mip
    CHECK(4, s1, 0)
    /* software interrupt through msip */
    li t6, 8
    csrs mie, t6
    li s0, MSIP
    li t6, 1
    sw t6, 0(s0)
    nop
    CHECK(5, a7, 0x80000003)
    li a7, -1
    sw zero, 0(s0)
    /* masked by mstatus.MIE: pending but not taken; WFI still wakes */
    csrci mstatus, 8
    li t6, 8
    csrs mie, t6
    li t6, 1
    sw t6, 0(s0)
    wfi
    CHECK_NO_TRAP(6)
    csrr s1, mip
    CHECK(7, s1, 8)
    sw zero, 0(s0)
    li t6, 8
    csrc mie, t6
    /* WFI sleeps until the timer fires */
    li s0, MTIME
    lw s1, 0(s0)
    addi s1, s1, 300
    li s0, MTIMECMP
    sw zero, 4(s0)
    sw s1, 0(s0)
    li t6, 0x80
    csrs mie, t6
    csrsi mstatus, 8
    wfi
    CHECK(8, a7, 0x80000007)
    li a7, -1
    li s0, MTIMECMP
    li t6, -1
    sw t6, 0(s0)
    sw t6, 4(s0)
    /* the conditions are evaluated right after a write to a CSR they depend on: an
     * interrupt pending when MIE is set is taken before the next instruction */
    csrci mstatus, 8
    li t6, 8
    csrs mie, t6
    li s0, MSIP
    li t6, 1
    sw t6, 0(s0)
2:  csrr s1, mip
    andi s1, s1, 8
    beqz s1, 2b
    csrsi mstatus, 8
3:  csrci mstatus, 8
    CHECK(11, a7, 0x80000003)
    la t6, 3b
    li gp, 12
    bne a5, t6, zv_fail
    li a7, -1
    li s0, MSIP
    sw zero, 0(s0)
    /* vectored mode: interrupts go to base + 4 * cause */
    csrci mstatus, 8
    la t6, vectors
    ori t6, t6, 1
    csrw mtvec, t6
    li s2, 0
    li t6, 8
    csrs mie, t6
    li s0, MSIP
    li t6, 1
    sw t6, 0(s0)
    csrsi mstatus, 8
    nop
    nop
    CHECK(9, s2, 3)
    /* exceptions still go to the base in vectored mode */
    ecall
    CHECK(10, s2, 0x11)
    PASS

    .balign 64
vectors:
    j vec_exc        /* 0: exceptions */
    j zv_fail
    j zv_fail
    j vec_msi        /* 3: machine software */
    j zv_fail
    j zv_fail
    j zv_fail
    j zv_fail        /* 7: machine timer */
vec_exc:
    li s2, 0x11
    csrr t6, mepc
    addi t6, t6, 4
    csrw mepc, t6
    mret
vec_msi:
    li s2, 3
    li t6, MSIP
    sw zero, 0(t6)
    mret
TEST_END
