/* timer: periodic timer interrupts through Sstc (the guest's own stimecmp, no VMM on the
 * path), each one's latency measured from its deadline to the first instruction of the
 * handler, in timebase ticks (one per clock here). Prints min/mean/max every PERIODS
 * interrupts, then keeps ticking. */
#include "sbi.h"

#define PERIOD 2000
#define PERIODS 32

static volatile uint32_t deadline, fired, lat_min = ~0u, lat_max, lat_sum;

extern void timer_entry(void);
__asm__(".balign 4\n"
        "timer_entry:\n"
        "  csrrw sp, sscratch, sp\n"      /* a small stack of its own */
        "  sw t0, 0(sp)\n"
        "  sw t1, 4(sp)\n"
        "  csrr t0, time\n"               /* first: the moment the handler runs */
        "  sw t0, 8(sp)\n"
        "  sw ra, 12(sp)\n"
        "  sw a0, 16(sp)\n"
        "  sw a1, 20(sp)\n"
        "  sw a2, 24(sp)\n"
        "  sw a3, 28(sp)\n"
        "  sw a4, 32(sp)\n"
        "  sw a5, 36(sp)\n"
        "  sw t2, 40(sp)\n"
        "  lw a0, 8(sp)\n"
        "  call on_timer\n"
        "  lw t0, 0(sp)\n"
        "  lw t1, 4(sp)\n"
        "  lw ra, 12(sp)\n"
        "  lw a0, 16(sp)\n"
        "  lw a1, 20(sp)\n"
        "  lw a2, 24(sp)\n"
        "  lw a3, 28(sp)\n"
        "  lw a4, 32(sp)\n"
        "  lw a5, 36(sp)\n"
        "  lw t2, 40(sp)\n"
        "  csrrw sp, sscratch, sp\n"
        "  sret\n");

/* The handler saves registers above its stack pointer and calls C below it. */
static uint32_t handler_stack[64];

static void arm(uint32_t when)
{
    deadline = when;
    __asm__ volatile("csrw stimecmph, zero; csrw stimecmp, %0" :: "r"(when));
}

void on_timer(uint32_t now)
{
    uint32_t lat = now - deadline;
    if (lat < lat_min)
        lat_min = lat;
    if (lat > lat_max)
        lat_max = lat;
    lat_sum += lat;
    fired++;
    arm(deadline + PERIOD);
}

int main(void)
{
    __asm__ volatile("csrw sscratch, %0" :: "r"(&handler_stack[48]));
    __asm__ volatile("csrw stvec, %0" :: "r"(timer_entry));
    __asm__ volatile("csrs sie, %0" :: "r"(1 << 5));
    arm((uint32_t)rdtime() + PERIOD);
    __asm__ volatile("csrsi sstatus, 2");
    for (;;) {
        while (fired < PERIODS)
            __asm__ volatile("wfi");
        __asm__ volatile("csrci sstatus, 2");
        printf_("timer latency min %u mean %u max %u ticks over %u interrupts\n", lat_min,
                lat_sum / fired, lat_max, fired);
        fired = lat_sum = lat_max = 0;
        lat_min = ~0u;
        arm((uint32_t)rdtime() + PERIOD);    /* printing took longer than a period */
        __asm__ volatile("csrsi sstatus, 2");
    }
}
