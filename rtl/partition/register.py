"""The per-hart partition register: the hart's partition ID and a lock.

M-mode firmware writes the ID at boot and sets the lock; from then on the register keeps
its value until reset, whatever any software writes, and every bus request of the hart
carries ``pid``. The CSR file maps it at ``mpartition`` (a custom M-mode CSR).
"""

from amaranth import Cat, Const, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..bus import PID_WIDTH

__all__ = ["PartitionRegister", "LOCK_BIT"]

LOCK_BIT = 31


class PartitionRegister(wiring.Component):
    """``value`` reads as ``{lock, 0..., pid}``; ``write`` with ``wdata`` updates it unless
    locked."""

    write: In(1)
    wdata: In(32)
    value: Out(32)
    pid: Out(PID_WIDTH)
    locked: Out(1)

    def elaborate(self, platform):
        m = Module()
        with m.If(self.write & ~self.locked):
            m.d.sync += [self.pid.eq(self.wdata[0:PID_WIDTH]),
                         self.locked.eq(self.wdata[LOCK_BIT])]
        m.d.comb += self.value.eq(Cat(self.pid, Const(0, LOCK_BIT - PID_WIDTH), self.locked))
        return m
