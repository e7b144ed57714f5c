/* A guest under a minimal hypervisor, end to end: M-mode delegates to HS; the HS-mode VMM
 * maps the guest's RAM with a G-stage table (Sv32x4), lets it own its timer (Sstc,
 * hideleg.VSTI), and enters it in VS-mode; the guest turns on its own Sv32 translation,
 * takes its own timer interrupt through vstimecmp with no VMM on the path, and makes an
 * SBI call (ecall) that lands in the VMM, which answers and returns to it. */
#include "zvtest.h"

#define SBI_EXT_BASE 0x10
#define SBI_GET_SPEC_VERSION 0
#define SBI_ERR_NOT_SUPPORTED -2
#define ALIAS 0xc0000000           /* the guest's second mapping of its data page */

TEST_BEGIN
    PMP_ALL
    /* M: guest ecalls, guest-page faults and virtual instructions go to HS */
    li t6, (1 << 10) | (1 << 20) | (1 << 21) | (1 << 22) | (1 << 23)
    csrw medeleg, t6
    li t6, 0x80000000
    csrs menvcfgh, t6
    li t6, 7
    csrw mcounteren, t6
    la t6, vmm_trap
    csrw stvec, t6
    li s10, 0                      /* s10: traps the VMM has seen */
    li s11, 0                      /* s11: timer interrupts the guest has seen */
    TO_S(vmm_start)

    /* ---- the VMM (HS-mode) ---- */
vmm_start:
    li s0, 0x80000000              /* guest-physical RAM -> this RAM, one 4 MiB page */
    MAKE_PTE(s0, PTE_URWXAD)
    SET_PTE(g_root, 0x200, s0)
    SV_ON(hgatp, g_root)
    hfence.gvma zero, zero
    li t6, 0x444                   /* the guest's interrupts are its own */
    csrw hideleg, t6
    li t6, 0x80000000
    csrs henvcfgh, t6
    li t6, 7
    csrw hcounteren, t6
    li t6, (1 << 7) | (1 << 8)     /* SPV, SPVP: SRET enters VS-mode */
    csrs hstatus, t6
    li t6, 0x100                   /* SPP = S */
    csrs sstatus, t6
    la t6, guest_entry
    csrw sepc, t6
    li a0, 0                       /* a0 = hart ID, a1 = device tree (none here) */
    li a1, 0
    sret

    .balign 4
vmm_trap:
    addi s10, s10, 1
    csrr t6, scause
    li t5, 10                      /* ecall from VS: an SBI call */
    bne t6, t5, zv_fail
    csrr t6, hstatus               /* it came from V = 1 */
    andi t6, t6, 1 << 7
    beqz t6, zv_fail
    li t6, SBI_EXT_BASE
    bne a7, t6, 1f
    bnez a6, 1f
    li a0, 0
    li a1, 0x02000000              /* SBI v2.0 */
    j 2f
1:  li a0, SBI_ERR_NOT_SUPPORTED
2:  csrr t6, sepc
    addi t6, t6, 4
    csrw sepc, t6
    sret

    /* ---- the guest (VS-mode) ---- */
guest_entry:
    la t6, guest_trap
    csrw stvec, t6                 /* vstvec */
    li s0, 0x80000000              /* its RAM, identity; its data page again at ALIAS */
    MAKE_PTE(s0, PTE_RWXAD)
    SET_PTE(vs_root, 0x200, s0)
    la s0, guest_data
    MAKE_PTE(s0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    SET_PTE(vs_l0, 0, s0)
    la s0, vs_l0
    MAKE_PTE(s0, PTE_V)
    SET_PTE(vs_root, 0x300, s0)
    SV_ON(satp, vs_root)           /* vsatp: two-stage translation on */
    sfence.vma
    li s0, ALIAS
    lw s1, 0(s0)
    CHECK(1, s1, 0x600d600d)
    csrr s1, satp
    li gp, 2
    beqz s1, zv_fail
    /* its own timer */
    csrr s1, time
    csrr s2, timeh
    addi s1, s1, 300
    csrw stimecmph, s2
    csrw stimecmp, s1
    li t6, 0x20
    csrs sie, t6
    csrsi sstatus, 2
1:  beqz s11, 1b
    CHECK(3, s11, 1)
    CHECK(4, s10, 0)               /* the VMM saw nothing of it */
    /* an SBI call */
    li a7, SBI_EXT_BASE
    li a6, SBI_GET_SPEC_VERSION
    ecall
    CHECK(5, a0, 0)
    CHECK(6, a1, 0x02000000)
    CHECK(7, s10, 1)
    li a7, 0x0a000000              /* no such extension */
    ecall
    CHECK(8, a0, SBI_ERR_NOT_SUPPORTED)
    PASS

    .balign 4
guest_trap:
    csrr t6, scause
    li t5, 0x80000005              /* its supervisor timer interrupt */
    bne t6, t5, zv_fail
    li t6, -1
    csrw stimecmph, t6             /* quiet until told otherwise */
    addi s11, s11, 1
    sret
TEST_END

    .data
    .balign 16384
g_root:     .fill 4096, 4, 0
vs_root:    .fill 1024, 4, 0
vs_l0:      .fill 1024, 4, 0
guest_data: .word 0x600d600d
