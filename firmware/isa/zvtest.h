/* The frame of every ISA test (assembly).
 *
 * A test is a sequence of numbered checks. TEST_BEGIN installs a trap handler that records
 * mcause (a7), mtval (a6) and mepc (a5) and resumes after the trapping instruction (or at
 * ra after an instruction-access fault, which has no instruction to skip). An `ecall` with
 * a0 = ECALL_TO_M returns to the following instruction in M-mode, and so does the return
 * to ra after an instruction-access fault. Interrupts are recorded
 * the same way, their source's enable bit in mie is cleared, and execution resumes at mepc.
 * The verdict goes to `tohost`: 1 passes, (n << 1) | 1 reports failed check n.
 * t6 (x31) is the checker's scratch register; tests keep their values elsewhere.
 */
#include "zerovisor_soc.h"

#define ECALL_TO_M 0x4d

#define TEST_BEGIN                      \
    .section .text.init;                \
    .globl _start;                      \
_start:                                 \
    la sp, __stack_top;                 \
    la t0, zv_trap;                     \
    csrw mtvec, t0;                     \
    li gp, 0;                           \
    li a7, -1;                          \
    j zv_body;                          \
    .balign 4;                          \
zv_trap:                                \
    csrr a7, mcause;                    \
    csrr a6, mtval;                     \
    csrr a5, mepc;                      \
    bltz a7, zv_trap_irq;               \
    li t6, 1;                           \
    beq a7, t6, zv_trap_fetch;          \
    li t6, 8;                           \
    bne a7, t6, zv_trap_skip;           \
    li t6, ECALL_TO_M;                  \
    bne a0, t6, zv_trap_skip;           \
    li t6, 0x1800;                      \
    csrs mstatus, t6;                   \
zv_trap_skip:                           \
    addi t6, a5, 4;                     \
    csrw mepc, t6;                      \
    mret;                               \
zv_trap_fetch:                          \
    csrw mepc, ra;                      \
    li t6, 0x1800;                      \
    csrs mstatus, t6;                   \
    mret;                               \
zv_trap_irq:                            \
    li t6, 1;                           \
    sll t6, t6, a7;                     \
    csrc mie, t6;                       \
    mret;                               \
zv_body:

/* gp = n; fail unless reg == val. */
#define CHECK(n, reg, val)              \
    li gp, n;                           \
    li t6, val;                         \
    bne reg, t6, zv_fail

/* The last trap had this cause (and resets the record). */
#define CHECK_TRAP(n, cause)            \
    CHECK(n, a7, cause);                \
    li a7, -1

#define CHECK_NO_TRAP(n) CHECK(n, a7, -1)

#define TEST_END                        \
zv_pass:                                \
    li t6, 1;                           \
    la t5, tohost;                      \
    sw t6, 0(t5);                       \
1:  j 1b;                               \
zv_fail:                                \
    slli gp, gp, 1;                     \
    ori gp, gp, 1;                      \
    la t5, tohost;                      \
    sw gp, 0(t5);                       \
1:  j 1b;                               \
    .section .tohost, "aw";             \
    .globl tohost;                      \
    .balign 64;                         \
tohost: .word 0; .word 0;               \
    .globl fromhost;                    \
fromhost: .word 0; .word 0;             \
    .data;                              \
    .balign 16;                         \
scratch: .fill 64, 4, 0

#define PASS j zv_pass

/* Continue at label in U-mode. */
#define TO_USER(label)                  \
    li t6, 0x1800;                      \
    csrc mstatus, t6;                   \
    la t6, label;                       \
    csrw mepc, t6;                      \
    mret

/* Register-register and register-immediate operations (s0, s1 in; s2 out). */
#define TEST_RR(n, op, a, b, expect)    \
    li s0, a;                           \
    li s1, b;                           \
    op s2, s0, s1;                      \
    CHECK(n, s2, expect)

#define TEST_RI(n, op, a, imm, expect)  \
    li s0, a;                           \
    op s2, s0, imm;                     \
    CHECK(n, s2, expect)

/* The same with the destination also a source: catches a stale read. */
#define TEST_RR_SAME(n, op, a, expect)  \
    li s0, a;                           \
    op s0, s0, s0;                      \
    CHECK(n, s0, expect)
