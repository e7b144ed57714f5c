"""The PLIC: platform-level interrupt controller, at QEMU ``virt``'s address and with the
register layout of the RISC-V PLIC specification (``../shared/ref/riscv-plic``).

Each hart has four context numbers: M-mode (context ``4h``), S-mode (``4h + 1``), a
**guest** context (``4h + 2``) whose notification drives that hart's ``hgeip`` bit 1, so a
device given to a guest interrupts it with no hypervisor on the path (hypervisor chapter,
"Hypervisor Guest External Interrupt Registers"), and ``4h + 3``, reserved (no registers).
Four keeps each hart's registers in naturally aligned blocks (enables: 0x200 bytes,
threshold and claim: 0x4000), which a partition checker's power-of-two entries can grant
hart by hart. QEMU ``virt`` has two contexts a hart; the guest context is ours.

Sources are level-triggered: a source's gateway sets its pending bit while the line is
high and no claim of it is in flight; a claim clears the pending bit, and the completion
(writing the ID back to the context's claim register) lets the source request again.
Claims return the highest-priority pending, enabled source whose priority exceeds the
context's threshold (ties go to the lowest ID), or 0.
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..bus import BusSignature
from .regmap import Register, RegisterMap

__all__ = ["PLIC", "PLIC_REGS", "PLIC_SOURCES", "PRIORITY_BITS", "context"]

PLIC_SOURCES = 32           # source IDs 1 to 31; 0 means "none"
PRIORITY_BITS = 3
CONTEXTS_PER_HART = 4
KINDS = ("m", "s", "guest")
MAX_CONTEXTS = 8 * CONTEXTS_PER_HART

PLIC_REGS = RegisterMap("PLIC", "Platform-level interrupt controller", (
    Register("PRIORITY", 0x0, 4, "rw", "Source priority, 0 (never) to 7; index = source ID.",
             count=PLIC_SOURCES, stride=4),
    Register("PENDING", 0x1000, 4, "r", "Pending bit of each source."),
    Register("ENABLE", 0x2000, 4, "rw", "Per context: the sources it takes.",
             count=MAX_CONTEXTS, stride=0x80),
    Register("THRESHOLD", 0x20_0000, 4, "rw", "Per context: only priorities above it notify.",
             count=MAX_CONTEXTS, stride=0x1000),
    Register("CLAIM", 0x20_0004, 4, "rw", "Per context: read to claim, write the ID back to "
             "complete.", count=MAX_CONTEXTS, stride=0x1000),
))


def context(hart, kind):
    """The context number of ``hart``'s ``kind`` ("m", "s" or "guest")."""
    return CONTEXTS_PER_HART * hart + KINDS.index(kind)


class PLIC(wiring.Component):
    """Parameters
    ----------
    harts : int
        Number of harts, 1 to 8; three contexts each (numbered four apart).
    sources : iterable of int or None
        The source IDs wired to something (1 to 31); the others read as zero and cost
        nothing. ``None``: all 31.

    late : bool
        Register each context's best candidate and notification: ``eip`` follows the
        candidate a cycle later, and a claim answers with (and clears the pending bit of)
        the candidate registered the cycle before, so that the comparison tree ends at
        registers instead of going on into the harts' interrupt logic and through a
        claim into the pending bits (a board build's, ``late_mem``). Exact when requests
        come at most every other cycle, as a registered arbiter
        (:class:`~zerovisor.rtl.bus.wishbone.Arbiter`) passes them: every effect of the
        request before is then in the candidate, and only a source that became pending
        in the cycle just before a claim is not yet seen by it.

    ``irq`` holds the source lines (bit ``i`` is source ID ``i``; bit 0 is unused) and
    ``eip`` one notification per context.
    """

    def __init__(self, *, harts=1, sources=None, late=False):
        if not isinstance(harts, int) or not 1 <= harts <= 8:
            raise ValueError(f"harts must be 1 to 8, not {harts!r}")
        ids = sorted(set(range(1, PLIC_SOURCES) if sources is None else sources))
        if not ids or any(not isinstance(i, int) or not 1 <= i < PLIC_SOURCES for i in ids):
            raise ValueError(f"sources must be IDs from 1 to {PLIC_SOURCES - 1}, "
                             f"not {sources!r}")
        self.sources = ids
        self.harts = harts
        self.late = bool(late)
        self.contexts = CONTEXTS_PER_HART * harts     # numbers; 3 of each 4 exist
        super().__init__({
            "bus": In(BusSignature(24)),
            "irq": In(PLIC_SOURCES),
            "eip": Out(self.contexts),
        })

    def elaborate(self, platform):
        m = Module()
        bus = self.bus
        n = PLIC_SOURCES
        ids = self.sources
        priority = [Signal(PRIORITY_BITS, name=f"priority{i}") for i in range(n)]
        pending = Signal(n)
        inflight = Signal(n)
        real = [c for c in range(self.contexts) if c % CONTEXTS_PER_HART < len(KINDS)]
        enable = [Signal(n, name=f"enable{c}") for c in range(self.contexts)]
        threshold = [Signal(PRIORITY_BITS, name=f"threshold{c}") for c in range(self.contexts)]

        # Gateways: level-triggered, one request per claim/complete round.
        for i in ids:
            with m.If(self.irq[i] & ~inflight[i]):
                m.d.sync += pending[i].eq(1)

        # Each context's best candidate, by a tree of comparisons (depth log2 of sources).
        best_id, best_ok = {}, {}
        for c in real:
            cands = [(Const(i, 5), Mux(pending[i] & enable[c][i], priority[i], 0))
                     for i in ids]
            level = 0
            while len(cands) > 1:
                nxt = []
                for k, (a, b) in enumerate(zip(cands[0::2], cands[1::2])):
                    ident = Signal(5, name=f"ctx{c}_l{level}_{k}_id")
                    prio = Signal(PRIORITY_BITS, name=f"ctx{c}_l{level}_{k}_prio")
                    take_b = b[1] > a[1]
                    m.d.comb += [ident.eq(Mux(take_b, b[0], a[0])),
                                 prio.eq(Mux(take_b, b[1], a[1]))]
                    nxt.append((ident, prio))
                if len(cands) % 2:
                    nxt.append(cands[-1])
                cands = nxt
                level += 1
            ident, prio = cands[0]
            ok = Signal(name=f"notify{c}")
            best = Signal(5, name=f"best{c}")
            m.d.comb += ok.eq(prio > threshold[c])
            if self.late:
                m.d.sync += best.eq(Mux(ok, ident, 0))
            else:
                m.d.comb += best.eq(Mux(ok, ident, 0))
            best_id[c] = best
            best_ok[c] = ok
        notify = Cat(best_ok.get(c, Const(0, 1)) for c in range(self.contexts))
        if self.late:
            m.d.sync += self.eip.eq(notify)
        else:
            m.d.comb += self.eip.eq(notify)

        # Registers (fixed-latency bus: the answer comes the cycle after the request).
        byte_addr = Cat(Const(0, 2), bus.adr)
        write = bus.cyc & bus.we
        read_req = bus.cyc & ~bus.we
        read = Signal(32)
        m.d.sync += [bus.ack.eq(bus.cyc), bus.dat_r.eq(read)]
        regs = PLIC_REGS
        id_mask = sum(1 << i for i in ids)
        for i in ids:
            with m.If(byte_addr == regs.offset("PRIORITY") + 4 * i):
                m.d.comb += read.eq(priority[i])
                with m.If(write & bus.sel[0]):
                    m.d.sync += priority[i].eq(bus.dat_w[:PRIORITY_BITS])
        with m.If(byte_addr == regs.offset("PENDING")):
            m.d.comb += read.eq(pending)
        for c in real:
            with m.If(byte_addr == regs.offset("ENABLE") + 0x80 * c):
                m.d.comb += read.eq(enable[c])
                with m.If(write):
                    m.d.sync += enable[c].eq(bus.dat_w & id_mask)
            with m.If(byte_addr == regs.offset("THRESHOLD") + 0x1000 * c):
                m.d.comb += read.eq(threshold[c])
                with m.If(write & bus.sel[0]):
                    m.d.sync += threshold[c].eq(bus.dat_w[:PRIORITY_BITS])
            with m.If(byte_addr == regs.offset("CLAIM") + 0x1000 * c):
                m.d.comb += read.eq(best_id[c])
                with m.If(read_req):
                    for i in ids:
                        with m.If(best_id[c] == i):
                            m.d.sync += [pending[i].eq(0), inflight[i].eq(1)]
                with m.If(write):
                    done = bus.dat_w[:5]
                    for i in ids:
                        with m.If((done == i) & enable[c][i]):
                            m.d.sync += inflight[i].eq(0)
        return m
