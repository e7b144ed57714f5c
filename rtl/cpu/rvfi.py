"""The retire-trace port: one record per retired (or trapped) instruction, RVFI-style."""

from amaranth.lib import wiring
from amaranth.lib.wiring import Out

from .isa import Priv

__all__ = ["RVFISignature"]


class RVFISignature(wiring.Signature):
    """Fields follow the RISC-V Formal Interface's names.

    ``valid`` marks a cycle in which one instruction retires or traps (``trap``); an
    interrupt taken before an instruction shows as ``intr`` on the first instruction of the
    handler. ``rd_addr``/``rd_wdata`` are zero when nothing is written; ``mem_*`` describe
    the data access (masks are byte lanes of the aligned word at ``mem_addr``).
    """

    def __init__(self):
        super().__init__({
            "valid": Out(1),
            "order": Out(64),
            "insn": Out(32),
            "trap": Out(1),
            "intr": Out(1),
            "mode": Out(Priv),
            "pc_rdata": Out(32),
            "pc_wdata": Out(32),
            "rs1_addr": Out(5),
            "rs2_addr": Out(5),
            "rs1_rdata": Out(32),
            "rs2_rdata": Out(32),
            "rd_addr": Out(5),
            "rd_wdata": Out(32),
            "mem_addr": Out(32),
            "mem_rmask": Out(4),
            "mem_wmask": Out(4),
            "mem_rdata": Out(32),
            "mem_wdata": Out(32),
        })
