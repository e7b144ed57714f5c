/* Helpers of the multi-hart programs (include after zvtest.h). */
#ifndef ZV_SMP_H
#define ZV_SMP_H

/* s0 = this hart's ID, s1 = the base of its RAM bank (bank_size bytes each, bank h for
 * hart h), sp = the top of that bank. Uses t1 to t3. */
#define MY_BANK(bank_size)              \
    csrr s0, mhartid;                   \
    li t1, bank_size;                   \
    mul t2, s0, t1;                     \
    li t3, RAM_BASE;                    \
    add s1, t3, t2;                     \
    add sp, s1, t1

/* Copy the words in [start, end) to the bottom of RAM banks 1 to harts - 1 (each
 * bank_size bytes): position-independent code then runs from each hart's own bank.
 * Uses s2 and t1 to t6. */
#define COPY_TO_BANKS(start, end, harts, bank_size) \
    li s2, 1;                           \
80: li t1, bank_size;                   \
    mul t2, s2, t1;                     \
    li t3, RAM_BASE;                    \
    add t3, t3, t2;                     \
    la t4, start;                       \
    la t5, end;                         \
81: lw t6, 0(t4);                       \
    sw t6, 0(t3);                       \
    addi t4, t4, 4;                     \
    addi t3, t3, 4;                     \
    bltu t4, t5, 81b;                   \
    addi s2, s2, 1;                     \
    li t6, harts;                       \
    bltu s2, t6, 80b

#endif
