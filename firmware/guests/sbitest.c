/* sbitest: calls every SBI function the VMM implements, checks each answer and prints one
 * line per check ("ok ..." or "FAIL ..."), probes the edges of its guest-physical map, then
 * reboots its partition once and shuts it down. The test suite reads the lines. */
#include "sbi.h"

#define ERR_INVALID_PARAM (-3)
#define ERR_INVALID_ADDRESS (-5)
#define ERR_ALREADY_AVAILABLE (-6)

static int failures;

static void check(const char *what, long got, long want)
{
    if (got == want) {
        printf_("ok %s\n", what);
    } else {
        printf_("FAIL %s: got %x, want %x\n", what, (uint32_t)got, (uint32_t)want);
        failures++;
    }
}

/* The guest's trap handler: records the cause and address, skips the instruction. */
static volatile uint32_t trap_cause, trap_tval, traps;
extern void trap_entry(void);
__asm__(".balign 4\n"
        "trap_entry:\n"
        "  addi sp, sp, -16\n"
        "  sw t0, 0(sp)\n"
        "  sw t1, 4(sp)\n"
        "  csrr t0, scause\n"
        "  la t1, trap_cause\n"
        "  sw t0, 0(t1)\n"
        "  csrr t0, stval\n"
        "  la t1, trap_tval\n"
        "  sw t0, 0(t1)\n"
        "  la t1, traps\n"
        "  lw t0, 0(t1)\n"
        "  addi t0, t0, 1\n"
        "  sw t0, 0(t1)\n"
        "  csrr t0, scause\n"
        "  bltz t0, 1f\n"                 /* an exception: skip the instruction */
        "  csrr t0, sepc\n"
        "  addi t0, t0, 4\n"
        "  csrw sepc, t0\n"
        "  j 2f\n"
        "1:li t0, -1\n"                   /* an interrupt: quiet the timer and IPI */
        "  csrw stimecmp, t0\n"
        "  csrw stimecmph, t0\n"
        "  li t0, 2\n"
        "  csrc sip, t0\n"
        "2:lw t0, 0(sp)\n"
        "  lw t1, 4(sp)\n"
        "  addi sp, sp, 16\n"
        "  sret\n");

static uint32_t load(uintptr_t address)
{
    return *(volatile uint32_t *)address;
}

static void wait_for_trap(uint32_t before)
{
    for (uint32_t i = 0; i < 100000 && traps == before; i++)
        ;
}

int main(unsigned long hartid, unsigned long fdt)
{
    struct sbiret r;
    long boots = sbi_call(SBI_EXT_ZV, 4, 0, 0, 0).value;
    printf_("sbitest: boot %u, hart %u, device tree %x\n", (uint32_t)boots, (uint32_t)hartid,
            (uint32_t)fdt);
    check("fdt magic", load(fdt), 0xedfe0dd0);
    if (boots > 1) {
        printf_("sbitest: rebooted, shutting down\n");
        sbi_shutdown();
    }
    __asm__ volatile("csrw stvec, %0" :: "r"(trap_entry));

    r = sbi_call(SBI_EXT_BASE, 0, 0, 0, 0);
    check("base spec version", r.value, 0x02000000);
    check("base impl id", sbi_call(SBI_EXT_BASE, 1, 0, 0, 0).value, 0x5a56);
    check("base impl version", sbi_call(SBI_EXT_BASE, 2, 0, 0, 0).value, 1);
    check("base probe hsm", sbi_call(SBI_EXT_BASE, 3, SBI_EXT_HSM, 0, 0).value, 1);
    check("base probe missing", sbi_call(SBI_EXT_BASE, 3, 0x12345678, 0, 0).value, 0);
    check("base mvendorid", sbi_call(SBI_EXT_BASE, 4, 0, 0, 0).error, 0);
    check("unknown extension", sbi_call(0x12345678, 0, 0, 0, 0).error, SBI_ERR_NOT_SUPPORTED);
    check("unknown base function", sbi_call(SBI_EXT_BASE, 99, 0, 0, 0).error,
          SBI_ERR_NOT_SUPPORTED);

    /* TIME: an interrupt some ticks from now, taken by the guest itself */
    uint32_t before = traps;
    __asm__ volatile("csrs sie, %0; csrsi sstatus, 2" :: "r"(1 << 5));
    check("time set_timer", sbi_call(SBI_EXT_TIME, 0, (long)(uint32_t)(rdtime() + 200),
                                     (long)((rdtime() + 200) >> 32), 0).error, 0);
    wait_for_trap(before);
    check("time interrupt", trap_cause, 0x80000005);

    /* IPI to itself */
    before = traps;
    __asm__ volatile("csrs sie, %0" :: "r"(1 << 1));
    check("ipi send to self", sbi_call(SBI_EXT_IPI, 0, 1, 0, 0).error, 0);
    wait_for_trap(before);
    check("ipi interrupt", trap_cause, 0x80000001);
    check("ipi bad hart", sbi_call(SBI_EXT_IPI, 0, 1, 5, 0).error, ERR_INVALID_PARAM);
    __asm__ volatile("csrci sstatus, 2");

    /* HSM */
    check("hsm status self", sbi_call(SBI_EXT_HSM, 2, 0, 0, 0).value, 0);
    check("hsm status bad hart", sbi_call(SBI_EXT_HSM, 2, 7, 0, 0).error, ERR_INVALID_PARAM);
    check("hsm start self", sbi_call(SBI_EXT_HSM, 0, 0, 0x80000000, 0).error,
          ERR_ALREADY_AVAILABLE);
    check("hsm suspend", sbi_call(SBI_EXT_HSM, 3, 0x80000000, 0, 0).error,
          SBI_ERR_NOT_SUPPORTED);

    /* DBCN */
    static const char text[] = "dbcn write\n";
    check("dbcn write", sbi_call(SBI_EXT_DBCN, 0, sizeof text - 1, (long)(uintptr_t)text, 0)
          .value, sizeof text - 1);
    check("dbcn write outside RAM", sbi_call(SBI_EXT_DBCN, 0, 4, 0x1000, 0).error,
          ERR_INVALID_PARAM);
    check("dbcn write high address", sbi_call(SBI_EXT_DBCN, 0, 4, 0x80000000, 1).error,
          ERR_INVALID_PARAM);
    check("dbcn write_byte", sbi_call(SBI_EXT_DBCN, 2, '\n', 0, 0).error, 0);
    static char buf[4];
    check("dbcn read", sbi_call(SBI_EXT_DBCN, 1, sizeof buf, (long)(uintptr_t)buf, 0).error, 0);
    sbi_call(0x01, 0, 'L', 0, 0);                       /* legacy putchar */
    sbi_call(0x01, 0, '\n', 0, 0);

    /* SRST with a bad type */
    check("srst bad type", sbi_call(SBI_EXT_SRST, 0, 7, 0, 0).error, ERR_INVALID_PARAM);

    /* zerovisor extension */
    long chans = sbi_call(SBI_EXT_ZV, 0, 0, 0, 0).value;
    check("zv channels", chans, 1);
    check("zv channel address", sbi_call(SBI_EXT_ZV, 1, 0, 0, 0).value, 0x20000000);
    check("zv channel size", sbi_call(SBI_EXT_ZV, 1, 0, 1, 0).value, 4096);
    check("zv bad channel", sbi_call(SBI_EXT_ZV, 1, 9, 0, 0).error, ERR_INVALID_PARAM);
    check("zv notify", sbi_call(SBI_EXT_ZV, 2, 0, 0, 0).error, 0);
    check("zv poll", sbi_call(SBI_EXT_ZV, 3, 0, 0, 0).error, 0);
    *(volatile uint32_t *)0x20000000 = 0x5a5a1234;    /* its channel is its own memory */
    check("zv channel memory", load(0x20000000), 0x5a5a1234);

    /* what the guest sees: its RAM, nothing else */
    before = traps;
    load(0x80000000 + 16 * 1024 * 1024);               /* past its RAM */
    check("fault past RAM", trap_cause, 5);
    check("fault past RAM address", trap_tval, 0x81000000);
    load(0x10000000);                                  /* UART0: not its device */
    check("fault on another's device", trap_cause, 5);
    *(volatile uint32_t *)0x02000000 = 1;              /* CLINT msip: not mapped */
    check("fault on a store", trap_cause, 7);
    check("three faults", traps - before, 3);

    printf_("sbitest: %u failures\n", (uint32_t)failures);
    printf_("sbitest: rebooting\n");
    sbi_reboot();
}
