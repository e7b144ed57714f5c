/* A trap entry for interrupt-latency measurements, in S-mode (guests) or M-mode (their
 * bare-metal twins): on a stack of its own (its top in the scratch CSR; it saves above
 * that pointer and calls C below it), it reads `time` first, saves the caller-saved
 * registers the handler may use, calls HANDLER(time at entry) and returns.
 *
 *   TRAP_STUB(timer_entry, sscratch, sret, on_timer)
 */
#ifndef TRAP_STUB_H
#define TRAP_STUB_H

#define TRAP_STUB(name, scratch, ret, handler) \
    __asm__(".balign 4\n" #name ":\n" \
            "  csrrw sp, " #scratch ", sp\n" \
            "  sw t0, 0(sp)\n" \
            "  csrr t0, time\n" \
            "  sw t0, 4(sp)\n" \
            "  sw ra, 8(sp)\n" \
            "  sw a0, 12(sp)\n" \
            "  sw a1, 16(sp)\n" \
            "  sw a2, 20(sp)\n" \
            "  sw a3, 24(sp)\n" \
            "  sw a4, 28(sp)\n" \
            "  sw a5, 32(sp)\n" \
            "  sw t1, 36(sp)\n" \
            "  sw t2, 40(sp)\n" \
            "  lw a0, 4(sp)\n" \
            "  call " #handler "\n" \
            "  lw t0, 0(sp)\n" \
            "  lw ra, 8(sp)\n" \
            "  lw a0, 12(sp)\n" \
            "  lw a1, 16(sp)\n" \
            "  lw a2, 20(sp)\n" \
            "  lw a3, 24(sp)\n" \
            "  lw a4, 28(sp)\n" \
            "  lw a5, 32(sp)\n" \
            "  lw t1, 36(sp)\n" \
            "  lw t2, 40(sp)\n" \
            "  csrrw sp, " #scratch ", sp\n" \
            "  " #ret "\n")

/* The stack the stub runs on: scratch = &trap_stack[48]. */
#define TRAP_STACK_WORDS 64

/* Read `time`, then store the byte VALUE at ADDR in the very next instruction, and give
 * the time read: a latency counted from it starts at the store that raises an interrupt,
 * with the same two instructions between in every build (left to the compiler, the code
 * around the store differed between a guest and its bare-metal twin by a cycle or two,
 * or a dozen through a call to rdtime()). */
#define TIME_THEN_STORE8(addr, value) ({ \
    uint32_t t_; \
    __asm__ volatile("csrr %0, time\n\tsb %1, 0(%2)" \
                     : "=&r"(t_) : "r"(value), "r"(addr) : "memory"); \
    t_; })

#endif
