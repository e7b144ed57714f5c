/* The hypervisor and virtual-supervisor CSRs: what each keeps of a write of all ones,
 * the interrupt views (hip/hie/hvip, vsip/vsie), and the S-level names reaching the VS
 * registers when V = 1. */
#include "zvtest.h"

/* csr = all ones; reg = what it kept */
#define KEEPS(n, csr, value)            \
    li t6, -1;                          \
    csrw csr, t6;                       \
    csrr s1, csr;                       \
    CHECK(n, s1, value)

TEST_BEGIN
    PMP_ALL
    KEEPS(1, hstatus, 0x007003c0)      /* GVA SPV SPVP HU VTVM VTW VTSR; VGEIN 63 refused */
    li t6, 1 << 12
    csrs hstatus, t6
    csrr s1, hstatus
    CHECK(2, s1, 0x007013c0)           /* VGEIN = 1: the one guest external interrupt */
    csrw hstatus, zero
    KEEPS(3, hedeleg, 0xcb1ff)         /* as the hypervisor chapter's table requires */
    KEEPS(4, hideleg, 0x444)
    KEEPS(5, hvip, 0x444)
    csrw mie, zero
    KEEPS(6, hie, 0x1444)
    csrr s1, mie                       /* hie is a view of mie */
    CHECK(7, s1, 0x1444)
    csrw mie, zero
    csrr s1, hip                       /* hvip's bits show in hip and mip */
    CHECK(8, s1, 0x444)
    csrw hip, zero                     /* only VSSIP is writable in hip */
    csrr s1, hip
    CHECK(9, s1, 0x440)
    csrr s1, mip
    CHECK(10, s1, 0x440)
    csrw hvip, zero
    KEEPS(11, hgeie, 0x2)
    csrr s1, hgeip
    CHECK(12, s1, 0)
    csrw hgeip, zero                   /* read-only */
    CHECK_TRAP(13, 2)
    KEEPS(14, hcounteren, 0xffffffff)
    KEEPS(15, htval, 0xffffffff)
    KEEPS(16, htinst, 0xffffffff)
    KEEPS(17, mtval2, 0xffffffff)
    KEEPS(18, mtinst, 0xffffffff)
    KEEPS(19, hgatp, 0x803ffffc)       /* VMID and PPN[1:0] read-only zero */
    csrw hgatp, zero
    KEEPS(20, vsatp, 0x803fffff)       /* ASID read-only zero */
    csrw vsatp, zero
    KEEPS(21, vsstatus, 0x000c0122)
    KEEPS(22, htimedeltah, 0xffffffff)
    KEEPS(23, htimedelta, 0xffffffff)
    csrw htimedelta, zero
    csrw htimedeltah, zero
    KEEPS(24, henvcfgh, 0)             /* STCE needs menvcfg.STCE */
    li t6, 0x80000000
    csrw menvcfgh, t6
    KEEPS(25, henvcfgh, 0x80000000)
    csrw henvcfgh, zero
    csrw menvcfgh, zero
    KEEPS(26, henvcfg, 0)
    KEEPS(27, hedelegh, 0)
    li t6, 0xc0
    csrw mstatush, t6                  /* MPV and GVA */
    csrr s1, mstatush
    CHECK(28, s1, 0xc0)
    csrw mstatush, zero
    CHECK_NO_TRAP(29)

    /* V = 1: the S-level names reach the VS registers */
    li t6, 0x1111
    csrw sscratch, t6
    li t6, 0x2222
    csrw vsscratch, t6
    li t6, 0x00001000               /* Bare: the guest runs untranslated */
    csrw vsatp, t6
    csrw vsstatus, zero
    csrw mstatus, zero
    li t6, 0x444
    csrw hideleg, t6
    li t6, 0x4                         /* VSSIP */
    csrw hvip, t6
    li t6, 0x40                        /* VSTIE */
    csrw hie, t6
    TO_VS(1f)
1:  csrr s1, sscratch
    CHECK(30, s1, 0x2222)
    li t6, 0x3333
    csrw sscratch, t6
    csrr s1, satp
    CHECK(31, s1, 0x00001000)
    csrr s1, sip                       /* hvip.VSSIP is the guest's SSIP */
    CHECK(32, s1, 0x2)
    csrr s1, sie                       /* hie.VSTIE is the guest's STIE */
    CHECK(33, s1, 0x20)
    li t6, -1
    csrw sstatus, t6
    csrr s1, sstatus
    CHECK(34, s1, 0x000c0122)
    csrw sstatus, zero
    csrw sip, zero                     /* the guest clears its software interrupt */
    li t6, 0x200                       /* and enables its external one */
    csrs sie, t6
    TO_M
    csrr s1, vsscratch
    CHECK(35, s1, 0x3333)
    csrr s1, sscratch
    CHECK(36, s1, 0x1111)
    csrr s1, mstatus                   /* HS-level sstatus fields untouched */
    li t6, 0x000c0122
    and s1, s1, t6
    CHECK(37, s1, 0)
    csrr s1, hvip
    CHECK(38, s1, 0)
    csrr s1, hie
    CHECK(39, s1, 0x440)
    /* without hideleg, the guest sees none of them */
    csrw hideleg, zero
    li t6, 0x4
    csrw hvip, t6
    TO_VS(2f)
2:  csrr s1, sip
    csrr s2, sie
    TO_M
    CHECK(40, s1, 0)
    CHECK(41, s2, 0)
    csrw hvip, zero
    csrw hie, zero
    /* time in VS-mode is mtime + htimedelta */
    li t6, 1
    csrw htimedeltah, t6
    csrr s3, timeh
    li t6, 7
    csrw mcounteren, t6
    csrw hcounteren, t6
    TO_VS(3f)
3:  csrr s1, timeh
    TO_M
    addi s3, s3, 1
    li gp, 42
    bne s1, s3, zv_fail
    PASS
TEST_END
