/* The demo: greets from the simulated SoC, shows who and where it is, and passes. */
#include "zv.h"

int main(void)
{
    zv_puts("Hello from zerovisor! hart ");
    zv_putdec(read_csr(mhartid));
    zv_puts(", misa ");
    zv_puthex(read_csr(misa));
    uint32_t sum = 0;
    for (uint32_t i = 1; i <= 100; i++)
        sum += i * i;
    zv_puts(", sum of squares 1..100 = ");
    zv_putdec(sum);
    zv_puts(", cycles so far ");
    zv_putdec(read_csr(mcycle));
    zv_puts("\n");
    return sum == 338350 ? 0 : 1;
}
