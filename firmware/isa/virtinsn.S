/* The virtual-instruction exception (cause 22): every case the hypervisor chapter lists,
 * beside the illegal-instruction cases next to them. */
#include "zvtest.h"

#define VTVM (1 << 20)
#define VTW (1 << 21)
#define VTSR (1 << 22)
#define TW (1 << 21)

TEST_BEGIN
    PMP_ALL
    li t6, 7
    csrw mcounteren, t6
    /* VS-mode */
    TO_VS(1f)
1:  hlv.w s1, (sp)
    CHECK_TRAP(1, 22)
    li t6, 0x680144f3              /* hlv.w s1, (sp): tval holds the instruction */
    li gp, 2
    bne a6, t6, zv_fail
    hsv.w s1, (sp)
    CHECK_TRAP(3, 22)
    hfence.vvma zero, zero
    CHECK_TRAP(4, 22)
    hfence.gvma zero, zero
    CHECK_TRAP(5, 22)
    csrr s1, hstatus               /* hypervisor CSRs */
    CHECK_TRAP(6, 22)
    csrr s1, vsstatus              /* VS CSRs by their own names */
    CHECK_TRAP(7, 22)
    csrr s1, hgatp
    CHECK_TRAP(8, 22)
    csrr s1, mstatus               /* M CSRs stay illegal */
    CHECK_TRAP(9, 2)
    mret
    CHECK_TRAP(10, 2)
    csrr s1, cycle                 /* mcounteren allows, hcounteren does not */
    CHECK_TRAP(11, 22)
    csrr s1, instreth
    CHECK_TRAP(12, 22)
    csrr s1, hpmcounter3           /* mcounteren does not allow: illegal */
    CHECK_TRAP(13, 2)
    csrr s1, sscratch              /* S CSRs are the guest's own */
    CHECK_NO_TRAP(14)
    TO_M
    li t6, 7
    csrw hcounteren, t6
    TO_VS(2f)
2:  csrr s1, cycle
    CHECK_NO_TRAP(15)
    TO_M
    /* VTSR, VTW, VTVM */
    li t6, VTSR | VTW | VTVM
    csrs hstatus, t6
    TO_VS(3f)
3:  sret
    CHECK_TRAP(16, 22)
    wfi
    CHECK_TRAP(17, 22)
    sfence.vma
    CHECK_TRAP(18, 22)
    csrr s1, satp
    CHECK_TRAP(19, 22)
    TO_M
    li t6, TW                      /* TW wins over VTW: illegal */
    csrs mstatus, t6
    TO_VS(4f)
4:  wfi
    CHECK_TRAP(20, 2)
    TO_M
    li t6, VTSR | VTW | VTVM
    csrc hstatus, t6
    li t6, TW
    csrc mstatus, t6
    /* stimecmp: illegal without menvcfg.STCE, virtual without henvcfg.STCE or hcounteren.TM */
    TO_VS(5f)
5:  csrr s1, stimecmp
    CHECK_TRAP(21, 2)
    TO_M
    li t6, 0x80000000
    csrs menvcfgh, t6
    TO_VS(6f)
6:  csrr s1, stimecmp
    CHECK_TRAP(22, 22)
    TO_M
    li t6, 0x80000000
    csrs henvcfgh, t6
    li t6, 2
    csrc hcounteren, t6
    TO_VS(7f)
7:  csrr s1, stimecmp
    CHECK_TRAP(23, 22)
    TO_M
    li t6, 2
    csrs hcounteren, t6
    TO_VS(8f)
8:  csrr s1, stimecmp
    CHECK_NO_TRAP(24)
    TO_M

    /* VU-mode */
    csrw scounteren, zero
    TO_VU(9f)
9:  hlv.w s1, (sp)
    CHECK_TRAP(25, 22)
    csrr s1, sstatus               /* S CSRs */
    CHECK_TRAP(26, 22)
    csrr s1, hstatus
    CHECK_TRAP(27, 22)
    csrr s1, mstatus
    CHECK_TRAP(28, 2)
    sret
    CHECK_TRAP(29, 22)
    sfence.vma
    CHECK_TRAP(30, 22)
    wfi                            /* TW = 0 */
    CHECK_TRAP(31, 22)
    csrr s1, cycle                 /* scounteren does not allow */
    CHECK_TRAP(32, 22)
    TO_M
    li t6, 7
    csrw scounteren, t6
    li t6, TW
    csrs mstatus, t6
    TO_VU(10f)
10: csrr s1, cycle
    CHECK_NO_TRAP(33)
    wfi                            /* TW = 1 */
    CHECK_TRAP(34, 2)
    TO_M
    /* delegated, virtual instructions go to HS */
    li t6, 1 << 22
    csrw medeleg, t6
    TO_VS(11f)
11: csrr s1, hstatus
    CHECK_TRAP(35, 22)
    CHECK(36, a4, 1)
    TO_M
    PASS
TEST_END
