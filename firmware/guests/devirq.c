/* devirq: a device interrupt straight to the guest. The partition owns UART1; the boot
 * firmware routed its PLIC source to this hart's guest context, which the VMM made the
 * guest's VSEIP (hstatus.VGEIN) and the G-stage shows at QEMU virt's S-mode context page
 * of hart 0. The guest enables the UART's transmitter-empty interrupt, takes it, claims
 * it, silences the UART and completes: no VMM instruction on the path. Prints the source
 * and the latency from the enabling store to the handler, in timebase ticks. */
#include "sbi.h"

#define UART1_IER ((volatile uint8_t *)0x10001001)
#define PLIC_CLAIM ((volatile uint32_t *)(0x0c200000 + 0x1000 * 1 + 4))
#define ROUNDS 8

static volatile uint32_t start, fired, source, latency;
/* The handler saves registers above its stack pointer and calls C below it. */
static uint32_t handler_stack[64];

extern void irq_entry(void);
__asm__(".balign 4\n"
        "irq_entry:\n"
        "  csrrw sp, sscratch, sp\n"
        "  sw t0, 0(sp)\n"
        "  csrr t0, time\n"
        "  sw t0, 4(sp)\n"
        "  sw ra, 8(sp)\n"
        "  sw a0, 12(sp)\n"
        "  sw a1, 16(sp)\n"
        "  sw a2, 20(sp)\n"
        "  sw a3, 24(sp)\n"
        "  sw a4, 28(sp)\n"
        "  sw a5, 32(sp)\n"
        "  sw t1, 36(sp)\n"
        "  sw t2, 40(sp)\n"
        "  lw a0, 4(sp)\n"
        "  call on_irq\n"
        "  lw t0, 0(sp)\n"
        "  lw ra, 8(sp)\n"
        "  lw a0, 12(sp)\n"
        "  lw a1, 16(sp)\n"
        "  lw a2, 20(sp)\n"
        "  lw a3, 24(sp)\n"
        "  lw a4, 28(sp)\n"
        "  lw a5, 32(sp)\n"
        "  lw t1, 36(sp)\n"
        "  lw t2, 40(sp)\n"
        "  csrrw sp, sscratch, sp\n"
        "  sret\n");

void on_irq(uint32_t now)
{
    uint32_t id = *PLIC_CLAIM;
    latency = now - start;
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
        start = (uint32_t)rdtime();
        *UART1_IER = 2;        /* transmitter empty: the line rises at once */
        while (fired <= k)     /* spin: a WFI here could miss an interrupt taken */
            ;                  /* between the test and the WFI */
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
