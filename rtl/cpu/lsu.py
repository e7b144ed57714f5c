"""The byte-lane arithmetic of loads and stores on a 32-bit bus: which lanes an access of
a size uses, where its data sits, and how a load's value is extended."""

from amaranth import Cat, Const, Mux
from amaranth.lib import data

__all__ = ["store_lanes", "LoadPick", "load_pick", "load_result"]


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


# Where each byte of a load's register value comes from, one-hot, worked out from the
# instruction and its address as it enters W, so that in W the bus's answer (a block RAM's
# output, the latest signal of the cycle) passes through a flat AND-OR of a few terms
# instead of a shifter and a chain of multiplexers over funct3 (on a board, the load
# path from the block RAM to the register W's result is written to).
LoadPick = data.StructLayout({
    "low": 4,       # bits 0-7 from the word's byte lane k (k = the datum's lowest byte)
    "mid": 2,       # bits 8-15 from lane 1 (a word, a half at 0), lane 3 (a half at 2)
    "top": 1,       # bits 16-31 from lanes 2 and 3 (a word)
    "sign": 4,      # bits 16-31 extend bit 7 of lane k (a signed byte or half)
    "mid_sign": 4,  # bits 8-15 extend bit 7 of lane k (a signed byte)
})


def load_pick(load, f3, addr):
    """The :data:`LoadPick` of an instruction (all zero unless ``load``: a load of
    funct3 ``f3`` at ``addr``)."""
    size = f3[0:2]                  # 0 byte, 1 half, 2 word
    signed = ~f3[2]
    lowest = Mux(size == 0, addr[0:2], Mux(size == 1, Cat(Const(0, 1), addr[1]), 0))
    highest = Mux(size == 0, addr[0:2], Cat(Const(1, 1), addr[1]))   # of a byte or half
    word, half = size == 2, size == 1
    return {
        "low": Mux(load, Const(1, 4) << lowest, 0),
        "mid": Mux(load, Cat(word | (half & ~addr[1]), half & addr[1]), 0),
        "top": load & word,
        "sign": Mux(load & signed & ~word, Const(1, 4) << highest, 0),
        "mid_sign": Mux(load & signed & (size == 0), Const(1, 4) << addr[0:2], 0),
    }


def load_result(load, pick, word, computed):
    """The register value of W's instruction: if ``load``, its load's, extended as
    ``pick`` (a :data:`LoadPick`) says, from the bus ``word``, else ``computed``."""
    def lane(k):
        return word[8 * k:8 * k + 8]

    def keep(bit, value):
        return value & bit.replicate(len(value))

    def extension(signs):
        return Cat(signs[k] & word[8 * k + 7] for k in range(4)).any()

    fill, mid_fill = extension(pick.sign), extension(pick.mid_sign)
    return Cat(
        keep(pick.low[0], lane(0)) | keep(pick.low[1], lane(1)) | keep(pick.low[2], lane(2))
        | keep(pick.low[3], lane(3)) | keep(~load, computed[0:8]),
        keep(pick.mid[0], lane(1)) | keep(pick.mid[1], lane(3)) | mid_fill.replicate(8)
        | keep(~load, computed[8:16]),
        keep(pick.top, word[16:32]) | fill.replicate(16) | keep(~load, computed[16:32]),
    )
