/* multihart: a guest on several harts. vCPU 0 starts each other vCPU through SBI HSM; each
 * says hello, and they pass an IPI around the ring before counting like hello does. */
#include "sbi.h"

#define MAX 4
static volatile uint32_t up[MAX], ipis[MAX];
static uint32_t harts;

extern void ipi_entry(void);
__asm__(".balign 4\n"
        "ipi_entry:\n"
        "  addi sp, sp, -16\n"
        "  sw t0, 0(sp)\n"
        "  sw t1, 4(sp)\n"
        "  li t0, 2\n"
        "  csrc sip, t0\n"
        "  csrr t0, sscratch\n"          /* this vCPU's counter */
        "  lw t1, 0(t0)\n"
        "  addi t1, t1, 1\n"
        "  sw t1, 0(t0)\n"
        "  lw t0, 0(sp)\n"
        "  lw t1, 4(sp)\n"
        "  addi sp, sp, 16\n"
        "  sret\n");

static void take_ipis(unsigned long hartid)
{
    __asm__ volatile("csrw sscratch, %0" :: "r"(&ipis[hartid]));
    __asm__ volatile("csrw stvec, %0" :: "r"(ipi_entry));
    __asm__ volatile("csrs sie, %0; csrsi sstatus, 2" :: "r"(2));
}

static __attribute__((noreturn)) void count(unsigned long hartid)
{
    volatile uint32_t counter = 0;
    for (uint32_t tick = 1;; tick++) {
        for (uint32_t i = 0; i < 20000; i++)
            counter++;
        printf_("hart %u tick %u\n", (uint32_t)hartid, tick);
    }
}

void secondary_main(unsigned long hartid, unsigned long opaque)
{
    take_ipis(hartid);
    up[hartid] = 1;
    printf_("hart %u up (opaque %x), status %d\n", (uint32_t)hartid, (uint32_t)opaque,
            (int32_t)sbi_call(SBI_EXT_HSM, 2, hartid, 0, 0).value);
    while (!ipis[hartid])
        ;
    printf_("hart %u got an IPI\n", (uint32_t)hartid);
    sbi_call(SBI_EXT_IPI, 0, 1, 0, 0);                  /* back to vCPU 0 */
    count(hartid);
}

int main(unsigned long hartid, unsigned long fdt)
{
    (void)fdt;
    take_ipis(hartid);
    for (harts = 1; harts < MAX; harts++)
        if (sbi_call(SBI_EXT_HSM, 2, harts, 0, 0).error)
            break;
    printf_("multihart: %u harts, vCPU 1 is %d\n", harts,
            (int32_t)sbi_call(SBI_EXT_HSM, 2, 1, 0, 0).value);
    for (uint32_t h = 1; h < harts; h++) {
        long err = sbi_call(SBI_EXT_HSM, 0, h, (long)(uintptr_t)_secondary_start,
                            0x1000 + h).error;
        while (!err && !up[h])
            ;
        printf_("started hart %u: %d, again: %d\n", h, (int32_t)err,
                (int32_t)sbi_call(SBI_EXT_HSM, 0, h, (long)(uintptr_t)_secondary_start,
                                  0).error);
        sbi_call(SBI_EXT_IPI, 0, 1, h, 0);
        while (!ipis[0])
            ;
        ipis[0] = 0;
        printf_("hart %u answered\n", h);
    }
    count(hartid);
}
