/* portable: an S-mode program built the way QEMU virt runs one under OpenSBI (linked at
 * 0x80200000, a0 = hart ID, a1 = device tree, nothing but the SBI for its console and
 * timer), which runs unchanged in a zerovisor partition. It reads its device tree's
 * header, takes three timer interrupts through SBI set_timer, and shuts down. */
#include "sbi.h"

#define TICKS 3
#define PERIOD 5000

static volatile uint32_t ticks;

extern void trap_entry(void);
__asm__(".balign 4\n"
        "trap_entry:\n"
        "  addi sp, sp, -64\n"
        "  sw ra, 0(sp)\n"
        "  sw a0, 4(sp)\n"
        "  sw a1, 8(sp)\n"
        "  sw a2, 12(sp)\n"
        "  sw a3, 16(sp)\n"
        "  sw a4, 20(sp)\n"
        "  sw a5, 24(sp)\n"
        "  sw a6, 28(sp)\n"
        "  sw a7, 32(sp)\n"
        "  sw t0, 36(sp)\n"
        "  sw t1, 40(sp)\n"
        "  sw t2, 44(sp)\n"
        "  call on_trap\n"
        "  lw ra, 0(sp)\n"
        "  lw a0, 4(sp)\n"
        "  lw a1, 8(sp)\n"
        "  lw a2, 12(sp)\n"
        "  lw a3, 16(sp)\n"
        "  lw a4, 20(sp)\n"
        "  lw a5, 24(sp)\n"
        "  lw a6, 28(sp)\n"
        "  lw a7, 32(sp)\n"
        "  lw t0, 36(sp)\n"
        "  lw t1, 40(sp)\n"
        "  lw t2, 44(sp)\n"
        "  addi sp, sp, 64\n"
        "  sret\n");

static uint32_t be32(const volatile uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void on_trap(void)
{
    if (csr_read(scause) == 0x80000005u) {        /* supervisor timer */
        ticks++;
        sbi_set_timer(ticks < TICKS ? rdtime() + PERIOD : ~0ull);
    } else {
        printf_("portable: unexpected trap %x\n", csr_read(scause));
        sbi_shutdown();
    }
}

int main(unsigned long hartid, unsigned long fdt)
{
    const volatile uint8_t *dt = (const volatile uint8_t *)fdt;
    printf_("portable: hart %u, linked at %x, device tree %x: magic %x, %u bytes\n",
            (uint32_t)hartid, (uint32_t)(uintptr_t)main & 0xfff00000u, (uint32_t)fdt,
            be32(dt), be32(dt + 4));
    __asm__ volatile("csrw stvec, %0" :: "r"(trap_entry));
    __asm__ volatile("csrs sie, %0" :: "r"(1 << 5));
    sbi_set_timer(rdtime() + PERIOD);
    __asm__ volatile("csrsi sstatus, 2");
    while (ticks < TICKS)
        __asm__ volatile("wfi");
    printf_("portable: %u timer interrupts through SBI set_timer, shutting down\n", ticks);
    return 0;
}
