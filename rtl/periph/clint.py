"""The CLINT: machine timer and software interrupts, laid out as on QEMU ``virt``."""

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..bus import BusSignature
from .regmap import Register, RegisterMap

__all__ = ["CLINT", "CLINT_REGS"]

CLINT_REGS = RegisterMap("CLINT", "Core-local interruptor (ACLINT MSWI + MTIMER)", (
    Register("MSIP", 0x0000, 4, "rw", "Bit 0 raises the hart's machine software interrupt.",
             count=8, stride=4),
    Register("MTIMECMP", 0x4000, 8, "rw", "The hart's timer interrupt is pending while "
             "mtime >= mtimecmp.", count=8, stride=8),
    Register("MTIME", 0xBFF8, 8, "rw", "Free-running time, one tick per timebase period."),
))


class CLINT(wiring.Component):
    """Per-hart ``msip`` and ``mtimecmp`` and one shared ``mtime``.

    Parameters
    ----------
    harts : int
        Number of harts, 1 to 8.
    tick_div : int
        Clock cycles per ``mtime`` tick.
    """

    def __init__(self, *, harts=1, tick_div=1):
        if not isinstance(harts, int) or not 1 <= harts <= 8:
            raise ValueError(f"harts must be 1 to 8, not {harts!r}")
        if not isinstance(tick_div, int) or tick_div < 1:
            raise ValueError(f"tick_div must be a positive integer, not {tick_div!r}")
        self.harts = harts
        self.tick_div = tick_div
        super().__init__({
            "bus": In(BusSignature(14)),
            "msip": Out(harts),
            "mtip": Out(harts),
            "mtime": Out(64),
            "mtime_next": Out(64),
        })

    def elaborate(self, platform):
        m = Module()
        bus = self.bus
        mtimecmp = [Signal(64, init=(1 << 64) - 1, name=f"mtimecmp{h}")
                    for h in range(self.harts)]
        msip = Signal(self.harts)

        if self.tick_div == 1:
            tick = 1
        else:
            prescale = Signal(range(self.tick_div))
            tick = prescale == self.tick_div - 1
            m.d.sync += prescale.eq(prescale + 1)
            with m.If(tick):
                m.d.sync += prescale.eq(0)
        with m.If(tick):
            m.d.sync += self.mtime.eq(self.mtime + 1)
        # What mtime holds after this cycle if software does not write it: the harts'
        # Sstc comparisons are registered and compare it, so that their pending bits
        # rise in the cycle mtip does for the same deadline.
        m.d.comb += self.mtime_next.eq(self.mtime + tick)

        m.d.comb += [
            self.msip.eq(msip),
            self.mtip.eq(Cat(self.mtime >= cmp for cmp in mtimecmp)),
        ]
        m.d.sync += bus.ack.eq(bus.cyc)
        read = Signal(32)
        m.d.sync += bus.dat_r.eq(read)

        byte_addr = Cat(0, 0, bus.adr)
        write = bus.cyc & bus.we

        def word_rw(addr, reg, lo):
            """Map the 32-bit half ``reg[lo:lo+32]`` at ``addr``; byte lanes honoured."""
            with m.If(byte_addr == addr):
                m.d.comb += read.eq(reg[lo:lo + 32])
                with m.If(write):
                    for lane in range(4):
                        with m.If(bus.sel[lane]):
                            m.d.sync += reg[lo + 8 * lane:lo + 8 * lane + 8].eq(
                                bus.dat_w[8 * lane:8 * lane + 8])

        msip_base = CLINT_REGS.offset("MSIP")
        cmp_base = CLINT_REGS.offset("MTIMECMP")
        for h in range(self.harts):
            with m.If(byte_addr == msip_base + 4 * h):
                m.d.comb += read.eq(msip[h])
                with m.If(write & bus.sel[0]):
                    m.d.sync += msip[h].eq(bus.dat_w[0])
            word_rw(cmp_base + 8 * h, mtimecmp[h], 0)
            word_rw(cmp_base + 8 * h + 4, mtimecmp[h], 32)
        word_rw(CLINT_REGS.offset("MTIME"), self.mtime, 0)
        word_rw(CLINT_REGS.offset("MTIME") + 4, self.mtime, 32)
        return m
