/* Start-up for bare-metal programs: stack, gp, bss, then main; main's return value ends
 * the run through the finisher (0 passes, anything else fails with that code). Every hart
 * starts here; all but hart 0 park. */
    .section .text.init
    .globl _start
_start:
    csrr t0, mhartid
    bnez t0, 3f
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, __stack_top
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sw zero, 0(t0)
    addi t0, t0, 4
    j 1b
2:  call main
    call zv_exit
3:  wfi
    j 3b
