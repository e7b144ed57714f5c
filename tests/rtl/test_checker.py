# amaranth: UnusedElaboratable=no
"""The partition checker in simulation: what passes before and after the lock, what a
refused access leaves behind (nothing at the target, a log entry, an interrupt)."""

import pytest
from amaranth.sim import Simulator

from zerovisor.rtl.partition.checker import CHECKER_REGS, ENTRY_BASE, Checker, Kind
from zerovisor.sim.bus_helpers import BusError, bus_read, bus_write

BASE = 0x8000_0000


def cfg_write(ctx, dut, reg, value, index=None):
    offset = CHECKER_REGS.offset(reg) if index is None else ENTRY_BASE + 16 * index + \
        {"BASE": 0, "MASK": 4, "PERM": 8}[reg]
    return bus_write(ctx, dut.cfg, offset, value)


def cfg_read(ctx, dut, reg):
    return bus_read(ctx, dut.cfg, CHECKER_REGS.offset(reg))


def run(testbench, registered=False):
    dut = Checker(addr_width=12, base=BASE, entries=2, registered=registered)
    reached = []

    async def target(ctx):
        # a one-word memory behind the checker: answers every request next cycle
        async for _, _, cyc, we, adr, dat_w, pid in ctx.tick().sample(
                dut.sub.cyc, dut.sub.we, dut.sub.adr, dut.sub.dat_w, dut.sub.pid):
            ctx.set(dut.sub.ack, cyc)
            ctx.set(dut.sub.dat_r, 0x600D0000 | adr)
            if cyc:
                reached.append((adr, we, dat_w, pid))

    async def tb(ctx):
        await testbench(ctx, dut, reached)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.add_process(target)
    sim.run()


def as_partition(ctx, dut, pid, fetch=0):
    ctx.set(dut.bus.pid, pid)
    ctx.set(dut.bus.fetch, fetch)


@pytest.mark.parametrize("registered", [False, True])
def test_unlocked_checker_lets_everything_through(registered):
    async def tb(ctx, dut, reached):
        as_partition(ctx, dut, 5)
        await bus_write(ctx, dut.bus, 0x40, 7)
        assert await bus_read(ctx, dut.bus, 0x44) == 0x600D0011
        assert [r[0] for r in reached] == [0x10, 0x11]
        assert ctx.get(dut.irq) == 0
    run(tb, registered)


@pytest.mark.parametrize("registered", [False, True])
def test_locked_checker_enforces_partitions_and_logs_violations(registered):
    async def tb(ctx, dut, reached):
        # entry 0: first 4 KiB, partition 1 may read and write
        await cfg_write(ctx, dut, "BASE", BASE, index=0)
        await cfg_write(ctx, dut, "MASK", 0xFFFF_F000, index=0)
        await cfg_write(ctx, dut, "PERM", 0b011 | (1 << 1) << 8, index=0)
        # entry 1: second 4 KiB, partition 2 may only execute
        await cfg_write(ctx, dut, "BASE", BASE + 0x1000, index=1)
        await cfg_write(ctx, dut, "MASK", 0xFFFF_F000, index=1)
        await cfg_write(ctx, dut, "PERM", 0b100 | (1 << 2) << 8, index=1)
        await cfg_write(ctx, dut, "CTRL", 1)
        assert await cfg_read(ctx, dut, "CTRL") == 1
        reached.clear()

        as_partition(ctx, dut, 1)
        await bus_write(ctx, dut.bus, 0x10, 0xAB)               # allowed
        assert await bus_read(ctx, dut.bus, 0x10) == 0x600D0004
        as_partition(ctx, dut, 2)
        with pytest.raises(BusError):
            await bus_write(ctx, dut.bus, 0x20, 0xEE)           # wrong partition
        with pytest.raises(BusError):
            await bus_read(ctx, dut.bus, 0x1004)                # execute-only for 2
        as_partition(ctx, dut, 2, fetch=1)
        assert await bus_read(ctx, dut.bus, 0x1004) == 0x600D0401
        as_partition(ctx, dut, 1, fetch=1)
        with pytest.raises(BusError):
            await bus_read(ctx, dut.bus, 0x1008)                # partition 1 may not run it
        # only the allowed accesses reached the target
        assert reached == [(0x4, 1, 0xAB, 1), (0x4, 0, 0, 1), (0x401, 0, 0, 2)]
        async def log():
            info = await cfg_read(ctx, dut, "VINFO")
            return (await cfg_read(ctx, dut, "VCOUNT"), await cfg_read(ctx, dut, "VADDR"),
                    info & 7, (info >> 8) & 3, ctx.get(dut.irq))

        assert await log() == (3, BASE + 0x20, 2, Kind.WRITE, 1)
        await cfg_write(ctx, dut, "VACK", 1)
        assert ctx.get(dut.irq) == 0
        # acknowledged: the next violation is logged afresh, the count goes on
        as_partition(ctx, dut, 1, fetch=1)
        with pytest.raises(BusError):
            await bus_read(ctx, dut.bus, 0x100C)
        assert await log() == (4, BASE + 0x100C, 1, Kind.FETCH, 1)
        await cfg_write(ctx, dut, "VACK", 1)

        # the lock holds: entries and lock ignore writes
        await cfg_write(ctx, dut, "PERM", 0b111 | 0xFF << 8, index=0)
        await cfg_write(ctx, dut, "CTRL", 0)
        assert await cfg_read(ctx, dut, "CTRL") == 1
        assert await bus_read(ctx, dut.cfg, ENTRY_BASE + 8) == 0b011 | (1 << 1) << 8
        as_partition(ctx, dut, 3)
        with pytest.raises(BusError):
            await bus_read(ctx, dut.bus, 0x0)
    run(tb, registered)


def test_checker_arguments_are_checked():
    with pytest.raises(ValueError, match="entries must be 1 to 16, not 0"):
        Checker(addr_width=10, entries=0)
    with pytest.raises(ValueError, match="base 0x800 is not aligned"):
        Checker(addr_width=10, base=0x800)


def test_entries_read_back_and_a_reset_clears_them():
    """Entries read back from a copy beside the flip-flops that enforce them: what was
    written (PERM only its defined bits), zero for a word never written and for the hole
    after PERM, and zero again after a reset, as the enforced table is."""
    from amaranth import Module, ResetInserter, Signal

    dut = Checker(addr_width=12, base=BASE, entries=4)
    rst = Signal()
    top = Module()
    top.submodules.dut = ResetInserter(rst)(dut)

    def at(index, word):
        return ENTRY_BASE + 16 * index + 4 * word

    async def tb(ctx):
        await bus_write(ctx, dut.cfg, at(2, 0), BASE + 0x100)
        await bus_write(ctx, dut.cfg, at(2, 1), 0xFFFF_FF00)
        await bus_write(ctx, dut.cfg, at(2, 2), 0xFFFF_FFFF)
        await bus_write(ctx, dut.cfg, at(2, 3), 0x1234)
        await bus_write(ctx, dut.cfg, at(3, 0), 0xDEAD_BEEC)
        assert [await bus_read(ctx, dut.cfg, at(2, w)) for w in range(4)] == \
            [BASE + 0x100, 0xFFFF_FF00, 0xFF07, 0]
        assert await bus_read(ctx, dut.cfg, at(3, 0)) == 0xDEAD_BEEC
        assert await bus_read(ctx, dut.cfg, at(3, 1)) == 0      # never written
        assert await bus_read(ctx, dut.cfg, at(0, 0)) == 0
        assert ctx.get(dut.table[2].base) == BASE + 0x100
        ctx.set(rst, 1)
        await ctx.tick()
        ctx.set(rst, 0)
        assert ctx.get(dut.table[2].base) == 0
        assert [await bus_read(ctx, dut.cfg, at(2, w)) for w in range(3)] == [0, 0, 0]
        assert await bus_read(ctx, dut.cfg, CHECKER_REGS.offset("CTRL")) == 0

    sim = Simulator(top)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()


@pytest.mark.parametrize("registered", [False, True])
def test_an_aborted_access_reaches_nothing_and_is_not_logged(registered):
    """A request its initiator withdraws (``abort``) is nobody's: the target does not see
    it, nothing answers, and a locked checker does not log it as a violation."""
    async def tb(ctx, dut, reached):
        await cfg_write(ctx, dut, "CTRL", 1)            # locked, no entries: all refused
        reached.clear()
        for we in (0, 1):
            ctx.set(dut.bus.abort, 1)
            ctx.set(dut.bus.cyc, 1)
            ctx.set(dut.bus.we, we)
            await ctx.tick()
            ctx.set(dut.bus.cyc, 0)
            ctx.set(dut.bus.abort, 0)
            assert not ctx.get(dut.bus.ack) and not ctx.get(dut.bus.err)
        assert reached == [] and ctx.get(dut.irq) == 0
        assert await cfg_read(ctx, dut, "VCOUNT") == 0
        with pytest.raises(BusError):                     # the same request, not aborted
            await bus_read(ctx, dut.bus, 0x0)
        assert await cfg_read(ctx, dut, "VCOUNT") == 1
    run(tb, registered)


def test_a_configuration_request_right_after_a_write_waits_and_reads_the_written_value():
    """A write is made a cycle after it is taken: a request in that cycle is stalled and,
    asked again, answered with what the write left (back to back, as two harts behind an
    arbiter that does not register its requests could ask)."""
    async def tb(ctx, dut, reached):
        offset = ENTRY_BASE + 4                       # entry 0's MASK
        ctx.set(dut.cfg.cyc, 1)
        ctx.set(dut.cfg.we, 1)
        ctx.set(dut.cfg.sel, 0b1111)
        ctx.set(dut.cfg.adr, offset >> 2)
        ctx.set(dut.cfg.dat_w, 0xFFFF_F000)
        assert not ctx.get(dut.cfg.stall)
        await ctx.tick()
        ctx.set(dut.cfg.we, 0)                        # the read, in the very next cycle
        assert ctx.get(dut.cfg.stall)
        await ctx.tick()
        assert not ctx.get(dut.cfg.ack)               # (stalled: no answer)
        assert not ctx.get(dut.cfg.stall)
        await ctx.tick()
        ctx.set(dut.cfg.cyc, 0)
        assert ctx.get(dut.cfg.ack)
        assert ctx.get(dut.cfg.dat_r) == 0xFFFF_F000
        assert ctx.get(dut.table[0].mask) == 0xFFFF_F000
    run(tb)


def test_a_registered_checker_decides_again_after_a_configuration_write():
    """A registered checker holds a request with its decision while the target stalls;
    an entry rewritten and the lock set meanwhile make it decide again, so the request
    the entry allowed when it came is refused, not passed on with the old decision."""
    dut = Checker(addr_width=12, base=BASE, entries=2, registered=True)
    taken = []

    async def target(ctx):
        async for _, _, cyc, stall, adr in ctx.tick().sample(dut.sub.cyc, dut.sub.stall,
                                                              dut.sub.adr):
            ctx.set(dut.sub.ack, cyc and not stall)
            if cyc and not stall:
                taken.append(adr)

    async def tb(ctx):
        await cfg_write(ctx, dut, "BASE", BASE, index=0)
        await cfg_write(ctx, dut, "MASK", 0xFFFF_F000, index=0)
        await cfg_write(ctx, dut, "PERM", 0b001 | (1 << 1) << 8, index=0)
        ctx.set(dut.sub.stall, 1)
        as_partition(ctx, dut, 1)
        ctx.set(dut.bus.cyc, 1)
        ctx.set(dut.bus.adr, 0x10 >> 2)
        assert ctx.get(dut.bus.stall)                 # the deciding cycle
        await ctx.tick()
        assert ctx.get(dut.sub.cyc)                   # passed on; the target stalls
        await cfg_write(ctx, dut, "PERM", 0, index=0)
        await cfg_write(ctx, dut, "CTRL", 1)
        ctx.set(dut.sub.stall, 0)
        for _ in range(8):
            stalled = ctx.get(dut.bus.stall)
            await ctx.tick()
            if not stalled:
                break
        ctx.set(dut.bus.cyc, 0)
        assert ctx.get(dut.bus.err) and not ctx.get(dut.bus.ack)
        await ctx.tick()                              # (logged as the error is answered)
        assert taken == []
        assert await cfg_read(ctx, dut, "VCOUNT") == 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.add_process(target)
    sim.run()
