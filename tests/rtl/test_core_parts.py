# amaranth: UnusedElaboratable=no
"""Pieces of the core's logic checked on their own (amaranth.sim)."""

import random

import pytest
from amaranth import Cat, Module, Signal
from amaranth.sim import Simulator

from zerovisor.rtl.cpu.alu import ALU, compare
from zerovisor.rtl.cpu.core import Core, crosses_page, sum_equals
from zerovisor.rtl.cpu.pma import Pma, pma_routes_io
from zerovisor.rtl.memmap import memory_map
from zerovisor.rtl.soc import pma_regions


def test_a_page_crossing_is_told_from_the_low_carry_and_the_offsets_upper_bits():
    """Against the sum's page compared with the pc's, for offsets of every size a JAL or
    a branch has, both signs, and pcs at and near page edges."""
    m = Module()
    pc, offset = Signal(32), Signal(32)
    far = Signal()
    m.d.comb += far.eq(crosses_page(m, pc, offset))
    rng = random.Random(1)
    edges = [0, 4, 0xFFC, 0x1000, 0x7FFF_FFFC, 0xFFFF_F000, 0xFFFF_FFFC]
    cases = [(p, o) for p in edges for o in (0, 4, -4, 0xFFC, -0x1000, 0x1000, -0x1004)]
    for _ in range(3000):
        bits = rng.choice((12, 13, 21))      # I-, B- and J-type offsets' widths
        o = rng.randrange(-(1 << (bits - 1)), 1 << (bits - 1)) & ~1
        p = rng.choice((rng.randrange(1 << 32), rng.choice(edges))) & ~3
        cases.append((p, o))

    async def body(ctx):
        for p, o in cases:
            ctx.set(pc, p)
            ctx.set(offset, o & 0xFFFF_FFFF)
            expected = ((p + o) & 0xFFFF_FFFF) >> 12 != p >> 12
            assert ctx.get(far) == expected, (hex(p), o)

    sim = Simulator(m)
    sim.add_testbench(body)
    sim.run()


def test_the_comparisons_in_two_halves_agree_with_whole_words():
    """eq, lt and ltu, built from 16-bit halves (a branch's comparator; the ALU's lt and
    ltu), against Python's comparisons: random words, words whose upper halves are equal,
    and the signed and unsigned extremes."""
    alu = ALU()
    m = Module()
    m.submodules.alu = alu
    eq, lt, ltu = Signal(), Signal(), Signal()
    m.d.comb += Cat(eq, lt, ltu).eq(Cat(*compare(alu.a, alu.b)))
    rng = random.Random(2)
    extremes = [0, 1, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0x8000_0000,
                0xFFFF_FFFF, 0x8000_FFFF, 0x7FFF_0000]
    cases = [(a, b) for a in extremes for b in extremes]
    for _ in range(2000):
        a = rng.randrange(1 << 32)
        b = rng.choice((rng.randrange(1 << 32), (a & 0xFFFF_0000) | rng.randrange(1 << 16)))
        cases.append((a, b))

    def signed(v):
        return v - (1 << 32) if v >> 31 else v

    async def body(ctx):
        for a, b in cases:
            ctx.set(alu.a, a)
            ctx.set(alu.b, b)
            want = (a == b, signed(a) < signed(b), a < b)
            assert (ctx.get(eq), ctx.get(lt), ctx.get(ltu)) == want, (hex(a), hex(b))
            assert (ctx.get(alu.lt), ctx.get(alu.ltu)) == want[1:], (hex(a), hex(b))

    sim = Simulator(m)
    sim.add_testbench(body)
    sim.run()


def test_a_core_registers_its_windows_only_with_late_memory_accesses():
    # (the hits are registered with a late_mem request; a core without them has none)
    windows = {"dbus": [(0x8000_0000, 0x1000)], "iobus": [(0x1000_0000, 0x1000)]}
    with pytest.raises(ValueError, match="windows .* needs late_mem"):
        Core(windows=windows)
    core = Core(windows=windows, late_mem=True)
    assert len(core.dbus_hit) == 1 and len(core.iobus_hit) == 1


@pytest.mark.parametrize("uarts,ram", [(1, 64 << 10), (4, 512 << 10), (2, 1 << 30)])
def test_the_bus_an_access_takes_is_the_regions_own_at_every_allowed_address(uarts, ram):
    """pma_routes_io decides the bus from wider blocks than the regions: for addresses at
    the edges of every region of the SoC's map, and inside them, it answers what the
    region's own attribute says (devices: the I/O bus; ROM and RAM: the data bus)."""
    regions = pma_regions(memory_map(ram_size=ram, uarts=uarts))
    rng = random.Random(3)
    cases = []
    for r in regions:
        cases += [(a, r.io) for a in (r.base, r.base + r.size - 4, r.base + r.size // 2)]
        cases += [(r.base + rng.randrange(r.size) // 4 * 4, r.io) for _ in range(50)]
    check_routes(regions, cases)


def test_a_memory_region_next_to_a_device_is_widened_only_up_to_it():
    """A memory page beside a device page: the memory's block takes in the page below it
    (allowed by nothing) and stops short of the device."""
    regions = [Pma(0x1000, 0x1000, execute=True), Pma(0x2000, 0x1000, io=True)]
    check_routes(regions, ((0x1000, 0), (0x1FFC, 0), (0x2000, 1), (0x2FFC, 1), (0x0, 0)))


def check_routes(regions, cases):
    """pma_routes_io's answer for each ``(address, I/O or not)`` of ``cases``."""
    addr = Signal(32)
    io = Signal()
    m = Module()
    m.d.comb += io.eq(pma_routes_io(addr, regions))

    async def body(ctx):
        for a, expected in cases:
            ctx.set(addr, a)
            assert ctx.get(io) == expected, hex(a)

    sim = Simulator(m)
    sim.add_testbench(body)
    sim.run()


def test_a_sum_is_compared_without_adding_as_the_sum_itself_would_be():
    """sum_equals against Python's sum: random words and small offsets, with the word
    compared equal to the sum (the case that matters), one bit off it, and random."""
    m = Module()
    a, b = Signal(32), Signal(32)
    c = Signal(30)
    same = Signal()
    m.d.comb += same.eq(sum_equals(m, a, b, c, 2))
    rng = random.Random(4)
    cases = []
    for _ in range(3000):
        x = rng.choice((rng.randrange(1 << 32), 0xFFFF_FFFC, 0x7FFF_FFFF, 0))
        y = rng.choice((rng.randrange(1 << 32), rng.randrange(-2048, 2048) & 0xFFFF_FFFF))
        s = ((x + y) & 0xFFFF_FFFF) >> 2
        cases += [(x, y, s), (x, y, s ^ (1 << rng.randrange(30))), (x, y, rng.randrange(1 << 30))]

    async def body(ctx):
        for x, y, z in cases:
            ctx.set(a, x)
            ctx.set(b, y)
            ctx.set(c, z)
            assert ctx.get(same) == (((x + y) & 0xFFFF_FFFF) >> 2 == z), (hex(x), hex(y), hex(z))

    sim = Simulator(m)
    sim.add_testbench(body)
    sim.run()
