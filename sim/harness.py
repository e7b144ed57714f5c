"""The simulation top: the SoC plus the counters and stop conditions that the runner
watches, so that Python wakes only on events and never toggles the clock itself."""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..rtl.soc import SoC

__all__ = ["SimHarness", "StopReason", "BEAT_BIT"]

BEAT_BIT = 20  # ``beat`` toggles every 2**20 cycles: progress and Ctrl-C checks


class StopReason:
    RUNNING, FINISHER, TOHOST, MAX_CYCLES = range(4)


class SimHarness(wiring.Component):
    """Wraps :class:`SoC` for Verilator.

    ``stopped`` rises once, with ``stop_reason`` and ``stop_code`` (the finisher's
    verdict word or the value stored to ``tohost``) held from then on; the SoC keeps
    running, but the runner ends the simulation when it sees the edge.
    """

    max_cycles: In(64)
    tohost_addr: In(32)
    tohost_en: In(1)
    rx_inject: In(1)
    rx_inject_data: In(8)
    uart_strobe: Out(1)
    uart_data: Out(8)
    cycles: Out(64)
    beat: Out(1)
    stopped: Out(1)
    stop_reason: Out(2)
    stop_code: Out(32)

    def __init__(self, **soc_args):
        self._soc_args = soc_args
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.submodules.soc = soc = SoC(sim=True, **self._soc_args)
        m.d.sync += self.cycles.eq(self.cycles + 1)
        rvfi = soc.rvfi
        tohost_hit = Signal()
        m.d.comb += [
            soc.uart_rx_inject.eq(self.rx_inject),
            soc.uart_rx_inject_data.eq(self.rx_inject_data),
            self.uart_strobe.eq(soc.uart_tx_strobe),
            self.uart_data.eq(soc.uart_tx_data),
            self.beat.eq(self.cycles[BEAT_BIT]),
            tohost_hit.eq(self.tohost_en & rvfi.valid & (rvfi.mem_wmask != 0)
                          & (rvfi.mem_addr == self.tohost_addr) & (rvfi.mem_wdata != 0)),
        ]
        with m.If(~self.stopped):
            with m.If(soc.finish_done):
                m.d.sync += [
                    self.stopped.eq(1), self.stop_reason.eq(StopReason.FINISHER),
                    self.stop_code.eq((soc.finish_code << 16) | soc.finish_passed),
                ]
            with m.Elif(tohost_hit):
                m.d.sync += [
                    self.stopped.eq(1), self.stop_reason.eq(StopReason.TOHOST),
                    self.stop_code.eq(rvfi.mem_wdata),
                ]
            with m.Elif(self.cycles >= self.max_cycles):
                m.d.sync += [self.stopped.eq(1), self.stop_reason.eq(StopReason.MAX_CYCLES)]
        return m
