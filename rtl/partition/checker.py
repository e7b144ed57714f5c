"""The partition checker: it stands in front of one bus target and lets through only the
accesses its entries allow, once it is locked.

Each entry names an aligned power-of-two region (``BASE``, ``MASK``) and says which
partitions may read, write or execute there (``PERM``). Before the lock, everything passes:
the boot firmware loads every partition's image. Writing ``CTRL.LOCK`` locks the checker;
from then on only reset unlocks it, the entries cannot change, and an access that no entry
allows is refused: the target never sees it (no side effect), the initiator gets ``err``
one cycle later (an access fault on the hart), and the checker logs it in that cycle: a
count of all, and the address, partition, hart and kind of the first since software last
acknowledged (``VACK``, the one register that remains writable). ``irq`` stays raised
until then, and the next violation after it is logged afresh: a monitor that acknowledges
each interrupt sees every violation that comes one at a time.
"""

from types import SimpleNamespace

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..bus import PID_WIDTH, REQUEST_FIELDS, BusSignature
from ..periph.regmap import Field, Register, RegisterMap

__all__ = ["Checker", "CHECKER_REGS", "Kind", "ENTRY_BASE", "ENTRY_STRIDE"]

ENTRY_BASE = 0x40
ENTRY_STRIDE = 0x10


class Kind:
    """Kinds of access, as logged in ``VINFO.KIND``."""
    READ, WRITE, FETCH = range(3)


CHECKER_REGS = RegisterMap("CHECKER", "Partition checker in front of one target", (
    Register("CTRL", 0x00, 4, "rw", "Write 1 to LOCK to lock; only reset unlocks.", (
        Field("LOCK", 0, doc="entries are enforced and frozen"),
    )),
    Register("VCOUNT", 0x04, 4, "r", "Number of refused accesses since reset (saturates)."),
    Register("VADDR", 0x08, 4, "r", "Byte address of the first refused access since the "
             "last acknowledgement."),
    Register("VINFO", 0x0C, 4, "r", "Who made that refused access, and how.", (
        Field("PID", 0, PID_WIDTH, "partition ID"),
        Field("HART", 4, 3, "hart ID"),
        Field("KIND", 8, 2, "0 read, 1 write, 2 instruction fetch"),
    )),
    Register("VACK", 0x10, 4, "w", "Write 1 to lower irq and re-arm VADDR/VINFO "
             "(writable after the lock)."),
    Register("ENTRY_BASE", ENTRY_BASE, 4, "rw", "Entry's region base (byte address).",
             count=16, stride=ENTRY_STRIDE),
    Register("ENTRY_MASK", ENTRY_BASE + 4, 4, "rw", "Entry's address mask: ~(size - 1).",
             count=16, stride=ENTRY_STRIDE),
    Register("ENTRY_PERM", ENTRY_BASE + 8, 4, "rw", "Entry's permissions.", (
        Field("R", 0, doc="read"), Field("W", 1, doc="write"), Field("X", 2, doc="execute"),
        Field("PARTS", 8, 8, "bit p: partition p may access"),
    ), count=16, stride=ENTRY_STRIDE),
))

# (an entry takes three whole words, see the word alignment in cpu/core.py's Fetched)
Entry = data.StructLayout({"base": 32, "mask": 32, "perm": 3, "_pad0": 5, "parts": 8,
                           "_pad1": 16})


class Checker(wiring.Component):
    """Guards one target.

    Parameters
    ----------
    addr_width : int
        Word-address width of the guarded target's bus.
    base : int
        Byte address of the target's window: entries hold full addresses.
    entries : int
        Number of entries, 1 to 16.
    registered : bool
        Decide on a request in the cycle it comes and pass it on in the next, from
        registers that hold it and the decision (the initiator stalls meanwhile): an
        access costs a cycle more, and nothing of the decision is on the target's path
        into its side effects (a PLIC claim clearing its pending bits, on the boards).
        Written configuration, which changes what the held decision was made on, makes
        the checker decide again.
    """

    def __init__(self, *, addr_width, base=0, entries=4, registered=False):
        if not isinstance(entries, int) or not 1 <= entries <= 16:
            raise ValueError(f"entries must be 1 to 16, not {entries!r}")
        if base % (4 << addr_width):
            raise ValueError(f"base 0x{base:x} is not aligned to the window's size "
                             f"0x{4 << addr_width:x}")
        self.addr_width = addr_width
        self.base = base
        self.entries = entries
        self.registered = bool(registered)
        super().__init__({
            "bus": In(BusSignature(addr_width)),
            "sub": Out(BusSignature(addr_width)),
            "cfg": In(BusSignature(7)),      # a 512-byte slot
            "irq": Out(1),
            # state, visible for the formal proofs and the partition control block
            "locked": Out(1),
            "table": Out(data.ArrayLayout(Entry, entries)),
        })

    def elaborate(self, platform):
        m = Module()
        bus, sub, cfg = self.bus, self.sub, self.cfg

        def byte_address(adr):
            """The full byte address of the word ``adr`` in the guarded window."""
            return Cat(Const(0, 2), adr) | self.base

        # --- the decision --------------------------------------------------------------
        def granted(req):
            """Some entry allows the request ``req`` (an interface with the bus's fields)."""
            addr = Signal(32)
            need = Signal(3)
            m.d.comb += [addr.eq(byte_address(req.adr)),
                         need.eq(Cat(~req.we & ~req.fetch, req.we, req.fetch))]
            return Cat(((addr & entry.mask) == entry.base) & ((entry.perm & need) != 0)
                       & entry.parts.bit_select(req.pid, 1) for entry in self.table).any()

        # (an aborted request is nobody's: it passes nothing on and is not logged; behind an
        # arbiter, as in the SoC, ``abort`` is never raised)
        asks = bus.cyc & ~bus.abort
        w_do = Signal()                  # a configuration write is made this cycle
        if self.registered:
            # The request is held, with whether an entry allows it, as it comes (and
            # stalled); it goes on from the registers the next cycle, and stays while the
            # target stalls. A configuration write drops it, to be decided again on the
            # entries and lock written. (Written before the lock, entries change nothing
            # that passes; the lock changes no entry: ``~locked`` is applied as it passes.)
            held = Signal()
            held_granted = Signal()
            req = {name: Signal.like(getattr(bus, name), name=f"held_{name}")
                   for name in REQUEST_FIELDS}
            passes = Signal()
            m.d.comb += [
                passes.eq(held & asks & (held_granted | ~self.locked)),
                sub.cyc.eq(passes),
                *(getattr(sub, name).eq(req[name]) for name in REQUEST_FIELDS),
                bus.stall.eq(~held | (passes & sub.stall)),
            ]
            with m.If(~held):
                m.d.sync += [held_granted.eq(granted(bus)),
                             *(req[name].eq(getattr(bus, name)) for name in REQUEST_FIELDS)]
            m.d.sync += held.eq(asks & ~w_do & (~held | (passes & sub.stall)))
            violation = held & asks & ~passes
            logged = SimpleNamespace(**req)
        else:
            allowed = Signal()
            m.d.comb += [
                allowed.eq(~self.locked | granted(bus)),
                sub.cyc.eq(asks & allowed),
                *(getattr(sub, name).eq(getattr(bus, name)) for name in REQUEST_FIELDS),
                bus.stall.eq(sub.stall & allowed),
            ]
            violation = asks & ~allowed
            logged = bus
        refused = Signal()
        m.d.sync += refused.eq(violation)
        m.d.comb += [
            # (a memory reads whatever address it is shown: nothing of a refused read's
            # word comes back)
            bus.dat_r.eq(Mux(refused, 0, sub.dat_r)),
            bus.ack.eq(sub.ack & ~refused),
            bus.err.eq(sub.err | refused),
        ]

        # --- the violation log ---------------------------------------------------------
        # A violation is logged a cycle later, from registers holding it and the request,
        # so that the decision is not on the path into the log's enables.
        count = Signal(32)
        first_addr = Signal(32)
        first_info = Signal(32)
        v = Signal()
        v_adr = Signal.like(logged.adr)
        v_info = Signal(10)
        kind = Mux(logged.fetch, Const(Kind.FETCH, 2),
                   Mux(logged.we, Const(Kind.WRITE, 2), Const(Kind.READ, 2)))
        m.d.sync += [v.eq(violation), v_adr.eq(logged.adr),
                     v_info.eq(Cat(logged.pid, Const(0, 4 - PID_WIDTH), logged.hart,
                                   Const(0, 1), kind))]
        with m.If(v):
            with m.If(~self.irq):
                m.d.sync += [first_addr.eq(byte_address(v_adr)),
                             first_info.eq(v_info)]
            with m.If(count != 0xFFFF_FFFF):
                m.d.sync += count.eq(count + 1)
            m.d.sync += self.irq.eq(1)

        # --- the configuration port ----------------------------------------------------
        # The entries are read back from a copy in a small memory (distributed RAM on an
        # FPGA), written alongside the entries' flip-flops: a multiplexer over every
        # entry's registers took three quarters of a 16-entry checker's LUTs (1,597 LUT4
        # before, measured with the board build's synthesis) and was the most congested
        # logic of the placed SoC. The memory does not reset; a bit per word says whether
        # it was written since reset, and a word that was not reads as zero, as the entry
        # it copies does.
        # A write is registered as it is taken and made in the next cycle, from the
        # registers (``w_*``), in which the port stalls any request: the checker's
        # decision in front of the partition control block and its decoder are not on the
        # path into the entries' enables. (Behind a registered arbiter, as on the boards,
        # no request comes in that cycle anyway.)
        words = 4 * self.entries                      # base, mask, perm and a hole

        def decode(adr):
            in_table = (adr >= ENTRY_BASE // 4) & (adr < ENTRY_BASE // 4 + words)
            index = Signal(range(words))
            m.d.comb += index.eq(adr - ENTRY_BASE // 4)
            return Cat(Const(0, 2), adr), in_table, index

        w_adr = Signal.like(cfg.adr)
        w_dat = Signal(32)
        m.d.comb += cfg.stall.eq(w_do)
        m.d.sync += [w_do.eq(cfg.cyc & cfg.we & (cfg.sel == 0b1111) & ~w_do),
                     w_adr.eq(cfg.adr), w_dat.eq(cfg.dat_w)]
        offset, in_table, index = decode(cfg.adr)
        w_offset, w_in_table, w_index = decode(w_adr)
        row, word = index[2:], index[0:2]
        w_row, w_word = w_index[2:], w_index[0:2]
        table_write = w_do & w_in_table & ~self.locked
        valid = Signal(words)
        copies = []
        # one memory per word of an entry, as deep as the table: each fits the FPGA's
        # 16-deep distributed RAM (one memory of every word went to a block RAM)
        for w, width in enumerate((32, 32, 16)):
            copy = Memory(shape=width, depth=self.entries, init=[])
            m.submodules[f"copy_{('base', 'mask', 'perm')[w]}"] = copy
            copy_w = copy.write_port()
            copy_r = copy.read_port(domain="comb")
            m.d.comb += [
                copy_w.addr.eq(w_row), copy_r.addr.eq(row),
                copy_w.en.eq(Mux(table_write & (w_word == w), ~0, 0)),
                copy_w.data.eq(w_dat & (0xFF07 if w == 2 else ~0)),
            ]
            copies.append(copy_r.data)
        with m.If(table_write & (w_word != 3)):
            m.d.sync += valid.bit_select(w_index, 1).eq(1)

        read = Signal(32)
        with m.Switch(offset):
            with m.Case(CHECKER_REGS.offset("CTRL")):
                m.d.comb += read.eq(self.locked)
            with m.Case(CHECKER_REGS.offset("VCOUNT")):
                m.d.comb += read.eq(count)
            with m.Case(CHECKER_REGS.offset("VADDR")):
                m.d.comb += read.eq(first_addr)
            with m.Case(CHECKER_REGS.offset("VINFO")):
                m.d.comb += read.eq(first_info)
        with m.If(in_table & valid.bit_select(index, 1)):
            with m.Switch(word):
                for w in range(3):
                    with m.Case(w):
                        m.d.comb += read.eq(copies[w])
        m.d.sync += [cfg.ack.eq(cfg.cyc & ~w_do), cfg.dat_r.eq(read)]

        with m.If(w_do):
            with m.Switch(w_offset):
                with m.Case(CHECKER_REGS.offset("CTRL")):
                    with m.If(w_dat[0]):
                        m.d.sync += self.locked.eq(1)
                with m.Case(CHECKER_REGS.offset("VACK")):
                    with m.If(w_dat[0] & ~v):
                        m.d.sync += self.irq.eq(0)
                for i, entry in enumerate(self.table):
                    at = ENTRY_BASE + ENTRY_STRIDE * i
                    with m.Case(at):
                        with m.If(~self.locked):
                            m.d.sync += entry.base.eq(w_dat)
                    with m.Case(at + 4):
                        with m.If(~self.locked):
                            m.d.sync += entry.mask.eq(w_dat)
                    with m.Case(at + 8):
                        with m.If(~self.locked):
                            m.d.sync += [entry.perm.eq(w_dat[0:3]),
                                         entry.parts.eq(w_dat[8:16])]
        return m
