/* Interference benchmark: hart 0 times a memory-bound kernel in its own RAM bank (mcycle)
 * three ways: with the other harts spinning in their own banks; with them hammering their
 * own banks and the shared devices (UART, CLINT, PLIC); and with them hammering hart 0's
 * bank (a partition sharing a bank, for contrast). It prints "interference: alone A busy
 * B shared C" in cycles and passes through tohost. Build for 4 harts and 4 banks.
 * Each helper reads its mode from its own bank, where hart 0 writes it. */
#include "zvtest.h"
#include "smp.h"

#define HARTS 4
#define BANK_SIZE (RAM_SIZE / HARTS)
#define N 2000                     /* kernel iterations */
#define THR_ADDR (UART0_BASE + UART_RBR_THR)
#define LSR_ADDR (UART0_BASE + UART_LSR)

    .section .text.init
    .globl _start
_start:
    MY_BANK(BANK_SIZE)             /* s0: hart, s1: its bank, sp: the bank's top */
    bnez s0, helper_wait
    /* copy the helper loop into banks 1-3 */
    COPY_TO_BANKS(helper, helper_end, HARTS, BANK_SIZE)
    fence
    li t6, 1                       /* the helpers go to their own banks */
    la t5, go
    sw t6, 0(t5)
    call settle
    /* mode 0: helpers spin on their own bank */
    call timed
    mv s3, a0
    /* mode 1: helpers hammer their own banks and the devices */
    li a0, 1
    call set_mode
    call timed
    mv s4, a0
    /* mode 2: helpers hammer bank 0 (outside the kernel's buffer half) */
    li a0, 2
    call set_mode
    call timed
    mv s5, a0
    li a0, 3                       /* stop the helpers */
    call set_mode
    la a0, msg_alone
    call puts
    mv a0, s3
    call putdec
    la a0, msg_busy
    call puts
    mv a0, s4
    call putdec
    la a0, msg_shared
    call puts
    mv a0, s5
    call putdec
    li a0, 10
    call putc
    PASS

/* a0 = cycles of the kernel: loads and stores over 4 KiB of hart 0's bank */
timed:
    la t4, buffer
    mv t0, t4
    li t1, N
    csrr t5, mcycle
1:  lw t2, 0(t0)
    addi t2, t2, 1
    sw t2, 4(t0)
    lw t3, 8(t0)
    add t2, t2, t3
    sw t2, 12(t0)
    addi t0, t0, 16
    sub t0, t0, t4                 /* stay inside the buffer: wrap at 2 KiB */
    andi t0, t0, 0x7f0
    add t0, t0, t4
    addi t1, t1, -1
    bnez t1, 1b
    csrr t6, mcycle
    sub a0, t6, t5
    ret

set_mode:                          /* a0 -> every helper's mode word */
    li t0, RAM_BASE + BANK_SIZE + BANK_SIZE / 2
    li t1, BANK_SIZE
    li t2, HARTS - 1
1:  sw a0, 0(t0)
    add t0, t0, t1
    addi t2, t2, -1
    bnez t2, 1b
settle:                            /* let the helpers see the new mode */
    li t0, 2000
1:  addi t0, t0, -1
    bnez t0, 1b
    ret

puts:
    mv t0, a0
1:  lbu a0, 0(t0)
    beqz a0, 2f
    addi sp, sp, -8
    sw ra, 0(sp)
    sw t0, 4(sp)
    call putc
    lw ra, 0(sp)
    lw t0, 4(sp)
    addi sp, sp, 8
    addi t0, t0, 1
    j 1b
2:  ret

putc:
    li t1, LSR_ADDR
1:  lbu t2, 0(t1)
    andi t2, t2, 0x20
    beqz t2, 1b
    li t1, THR_ADDR
    sb a0, 0(t1)
    ret

putdec:                            /* a0 >= 0, printed in decimal */
    addi sp, sp, -32
    sw ra, 28(sp)
    mv t3, sp
    li t4, 10
1:  remu t5, a0, t4
    addi t5, t5, '0'
    sb t5, 0(t3)
    addi t3, t3, 1
    divu a0, a0, t4
    bnez a0, 1b
2:  addi t3, t3, -1
    lbu a0, 0(t3)
    sw t3, 24(sp)
    call putc
    lw t3, 24(sp)
    bne t3, sp, 2b
    lw ra, 28(sp)
    addi sp, sp, 32
    ret

helper_wait:
    la t0, go
1:  lw t6, 0(t0)
    beqz t6, 1b
    la a2, buffer + 2048           /* bank 0, for mode 2 */
    fence.i
    jr s1

/* Helpers: position independent, run from their own bank; a2 = a spot in bank 0. */
    .balign 4
helper:
    li t3, BANK_SIZE / 2
    add a1, s1, t3                 /* the mode word, in its own bank */
    addi s2, a1, 0x100             /* own data */
    li t4, LSR_ADDR
    li t5, CLINT_BASE + CLINT_MTIME
    li s3, PLIC_BASE + PLIC_PENDING
1:  lw t6, 0(a1)
    li t0, 1
    beq t6, t0, 2f
    li t0, 2
    beq t6, t0, 3f
    li t0, 3
    beq t6, t0, 4f
    j 1b
2:  lw t0, 0(s2)                   /* own bank and the shared devices */
    sw t0, 4(s2)
    lbu t0, 0(t4)
    lw t0, 0(t5)
    lw t0, 0(s3)
    j 1b
3:  lw t0, 0(a2)                   /* hart 0's bank */
    sw t0, 4(a2)
    j 1b
4:  wfi
    j 4b
helper_end:

    .balign 4
TEST_END

    .data
msg_alone:  .asciz "interference: alone "
msg_busy:   .asciz " busy "
msg_shared: .asciz " shared "
    .balign 64
go:     .word 0
    .balign 4096
buffer: .fill 1024, 4, 0
