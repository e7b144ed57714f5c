/* The control partition's guest: console server, health monitor and operator shell.
 *
 * Each guest partition has a channel to this one (zerovisor SBI extension, channels of
 * kind 1): a header its VMM keeps up to date (state, boots, heartbeat, the fault that
 * stopped it), a command word this partition writes (stop, restart), console input this
 * partition routes to it, and its console output ring.
 *
 * - Console: every ring is drained fairly, a whole line at a time, into the UART, each
 *   line prefixed with the partition's name. A guest never waits: its VMM drops what does
 *   not fit and counts it.
 * - Monitor: state changes, faults (with vCPU, cause and address), reboots, silent VMMs
 *   and the checkers' violations become log lines; a faulted partition is restarted,
 *   left stopped or halts the system as its layout says, up to its restart limit. The
 *   checkers' violation interrupt reaches this guest through its PLIC context (the boot
 *   firmware routes it here): the handler masks it and the server loop reads the logs,
 *   acknowledges them (re-arming each log for the next one) and completes the claim.
 * - Shell, on the UART: ps, restart NAME, stop NAME, mute NAME (its console is no longer
 *   drained: its ring fills and its VMM drops and counts), unmute NAME, log, help. Ctrl-A
 *   then a digit moves
 *   the input to the partition with that ID (the control partition's own ID: back here).
 *
 * Its own lines go out through SBI DBCN; its VMM prefixes them with "[control] ". */
#include "sbi.h"

#define UART 0x10000000u
#define LSR 5
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define FINISHER 0x00100000u
#define PARTCTL 0x11000000u
#define SLOT 0x200
#define RING_MAGIC 0x52435A56u
#define RING_DATA 256
#define RING_CAP (4096 - RING_DATA)
#define MAX_PARTS 8
#define LOG_LINES 16
#define LOG_WIDTH 96
#define MONITOR_EVERY 32                 /* server loop rounds between health checks */
#define SILENT_ROUNDS 64                 /* health checks without a heartbeat: silent */
enum { RUNNING = 1, STOPPED = 2, FAULTED = 3, RESTARTING = 4 };
enum { CMD_STOP = 1, CMD_RESTART = 2 };
enum { POLICY_STOP, POLICY_RESTART, POLICY_HALT };
#define CAUSE_HANG 0x100
#define SIE_SEIE (1u << 9)

struct ring {
    volatile uint32_t magic, head, tail, drops;
    char name[16];
    volatile uint32_t pid, state, boots, heartbeat, stop_cause, stop_epc, stop_tval;
    volatile uint32_t on_fault, restart_limit, cmd, cmd_seq, cmd_ack, in_head, in_tail;
    volatile uint32_t stop_hart, harts, ms, started, pad[22];
    volatile uint8_t in_data[64];
    volatile char data[RING_CAP];
};

struct part {
    struct ring *r;
    uint32_t state, boots, heartbeat, silent, flagged, muted, violations;
};

static struct part parts[MAX_PARTS];
static int nparts;
static uint32_t my_pid, slots, seen[32], plic;
static char logbuf[LOG_LINES][LOG_WIDTH];
static uint32_t logged;

/* ---- output ---- */

static void uart_putc(char c)
{
    while (!(*(volatile uint8_t *)(UART + LSR) & LSR_THRE))
        ;
    *(volatile uint8_t *)UART = c;
}

static void prefix(const char *name)
{
    uart_putc('[');
    for (int i = 0; i < 16 && name[i]; i++)
        uart_putc(name[i]);
    uart_putc(']');
    uart_putc(' ');
}

/* Write out the ring's next complete line (or a half ring's worth of an endless one):
 * one line per ring per round, so a flooding guest gets no more of the UART than any
 * other. */
static void drain(struct ring *r)
{
    uint32_t tail = r->tail, head = r->head;
    if (tail != head) {
        uint32_t end = tail;
        while (end != head && r->data[end % RING_CAP] != '\n')
            end++;
        if (end == head && head - tail < RING_CAP / 2)
            return;                     /* an unfinished line: wait for the rest */
        if (end != head)
            end++;
        prefix(r->name);
        for (; tail != end; tail++)
            uart_putc(r->data[tail % RING_CAP]);
        if (r->data[(end - 1) % RING_CAP] != '\n')
            uart_putc('\n');
        r->tail = tail;
    }
}

/* An event: printed now and kept for `log`, with its n numbers in hex. */
static void event_n(const char *what, const char *name, int n, const uint32_t *v)
{
    char *line = logbuf[logged++ % LOG_LINES];
    int len = 0;
    for (const char *s = what; *s && len < LOG_WIDTH - 57; s++)
        line[len++] = *s;
    line[len++] = ' ';
    for (int i = 0; i < 16 && name[i]; i++)
        line[len++] = name[i];
    for (int k = 0; k < n; k++) {
        line[len++] = ' ';
        for (int i = 28; i >= 0; i -= 4)
            line[len++] = "0123456789abcdef"[(v[k] >> i) & 15];
    }
    line[len] = 0;
    printf_("event: %s\n", line);
}

static void event(const char *what, const char *name, uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t v[3] = {a, b, c};
    event_n(what, name, 3, v);
}

/* ---- the monitor ---- */

static void command(struct part *p, uint32_t cmd)
{
    p->r->cmd = cmd;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    p->r->cmd_seq = p->r->cmd_seq + 1;
}

static void on_fault(struct part *p)
{
    struct ring *r = p->r;
    uint32_t restarts = r->boots - 1;
    if (r->on_fault == POLICY_HALT) {
        event("halt-system after a fault of", r->name, r->stop_cause, r->pid, 0);
        *(volatile uint32_t *)FINISHER = (r->pid << 16) | 0x3333;
    } else if (r->on_fault == POLICY_RESTART && restarts < r->restart_limit) {
        event("restarting", r->name, restarts + 1, r->restart_limit, 0);
        command(p, CMD_RESTART);
    } else if (r->on_fault == POLICY_RESTART) {
        event("restart limit reached, stays stopped:", r->name, restarts, r->restart_limit,
              0);
    }
}

static void check_partition(struct part *p)
{
    struct ring *r = p->r;
    uint32_t state = r->state, boots = r->boots, beat = r->heartbeat;
    if (state != p->state) {
        if (state == FAULTED)
            event(r->stop_cause == CAUSE_HANG ? "hang: vcpu/epc" : "fault: cause/epc/tval",
                  r->name, r->stop_cause == CAUSE_HANG ? r->stop_hart : r->stop_cause,
                  r->stop_epc, r->stop_tval);
        else if (state == STOPPED)
            event("stopped", r->name, boots, 0, 0);
        else if (state == RUNNING && p->state != 0)
            event("running: boot", r->name, boots, 0, 0);
        p->state = state;
        if (state == FAULTED)
            on_fault(p);
    }
    if (boots > p->boots && p->boots && state == RUNNING && boots - 1 > r->restart_limit) {
        event("reboot loop: stopping", r->name, boots - 1, r->restart_limit, 0);
        command(p, CMD_STOP);
    }
    p->boots = boots;
    if (beat == p->heartbeat) {
        if (++p->silent == SILENT_ROUNDS && !p->flagged) {
            event("silent VMM (no heartbeat):", r->name, beat, 0, 0);
            p->flagged = 1;
        }
    } else {
        p->silent = p->flagged = 0;
        p->heartbeat = beat;
    }
}

static struct part *by_pid(uint32_t pid)
{
    for (int i = 0; i < nparts; i++)
        if (parts[i].r->pid == pid)
            return &parts[i];
    return 0;
}

/* The checkers' violation logs: report each new refusal (who, which hart, how, where;
 * the checker and its count so far), then acknowledge, which re-arms the log. */
static void check_violations(void)
{
    static const char *kinds[] = {"violation: read by", "violation: write by",
                                  "violation: fetch by", "violation: ? by"};
    for (uint32_t s = 0; s < slots && s < 32; s++) {
        volatile uint32_t *checker = (volatile uint32_t *)(PARTCTL + SLOT * s);
        uint32_t count = checker[1];
        if (count != seen[s]) {
            uint32_t info = checker[3], v[4] = {(info >> 4) & 7, checker[2], s, count};
            checker[4] = 1;                 /* re-armed before the slow part */
            struct part *p = by_pid(info & 15);
            if (p)
                p->violations += count - seen[s];
            seen[s] = count;
            event_n(kinds[(info >> 8) & 3], p ? (const char *)p->r->name
                    : (info & 15) == my_pid ? "control" : "?", 4, v);
        }
    }
}

/* The violation interrupt's handler: mask it; the server loop does the rest. */
extern char violation_entry[];
__asm__(".balign 4\n"
        "violation_entry:\n"
        "  csrw sscratch, t0\n"
        "  li t0, 0x200\n"                      /* SEIE */
        "  csrc sie, t0\n"
        "  csrr t0, sscratch\n"
        "  sret\n");

static void take_violations(void)
{
    volatile uint32_t *claim = (volatile uint32_t *)(plic + 4);
    uint32_t id = *claim;
    check_violations();
    *claim = id;
    __asm__ volatile("csrs sie, %0" :: "r"(SIE_SEIE));
}

/* ---- the shell ---- */

static struct part *find(const char *name)
{
    for (int i = 0; i < nparts; i++) {
        int k = 0;
        while (k < 16 && parts[i].r->name[k] && parts[i].r->name[k] == name[k])
            k++;
        if ((k == 16 || !parts[i].r->name[k]) && !name[k])
            return &parts[i];
    }
    return 0;
}

static const char *state_name(uint32_t s)
{
    static const char *names[] = {"booting", "running", "stopped", "faulted", "restarting"};
    return s < 5 ? names[s] : "?";
}

static int starts(const char *line, const char *word)
{
    while (*word)
        if (*line++ != *word++)
            return 0;
    return 1;
}

static void run(const char *line)
{
    if (starts(line, "ps")) {
        printf_("pid name state harts uptime_ms restarts drops violations\n");
        for (int i = 0; i < nparts; i++) {
            struct ring *r = parts[i].r;
            char harts[24];
            int n = 0;
            for (uint32_t h = 0; h < 8; h++)
                if (r->harts >> h & 1) {
                    if (n)
                        harts[n++] = ',';
                    harts[n++] = (char)('0' + h);
                }
            harts[n] = 0;
            uint32_t up = r->state == RUNNING && r->ms ? ((uint32_t)rdtime() - r->started)
                / r->ms : 0;
            printf_("%u %s %s %s %u %u %u %u\n", r->pid, r->name, state_name(r->state),
                    harts, up, r->boots ? r->boots - 1 : 0, r->drops, parts[i].violations);
        }
    } else if (starts(line, "mute ") || starts(line, "unmute ")) {
        int mute = line[0] == 'm';
        struct part *p = find(line + (mute ? 5 : 7));
        if (!p) {
            printf_("no partition %s\n", line + (mute ? 5 : 7));
        } else {
            p->muted = mute;
            printf_("%s %s\n", mute ? "muted" : "unmuted", p->r->name);
        }
    } else if (starts(line, "restart ") || starts(line, "stop ")) {
        int restart = line[2] == 's';
        struct part *p = find(line + (restart ? 8 : 5));
        if (!p) {
            printf_("no partition %s\n", line + (restart ? 8 : 5));
        } else {
            printf_("%s %s\n", restart ? "restarting" : "stopping", p->r->name);
            command(p, restart ? CMD_RESTART : CMD_STOP);
        }
    } else if (starts(line, "log")) {
        uint32_t first = logged > LOG_LINES ? logged - LOG_LINES : 0;
        for (uint32_t i = first; i < logged; i++)
            printf_("log %u: %s\n", i, logbuf[i % LOG_LINES]);
    } else if (line[0]) {
        if (!starts(line, "help"))
            printf_("unknown command '%s'\n", line);
        printf_("commands: ps, restart NAME, stop NAME, mute NAME, unmute NAME, log; "
                "Ctrl-A then a partition ID sends input there\n");
    }
}

static char input[64];
static uint32_t typed, focus, escape;

static void key(char c)
{
    if (escape) {
        escape = 0;
        if (c >= '0' && c <= '9') {
            focus = (uint32_t)(c - '0');
            struct part *p = 0;
            for (int i = 0; i < nparts; i++)
                if (parts[i].r->pid == focus)
                    p = &parts[i];
            printf_("input to %s\n", p ? p->r->name : "control");
            if (!p)
                focus = my_pid;
            return;
        }
    }
    if (c == 1) {                       /* Ctrl-A */
        escape = 1;
        return;
    }
    if (focus != my_pid) {
        for (int i = 0; i < nparts; i++) {
            struct ring *r = parts[i].r;
            if (r->pid == focus && r->in_head - r->in_tail < 64) {
                r->in_data[r->in_head % 64] = (uint8_t)c;
                r->in_head = r->in_head + 1;
            }
        }
        return;
    }
    if (c == '\r' || c == '\n') {
        input[typed] = 0;
        run(input);
        typed = 0;
    } else if (typed < sizeof input - 1) {
        input[typed++] = c;
    }
}

int main(unsigned long hartid, unsigned long fdt)
{
    (void)hartid;
    (void)fdt;
    long channels = sbi_call(SBI_EXT_ZV, 0, 0, 0, 0).value;
    for (long c = 0; c < channels && nparts < MAX_PARTS; c++)
        if (sbi_call(SBI_EXT_ZV, 1, c, 2, 0).value == 1)
            parts[nparts++].r = (struct ring *)sbi_call(SBI_EXT_ZV, 1, c, 0, 0).value;
    slots = (uint32_t)sbi_call(SBI_EXT_ZV, 6, 0, 0, 0).value;
    my_pid = focus = 0;
    for (uint32_t p = 0; p < MAX_PARTS; p++) {
        int taken = 0;
        for (int i = 0; i < nparts; i++)
            taken |= parts[i].r->pid == p;
        if (!taken) {
            my_pid = focus = p;         /* the one ID no served partition has */
            break;
        }
    }
    plic = (uint32_t)sbi_call(SBI_EXT_ZV, 7, 0, 0, 0).value;
    if (plic) {
        __asm__ volatile("csrw stvec, %0" :: "r"(violation_entry));
        __asm__ volatile("csrs sie, %0" :: "r"(SIE_SEIE));
        __asm__ volatile("csrsi sstatus, 2");
    }
    printf_("console server: serving %u console(s), violations %s; type help\n",
            (uint32_t)nparts, plic ? "by interrupt" : "polled");
    for (uint32_t round = 0;; round++) {
        for (int i = 0; i < nparts; i++)
            if (parts[i].r->magic == RING_MAGIC && !parts[i].muted)
                drain(parts[i].r);
        if (*(volatile uint8_t *)(UART + LSR) & LSR_DR)
            key(*(volatile char *)UART);
        if (plic && !(csr_read(sie) & SIE_SEIE))
            take_violations();
        if (round % MONITOR_EVERY == 0) {
            for (int i = 0; i < nparts; i++)
                check_partition(&parts[i]);
            if (!plic)
                check_violations();
        }
    }
}
