#include "zv.h"

void zv_putc(char c)
{
    while (!(mmio_read8(UART0_BASE + UART_LSR) & UART_LSR_THRE))
        ;
    mmio_write8(UART0_BASE + UART_RBR_THR, (uint8_t)c);
}

void zv_puts(const char *s)
{
    while (*s) {
        if (*s == '\n')
            zv_putc('\r');
        zv_putc(*s++);
    }
}

void zv_puthex(uint32_t v)
{
    zv_puts("0x");
    for (int shift = 28; shift >= 0; shift -= 4)
        zv_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

void zv_putdec(uint32_t v)
{
    char buf[11];
    int i = 0;
    do {
        buf[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (i)
        zv_putc(buf[--i]);
}

void zv_exit(int code)
{
    uint32_t word = code == 0 ? 0x5555u : (((uint32_t)code << 16) | 0x3333u);
    mmio_write32(FINISHER_BASE + FINISHER_CTRL, word);
    for (;;)
        __asm__ volatile("wfi");
}
