/* The VMM: HS-mode, one image in the boot ROM, one instance per partition.
 *
 * Static partitioning: every hart of a partition is one vCPU of its guest, for good. The
 * VMM starts the guest, answers its SBI calls, passes it the interrupts that the hardware
 * does not already deliver (IPIs between its own harts) and stops the partition on a fault
 * it cannot hand back to the guest. It touches only its partition's memory and devices;
 * the checkers would refuse anything else. All state lives in the partition's VMM reserve
 * (zv_vmm and zv_vcpu records, see firmware/abi.py), reached through the vCPU pointer. */
#include "zerovisor_soc.h"
#include "zv_abi.h"

typedef struct zv_vmm vmm_t;
typedef struct zv_vcpu vcpu_t;

#define csr_read(csr) ({ uint32_t v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" :: "rK"(v))
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" :: "rK"(v))
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" :: "rK"(v))

#define GUEST_RAM 0x80000000u
#define SIP_SSIP (1u << 1)
#define SIP_STIP (1u << 5)
#define HVIP_VSSIP (1u << 2)
#define SSTATUS_SIE (1u << 1)
#define SSTATUS_SPIE (1u << 5)
#define SSTATUS_SPP (1u << 8)
#define HSTATUS_SPV (1u << 7)
#define HSTATUS_SPVP (1u << 8)
#define HSTATUS_TRAPS (7u << 20)        /* VTVM, VTW, VTSR */
#define HSTATUS_VGEIN1 (1u << 12)       /* VGEIN = 1: the PLIC's guest context is VSEIP */
/* hedeleg: the guest's own exceptions (not its ecalls to us, nor guest-page faults) */
#define HEDELEG 0xb1ffu

enum { PEND_IPI = 1, PEND_START = 2, PEND_STOP = 4 };
enum { HSM_STARTED, HSM_STOPPED, HSM_START_PENDING, HSM_STOP_PENDING, HSM_SUSPENDED };
enum {
    SBI_OK = 0, SBI_ERR_FAILED = -1, SBI_ERR_NOT_SUPPORTED = -2, SBI_ERR_INVALID_PARAM = -3,
    SBI_ERR_INVALID_ADDRESS = -5, SBI_ERR_ALREADY_AVAILABLE = -6,
};
enum {
    EXT_BASE = 0x10, EXT_PUTCHAR = 0x01, EXT_GETCHAR = 0x02, EXT_SHUTDOWN = 0x08,
    EXT_TIME = 0x54494D45, EXT_IPI = 0x735049, EXT_HSM = 0x48534D, EXT_SRST = 0x53525354,
    EXT_DBCN = 0x4442434E,
};

static vmm_t *vmm_of(vcpu_t *v) { return (vmm_t *)v->vmm; }
static vcpu_t *vcpu_at(vmm_t *m, uint32_t i) { return (vcpu_t *)m->vcpu[i]; }

static void mmio_write(uint32_t addr, uint32_t value) { *(volatile uint32_t *)addr = value; }
static uint32_t mmio_read(uint32_t addr) { return *(volatile uint32_t *)addr; }

/* Ask another vCPU of this partition to look at its pending requests. */
static void kick(vcpu_t *t, uint32_t what)
{
    __atomic_fetch_or(&t->pending, what, __ATOMIC_SEQ_CST);
    mmio_write(t->msip, 1);
}

static void lock(vmm_t *m)
{
    while (__atomic_exchange_n(&m->lock, 1, __ATOMIC_ACQUIRE))
        ;
}

static void unlock(vmm_t *m) { __atomic_store_n(&m->lock, 0, __ATOMIC_RELEASE); }

/* ---- the console: a UART of its own, or a ring the control partition drains ---- */

static void uart_putc(vmm_t *m, char c)
{
    while (!(*(volatile uint8_t *)(m->console_addr + UART_LSR) & UART_LSR_THRE))
        ;
    *(volatile uint8_t *)(m->console_addr + UART_RBR_THR) = c;
}

/* A UART console gets the same "[name] " at the start of each line as the control
 * partition gives the lines of the consoles it serves. */
static void console_putc(vmm_t *m, char c)
{
    if (m->console == 2) {
        if (!m->mid_line) {
            uart_putc(m, '[');
            for (int i = 0; i < 16 && ((const char *)m->name)[i]; i++)
                uart_putc(m, ((const char *)m->name)[i]);
            uart_putc(m, ']');
            uart_putc(m, ' ');
        }
        uart_putc(m, c);
        m->mid_line = c != '\n';
    } else if (m->console == 1) {
        struct zv_ring *r = (struct zv_ring *)m->console_addr;
        uint32_t cap = 4096 - ZV_RING_DATA, head = r->head;
        if (head - r->tail >= cap) {
            r->drops++;
            m->drops++;
            return;
        }
        ((volatile char *)r)[ZV_RING_DATA + head % cap] = c;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        r->head = head + 1;
    }
}

static void console_flush(vmm_t *m)
{
    if (m->console == 1 && m->control_bell)
        mmio_write(m->control_bell, 1);
}

/* One byte from the guest (DBCN write_byte, legacy putchar): the ring's reader is told at
 * the end of a line. */
static void console_put_byte(vmm_t *m, char c)
{
    lock(m);
    console_putc(m, c);
    if (c == '\n')
        console_flush(m);
    unlock(m);
}

static void console_puts(vmm_t *m, const char *s)
{
    while (*s)
        console_putc(m, *s++);
}

static void console_hex(vmm_t *m, uint32_t v)
{
    console_puts(m, "0x");
    for (int i = 28; i >= 0; i -= 4)
        console_putc(m, "0123456789abcdef"[(v >> i) & 15]);
}

/* ---- the channel to the control partition ---- */

static struct zv_ring *channel(vmm_t *m) { return (struct zv_ring *)m->channel; }

/* Publish the partition's state where the control partition reads it. */
static void set_state(vmm_t *m, uint32_t state)
{
    m->state = state;
    if (m->channel) {
        channel(m)->boots = m->boots;
        channel(m)->stop_cause = m->stop_cause;
        channel(m)->stop_epc = m->stop_epc;
        channel(m)->stop_tval = m->stop_tval;
        if (state == ZV_STATE_RUNNING)
            channel(m)->started = csr_read(time);
        __atomic_thread_fence(__ATOMIC_RELEASE);
        channel(m)->state = state;
    }
}

/* Console input the control partition routed to this partition, or -1. */
static int channel_getc(vmm_t *m)
{
    struct zv_ring *r = channel(m);
    if (!r || r->in_head == r->in_tail)
        return -1;
    int c = ((volatile uint8_t *)r->in_data)[r->in_tail % 64];
    r->in_tail = r->in_tail + 1;
    return c;
}

static void arm_heartbeat(vmm_t *m)
{
    if (m->tick) {
        uint32_t lo = csr_read(time), hi = csr_read(timeh);
        uint32_t next = lo + m->tick;
        csr_write(stimecmp, 0xffffffffu);
        csr_write(stimecmph, hi + (next < lo));
        csr_write(stimecmp, next);
    }
}

/* ---- entering the guest, stopping and waiting ---- */

/* Set the vCPU up to run its guest from pc, in VS-mode with a clean state. */
static void enter_guest(vcpu_t *v, uint32_t pc, uint32_t a0, uint32_t a1)
{
    vmm_t *m = vmm_of(v);
    for (int i = 0; i < 32; i++)
        v->regs[i] = 0;
    v->regs[10] = a0;
    v->regs[11] = a1;
    v->fresh = 1;
    csr_write(hgatp, m->hgatp);
    __asm__ volatile("hfence.gvma zero, zero");
    csr_write(hedeleg, HEDELEG);
    csr_write(hideleg, 0x444);
    csr_write(hcounteren, 7);
    csr_write(henvcfgh, 0x80000000u);      /* STCE: the guest owns vstimecmp (Sstc) */
    csr_write(vstimecmp, 0xffffffffu);
    csr_write(vstimecmph, 0xffffffffu);
    csr_write(hvip, 0);
    csr_write(vsstatus, 0);
    csr_write(vsie, 0);
    csr_write(vsatp, 0);
    csr_write(vstvec, 0);
    csr_write(vsscratch, 0);
    csr_write(hgeie, 2);     /* guest external interrupt 1 is the guest's; hie.SGEIE stays 0 */
    csr_clear(hstatus, HSTATUS_TRAPS);
    csr_set(hstatus, HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_VGEIN1);
    csr_clear(sstatus, SSTATUS_SPIE | SSTATUS_SIE);
    csr_set(sstatus, SSTATUS_SPP);
    csr_write(sepc, pc);
    csr_write(sie, v->index == 0 && m->tick ? SIP_SSIP | SIP_STIP : SIP_SSIP);
    __asm__ volatile("fence.i");
    m->quiet = 0;
    v->hsm = HSM_STARTED;
}

static int heartbeat(vcpu_t *v);

/* A stopped vCPU waits here until it is started; it then returns, set up to enter its
 * guest. vCPU 0 keeps the partition's heartbeat and takes the control partition's
 * commands meanwhile. */
static void idle(vcpu_t *v)
{
    v->hsm = HSM_STOPPED;
    csr_write(sie, v->index == 0 && vmm_of(v)->tick ? SIP_SSIP | SIP_STIP : SIP_SSIP);
    for (;;) {
        csr_clear(sip, SIP_SSIP);
        uint32_t p = __atomic_exchange_n(&v->pending, 0, __ATOMIC_SEQ_CST);
        if ((p & PEND_START) && v->hsm == HSM_START_PENDING) {
            enter_guest(v, v->start_addr, v->index, v->opaque);
            return;
        }
        if (v->index == 0 && (csr_read(sip) & SIP_STIP) && heartbeat(v))
            return;
        __asm__ volatile("wfi");
    }
}

/* Stop every vCPU of the partition (this one last) and report why. Returns when the
 * control partition has restarted it, with the vCPU set up to enter the guest again. */
static __attribute__((noinline)) void stop_partition(vcpu_t *v, uint32_t state,
                                                     uint32_t cause, uint32_t epc,
                                                     uint32_t tval)
{
    vmm_t *m = vmm_of(v);
    m->stop_cause = cause;
    m->stop_epc = epc;
    m->stop_tval = tval;
    if (m->channel)
        channel(m)->stop_hart = v->index;
    for (uint32_t i = 0; i < m->nharts; i++)
        if (vcpu_at(m, i) != v)
            kick(vcpu_at(m, i), PEND_STOP);
    lock(m);
    if (state == ZV_STATE_FAULTED) {
        console_puts(m, cause == ZV_CAUSE_HANG ? "zerovisor: guest hung (interrupts off, no "
                     "SBI call), partition stopped: cause " : "zerovisor: guest fault, "
                     "partition stopped: cause ");
        console_hex(m, cause);
        console_puts(m, " epc ");
        console_hex(m, epc);
        console_puts(m, " tval ");
        console_hex(m, tval);
        console_putc(m, '\n');
    } else {
        console_puts(m, "zerovisor: partition shut down\n");
    }
    console_flush(m);
    unlock(m);
    set_state(m, state);
    if (m->channel && m->control_bell)
        mmio_write(m->control_bell, 1);
    idle(v);
}

/* Reload the guest's image and device tree and start it again on vCPU 0. */
static __attribute__((noinline)) void reboot_partition(vcpu_t *v)
{
    vmm_t *m = vmm_of(v);
    set_state(m, ZV_STATE_RESTARTING);
    for (uint32_t i = 0; i < m->nharts; i++)
        if (vcpu_at(m, i) != v)
            kick(vcpu_at(m, i), PEND_STOP);
    for (uint32_t i = 0; i < m->nharts; i++)
        while (vcpu_at(m, i) != v && vcpu_at(m, i)->hsm != HSM_STOPPED)
            ;
    volatile uint32_t *dst = (volatile uint32_t *)(m->guest_base + m->image_offset);
    const volatile uint32_t *src = (const volatile uint32_t *)m->image_src;
    for (uint32_t i = 0; i < m->image_mem / 4; i++)
        dst[i] = i < m->image_size / 4 ? src[i] : 0;
    dst = (volatile uint32_t *)(m->guest_base + (m->fdt - GUEST_RAM));
    src = (const volatile uint32_t *)m->dtb_src;
    for (uint32_t i = 0; i < m->dtb_size / 4; i++)
        dst[i] = src[i];
    m->boots++;
    set_state(m, ZV_STATE_RUNNING);
    vcpu_t *first = vcpu_at(m, 0);
    if (first == v) {
        enter_guest(v, m->entry, 0, m->fdt);
        return;
    }
    first->start_addr = m->entry;
    first->opaque = m->fdt;
    first->hsm = HSM_START_PENDING;
    kick(first, PEND_START);
    idle(v);
}

/* ---- the SBI ---- */

static int in_guest_ram(vmm_t *m, uint32_t gpa, uint32_t size)
{
    return gpa >= GUEST_RAM && gpa - GUEST_RAM <= m->guest_size
        && size <= m->guest_size - (gpa - GUEST_RAM);
}

static void reply(vcpu_t *v, int32_t err, uint32_t value)
{
    v->regs[10] = (uint32_t)err;
    v->regs[11] = value;
}

static int probe(uint32_t eid)
{
    switch (eid) {
    case EXT_BASE: case EXT_PUTCHAR: case EXT_GETCHAR: case EXT_SHUTDOWN: case EXT_TIME:
    case EXT_IPI: case EXT_HSM: case EXT_SRST: case EXT_DBCN: case ZV_EXT:
        return 1;
    }
    return 0;
}

/* A byte of console input: from its own UART, or what the control partition routed. */
static int console_getc(vmm_t *m)
{
    if (m->console == 1)
        return channel_getc(m);
    if (m->console != 2 || !(*(volatile uint8_t *)(m->console_addr + UART_LSR) & UART_LSR_DR))
        return -1;
    return *(volatile uint8_t *)(m->console_addr + UART_RBR_THR);
}

static void sbi_base(vcpu_t *v, uint32_t fid, uint32_t a0)
{
    static const uint32_t values[] = {0x02000000, ZV_SBI_IMPL_ID, 1};
    if (fid < 3)
        reply(v, SBI_OK, values[fid]);
    else if (fid == 3)
        reply(v, SBI_OK, probe(a0));
    else if (fid <= 6)
        reply(v, SBI_OK, 0);               /* mvendorid, marchid, mimpid */
    else
        reply(v, SBI_ERR_NOT_SUPPORTED, 0);
}

static __attribute__((noinline)) void sbi_ipi(vcpu_t *v, uint32_t mask, uint32_t base)
{
    vmm_t *m = vmm_of(v);
    if (base == 0xffffffffu) {
        mask = (1u << m->nharts) - 1;
        base = 0;
    }
    for (uint32_t i = 0; i < 32; i++)
        if ((mask >> i & 1) && (base >= m->nharts || i >= m->nharts - base)) {
            reply(v, SBI_ERR_INVALID_PARAM, 0);
            return;
        }
    for (uint32_t i = 0; i < 32; i++) {
        if (!(mask >> i & 1))
            continue;
        vcpu_t *t = vcpu_at(m, base + i);
        if (t == v)
            csr_set(hvip, HVIP_VSSIP);
        else
            kick(t, PEND_IPI);
    }
    reply(v, SBI_OK, 0);
}

/* Answers the call, or stops the vCPU (HART_STOP: it idles until started again, its
 * registers and sepc then holding the new context). */
static __attribute__((noinline)) void sbi_hsm(vcpu_t *v, uint32_t fid, uint32_t a0, uint32_t a1, uint32_t a2)
{
    vmm_t *m = vmm_of(v);
    if (fid == 0 || fid == 2) {
        if (a0 >= m->nharts) {
            reply(v, SBI_ERR_INVALID_PARAM, 0);
            return;
        }
        vcpu_t *t = vcpu_at(m, a0);
        if (fid == 2) {
            reply(v, SBI_OK, t->hsm);
            return;
        }
        if (!in_guest_ram(m, a1, 4)) {
            reply(v, SBI_ERR_INVALID_ADDRESS, 0);
            return;
        }
        lock(m);
        int32_t err = SBI_ERR_ALREADY_AVAILABLE;
        if (t->hsm == HSM_STOPPED) {
            t->start_addr = a1;
            t->opaque = a2;
            t->hsm = HSM_START_PENDING;
            err = SBI_OK;
        }
        unlock(m);
        if (err == SBI_OK)
            kick(t, PEND_START);
        reply(v, err, 0);
        return;
    }
    if (fid == 1) {
        idle(v);
        return;
    }
    if (fid == 3 && a0 == 0) {              /* default retentive suspend */
        __asm__ volatile("wfi");
        reply(v, SBI_OK, 0);
        return;
    }
    reply(v, SBI_ERR_NOT_SUPPORTED, 0);
}

static __attribute__((noinline)) void sbi_srst(vcpu_t *v, uint32_t type)
{
    if (type == 0) {
        stop_partition(v, ZV_STATE_STOPPED, 0, 0, 0);
        return;
    }
    if (type == 1 || type == 2) {
        reboot_partition(v);
        return;
    }
    reply(v, type >= 0xf0000000u ? SBI_ERR_NOT_SUPPORTED : SBI_ERR_INVALID_PARAM, 0);
}

static __attribute__((noinline)) void sbi_dbcn(vcpu_t *v, uint32_t fid, uint32_t num, uint32_t lo, uint32_t hi)
{
    vmm_t *m = vmm_of(v);
    if (fid == 2) {
        console_put_byte(m, (char)num);
        reply(v, SBI_OK, 0);
        return;
    }
    if (fid > 2) {
        reply(v, SBI_ERR_NOT_SUPPORTED, 0);
        return;
    }
    if (hi != 0 || !in_guest_ram(m, lo, num)) {
        reply(v, SBI_ERR_INVALID_PARAM, 0);
        return;
    }
    volatile char *buf = (volatile char *)(m->guest_base + (lo - GUEST_RAM));
    uint32_t done = 0;
    if (fid == 0) {
        lock(m);
        for (; done < num; done++)
            console_putc(m, buf[done]);
        console_flush(m);
        unlock(m);
    } else {
        for (int c; done < num && (c = console_getc(m)) >= 0; done++)
            buf[done] = (char)c;
    }
    reply(v, SBI_OK, done);
}

#ifdef ZV_ATTACK
/* The deliberately buggy VMM of the isolation audit (`zerovisor audit` builds it; no
 * layout gets it otherwise). It does what a compromised VMM could: an access of the
 * guest's choosing from HS-mode (zv_raw, entry.S), and any physical page mapped into the
 * guest's G-stage. Only the hardware (the partition register, the checkers, the CPU's
 * privilege rules) stands between it and the other partitions. */
uint32_t zv_raw(uint32_t kind, uint32_t addr, uint32_t value, uint32_t *out);

static int32_t attack_map(vmm_t *m, uint32_t gpa, uint32_t phys)
{
    volatile uint32_t *root = (volatile uint32_t *)(m->hgatp << 12);
    uint32_t pte = root[gpa >> 22];
    if ((pte & 0xf) != 1)                  /* no leaf table for that 4 MiB window */
        return SBI_ERR_INVALID_ADDRESS;
    volatile uint32_t *leaf = (volatile uint32_t *)(pte >> 10 << 12);
    leaf[(gpa >> 12) & 0x3ff] = (phys >> 12 << 10) | 0xdf;  /* V R W X U A D */
    __asm__ volatile("hfence.gvma zero, zero");
    return SBI_OK;
}

static void sbi_attack(vcpu_t *v, uint32_t fid, uint32_t a0, uint32_t a1, uint32_t a2)
{
    uint32_t value = 0;
    if (fid == 0x80)
        reply(v, (int32_t)zv_raw(a0, a1, a2, &value), value);
    else
        reply(v, attack_map(vmm_of(v), a0, a1), 0);
}
#endif

/* The zerovisor extension: 0 channel count, 1 channel info (index, what: 0 guest-physical
 * address, 1 size, 2 kind, 3 peer), 2 ring the channel's peer, 3 take this partition's
 * doorbell (returns whether it was rung), 4 how many times the guest was started, 5 its
 * partition's name (word a0 of 4), 6 checkers in the partition control block, 7 the
 * guest-physical address of this vCPU's PLIC context page (0: none). */
static __attribute__((noinline)) void sbi_zv(vcpu_t *v, uint32_t fid, uint32_t a0, uint32_t a1)
{
    vmm_t *m = vmm_of(v);
    if (fid == 0) {
        reply(v, SBI_OK, m->nchan);
    } else if (fid == 1 || fid == 2) {
        if (a0 >= m->nchan || (fid == 1 && a1 > 3)) {
            reply(v, SBI_ERR_INVALID_PARAM, 0);
        } else if (fid == 1) {
            const volatile uint32_t *what[] = {m->chan_gpa, m->chan_size, m->chan_kind,
                                               m->chan_peer};
            reply(v, SBI_OK, what[a1][a0]);
        } else {
            mmio_write(m->chan_bell[a0], 1);
            reply(v, SBI_OK, 0);
        }
    } else if (fid == 4) {
        reply(v, SBI_OK, m->boots);
    } else if (fid == 5) {
        reply(v, a0 < 4 ? SBI_OK : SBI_ERR_INVALID_PARAM, a0 < 4 ? m->name[a0] : 0);
    } else if (fid == 6) {
        reply(v, SBI_OK, m->slots);
    } else if (fid == 7) {
        reply(v, SBI_OK, v->plic);
#ifdef ZV_ATTACK
    } else if (fid == 0x80 || fid == 0x81) {
        sbi_attack(v, fid, a0, a1, v->regs[12]);
#endif
    } else if (fid == 3) {
        uint32_t rung = mmio_read(m->own_bell) & 1;
        if (rung)
            mmio_write(m->own_bell, 1);
        reply(v, SBI_OK, rung);
    } else {
        reply(v, SBI_ERR_NOT_SUPPORTED, 0);
    }
}

static void sbi_call(vcpu_t *v, uint32_t eid, uint32_t fid, uint32_t a0, uint32_t a1,
                    uint32_t a2)
{
    vmm_t *m = vmm_of(v);
    volatile uint32_t *r = v->regs;
    m->quiet = 0;
    switch (eid) {
    case EXT_BASE:
        sbi_base(v, fid, a0);
        return;
    case EXT_PUTCHAR:
        console_put_byte(m, (char)a0);
        r[10] = 0;
        return;
    case EXT_GETCHAR:
        r[10] = (uint32_t)console_getc(m);
        return;
    case EXT_SHUTDOWN:
        sbi_srst(v, 0);
        return;
    case EXT_TIME:
        if (fid != 0) {
            reply(v, SBI_ERR_NOT_SUPPORTED, 0);
            return;
        }
        csr_write(vstimecmp, 0xffffffffu);
        csr_write(vstimecmph, a1);
        csr_write(vstimecmp, a0);
        reply(v, SBI_OK, 0);
        return;
    case EXT_IPI:
        if (fid == 0)
            sbi_ipi(v, a0, a1);
        else
            reply(v, SBI_ERR_NOT_SUPPORTED, 0);
        return;
    case EXT_HSM:
        sbi_hsm(v, fid, a0, a1, a2);
        return;
    case EXT_SRST:
        if (fid == 0)
            sbi_srst(v, a0);
        else
            reply(v, SBI_ERR_NOT_SUPPORTED, 0);
        return;
    case EXT_DBCN:
        sbi_dbcn(v, fid, a0, a1, a2);
        return;
    case ZV_EXT:
        sbi_zv(v, fid, a0, a1);
        return;
    }
    reply(v, SBI_ERR_NOT_SUPPORTED, 0);
}

/* ---- traps ---- */

/* Deliver an exception to the guest as if the hardware had (its vstvec, in VS-mode). */
static __attribute__((noinline)) void inject(vcpu_t *v, uint32_t cause, uint32_t tval)
{
    uint32_t vstvec = csr_read(vstvec), epc = csr_read(sepc);
    if (vstvec == 0) {                  /* no handler: it would loop on the fault */
        stop_partition(v, ZV_STATE_FAULTED, cause, epc, tval);
        return;
    }
    uint32_t vss = csr_read(vsstatus);
    uint32_t spp = csr_read(sstatus) & SSTATUS_SPP;   /* the guest's privilege */
    vss = (vss & ~(SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE)) | spp
        | ((vss & SSTATUS_SIE) << 4);
    csr_write(vsstatus, vss);
    csr_write(vsepc, epc);
    csr_write(vscause, cause);
    csr_write(vstval, tval);
    csr_write(sepc, vstvec & ~3u);
    csr_set(sstatus, SSTATUS_SPP);
}

/* vCPU 0's timer: the heartbeat the control partition watches, its commands, and the
 * watchdog (a guest with its interrupts off that makes no SBI call for `watchdog`
 * heartbeats is hung). Returns 1 when the vCPU was set up afresh (restarted). */
static int heartbeat(vcpu_t *v)
{
    vmm_t *m = vmm_of(v);
    arm_heartbeat(m);
    struct zv_ring *ch = channel(m);
    if (!ch)
        return 0;
    ch->heartbeat = ch->heartbeat + 1;
    uint32_t seq = ch->cmd_seq;
    if (seq != ch->cmd_ack) {
        uint32_t cmd = ch->cmd;
        ch->cmd_ack = seq;
        if (cmd == ZV_CMD_RESTART) {
            reboot_partition(v);
            return 1;
        }
        if (cmd == ZV_CMD_STOP && m->state == ZV_STATE_RUNNING) {
            stop_partition(v, ZV_STATE_STOPPED, 0, 0, 0);
            return 1;
        }
    }
    if (m->state == ZV_STATE_RUNNING && m->watchdog && v->hsm == HSM_STARTED) {
        if (csr_read(vsstatus) & SSTATUS_SIE)
            m->quiet = 0;
        else if (++m->quiet >= m->watchdog) {
            stop_partition(v, ZV_STATE_FAULTED, ZV_CAUSE_HANG, csr_read(sepc), 0);
            return 1;
        }
    }
    return 0;
}

/* Interrupts and the guest's faults. */
static __attribute__((noinline)) void vmm_trap_other(vcpu_t *v, uint32_t cause)
{
    uint32_t tval = csr_read(stval);
    if (cause & 0x80000000u) {
        if ((cause & 0xff) == 5) {
            heartbeat(v);
            return;
        }
        if ((cause & 0xff) != 1)
            return;                     /* nothing else is enabled */
        csr_clear(sip, SIP_SSIP);
        uint32_t p = __atomic_exchange_n(&v->pending, 0, __ATOMIC_SEQ_CST);
        if (p & PEND_STOP)
            idle(v);
        else if (p & PEND_IPI)
            csr_set(hvip, HVIP_VSSIP);
        return;
    }
    switch (cause) {
    case 20:                            /* guest-page faults: the guest's access faults */
        inject(v, 1, tval);
        return;
    case 21:
        inject(v, 5, tval);
        return;
    case 23:
        inject(v, 7, tval);
        return;
    case 22:                            /* virtual instruction: illegal, to the guest */
        inject(v, 2, tval);
        return;
    }
    stop_partition(v, ZV_STATE_FAULTED, cause, csr_read(sepc), tval);
}

void vmm_start(vcpu_t *v)
{
    vmm_t *m = vmm_of(v);
    if (v->index == 0) {
        m->boots = 1;
        set_state(m, ZV_STATE_RUNNING);
        arm_heartbeat(m);
        enter_guest(v, m->entry, 0, m->fdt);
    } else {
        idle(v);
    }
}

/* Called by the trap path (entry.S) with the vCPU in tp and the guest's a0-a7 still in
 * a0-a7 (they are in its record too): an SBI call's arguments are taken from the
 * registers, not loaded back from where they were just saved. */
void vmm_trap(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5,
              uint32_t fid, uint32_t eid)
{
    vcpu_t *v;
    __asm__("mv %0, tp" : "=r"(v));
    (void)a3, (void)a4, (void)a5;
    uint32_t cause = csr_read(scause);
    if (cause == 10) {                  /* ecall from VS-mode: an SBI call (the fast path) */
        csr_write(sepc, csr_read(sepc) + 4);
        sbi_call(v, eid, fid, a0, a1, a2);
        return;
    }
    vmm_trap_other(v, cause);
}
