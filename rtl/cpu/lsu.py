"""The byte-lane arithmetic of loads and stores on a 32-bit bus: which lanes an access of
a size uses, where its data sits, and how a load's value is extended."""

from amaranth import Cat, Const, Mux

from .decoder import sext
from .isa import Funct3

__all__ = ["store_lanes", "load_extend"]


def store_lanes(size, addr, data):
    """``(misaligned, lanes, lane_data)`` of an access of ``size`` (0 byte, 1 half, 2
    word) at ``addr``: whether it is misaligned, its byte lanes, and ``data`` replicated
    into every lane it may occupy."""
    misaligned = ((size == 1) & addr[0]) | ((size == 2) & (addr[0:2] != 0))
    lanes = Mux(size == 0, Const(1, 4) << addr[0:2],
                Mux(size == 1, Const(0b11, 4) << Cat(Const(0, 1), addr[1]), 0b1111))
    replicated = Mux(size == 0, data[0:8].replicate(4),
                     Mux(size == 1, data[0:16].replicate(2), data))
    return misaligned, lanes, replicated


def load_extend(f3, word, addr):
    """The register value of a load with funct3 ``f3`` at ``addr`` from the bus ``word``."""
    lane = word >> Cat(Const(0, 3), addr[0:2])
    return Mux(f3 == Funct3.LB, sext(lane[0:8]),
               Mux(f3 == Funct3.LH, sext(lane[0:16]),
                   Mux(f3 == Funct3.LBU, lane[0:8],
                       Mux(f3 == Funct3.LHU, lane[0:16], lane))))
