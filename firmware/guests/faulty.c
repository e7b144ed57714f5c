/* faulty: misbehaves as its partition's name says, for the fault-containment tests.
 *   illegal  an illegal instruction whose handler returns to it: a trap loop
 *   wild     stores to every other partition's RAM (physical addresses it cannot map)
 *   hang     interrupts off, then spins
 *   double   its trap handler itself faults
 *   srst     reboots its partition at every boot
 *   flood    prints as fast as it can
 * Anything else: prints and counts like hello. */
#include "sbi.h"

static char name[17];

static int is(const char *what)
{
    for (int i = 0; i < 17; i++) {
        if (name[i] != what[i])
            return 0;
        if (!what[i])
            return 1;
    }
    return 0;
}

extern void back_to_it(void), faulting_handler(void);
__asm__(".balign 4\n"
        "back_to_it: sret\n"                  /* return to the faulting instruction */
        ".balign 4\n"
        "faulting_handler: lw t0, 0(zero)\n"  /* no RAM at 0: faults again, and again */
        "  sret\n");

static __attribute__((noreturn)) void flood(uint32_t hart)
{
    for (uint32_t n = 0;; n++)
        printf_("flood %u.%u: the quick brown fox jumps over the lazy dog\n", hart, n);
}

void secondary_main(unsigned long hartid, unsigned long opaque)
{
    (void)opaque;
    flood((uint32_t)hartid);
}

int main(unsigned long hartid, unsigned long fdt)
{
    (void)hartid;
    (void)fdt;
    for (long i = 0; i < 4; i++) {
        uint32_t w = (uint32_t)sbi_call(SBI_EXT_ZV, 5, i, 0, 0).value;
        for (int k = 0; k < 4; k++)
            name[4 * i + k] = (char)(w >> (8 * k));
    }
    uint32_t boot = (uint32_t)sbi_call(SBI_EXT_ZV, 4, 0, 0, 0).value;
    printf_("faulty: %s starting, boot %u\n", name, boot);
    if (is("illegal")) {
        __asm__ volatile("csrw stvec, %0" :: "r"(back_to_it));
        __asm__ volatile(".word 0");
    } else if (is("wild")) {
        for (uint32_t a = 0x80000000u + 0x10000; a < 0x80080000u; a += 0x10000)
            *(volatile uint32_t *)a = 0xbad;
    } else if (is("hang")) {
        __asm__ volatile("csrci sstatus, 2");
        for (;;)
            ;
    } else if (is("double")) {
        __asm__ volatile("csrw stvec, %0" :: "r"(faulting_handler));
        *(volatile uint32_t *)4 = 1;
    } else if (is("srst")) {
        sbi_reboot();
    } else if (is("flood")) {
        /* every vCPU of the partition floods */
        for (long h = 1; !sbi_call(SBI_EXT_HSM, 2, h, 0, 0).error; h++)
            sbi_call(SBI_EXT_HSM, 0, h, (long)(uintptr_t)_secondary_start, 0);
        flood(0);
    }
    volatile uint32_t counter = 0;
    for (uint32_t tick = 1;; tick++) {
        for (uint32_t i = 0; i < 20000; i++)
            counter++;
        printf_("tick %u\n", tick);
    }
}
