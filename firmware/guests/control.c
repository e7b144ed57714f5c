/* The control partition's console server: it owns the UART and drains every guest's
 * console ring into it, a whole line at a time, each line prefixed with the partition's
 * name. The rings are its channels of kind 1 (zerovisor SBI extension). */
#include "sbi.h"

#define UART 0x10000000u
#define LSR 5
#define THRE 0x20
#define RING_MAGIC 0x52435A56u
#define RING_DATA 64
#define RING_CAP (4096 - RING_DATA)
#define MAX_RINGS 8

struct ring {
    volatile uint32_t magic, head, tail, drops;
    char name[16];
    volatile uint32_t pid, pad[7];
    volatile char data[RING_CAP];
};

static void uart_putc(char c)
{
    while (!(*(volatile uint8_t *)(UART + LSR) & THRE))
        ;
    *(volatile uint8_t *)UART = c;
}

static void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

static void prefix(const char *name)
{
    uart_putc('[');
    for (int i = 0; i < 16 && name[i]; i++)
        uart_putc(name[i]);
    uart_puts("] ");
}

/* Write out the ring's complete lines (or a full ring's worth of an endless one). */
static void drain(struct ring *r)
{
    uint32_t tail = r->tail, head = r->head;
    while (tail != head) {
        uint32_t end = tail;
        while (end != head && r->data[end % RING_CAP] != '\n')
            end++;
        if (end == head && head - tail < RING_CAP / 2)
            break;                      /* an unfinished line: wait for the rest */
        if (end != head)
            end++;
        prefix(r->name);
        for (; tail != end; tail++)
            uart_putc(r->data[tail % RING_CAP]);
        if (r->data[(end - 1) % RING_CAP] != '\n')
            uart_putc('\n');
        r->tail = tail;
    }
}

int main(unsigned long hartid, unsigned long fdt)
{
    (void)hartid;
    (void)fdt;
    struct ring *rings[MAX_RINGS];
    int count = 0;
    long channels = sbi_call(SBI_EXT_ZV, 0, 0, 0, 0).value;
    for (long c = 0; c < channels && count < MAX_RINGS; c++)
        if (sbi_call(SBI_EXT_ZV, 1, c, 2, 0).value == 1)
            rings[count++] = (struct ring *)sbi_call(SBI_EXT_ZV, 1, c, 0, 0).value;
    prefix("control");
    uart_puts("console server: serving ");
    uart_putc('0' + count);
    uart_puts(" console(s)\n");
    for (;;) {
        for (int i = 0; i < count; i++)
            if (rings[i]->magic == RING_MAGIC)
                drain(rings[i]);
        sbi_call(SBI_EXT_ZV, 3, 0, 0, 0);  /* take the doorbell down */
    }
}
