/* hello: greets, says what the SBI is, then counts forever, printing a tick now and then
 * and echoing each line of console input it was given.
 * Uses nothing but the SBI: it runs the same on QEMU virt under OpenSBI. */
#include "sbi.h"

#define TICK_ITERATIONS 20000

int main(unsigned long hartid, unsigned long fdt)
{
    struct sbiret spec = sbi_call(SBI_EXT_BASE, 0, 0, 0, 0);
    struct sbiret impl = sbi_call(SBI_EXT_BASE, 1, 0, 0, 0);
    printf_("hello from hart %u, device tree at %x, SBI %u.%u, implementation %x\n",
            (uint32_t)hartid, (uint32_t)fdt, (uint32_t)spec.value >> 24,
            (uint32_t)spec.value & 0xffffff, (uint32_t)impl.value);
    volatile uint32_t counter = 0;
    static char typed[16], line[64];
    uint32_t have = 0;
    for (uint32_t tick = 1;; tick++) {
        for (uint32_t i = 0; i < TICK_ITERATIONS; i++)
            counter++;
        printf_("tick %u\n", tick);
        /* console input, if any was routed here: echoed a whole line at a time */
        long n = sbi_call(SBI_EXT_DBCN, 1, sizeof typed, (long)(uintptr_t)typed, 0).value;
        for (long k = 0; k < n; k++) {
            if (typed[k] == '\n' || typed[k] == '\r' || have == sizeof line - 1) {
                line[have] = 0;
                if (have)
                    printf_("input: %s\n", line);
                have = 0;
            }
            if (typed[k] != '\n' && typed[k] != '\r')
                line[have++] = typed[k];
        }
    }
}
