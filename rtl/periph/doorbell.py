"""Doorbells: one page per partition, to ring it, and one to acknowledge.

Writing anything to partition ``p``'s ring page (``RING + 0x1000 * p``) sets its doorbell;
writing its ack page (``ACK + 0x1000 * p``) clears it; either page reads back whether it is
set. Doorbell ``p`` is PLIC source ``IRQ_DOORBELL0 + p``, which the boot firmware enables
for the harts of partition ``p`` only. Who may ring whom is not decided here: the
doorbells' checker holds one entry per page that anyone may use (the ring pages of a
partition's channel peers, its own ack page).
"""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..bus import BusSignature
from .regmap import Register, RegisterMap

__all__ = ["Doorbells", "DOORBELL_REGS", "DOORBELLS"]

DOORBELLS = 8          # one per partition ID

DOORBELL_REGS = RegisterMap("DOORBELL", "Doorbells: one ring page and one ack page per "
                            "partition", (
    Register("RING", 0x0000, 4, "rw", "Write: ring partition p's doorbell. Read: it is set.",
             count=DOORBELLS, stride=0x1000),
    Register("ACK", 0x8000, 4, "rw", "Write: clear partition p's doorbell. Read: it is set.",
             count=DOORBELLS, stride=0x1000),
))


class Doorbells(wiring.Component):
    bus: In(BusSignature(14))
    irq: Out(DOORBELLS)

    def elaborate(self, platform):
        m = Module()
        bus = self.bus
        pending = self.irq
        page = bus.adr[10:13]           # byte address bits 14:12
        ack_half = bus.adr[13]          # byte address bit 15
        read = Signal()
        m.d.comb += read.eq(pending.bit_select(page, 1))
        m.d.sync += [bus.ack.eq(bus.cyc), bus.dat_r.eq(read)]
        with m.If(bus.cyc & bus.we):
            for p in range(DOORBELLS):
                with m.If(page == p):
                    m.d.sync += pending[p].eq(~ack_half)
        return m
