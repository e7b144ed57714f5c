/* Compute kernels for the core's benchmark, bare-metal in M-mode. Each prints one line:
 *   kernel NAME result 0xRESULT cycles N instret M
 * bench/kernels.py computes every RESULT in Python and checks it. */
#include "zv.h"
#include "kernels.h"

int main(void)
{
    for (unsigned k = 0; k < KERNELS; k++) {
        uint32_t c0 = read_csr(mcycle), i0 = read_csr(minstret);
        uint32_t result = kernels[k].run();
        uint32_t c1 = read_csr(mcycle), i1 = read_csr(minstret);
        zv_puts("kernel ");
        zv_puts(kernels[k].name);
        zv_puts(" result ");
        zv_puthex(result);
        zv_puts(" cycles ");
        zv_putdec(c1 - c0);
        zv_puts(" instret ");
        zv_putdec(i1 - i0);
        zv_puts("\n");
    }
    return 0;
}
