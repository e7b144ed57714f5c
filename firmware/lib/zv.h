/* The tiny runtime of bare-metal programs: MMIO, console and exit. */
#ifndef ZV_H
#define ZV_H

#include <stdint.h>
#include "zerovisor_soc.h"

static inline uint32_t mmio_read32(uintptr_t addr) { return *(volatile uint32_t *)addr; }
static inline void mmio_write32(uintptr_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }
static inline uint8_t mmio_read8(uintptr_t addr) { return *(volatile uint8_t *)addr; }
static inline void mmio_write8(uintptr_t addr, uint8_t v) { *(volatile uint8_t *)addr = v; }

void zv_putc(char c);
void zv_puts(const char *s);
void zv_puthex(uint32_t v);
void zv_putdec(uint32_t v);
__attribute__((noreturn)) void zv_exit(int code);

#define read_csr(name) ({ uint32_t v_; __asm__ volatile("csrr %0, " #name : "=r"(v_)); v_; })

#endif
