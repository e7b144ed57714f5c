/* The boot firmware, in the boot ROM: every hart starts here in M-mode.
 *
 * Hart 0 prints the boot summary, runs the copy list (each partition's VMM records,
 * G-stage tables, guest image and device tree, from the image slices in RAM into the
 * partition's RAM) and the write list (every checker entry, the PLIC's routing, and last
 * the checkers' locks). The generated tables (zv_boot_tables.S) hold all of it; this code
 * only walks them, so the policy lives in one place, the layout.
 *
 * The other harts sleep until hart 0 raises their msip, just before it locks the checkers.
 * Every hart, hart 0 included, then waits until the partition control block's own checker
 * is locked (readable by every partition), locks its partition register, opens PMP, hands
 * every trap but its own software interrupt to HS-mode and enters its partition's VMM in
 * HS-mode with a0 = hart ID and a1 = its vCPU record. A hart of no partition parks.
 *
 * Afterwards M-mode only runs m_trap: a machine software interrupt (another hart of the
 * same partition asking for attention, through msip) becomes a supervisor software
 * interrupt. Nothing here needs a stack; the ROM holds no writable data.
 */
#include "zerovisor_soc.h"
#include "zv_abi.h"

#define MPARTITION 0x7c0
#define LOCK (1 << 31)
#define MIP_SSIP 2
#define MIE_MSIE 8
/* medeleg: everything that can happen below M-mode goes to HS (ecall from HS, 9, stays) */
#define MEDELEG 0xf0b5ff
/* mideleg: the supervisor and guest interrupts */
#define MIDELEG 0x1666

    .section .text.init
    .globl _start
_start:
    csrw mie, zero
    la t0, m_trap
    csrw mtvec, t0
    csrr s0, mhartid
    bnez s0, wait_lock

    /* ---- hart 0: summary, copies, writes ---- */
    la a0, zv_summary
    li a1, UART0_BASE
1:  lbu t0, 0(a0)
    beqz t0, copies
2:  lbu t1, UART_LSR(a1)
    andi t1, t1, UART_LSR_THRE
    beqz t1, 2b
    sb t0, UART_RBR_THR(a1)
    addi a0, a0, 1
    j 1b

copies:                            /* {dst, src, bytes}; src 0 zero-fills; bytes 0 ends */
    la a0, zv_copies
1:  lw t0, 0(a0)
    lw t1, 4(a0)
    lw t2, 8(a0)
    addi a0, a0, 12
    beqz t2, writes
    add t2, t2, t0
    beqz t1, 3f
2:  lw t3, 0(t1)
    addi t1, t1, 4
    sw t3, 0(t0)
    addi t0, t0, 4
    bltu t0, t2, 2b
    j 1b
3:  sw zero, 0(t0)
    addi t0, t0, 4
    bltu t0, t2, 3b
    j 1b

writes:                            /* {address, value}; address 0 ends. The list wakes the
                                    * other harts (msip) just before the locks. */
    la a0, zv_writes
1:  lw t0, 0(a0)
    lw t1, 4(a0)
    addi a0, a0, 8
    beqz t0, wait_lock
    sw t1, 0(t0)
    j 1b

    /* ---- every hart ---- */
wait_lock:
    beqz s0, 4f
    li t0, MIE_MSIE                /* sleep until hart 0 has set everything up */
    csrw mie, t0
5:  wfi
    csrr t0, mip
    andi t0, t0, MIE_MSIE
    beqz t0, 5b
    csrw mie, zero                 /* msip stays set: the M-mode shim clears it later */
4:  fence
    li t0, PARTCTL_BASE + PARTCTL_PARTCTL + CHECKER_CTRL  /* its own checker: LOCK */
1:  lw t1, 0(t0)
    andi t1, t1, 1
    bnez t1, 3f
    li t2, 64                      /* poll gently: hart 0 is using that port */
2:  addi t2, t2, -1
    bnez t2, 2b
    j 1b
3:  la t0, zv_harts                /* {partition register value, vCPU record} per hart */
    slli t1, s0, 3
    add t0, t0, t1
    lw t1, 0(t0)
    lw a1, 4(t0)
    beqz a1, park
    li t2, LOCK
    or t1, t1, t2
    csrw MPARTITION, t1
    /* PMP: everything, for S and U; the checkers isolate */
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f                    /* NAPOT, R W X */
    csrw pmpcfg0, t0
    li t0, MEDELEG
    csrw medeleg, t0
    li t0, MIDELEG
    csrw mideleg, t0
    li t0, 0x80000000              /* menvcfg.STCE: Sstc for HS and guests */
    csrw menvcfgh, t0
    li t0, 7
    csrw mcounteren, t0
    addi t0, a1, ZV_VCPU_MSAVE
    csrw mscratch, t0
    li t0, MIE_MSIE
    csrw mie, t0
    li t0, 0x1800                  /* MPP = S, MPV = 0 */
    csrc mstatus, t0
    li t0, 0x0800
    csrs mstatus, t0
    la t0, vmm_entry
    csrw mepc, t0
    mv a0, s0
    fence.i
    mret

park:
    csrw mie, zero
1:  wfi
    j 1b

/* M-mode at run time: msip -> SSIP. Any other trap here is a fault of the VMM's own
 * making that M-mode cannot fix: the hart parks, with the cause in m_save[2..3]. */
    .balign 4
m_trap:
    csrrw sp, mscratch, sp
    sw t0, 0(sp)
    sw t1, 4(sp)
    csrr t0, mcause
    li t1, 0x80000003
    bne t0, t1, m_fatal
    csrr t0, mhartid
    slli t0, t0, 2
    li t1, CLINT_BASE + CLINT_MSIP
    add t0, t0, t1
    sw zero, 0(t0)
    li t0, MIP_SSIP
    csrs mip, t0
    lw t0, 0(sp)
    lw t1, 4(sp)
    csrrw sp, mscratch, sp
    mret
m_fatal:
    sw t0, 8(sp)
    csrr t0, mepc
    sw t0, 12(sp)
    j park

#include "zv_boot_tables.S"
