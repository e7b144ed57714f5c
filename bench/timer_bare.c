/* The bare-metal side of the timer-latency benchmark: the same measurement as the timer
 * guest (firmware/guests/timer.c), in M-mode with the CLINT's mtimecmp. Prints
 *   timer latency min N mean N max N ticks over 32 interrupts
 * three times, then passes. */
#include "zv.h"
#include "trap_stub.h"

#define PERIOD 2000
#define PERIODS 32

static volatile uint32_t deadline, fired, lat_min = ~0u, lat_max, lat_sum;
static uint32_t handler_stack[TRAP_STACK_WORDS];

extern void timer_entry(void);
TRAP_STUB(timer_entry, mscratch, mret, on_timer);

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
