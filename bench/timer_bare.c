/* The bare-metal side of the timer-latency benchmark: the same measurement as the timer
 * guest (firmware/guests/timer.c), in M-mode with the CLINT's mtimecmp. Prints
 *   timer latency min N mean N max N ticks over 32 interrupts
 * three times, then passes. */
#include "zv.h"

#define PERIOD 2000
#define PERIODS 32

static volatile uint32_t deadline, fired, lat_min = ~0u, lat_max, lat_sum;
/* The handler saves registers above its stack pointer and calls C below it. */
static uint32_t handler_stack[64];

extern void timer_entry(void);
__asm__(".balign 4\n"
        "timer_entry:\n"
        "  csrrw sp, mscratch, sp\n"
        "  sw t0, 0(sp)\n"
        "  sw t1, 4(sp)\n"
        "  csrr t0, time\n"
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
        "  csrrw sp, mscratch, sp\n"
        "  mret\n");

static void arm(uint32_t when)
{
    deadline = when;
    mmio_write32(CLINT_BASE + CLINT_MTIMECMP + 4, 0);
    mmio_write32(CLINT_BASE + CLINT_MTIMECMP, when);
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
    __asm__ volatile("csrw mscratch, %0" :: "r"(&handler_stack[48]));
    __asm__ volatile("csrw mtvec, %0" :: "r"(timer_entry));
    __asm__ volatile("csrs mie, %0" :: "r"(1 << 7));
    arm(read_csr(time) + PERIOD);
    for (int round = 0; round < 3; round++) {
        __asm__ volatile("csrsi mstatus, 8");
        while (fired < PERIODS)
            __asm__ volatile("wfi");
        __asm__ volatile("csrci mstatus, 8");
        zv_puts("timer latency min ");
        zv_putdec(lat_min);
        zv_puts(" mean ");
        zv_putdec(lat_sum / fired);
        zv_puts(" max ");
        zv_putdec(lat_max);
        zv_puts(" ticks over 32 interrupts\n");
        fired = lat_sum = lat_max = 0;
        lat_min = ~0u;
        arm(read_csr(time) + PERIOD);
    }
    return 0;
}
