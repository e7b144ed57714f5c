/* devirq: a device interrupt straight to the guest. The partition owns UART1; the boot
 * firmware routed its PLIC source to this hart's guest context, which the VMM made the
 * guest's VSEIP (hstatus.VGEIN) and the G-stage shows at QEMU virt's S-mode context page
 * of hart 0. The guest enables the UART's transmitter-empty interrupt, takes it, claims
 * it, silences the UART and completes: no VMM instruction on the path. Prints the source
 * and the latency, in timebase ticks, from the `time` read right before the enabling
 * store (TIME_THEN_STORE8) to the trap stub's. */
#include "sbi.h"
#include "trap_stub.h"

#define UART1_IER ((volatile uint8_t *)0x10001001)
#define PLIC_CLAIM ((volatile uint32_t *)(0x0c200000 + 0x1000 * 1 + 4))
#define ROUNDS 8

static volatile uint32_t stamp, fired, source;   /* stamp: time at the handler */
static uint32_t handler_stack[TRAP_STACK_WORDS];

extern void irq_entry(void);
TRAP_STUB(irq_entry, sscratch, sret, on_irq);

void on_irq(uint32_t now)
{
    uint32_t id = *PLIC_CLAIM;
    stamp = now;
    source = id;
    *UART1_IER = 0;            /* the line drops */
    *PLIC_CLAIM = id;          /* complete: the source may request again */
    fired++;
}

int main(void)
{
    __asm__ volatile("csrw sscratch, %0" :: "r"(&handler_stack[48]));
    __asm__ volatile("csrw stvec, %0" :: "r"(irq_entry));
    __asm__ volatile("csrs sie, %0" :: "r"(1 << 9));      /* SEIE */
    __asm__ volatile("csrsi sstatus, 2");
    uint32_t min = ~0u, max = 0;
    for (uint32_t k = 0; k < ROUNDS; k++) {
        /* transmitter empty: the line rises at once */
        uint32_t start = TIME_THEN_STORE8(UART1_IER, 2);
        while (fired <= k)     /* spin: a WFI here could miss an interrupt taken */
            ;                  /* between the test and the WFI */
        uint32_t latency = stamp - start;
        if (latency < min)
            min = latency;
        if (latency > max)
            max = latency;
    }
    printf_("device interrupt: source %u claimed %u times, latency min %u max %u ticks\n",
            source, fired, min, max);
    for (;;)
        __asm__ volatile("wfi");
}
