/* What a guest needs of the SBI, and a small console library on top of it. Nothing here
 * is zerovisor's own but the ZV extension: a guest built with it runs under any SBI
 * implementation (OpenSBI on QEMU virt included). */
#ifndef GUEST_SBI_H
#define GUEST_SBI_H

#include <stdint.h>

struct sbiret { long error; long value; };

static inline struct sbiret sbi_call(long eid, long fid, long a0, long a1, long a2)
{
    register long r0 __asm__("a0") = a0;
    register long r1 __asm__("a1") = a1;
    register long r2 __asm__("a2") = a2;
    register long r6 __asm__("a6") = fid;
    register long r7 __asm__("a7") = eid;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
    return (struct sbiret){r0, r1};
}

#define SBI_EXT_BASE 0x10
#define SBI_EXT_TIME 0x54494D45
#define SBI_EXT_IPI 0x735049
#define SBI_EXT_HSM 0x48534D
#define SBI_EXT_SRST 0x53525354
#define SBI_EXT_DBCN 0x4442434E
#define SBI_EXT_ZV 0x0A005A56
#define SBI_ERR_NOT_SUPPORTED (-2)

#define csr_read(csr) ({ uint32_t v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })

uint64_t rdtime(void);
void sbi_set_timer(uint64_t when);
void sbi_shutdown(void) __attribute__((noreturn));
void sbi_reboot(void) __attribute__((noreturn));

void putchar_(char c);
void puts_(const char *s);
/* printf with %s %c %u %d %x and %%, no widths: enough for a guest's reports */
void printf_(const char *fmt, ...);

/* The vCPU started by crt0 for secondary harts calls this (weak: parks). */
void secondary_main(unsigned long hartid, unsigned long opaque);
extern char _secondary_start[];

#endif
