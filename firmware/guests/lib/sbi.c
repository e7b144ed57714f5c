/* The guest's console and timer, through the SBI only. */
#include <stdarg.h>
#include "sbi.h"

uint64_t rdtime(void)
{
    uint32_t hi, lo;
    do {
        hi = csr_read(timeh);
        lo = csr_read(time);
    } while (hi != csr_read(timeh));
    return ((uint64_t)hi << 32) | lo;
}

void sbi_set_timer(uint64_t when)
{
    sbi_call(SBI_EXT_TIME, 0, (long)(uint32_t)when, (long)(uint32_t)(when >> 32), 0);
}

void sbi_shutdown(void)
{
    sbi_call(SBI_EXT_SRST, 0, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

void sbi_reboot(void)
{
    sbi_call(SBI_EXT_SRST, 0, 1, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

__attribute__((weak)) void secondary_main(unsigned long hartid, unsigned long opaque)
{
    (void)hartid;
    (void)opaque;
    for (;;)
        __asm__ volatile("wfi");
}

/* Output is gathered into lines and written with one DBCN call each. */
static char line[128];
static unsigned used;

static void flush(void)
{
    if (used) {
        sbi_call(SBI_EXT_DBCN, 0, used, (long)(uintptr_t)line, 0);
        used = 0;
    }
}

void putchar_(char c)
{
    line[used++] = c;
    if (c == '\n' || used == sizeof line)
        flush();
}

void puts_(const char *s)
{
    while (*s)
        putchar_(*s++);
}

static void put_unsigned(uint32_t v, unsigned base)
{
    char digits[12];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n)
        putchar_(digits[--n]);
}

static volatile uint32_t print_lock;

void printf_(const char *fmt, ...)
{
    va_list ap;
    while (__atomic_exchange_n(&print_lock, 1, __ATOMIC_ACQUIRE))
        ;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            putchar_(*fmt);
            continue;
        }
        switch (*++fmt) {
        case 's': puts_(va_arg(ap, const char *)); break;
        case 'c': putchar_((char)va_arg(ap, int)); break;
        case 'u': put_unsigned(va_arg(ap, uint32_t), 10); break;
        case 'x': put_unsigned(va_arg(ap, uint32_t), 16); break;
        case 'd': {
            int32_t v = va_arg(ap, int32_t);
            if (v < 0) {
                putchar_('-');
                v = -v;
            }
            put_unsigned((uint32_t)v, 10);
            break;
        }
        case '%': putchar_('%'); break;
        case 0: fmt--; break;
        }
    }
    va_end(ap);
    flush();
    __atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE);
}
