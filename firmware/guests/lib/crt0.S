/* Start of a guest: the OpenSBI convention, a0 = hart ID, a1 = device tree. The boot hart
 * clears bss and calls main(hartid, fdt); main's return shuts the partition down.
 * Secondary harts, started through SBI HSM at _secondary_start, get a stack of their own
 * and call secondary_main(hartid, opaque). */
#define STACK 2048
#define HARTS 4
    .section .text.init
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, stacks + STACK
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sw zero, 0(t0)
    addi t0, t0, 4
    j 1b
2:  call main
    call sbi_shutdown

    .globl _secondary_start
_secondary_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    andi t0, a0, HARTS - 1
    addi t0, t0, 1
    li t1, STACK
    mul t0, t0, t1
    la sp, stacks
    add sp, sp, t0
    call secondary_main
    call sbi_shutdown

    .section .bss.stacks
    .balign 16
stacks: .space STACK * HARTS
