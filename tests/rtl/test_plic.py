# amaranth: UnusedElaboratable=no
"""Component tests of the PLIC (amaranth.sim): priorities, thresholds, per-context enables,
claim and complete, level-triggered gateways, and the guest context."""

import pytest
from amaranth.sim import Simulator

from zerovisor.rtl.periph.plic import PLIC, PLIC_REGS, context
from zerovisor.sim.bus_helpers import bus_read, bus_write

PRIORITY = PLIC_REGS.offset("PRIORITY")
PENDING = PLIC_REGS.offset("PENDING")


def enable(ctx):
    return PLIC_REGS.offset("ENABLE") + 0x80 * ctx


def threshold(ctx):
    return PLIC_REGS.offset("THRESHOLD") + 0x1000 * ctx


def claim(ctx):
    return PLIC_REGS.offset("CLAIM") + 0x1000 * ctx


def run(dut, body):
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(body)
    sim.run()


def test_context_numbers():
    assert [context(1, k) for k in ("m", "s", "guest")] == [4, 5, 6]
    with pytest.raises(ValueError, match="harts must be 1 to 8"):
        PLIC(harts=9)
    with pytest.raises(ValueError, match="sources must be IDs from 1 to 31"):
        PLIC(sources=[0, 3])


def test_sources_not_wired_read_as_zero():
    dut = PLIC(harts=1, sources=[10])

    async def body(ctx):
        await bus_write(ctx, dut.bus, PRIORITY + 4 * 3, 7)
        assert await bus_read(ctx, dut.bus, PRIORITY + 4 * 3) == 0
        await bus_write(ctx, dut.bus, PRIORITY + 4 * 10, 7)
        assert await bus_read(ctx, dut.bus, PRIORITY + 4 * 10) == 7
        await bus_write(ctx, dut.bus, enable(0), 0xffff_ffff)
        assert await bus_read(ctx, dut.bus, enable(0)) == 1 << 10
        ctx.set(dut.irq, (1 << 3) | (1 << 10))
        await ctx.tick()
        assert await bus_read(ctx, dut.bus, PENDING) == 1 << 10

    run(dut, body)


# (late: requests every other cycle, as the helpers and a registered arbiter make them)
@pytest.mark.parametrize("late", [False, True], ids=["plain", "late"])
def test_claim_takes_the_highest_priority_then_the_lowest_id_and_completes(late):
    dut = PLIC(harts=1, late=late)

    async def body(ctx):
        for src, prio in ((3, 2), (5, 6), (7, 6)):
            await bus_write(ctx, dut.bus, PRIORITY + 4 * src, prio)
        await bus_write(ctx, dut.bus, enable(0), (1 << 3) | (1 << 5) | (1 << 7))
        ctx.set(dut.irq, (1 << 3) | (1 << 5) | (1 << 7))
        await ctx.tick()
        assert await bus_read(ctx, dut.bus, PENDING) == (1 << 3) | (1 << 5) | (1 << 7)
        assert ctx.get(dut.eip) == 0b001              # context 0 only
        assert await bus_read(ctx, dut.bus, claim(0)) == 5   # priority 6, lower ID than 7
        assert await bus_read(ctx, dut.bus, claim(0)) == 7
        assert await bus_read(ctx, dut.bus, claim(0)) == 3
        assert await bus_read(ctx, dut.bus, claim(0)) == 0   # nothing left
        assert ctx.get(dut.eip) == 0
        # still high, but no new request until completion
        assert await bus_read(ctx, dut.bus, PENDING) == 0
        await bus_write(ctx, dut.bus, claim(0), 5)
        await ctx.tick()
        assert await bus_read(ctx, dut.bus, PENDING) == 1 << 5
        # a completion for a source the context does not enable is ignored
        await bus_write(ctx, dut.bus, enable(0), 1 << 5)
        await bus_write(ctx, dut.bus, claim(0), 7)
        ctx.set(dut.irq, 0)
        await ctx.tick()
        assert await bus_read(ctx, dut.bus, PENDING) == 1 << 5

    run(dut, body)


# (late: requests every other cycle, as the helpers and a registered arbiter make them)
@pytest.mark.parametrize("late", [False, True], ids=["plain", "late"])
def test_threshold_and_priority_zero_mask_and_contexts_are_separate(late):
    dut = PLIC(harts=2, late=late)

    async def body(ctx):
        await bus_write(ctx, dut.bus, PRIORITY + 4 * 10, 3)
        await bus_write(ctx, dut.bus, enable(context(1, "guest")), 1 << 10)
        await bus_write(ctx, dut.bus, threshold(context(1, "guest")), 3)
        ctx.set(dut.irq, 1 << 10)
        await ctx.tick()
        await ctx.tick()
        assert ctx.get(dut.eip) == 0                  # priority 3 is not above 3
        assert await bus_read(ctx, dut.bus, claim(context(1, "guest"))) == 0
        await bus_write(ctx, dut.bus, threshold(context(1, "guest")), 2)
        assert ctx.get(dut.eip) == 1 << context(1, "guest")
        assert await bus_read(ctx, dut.bus, threshold(context(1, "guest"))) == 2
        await bus_write(ctx, dut.bus, PRIORITY + 4 * 10, 0)   # priority 0 never interrupts
        assert ctx.get(dut.eip) == 0
        assert await bus_read(ctx, dut.bus, PRIORITY + 4 * 10) == 0
        # source 0 does not exist: its enable bit stays clear
        await bus_write(ctx, dut.bus, enable(0), 0xffff_ffff)
        assert await bus_read(ctx, dut.bus, enable(0)) == 0xffff_fffe

    run(dut, body)


def test_a_late_plic_notifies_a_cycle_after_its_candidate_changes():
    """``late`` (a board build's): ``eip`` is a register, a cycle behind the candidate,
    and so is the candidate a claim answers with."""
    dut = PLIC(harts=1, sources=[4], late=True)

    async def body(ctx):
        await bus_write(ctx, dut.bus, PRIORITY + 4 * 4, 1)
        await bus_write(ctx, dut.bus, enable(0), 1 << 4)
        ctx.set(dut.irq, 1 << 4)
        await ctx.tick()                  # pending now; the notification not yet
        assert ctx.get(dut.eip) == 0
        await ctx.tick()
        assert ctx.get(dut.eip) == 0b001
        ctx.set(dut.irq, 0)
        # the claim, by hand: taken at this edge, which registers the candidate before it
        ctx.set(dut.bus.cyc, 1)
        ctx.set(dut.bus.we, 0)
        ctx.set(dut.bus.adr, claim(0) >> 2)
        await ctx.tick()
        ctx.set(dut.bus.cyc, 0)
        assert ctx.get(dut.bus.dat_r) == 4 and ctx.get(dut.eip) == 0b001
        await ctx.tick()
        assert ctx.get(dut.eip) == 0

    run(dut, body)


def test_a_late_claim_answers_with_the_candidate_of_the_cycle_before():
    """A source that became pending in the cycle just before a late claim is not in its
    answer yet; one pending earlier is."""
    dut = PLIC(harts=1, sources=[4, 5], late=True)

    async def body(ctx):
        await bus_write(ctx, dut.bus, PRIORITY + 4 * 4, 1)
        await bus_write(ctx, dut.bus, PRIORITY + 4 * 5, 2)
        await bus_write(ctx, dut.bus, enable(0), (1 << 4) | (1 << 5))
        ctx.set(dut.irq, 1 << 4)
        await ctx.tick()                  # 4 pending
        await ctx.tick()                  # ... and the candidate
        ctx.set(dut.irq, (1 << 4) | (1 << 5))
        await ctx.tick()                  # 5 pending, not yet the candidate
        assert await bus_read(ctx, dut.bus, claim(0)) == 4
        assert await bus_read(ctx, dut.bus, claim(0)) == 5
        assert await bus_read(ctx, dut.bus, claim(0)) == 0   # both in flight

    run(dut, body)
