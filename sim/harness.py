"""The simulation top: the SoC plus the counters and stop conditions that the runner
watches, so that Python wakes only on events and never toggles the clock itself."""

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..rtl.soc import SoC

__all__ = ["SimHarness", "StopReason", "BEAT_BIT", "RETIRE_FIELDS", "unpack_retire"]

# The retire record as one wide word, least significant field first: Python reads it with a
# single VPI access per retired instruction.
RETIRE_FIELDS = (
    ("insn", 32), ("pc_rdata", 32), ("pc_wdata", 32), ("rd_addr", 5), ("rd_wdata", 32),
    ("mem_addr", 32), ("mem_rmask", 4), ("mem_wmask", 4), ("mem_rdata", 32),
    ("mem_wdata", 32), ("trap", 1), ("intr", 1), ("mode", 2),
)
RETIRE_WIDTH = sum(w for _, w in RETIRE_FIELDS)


def unpack_retire(word):
    """The retire record packed by the harness, as a dict."""
    record = {}
    for name, width in RETIRE_FIELDS:
        record[name] = word & ((1 << width) - 1)
        word >>= width
    return record

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
    retire_valid: Out(1)
    retire_word: Out(RETIRE_WIDTH)
    wake: Out(1)
    hart_state: Out(32)      # 4 bits a hart (Core.state), sampled for timelines

    def __init__(self, **soc_args):
        self._soc_args = soc_args
        self._stopped_seen = Signal()
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
            self.hart_state.eq(soc.hart_state),
            self.retire_valid.eq(rvfi.valid),
            self.retire_word.eq(Cat(getattr(rvfi, name) for name, _ in RETIRE_FIELDS)),
            tohost_hit.eq(self.tohost_en & rvfi.valid & (rvfi.mem_wmask != 0)
                          & (rvfi.mem_addr == self.tohost_addr) & (rvfi.mem_wdata != 0)),
        ]
        # ``wake`` changes value in every cycle with a retirement, a UART byte or the stop:
        # a runner that must see each of them waits for its changes, not for every clock.
        event = Signal()
        wake_state = Signal()
        m.d.comb += [
            event.eq(rvfi.valid | soc.uart_tx_strobe | (self.stopped & ~self._stopped_seen)),
            self.wake.eq(wake_state ^ event),
        ]
        m.d.sync += [wake_state.eq(self.wake), self._stopped_seen.eq(self.stopped)]
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
