# amaranth: UnusedElaboratable=no
"""Random bus traffic against random checker configurations (hypothesis), compared with a
Python model of the permission table: what reaches the target, what is refused with
``err``, and the violation log (count, first address, who and how).

The default run tries a bounded number of configurations; ``pytest -m slow`` many more."""

import pytest
from amaranth.sim import Simulator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zerovisor.rtl.partition.checker import CHECKER_REGS, ENTRY_BASE, Checker, Kind
from zerovisor.sim.bus_helpers import BusError, bus_read, bus_write

BASE = 0x8000_0000
ADDR_WIDTH = 10            # a 4 KiB window: random addresses often land in entries
WINDOW = 4 << ADDR_WIDTH
ENTRIES = 4


@st.composite
def entries(draw):
    """Up to ENTRIES aligned power-of-two regions of the window, random permissions."""
    out = []
    for _ in range(draw(st.integers(0, ENTRIES))):
        size = 1 << draw(st.integers(2, 12))
        base = BASE + draw(st.integers(0, WINDOW // size - 1)) * size
        out.append((base, ~(size - 1) & 0xFFFF_FFFF, draw(st.integers(0, 7)),
                    draw(st.integers(0, 255))))
    return out


accesses = st.lists(st.tuples(
    st.integers(0, WINDOW // 4 - 1),                   # word in the window
    st.sampled_from([Kind.READ, Kind.WRITE, Kind.FETCH]),
    st.integers(0, 7),                                 # partition
    st.integers(0, 7),                                 # hart
), min_size=1, max_size=24)


def allowed(table, addr, kind, pid):
    """The model: some entry covers the address, grants the kind and names the partition."""
    need = {Kind.READ: 1, Kind.WRITE: 2, Kind.FETCH: 4}[kind]
    return any((addr & mask) == base and perm & need and parts >> pid & 1
               for base, mask, perm, parts in table)


def simulate(table, traffic, lock, registered=False):
    dut = Checker(addr_width=ADDR_WIDTH, base=BASE, entries=ENTRIES, registered=registered)
    reached, outcome, log = [], [], {}

    async def target(ctx):
        async for _, _, cyc, adr, pid in ctx.tick().sample(dut.sub.cyc, dut.sub.adr,
                                                            dut.sub.pid):
            ctx.set(dut.sub.ack, cyc)
            if cyc:
                reached.append((adr, pid))

    async def tb(ctx):
        for i, (base, mask, perm, parts) in enumerate(table):
            at = ENTRY_BASE + 16 * i
            await bus_write(ctx, dut.cfg, at, base)
            await bus_write(ctx, dut.cfg, at + 4, mask)
            await bus_write(ctx, dut.cfg, at + 8, perm | parts << 8)
        if lock:
            await bus_write(ctx, dut.cfg, CHECKER_REGS.offset("CTRL"), 1)
        for word, kind, pid, hart in traffic:
            ctx.set(dut.bus.pid, pid)
            ctx.set(dut.bus.hart, hart)
            ctx.set(dut.bus.fetch, kind == Kind.FETCH)
            try:
                if kind == Kind.WRITE:
                    await bus_write(ctx, dut.bus, 4 * word, 0x1234)
                else:
                    await bus_read(ctx, dut.bus, 4 * word)
                outcome.append(True)
            except BusError:
                outcome.append(False)
        for reg in ("VCOUNT", "VADDR", "VINFO"):
            log[reg] = await bus_read(ctx, dut.cfg, CHECKER_REGS.offset(reg))
        log["irq"] = ctx.get(dut.irq)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.add_process(target)
    sim.run()
    return reached, outcome, log


def check(table, traffic, lock, registered=False):
    reached, outcome, log = simulate(table, traffic, lock, registered)
    expect = [not lock or allowed(table, BASE + 4 * w, k, p) for w, k, p, _ in traffic]
    assert outcome == expect
    # the target sees exactly the allowed accesses, in order, and nothing else
    assert reached == [(w, p) for (w, _, p, _), ok in zip(traffic, expect) if ok]
    refused = [(w, k, p, h) for (w, k, p, h), ok in zip(traffic, expect) if not ok]
    assert log["VCOUNT"] == len(refused)
    assert log["irq"] == bool(refused)
    if refused:
        w, k, p, h = refused[0]
        assert log["VADDR"] == BASE + 4 * w
        assert log["VINFO"] == p | h << 4 | k << 8


SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=25, **SETTINGS)
@given(entries(), accesses, st.booleans(), st.booleans())
def test_checker_matches_the_permission_model(table, traffic, lock, registered):
    check(table, traffic, lock, registered)


@pytest.mark.slow
@settings(max_examples=1000, **SETTINGS)
@given(entries(), accesses, st.booleans(), st.booleans())
def test_checker_matches_the_permission_model_long(table, traffic, lock, registered):
    check(table, traffic, lock, registered)
