/* compute: the core benchmark's kernels in a partition, each line as the bare-metal
 * program prints it (kernel NAME result 0xR cycles N instret M), then the SBI round trip:
 * the cycles of a Base call (VS -> HS -> VS), the least of many. Then it idles. */
#include "sbi.h"
#include "kernels.h"

#define ROUND_TRIPS 64

int main(void)
{
    for (unsigned k = 0; k < KERNELS; k++) {
        uint32_t c0 = csr_read(cycle), i0 = csr_read(instret);
        uint32_t result = kernels[k].run();
        uint32_t c1 = csr_read(cycle), i1 = csr_read(instret);
        printf_("kernel %s result 0x%x cycles %u instret %u\n", kernels[k].name, result,
                c1 - c0, i1 - i0);
    }
    uint32_t best = ~0u, total = 0;
    for (int i = 0; i < ROUND_TRIPS; i++) {
        uint32_t c0 = csr_read(cycle);
        sbi_call(SBI_EXT_BASE, 0, 0, 0, 0);
        uint32_t c1 = csr_read(cycle);
        total += c1 - c0;
        if (c1 - c0 < best)
            best = c1 - c0;
    }
    printf_("sbi round trip min %u mean %u cycles\n", best, total / ROUND_TRIPS);
    printf_("compute: done\n");
    for (;;)
        __asm__ volatile("wfi");
}
