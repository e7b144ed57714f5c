/* timer: periodic timer interrupts through Sstc (the guest's own stimecmp, no VMM on the
 * path), each one's latency measured from its deadline to the first instruction of the
 * handler, in timebase ticks (one per clock here). Prints min/mean/max every PERIODS
 * interrupts, then keeps ticking. */
#include "sbi.h"
#include "trap_stub.h"

#define PERIOD 2000
#define PERIODS 32

static volatile uint32_t deadline, fired, lat_min = ~0u, lat_max, lat_sum;

extern void timer_entry(void);
TRAP_STUB(timer_entry, sscratch, sret, on_timer);

static uint32_t handler_stack[TRAP_STACK_WORDS];

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
