"""The ``sifive,test0`` finisher: software ends a simulation by writing to it."""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..bus import BusSignature
from .regmap import Field, Register, RegisterMap

__all__ = ["Finisher", "FINISHER_REGS", "FINISHER_PASS", "FINISHER_FAIL"]

FINISHER_PASS = 0x5555
FINISHER_FAIL = 0x3333

FINISHER_REGS = RegisterMap("FINISHER", "Test finisher (sifive,test0)", (
    Register("CTRL", 0x0, 4, "w", "Write 0x5555 to pass, (code << 16) | 0x3333 to fail.", (
        Field("STATUS", 0, 16, "0x5555 pass, 0x3333 fail"),
        Field("CODE", 16, 16, "exit code of a failure"),
    )),
))


class Finisher(wiring.Component):
    """Raises ``done`` for one cycle after software writes a pass or fail word.

    ``passed`` and ``code`` hold the last verdict. On an FPGA nothing stops; the board
    wrapper may show the verdict on a LED.
    """

    bus: In(BusSignature(10))
    done: Out(1)
    passed: Out(1)
    code: Out(16)

    def elaborate(self, platform):
        m = Module()
        bus = self.bus
        m.d.sync += bus.ack.eq(bus.cyc)
        write = Signal()
        m.d.comb += write.eq(bus.cyc & bus.we & (bus.adr == 0) & (bus.sel == 0b1111))
        status = bus.dat_w[0:16]
        verdict = write & ((status == FINISHER_PASS) | (status == FINISHER_FAIL))
        m.d.sync += self.done.eq(verdict)
        with m.If(verdict):
            m.d.sync += [
                self.passed.eq(status == FINISHER_PASS),
                self.code.eq(bus.dat_w[16:32]),
            ]
        return m
