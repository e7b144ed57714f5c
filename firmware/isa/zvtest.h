/* The frame of every ISA test (assembly).
 *
 * A test is a sequence of numbered checks. TEST_BEGIN installs trap handlers for M-mode
 * (mtvec), HS-mode (stvec) and VS-mode (vstvec). Each records the cause (a7), tval (a6),
 * epc (a5), the level that took the trap (a4: 3 M, 1 HS, 2 VS) and, in M and HS, the
 * guest-physical address register mtval2/htval (a3), then resumes after the trapping
 * instruction in the mode that trapped. After an instruction fetch fault (access, page or
 * guest-page), which has no instruction to skip, it resumes at ra instead; M's handler then
 * stays in M-mode. An `ecall` with a0 = ECALL_TO_M that reaches M returns to the following
 * instruction in M-mode. Interrupts are recorded the same way, their enable bit in mie is
 * cleared, and execution resumes at the interrupted instruction (VS clears it in vsie, so
 * a VS-level test's interrupt source must be cleared by the test).
 * The verdict goes to `tohost`: 1 passes, (n << 1) | 1 reports failed check n.
 * t6 (x31) is the checker's scratch register; tests keep their values elsewhere.
 */
#include "zerovisor_soc.h"

#define ECALL_TO_M 0x4d

/* An S-level trap handler (HS: level 1, VS: level 2). `gpa` records the guest-physical
 * address register; `irq_extra` runs after an interrupt's enable bit left sie (HS also
 * clears it in hie, which holds the VS-level and guest external enables). */
#define ZV_HS_GPA csrr a3, htval
#define ZV_HS_IRQ csrc hie, t6
#define ZV_VS_GPA li a3, 0
#define ZV_S_HANDLER(name, level, gpa, irq_extra) \
    .balign 4;                          \
name:                                   \
    li a4, level;                       \
    gpa;                                \
    csrr a7, scause;                    \
    csrr a6, stval;                     \
    csrr a5, sepc;                      \
    bltz a7, name##_irq;                \
    li t6, 1;                           \
    beq a7, t6, name##_fetch;           \
    li t6, 12;                          \
    beq a7, t6, name##_fetch;           \
    li t6, 20;                          \
    beq a7, t6, name##_fetch;           \
    addi t6, a5, 4;                     \
    csrw sepc, t6;                      \
    sret;                               \
name##_fetch:                           \
    csrw sepc, ra;                      \
    sret;                               \
name##_irq:                             \
    li t6, 1;                           \
    sll t6, t6, a7;                     \
    csrc sie, t6;                       \
    irq_extra;                          \
    sret

#define TEST_BEGIN                      \
    .section .text.init;                \
    .globl _start;                      \
_start:                                 \
    csrr t0, mhartid;                   \
    bnez t0, zv_park;                   \
    la sp, __stack_top;                 \
    la t0, zv_trap;                     \
    csrw mtvec, t0;                     \
    la t0, zv_strap;                    \
    csrw stvec, t0;                     \
    la t0, zv_vstrap;                   \
    csrw vstvec, t0;                    \
    li gp, 0;                           \
    li a7, -1;                          \
    j zv_body;                          \
    .balign 4;                          \
zv_trap:                                \
    csrr a7, mcause;                    \
    csrr a6, mtval;                     \
    csrr a5, mepc;                      \
    csrr a3, mtval2;                    \
    li a4, 3;                           \
    bltz a7, zv_trap_irq;               \
    li t6, 1;                           \
    beq a7, t6, zv_trap_fetch;          \
    li t6, 12;                          \
    beq a7, t6, zv_trap_fetch;          \
    li t6, 20;                          \
    beq a7, t6, zv_trap_fetch;          \
    addi t6, a7, -8;                    \
    srli t6, t6, 2;                     \
    bnez t6, zv_trap_skip;              \
    li t6, ECALL_TO_M;                  \
    bne a0, t6, zv_trap_skip;           \
    li t6, 0x1800;                      \
    csrs mstatus, t6;                   \
    li t6, 0x80;                        \
    csrc mstatush, t6;                  \
zv_trap_skip:                           \
    addi t6, a5, 4;                     \
    csrw mepc, t6;                      \
    mret;                               \
zv_trap_fetch:                          \
    csrw mepc, ra;                      \
    li t6, 0x1800;                      \
    csrs mstatus, t6;                   \
    li t6, 0x80;                        \
    csrc mstatush, t6;                  \
    mret;                               \
zv_trap_irq:                            \
    li t6, 1;                           \
    sll t6, t6, a7;                     \
    csrc mie, t6;                       \
    mret;                               \
    ZV_S_HANDLER(zv_strap, 1, ZV_HS_GPA, ZV_HS_IRQ);            \
    ZV_S_HANDLER(zv_vstrap, 2, ZV_VS_GPA, nop);                 \
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
zv_park:                                \
    wfi;                                \
    j zv_park;                          \
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

/* From M-mode, continue at label in U-mode. */
#define TO_USER(label)                  \
    li t6, 0x1800;                      \
    csrc mstatus, t6;                   \
    la t6, label;                       \
    csrw mepc, t6;                      \
    mret

/* From M-mode, continue at label in (H)S-mode. */
#define TO_S(label)                     \
    li t6, 0x1800;                      \
    csrc mstatus, t6;                   \
    li t6, 0x0800;                      \
    csrs mstatus, t6;                   \
    la t6, label;                       \
    csrw mepc, t6;                      \
    mret

/* From M-mode, continue at label in VS-mode or VU-mode (MPV = 1). */
#define TO_VS(label)                    \
    li t6, 0x80;                        \
    csrs mstatush, t6;                  \
    TO_S(label)

#define TO_VU(label)                    \
    li t6, 0x80;                        \
    csrs mstatush, t6;                  \
    TO_USER(label)

/* Back to M-mode from any mode whose ecall reaches M. */
#define TO_M                            \
    li a0, ECALL_TO_M;                  \
    ecall;                              \
    li a0, 0;                           \
    li a7, -1

/* Back to M-mode from any mode: a fetch from address 0 (nothing there) faults, and M's
 * handler resumes at ra in M-mode. Needs instruction access faults left with M. */
#define FETCH_TO_M                      \
    la ra, 1f;                          \
    jalr zero, 0(zero);                 \
1:  li a7, -1

/* PMP entry 0: all memory, RWX, for every mode below M. */
#define PMP_ALL                         \
    li t6, -1;                          \
    csrw pmpaddr0, t6;                  \
    li t6, 0x1f;                        \
    csrw pmpcfg0, t6

/* reg = a leaf or pointer PTE for the page at address reg, with flags. */
#define MAKE_PTE(reg, flags)            \
    srli reg, reg, 12;                  \
    slli reg, reg, 10;                  \
    ori reg, reg, flags

/* Store the PTE at index idx of the table at label: *(label + 4 * idx) = reg. */
#define SET_PTE(label, idx, reg)        \
    la t6, label + 4 * (idx);           \
    sw reg, 0(t6)

/* csr (satp, vsatp or hgatp) = paged mode with the root table at label; uses s0, t6 */
#define SV_ON(csr, label)               \
    la s0, label;                       \
    srli s0, s0, 12;                    \
    li t6, 0x80000000;                  \
    or s0, s0, t6;                      \
    csrw csr, s0

/* PTE flags */
#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_U 0x10
#define PTE_A 0x40
#define PTE_D 0x80
#define PTE_RWXAD 0xcf
#define PTE_URWXAD 0xdf

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
