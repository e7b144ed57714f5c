/* VS-level interrupts: injection through hvip, delegation by hideleg (or not, to HS), guest
 * external interrupts from the PLIC's guest context through hgeip (VSEIP with VGEIN, SGEIP
 * with hgeie), the S context's SEIP, and the guest's own timer: vstimecmp against
 * time + htimedelta (Sstc). */
#include "zvtest.h"

#define CTX_S 1
#define CTX_GUEST 2
#define PLIC_CTX(reg, ctx) (PLIC_BASE + PLIC_##reg + PLIC_##reg##_STRIDE * (ctx))
#define UART_IER_ADDR (UART0_BASE + UART_IER)
#define VGEIN1 (1 << 12)

/* spin until a trap was recorded */
#define WAIT_TRAP                       \
1:  li t6, -1;                          \
    beq a7, t6, 1b

TEST_BEGIN
    PMP_ALL
    li t6, 0x444                   /* VS-level interrupts go to the guest */
    csrw hideleg, t6
    /* injection: hvip.VSSIP is the guest's software interrupt, taken in VS as code 1 */
    li t6, 0x4
    csrw hie, t6
    TO_VS(1f)
1:  csrsi sstatus, 2
    CHECK_NO_TRAP(1)
    TO_M
    li t6, 0x4
    csrs hvip, t6
    TO_VS(2f)
2:  csrsi sstatus, 2               /* the SRET to VS left vsstatus.SIE as SPIE was */
    WAIT_TRAP
    CHECK(2, a7, 0x80000001)
    CHECK(3, a4, 2)
    li a7, -1
    TO_M
    csrw hvip, zero
    /* hvip.VSEIP: an external interrupt for the guest, code 9 there */
    li t6, 0x400
    csrs hie, t6
    csrs hvip, t6
    TO_VS(3f)
3:  csrsi sstatus, 2
    WAIT_TRAP
    CHECK(4, a7, 0x80000009)
    CHECK(5, a4, 2)
    li a7, -1
    TO_M
    csrw hvip, zero
    /* not delegated by hideleg: HS takes it, with its own code, even as V = 1 runs */
    csrw hideleg, zero
    li t6, 0x4
    csrs hie, t6
    csrs hvip, t6
    TO_VS(4f)
4:  WAIT_TRAP
    CHECK(6, a7, 0x80000002)
    CHECK(7, a4, 1)
    li a7, -1
    TO_M
    csrw hvip, zero
    li t6, 0x444
    csrw hideleg, t6

    /* a device to the guest: the UART's transmitter-empty interrupt, through the PLIC's
     * guest context, hgeip bit 1 and hstatus.VGEIN = 1 */
    li t5, PLIC_BASE + PLIC_PRIORITY + 4 * IRQ_UART0
    li t6, 1
    sw t6, 0(t5)
    li t5, PLIC_CTX(ENABLE, CTX_GUEST)
    li t6, 1 << IRQ_UART0
    sw t6, 0(t5)
    li t6, VGEIN1
    csrs hstatus, t6
    li t6, 0x400
    csrs hie, t6
    li t5, UART_IER_ADDR
    li t6, 2
    sb t6, 0(t5)
    lb t6, 0(t5)                   /* the UART has it; the PLIC's gateway takes a cycle */
    nop
    csrr s1, hgeip
    CHECK(8, s1, 2)
    csrr s1, hip
    CHECK(9, s1, 0x400)
    TO_VS(5f)
5:  csrsi sstatus, 2
    WAIT_TRAP
    CHECK(10, a7, 0x80000009)
    CHECK(11, a4, 2)
    li a7, -1
    li t5, PLIC_CTX(CLAIM, CTX_GUEST)      /* the guest claims it from its context */
    lw s1, 0(t5)
    CHECK(12, s1, IRQ_UART0)
    li t4, UART_IER_ADDR
    sb zero, 0(t4)
    sw s1, 0(t5)                           /* and completes it */
    TO_M
    csrr s1, hgeip
    CHECK(13, s1, 0)
    /* the same interrupt as SGEIP to HS, by hgeie */
    li t6, VGEIN1
    csrc hstatus, t6
    li t6, 2
    csrw hgeie, t6
    li t6, 0x1000
    csrs hie, t6
    li t5, UART_IER_ADDR
    li t6, 2
    sb t6, 0(t5)
    TO_S(6f)
6:  csrsi sstatus, 2
    WAIT_TRAP
    CHECK(14, a7, 0x8000000c)
    CHECK(15, a4, 1)
    li a7, -1
    csrci sstatus, 2
    FETCH_TO_M
    li t5, PLIC_CTX(CLAIM, CTX_GUEST)
    lw s1, 0(t5)
    li t4, UART_IER_ADDR
    sb zero, 0(t4)
    sw s1, 0(t5)
    csrw hgeie, zero
    /* the PLIC's S context: SEIP, code 9 in HS when delegated by mideleg */
    li t5, PLIC_CTX(ENABLE, CTX_S)
    li t6, 1 << IRQ_UART0
    sw t6, 0(t5)
    li t6, 0x200
    csrs mideleg, t6
    csrs mie, t6
    li t5, UART_IER_ADDR
    li t6, 2
    sb t6, 0(t5)
    TO_S(7f)
7:  csrsi sstatus, 2
    WAIT_TRAP
    CHECK(16, a7, 0x80000009)
    CHECK(17, a4, 1)
    li a7, -1
    li t5, PLIC_CTX(CLAIM, CTX_S)
    lw s1, 0(t5)
    CHECK(18, s1, IRQ_UART0)
    li t4, UART_IER_ADDR
    sb zero, 0(t4)
    sw s1, 0(t5)
    csrci sstatus, 2
    FETCH_TO_M

    /* vstimecmp counts against time + htimedelta */
    li t6, 0x80000000
    csrs menvcfgh, t6
    csrs henvcfgh, t6
    li t6, 7
    csrw mcounteren, t6
    csrw hcounteren, t6
    li t6, 0x10                    /* the guest's clock runs 2^36 ticks ahead */
    csrw htimedeltah, t6
    li t6, -1
    csrw vstimecmp, t6
    csrw vstimecmph, t6
    csrr s1, time                  /* mtime + 10000 is long past for the guest */
    li t6, 10000
    add s1, s1, t6
    csrw vstimecmph, zero
    csrw vstimecmp, s1
    nop
    csrr s1, hip
    andi s1, s1, 0x40
    CHECK(19, s1, 0x40)
    li t6, -1
    csrw vstimecmph, t6
    li t6, 0x40
    csrs hie, t6
    TO_VS(8f)
8:  csrr s1, time                  /* the guest programs its own timer, no trap */
    csrr s2, timeh
    CHECK_NO_TRAP(20)
    li gp, 21
    li t6, 0x10
    bltu s2, t6, zv_fail
    addi s1, s1, 200
    csrw stimecmph, s2
    csrw stimecmp, s1
    csrsi sstatus, 2
    WAIT_TRAP
    CHECK(22, a7, 0x80000005)
    CHECK(23, a4, 2)
    li a7, -1
    csrr s1, sip                   /* pending until the guest moves its timer on */
    CHECK(24, s1, 0x20)
    li t6, -1
    csrw stimecmph, t6
    nop
    csrr s1, sip
    CHECK(25, s1, 0)
    TO_M
    PASS
TEST_END
