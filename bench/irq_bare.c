/* The bare-metal side of the device-interrupt benchmark: the same measurement as the
 * devirq guest (firmware/guests/devirq.c), in M-mode through hart 0's M context of the
 * PLIC. Prints
 *   device interrupt: source 11 claimed 8 times, latency min N max N ticks
 * then passes. */
#include "zv.h"
#include "trap_stub.h"

#define UART1_IER (0x10001000 + 1)
#define PLIC 0x0c000000u
#define ROUNDS 8

static volatile uint32_t stamp, fired, source;   /* stamp: time at the handler */
static uint32_t handler_stack[TRAP_STACK_WORDS];

extern void irq_entry(void);
TRAP_STUB(irq_entry, mscratch, mret, on_irq);

void on_irq(uint32_t now)
{
    uint32_t id = mmio_read32(PLIC + 0x200004);    /* hart 0's M context: claim */
    stamp = now;
    source = id;
    *(volatile uint8_t *)UART1_IER = 0;
    mmio_write32(PLIC + 0x200004, id);             /* complete */
    fired++;
}

int main(void)
{
    mmio_write32(PLIC + 4 * 11, 1);                /* UART1's priority */
    mmio_write32(PLIC + 0x2000, 1u << 11);         /* enabled in hart 0's M context */
    __asm__ volatile("csrw mscratch, %0" :: "r"(&handler_stack[48]));
    __asm__ volatile("csrw mtvec, %0" :: "r"(irq_entry));
    __asm__ volatile("csrs mie, %0" :: "r"(1 << 11));      /* MEIE */
    __asm__ volatile("csrsi mstatus, 8");
    uint32_t min = ~0u, max = 0;
    for (uint32_t k = 0; k < ROUNDS; k++) {
        /* transmitter empty: the line rises at once */
        uint32_t start = TIME_THEN_STORE8((volatile uint8_t *)UART1_IER, 2);
        while (fired <= k)     /* spin: a WFI here could miss an interrupt taken */
            ;                  /* between the test and the WFI */
        uint32_t latency = stamp - start;
        if (latency < min)
            min = latency;
        if (latency > max)
            max = latency;
    }
    zv_puts("device interrupt: source ");
    zv_putdec(source);
    zv_puts(" claimed ");
    zv_putdec(fired);
    zv_puts(" times, latency min ");
    zv_putdec(min);
    zv_puts(" max ");
    zv_putdec(max);
    zv_puts(" ticks\n");
    return 0;
}
