"""On-chip memory with one bus port per initiator: RAM and the boot ROM."""

import hashlib
import operator
from functools import reduce

from amaranth import ClockSignal, Instance, Module, ResetSignal, Signal
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In

from ..bus import BusSignature

__all__ = ["SRAM", "built_size", "pieces", "verilog_sources"]

# Verilog modules of the SRAMs elaborated for simulation, by module name.
_VERILOG = {}


def verilog_sources(text):
    """The Verilog of every simulation SRAM that ``text`` (a design's Verilog) uses."""
    return [source for name, source in sorted(_VERILOG.items()) if name in text]


def built_size(size, built):
    """The bytes an :class:`SRAM` of ``size`` bytes builds when asked for ``built``: rounded
    up to a sixteenth of the window (see its ``built``)."""
    if built is None:
        return size
    granule = max(4, size // 16)
    return -(-built // granule) * granule


# Words of the shallowest block RAM row (an ECP5 DP16KD as 512 x 36): memory below that
# is built as one piece, since a row of its own would cost a whole block RAM.
ROW_WORDS = 512


def pieces(words):
    """``(first word, words)`` of each memory an :class:`SRAM` builds ``words`` as: one
    for each power of two in ``words`` from the largest, the powers below
    :data:`ROW_WORDS` together in one. Each piece's first word is a multiple of its size
    rounded up to a power of two, so its top address bits alone tell it."""
    out, first = [], 0
    for bit in reversed(range(words.bit_length())):
        size = 1 << bit
        if words & size and size >= ROW_WORDS:
            out.append((first, size))
            first += size
    if first < words:
        out.append((first, words - first))
    return out


class SRAM(wiring.Component):
    """Single-cycle block RAM with ``ports`` independent bus ports.

    Every port reads; port 0 is the only one that writes (the data side), the others are
    instruction ports. Each port takes a request every cycle and answers it on the next,
    as block RAM does. A port reads the address it is shown in every cycle, requested or
    not (a read has no side effect, and ``dat_r`` means something only in the cycle after
    a request), so that the block RAM's read enable is not at the end of the initiator's
    path through its decoder, arbiter and checker; only the write enable is.

    Parameters
    ----------
    size : int
        Bytes, a power of two >= 4.
    ports : int
        Number of bus ports.
    writable : bool
        ``False`` makes a ROM: writes are answered with ``err``.
    init : list of int
        Initial words.
    built : int or None
        Bytes of the window that are block RAM, from its start; the rest answers every
        request with ``err``, as no memory. ``None`` (the default) builds all of it. A board
        build with a layout builds only what the layout places (see
        :meth:`zerovisor.system.System.ram_built`). It is rounded up to a sixteenth of the
        window, so that telling whether an address is built takes its top four bits only:
        one LUT level beside the write enable, at the end of the bus's longest paths.
    sim : bool
        Elaborate as an instance of a plain Verilog module (see :func:`verilog_sources`)
        whose array ``mem`` the simulator's loader writes through VPI. Amaranth's own
        memory spells out the initial value of every bit, which made generating the
        Verilog of a 512 KiB SoC take most of a minute; this takes none of it.
    """

    def __init__(self, *, size, ports=2, writable=True, init=(), built=None, sim=False):
        if not isinstance(size, int) or size < 4 or size & (size - 1):
            raise ValueError(f"size must be a power of two of at least 4 bytes, not {size!r}")
        if built is not None and (not isinstance(built, int) or not 0 <= built <= size):
            raise ValueError(f"built must be 0 to size ({size}) bytes, not {built!r}")
        if built is not None and sim:
            raise ValueError("built is for hardware builds; a simulation model builds the "
                             "whole window (its loader may write anywhere in it)")
        if not isinstance(ports, int) or ports < 1:
            raise ValueError(f"ports must be a positive integer, not {ports!r}")
        if len(init) > size // 4:
            raise ValueError(f"init has {len(init)} words, more than the {size // 4} that fit")
        self.size = size
        self.built = built_size(size, built)
        if len(init) > self.built // 4 and any(init[self.built // 4:]):
            raise ValueError(f"init has words beyond the {self.built} bytes built")
        self.writable = writable
        self.sim = sim
        self._init = list(init)
        self._addr_width = max(1, (size // 4 - 1).bit_length())
        super().__init__({
            f"bus{i}": In(BusSignature(self._addr_width)) for i in range(ports)
        })
        self.ports = ports

    def elaborate(self, platform):
        if self.sim:
            return self._instance()
        m = Module()
        words = self.built // 4
        if words == 0:     # nothing built: every request is refused
            for i in range(self.ports):
                bus = getattr(self, f"bus{i}")
                m.d.sync += bus.err.eq(bus.cyc)
            return m
        # Each port reads asynchronously into a register of its own, which yosys folds back
        # into the block RAM's read port; that way (not Amaranth's synchronous port, whose
        # read-during-write result is always defined) ``-no-rw-check`` reaches the ports, and
        # yosys need not keep a second copy of the memory to give a fetch that races a store
        # to the same word the old value: RISC-V leaves that undefined until a FENCE.I.
        #
        # A RAM whose built size is not a power of two is built as pieces that are (see
        # :func:`pieces`), each its own memory: a piece of 2**k words maps to one row of
        # block RAMs, each as deep as the piece, so a read chooses among as many rows as
        # the size has bits set (a 100 KiB bank: 3), by registered selects ANDed and ORed
        # with what the bus's decoder and the load's byte choice do after it. One memory
        # left to yosys was built of equal rows (2K x 9 each: 13 of them for 100 KiB) and a
        # multiplexer tree of 4 LUT levels that was the 4-hart layout's critical path.
        # A ROM stays one memory: yosys built a ROM piece that was mostly zeros as logic.
        refuse = []
        for i in range(self.ports):
            bus = getattr(self, f"bus{i}")
            refused = bus.we & (i != 0 or not self.writable)
            if words < self.size // 4:
                # in sixteenths of the window: its top four address bits
                top = self._addr_width - 4
                absent = (bus.adr[top:] >= words >> top) if top > 0 else (bus.adr >= words)
                refused = refused | absent
            refuse.append(refused)
            m.d.sync += [
                bus.ack.eq(bus.cyc & ~refused),
                bus.err.eq(bus.cyc & refused),
            ]
        reads = [[] for _ in range(self.ports)]
        for first, count in pieces(words) if self.writable else [(0, words)]:
            name = "mem" if count == words else f"mem{first}"
            m.submodules[name] = mem = memory.Memory(
                shape=32, depth=count, init=self._init[first:first + count])
            low = (count - 1).bit_length()
            heres = []           # each port's address is in this piece
            for i in range(self.ports):
                bus = getattr(self, f"bus{i}")
                rp = mem.read_port(domain="comb")
                data = Signal(32, reset_less=True, name=f"data{i}_{first}")
                m.d.comb += rp.addr.eq(bus.adr[:low])
                m.d.sync += data.eq(rp.data)
                if count == words:
                    heres.append(1)
                    reads[i].append(data)
                    continue
                heres.append(bus.adr[low:] == first >> low)
                chosen = Signal(name=f"chosen{i}_{first}")
                m.d.sync += chosen.eq(heres[i])
                reads[i].append(data & chosen.replicate(32))
            if self.writable:
                wp = mem.write_port(granularity=8)
                bus, here = self.bus0, heres[0]
                m.d.comb += [
                    wp.addr.eq(bus.adr[:low]),
                    wp.data.eq(bus.dat_w),
                    wp.en.eq((bus.cyc & bus.we & ~refuse[0] & here).replicate(4) & bus.sel),
                ]
        for i in range(self.ports):
            m.d.comb += getattr(self, f"bus{i}").dat_r.eq(reduce(operator.or_, reads[i]))
        return m

    # --- simulation ------------------------------------------------------------------------
    def _instance(self):
        name = self._module_name()
        _VERILOG.setdefault(name, self._verilog(name))
        ports = {"i_clk": ClockSignal(), "i_rst": ResetSignal()}
        for i in range(self.ports):
            bus = getattr(self, f"bus{i}")
            ports |= {f"i_cyc{i}": bus.cyc, f"i_we{i}": bus.we, f"i_adr{i}": bus.adr,
                      f"o_dat_r{i}": bus.dat_r, f"o_ack{i}": bus.ack, f"o_err{i}": bus.err}
            if i == 0 and self.writable:
                ports |= {"i_sel0": bus.sel, "i_dat_w0": bus.dat_w}
        return Instance(name, **ports)

    def _module_name(self):
        init = hashlib.sha256(repr(self._init).encode()).hexdigest()[:8] if any(self._init) \
            else "0"
        return (f"zv_sram_w{self.size // 4}_p{self.ports}_{'rw' if self.writable else 'ro'}"
                f"_i{init}")

    def _verilog(self, name):
        aw, depth = self._addr_width, self.size // 4
        ports = ["input clk", "input rst"]
        body = []
        if self.writable:
            body.append("  wire [3:0] wen = {4{cyc0 & we0}} & sel0;")
        for i in range(self.ports):
            ports += [f"input cyc{i}", f"input we{i}", f"input [{aw - 1}:0] adr{i}",
                      f"output reg [31:0] dat_r{i}", f"output reg ack{i}",
                      f"output reg err{i}"]
            refuse = "1'b0" if i == 0 and self.writable else f"we{i}"
            body += [
                "  always @(posedge clk) begin",
                f"    ack{i} <= rst ? 1'b0 : cyc{i} & ~{refuse};",
                f"    err{i} <= rst ? 1'b0 : cyc{i} & {refuse};",
                f"    dat_r{i} <= mem[adr{i}];" if i or not self.writable else
                # the data port reads what it writes in the same cycle (byte lanes)
                "    dat_r0 <= {" + ", ".join(
                    f"wen[{b}] ? dat_w0[{8 * b + 7}:{8 * b}] : mem[adr0][{8 * b + 7}:{8 * b}]"
                    for b in (3, 2, 1, 0)) + "};",
                "  end",
            ]
        if self.writable:
            ports += ["input [3:0] sel0", "input [31:0] dat_w0"]
            body += ["  always @(posedge clk) begin"]
            body += [f"    if (wen[{b}]) mem[adr0][{8 * b + 7}:{8 * b}] <= "
                     f"dat_w0[{8 * b + 7}:{8 * b}];" for b in range(4)]
            body += ["  end"]
        init = [f"    mem[{i}] = 32'h{w:08x};" for i, w in enumerate(self._init) if w]
        if init:
            body += ["  initial begin", *init, "  end"]
        return "\n".join([
            f"module {name} (", "  " + ",\n  ".join(ports), ");",
            f"  reg [31:0] mem [0:{depth - 1}];", *body, "endmodule", ""])
