"""Random but terminating RV32IM programs for lockstep checking.

A program sets every register to a corner value, then runs a body of random instructions:
every RV32IM opcode, corner immediates, loads and stores of every width into a scratch
window, back-to-back data dependences, forward branches and jumps (so it always ends) and
short counted loops. It ends by storing 1 to ``tohost``. The same seed gives the same
program: ``python -m zerovisor.sim.randprog --seed N --length L OUT.S`` writes it.

Register roles: x28 holds the scratch window's address, x29 counts loops, x30 and x31
are the generator's temporaries; x1-x27 are the random instructions' operands.
"""

import argparse
import random

__all__ = ["random_program"]

CORNERS = [0, 1, 2, 0xFFFFFFFF, 0xFFFFFFFE, 0x7FFFFFFF, 0x80000000, 0x80000001, 0x55555555,
           0xAAAAAAAA, 0xFFFF, 0x10000, 0xFF, 0x80, 0x7FF, 0xFFFFF800]
IMMS = [0, 1, -1, 2, 2047, -2048, 31, 0x7F, -0x80, 0x555, -0x556]
SCRATCH_WORDS = 512
POOL = list(range(1, 28))
BASE, LOOP, T0, T1 = 28, 29, 30, 31


def _r(f7, rs2, rs1, f3, rd, op):
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op


def _i(imm, rs1, f3, rd, op):
    return ((imm & 0xFFF) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op


def _s(imm, rs2, rs1, f3, op=0x23):
    imm &= 0xFFF
    return ((imm >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | op


def _b(offset, rs2, rs1, f3):
    o = offset & 0x1FFF
    return (((o >> 12) & 1) << 31) | (((o >> 5) & 0x3F) << 25) | (rs2 << 20) | (rs1 << 15) | \
        (f3 << 12) | (((o >> 1) & 0xF) << 8) | (((o >> 11) & 1) << 7) | 0x63


def _j(offset, rd):
    o = offset & 0x1FFFFF
    return (((o >> 20) & 1) << 31) | (((o >> 1) & 0x3FF) << 21) | (((o >> 11) & 1) << 20) | \
        (((o >> 12) & 0xFF) << 12) | (rd << 7) | 0x6F


def _li(rd, value):
    """``lui`` + ``addi`` for any 32-bit value."""
    value &= 0xFFFFFFFF
    lo = value & 0xFFF
    lo = lo - 0x1000 if lo >= 0x800 else lo
    hi = ((value - lo) >> 12) & 0xFFFFF
    return [(hi << 12) | (rd << 7) | 0x37, _i(lo, rd, 0, rd, 0x13)]


class _Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.recent = []

    def src(self):
        # prefer registers written just before: back-to-back dependences
        if self.recent and self.rng.random() < 0.5:
            return self.rng.choice(self.recent[-3:])
        return self.rng.choice(POOL + [0])

    def dst(self):
        rd = self.rng.choice(POOL + [0] if self.rng.random() < 0.05 else POOL)
        self.recent.append(rd)
        return rd

    def imm(self):
        return self.rng.choice(IMMS) if self.rng.random() < 0.6 else self.rng.randint(-2048,
                                                                                     2047)

    def straight(self):
        """One instruction that does not change control flow."""
        r = self.rng
        kind = r.choices(["op", "opimm", "shift", "m", "lui", "auipc", "load", "store"],
                         [20, 15, 8, 12, 4, 3, 10, 8])[0]
        if kind == "op":
            f3 = r.randrange(8)
            f7 = 0x20 if f3 in (0, 5) and r.random() < 0.4 else 0
            rs1, rs2 = self.src(), self.src()
            return _r(f7, rs2, rs1, f3, self.dst(), 0x33)
        if kind == "opimm":
            f3 = r.choice([0, 2, 3, 4, 6, 7])
            rs1 = self.src()
            return _i(self.imm(), rs1, f3, self.dst(), 0x13)
        if kind == "shift":
            f3, f7 = r.choice([(1, 0), (5, 0), (5, 0x20)])
            shamt = r.choice([0, 1, 31, r.randrange(32)])
            rs1 = self.src()
            return _i((f7 << 5) | shamt, rs1, f3, self.dst(), 0x13)
        if kind == "m":
            rs1, rs2 = self.src(), self.src()
            return _r(1, rs2, rs1, r.randrange(8), self.dst(), 0x33)
        if kind in ("lui", "auipc"):
            imm = r.choice([0, 1, 0x80000, 0xFFFFF, r.randrange(1 << 20)])
            return (imm << 12) | (self.dst() << 7) | (0x37 if kind == "lui" else 0x17)
        width = r.choice([0, 1, 2])
        offset = r.randrange(0, SCRATCH_WORDS * 4 - 4) & ~((1 << width) - 1)
        if kind == "load":
            f3 = width | (4 if width < 2 and r.random() < 0.5 else 0)
            return _i(offset, BASE, f3, self.dst(), 0x03)
        return _s(offset, self.src(), BASE, width)

    def body(self, length):
        out = []
        while len(out) < length:
            r = self.rng.random()
            if r < 0.12:     # forward branch over 0-3 instructions
                skip = self.rng.randrange(4)
                f3 = self.rng.choice([0, 1, 4, 5, 6, 7])
                rs1, rs2 = self.src(), self.src()
                out.append(_b(4 * (skip + 1), rs2, rs1, f3))
                out += [self.straight() for _ in range(skip)]
            elif r < 0.15:   # jal forward, linking
                skip = self.rng.randrange(3)
                out.append(_j(4 * (skip + 1), self.dst()))
                out += [self.straight() for _ in range(skip)]
            elif r < 0.17:   # auipc + jalr forward
                skip = self.rng.randrange(3)
                out.append(0x17 | (T0 << 7))
                out.append(_i(4 * (skip + 2) + self.rng.choice([0, 1]), T0, 0, self.dst(),
                              0x67))
                out += [self.straight() for _ in range(skip)]
            elif r < 0.19:   # a counted loop around a few instructions
                count = self.rng.randint(1, 5)
                inner = [self.straight() for _ in range(self.rng.randint(1, 6))]
                out += _li(LOOP, count)[1:] if count < 2048 else _li(LOOP, count)
                out[-1] = _i(count, 0, 0, LOOP, 0x13)
                out += inner
                out.append(_i(-1, LOOP, 0, LOOP, 0x13))
                out.append(_b(-4 * (len(inner) + 1), 0, LOOP, 1))
            else:
                out.append(self.straight())
        return out


def random_program(seed, length=10_000):
    """Assembly text of a random program of about ``length`` body instructions."""
    gen = _Gen(seed)
    words = []
    for reg in POOL + [LOOP, T0, T1]:
        words += _li(reg, gen.rng.choice(CORNERS) if gen.rng.random() < 0.7 else
                     gen.rng.getrandbits(32))
    words += gen.body(length)
    lines = [
        f"/* random RV32IM program: seed {seed}, {length} instructions */",
        "    .section .text.init",
        "    .globl _start",
        "_start:",
        "    la x28, scratch",
        *(f"    .word 0x{w:08x}" for w in words),
        "    li x30, 1",
        "    la x31, tohost",
        "    sw x30, 0(x31)",
        "1:  j 1b",
        "    .data",
        "    .balign 64",
        "scratch:",
        *(f"    .word 0x{random.Random(seed + i).getrandbits(32):08x}"
          for i in range(SCRATCH_WORDS)),
        "    .section .tohost, \"aw\"",
        "    .globl tohost",
        "    .balign 64",
        "tohost: .word 0, 0",
        "",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description="Write a random RV32IM test program.")
    parser.add_argument("output", help="assembly file to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--length", type=int, default=10_000)
    args = parser.parse_args()
    with open(args.output, "w") as f:
        f.write(random_program(args.seed, args.length))


if __name__ == "__main__":
    main()
