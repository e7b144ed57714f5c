# amaranth: UnusedElaboratable=no
"""The bus arbiter (amaranth.sim): one request a cycle is taken, the others stall;
round-robin among initiators that keep asking; lock keeps the next cycle (and the ones its
holder raises lock in without asking); answers go back
to the initiator whose request was taken."""

import pytest
from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import connect
from amaranth.sim import Simulator

from zerovisor.rtl.bus import Arbiter
from zerovisor.rtl.periph.sram import SRAM


class _Shared(wiring.Component):
    def __init__(self, n):
        self.n = n
        super().__init__({"arb": wiring.Out(wiring.Signature({}))})

    def elaborate(self, platform):
        m = Module()
        m.submodules.arb = self.arbiter
        m.submodules.ram = ram = SRAM(size=64, ports=1)
        connect(m, self.arbiter.out, ram.bus0)
        return m


def make(n, *, registered=False):
    top = _Shared(n)
    top.arbiter = Arbiter(n, addr_width=4, registered=registered)
    return top, top.arbiter


def run(top, body):
    sim = Simulator(top)
    sim.add_clock(1e-8)
    sim.add_testbench(body)
    sim.run()


def ask(ctx, bus, adr, *, we=0, data=0, lock=0):
    ctx.set(bus.cyc, 1)
    ctx.set(bus.we, we)
    ctx.set(bus.adr, adr)
    ctx.set(bus.sel, 0b1111)
    ctx.set(bus.dat_w, data)
    ctx.set(bus.lock, lock)


def test_bad_n():
    with pytest.raises(ValueError, match="n must be a positive integer"):
        Arbiter(0)


def test_round_robin_stall_and_answers():
    top, arb = make(3)

    async def body(ctx):
        a, b, c = arb.ins
        # everyone writes its own word at once: one a cycle is taken, round-robin
        for i, bus in enumerate((a, b, c)):
            ask(ctx, bus, i, we=1, data=0x100 + i)
        order = []
        for _ in range(3):
            taken = [i for i, bus in enumerate((a, b, c))
                     if ctx.get(bus.cyc) and not ctx.get(bus.stall)]
            assert len(taken) == 1
            winner = taken[0]
            order.append(winner)
            await ctx.tick()
            assert ctx.get(arb.ins[winner].ack)
            ctx.set(arb.ins[winner].cyc, 0)
        assert sorted(order) == [0, 1, 2]
        # reads come back to the initiator whose request was taken
        for i, bus in enumerate((a, b, c)):
            ask(ctx, bus, i)
        got = {}
        for _ in range(3):
            winner, = [i for i, bus in enumerate((a, b, c))
                       if ctx.get(bus.cyc) and not ctx.get(bus.stall)]
            await ctx.tick()
            acks = [ctx.get(bus.ack) for bus in (a, b, c)]
            assert acks == [int(i == winner) for i in range(3)]
            got[winner] = ctx.get(arb.ins[winner].dat_r)
            ctx.set(arb.ins[winner].cyc, 0)
        assert got == {0: 0x100, 1: 0x101, 2: 0x102}

    run(top, body)


def test_a_locked_request_keeps_the_next_cycle():
    top, arb = make(2)

    async def body(ctx):
        a, b = arb.ins
        ask(ctx, a, 1, lock=1)
        ask(ctx, b, 2)
        # a is granted first (after reset the last grant is 0, so 1 would be next: make
        # sure by checking who won, then that the lock holds for the same one)
        first = 0 if not ctx.get(a.stall) else 1
        await ctx.tick()
        if first == 1:          # b won without a lock; now a gets it, with its lock
            ctx.set(b.cyc, 0)
            assert not ctx.get(a.stall)
            await ctx.tick()
            ask(ctx, b, 2)
        # the cycle after a's locked request: a again, b stalls
        await writes_while_the_other_waits(ctx, a, b)
        assert not ctx.get(b.stall)

    run(top, body)


async def writes_while_the_other_waits(ctx, a, b):
    """``a`` writes the word its locked read reserved; ``b``, asking, stalls."""
    ask(ctx, a, 1, we=1, data=7, lock=0)
    assert ctx.get(b.stall) and not ctx.get(a.stall)
    await ctx.tick()
    ctx.set(a.cyc, 0)


@pytest.mark.parametrize("hold", [True, False], ids=["lock-raised", "lock-dropped"])
def test_a_reservation_holds_while_its_initiator_raises_lock_without_asking(hold):
    """A late_mem hart's AMO registers the word its read returned and writes a cycle
    later: between the two it raises ``lock`` alone, and the other initiator waits. Without
    ``lock`` in that cycle the reservation ends."""
    top, arb = make(2)

    async def body(ctx):
        a, b = arb.ins
        # make a the last granted without a lock, so b is preferred next: the reservation
        # must then beat the round-robin
        ask(ctx, a, 1)
        await ctx.tick()
        ask(ctx, a, 1, lock=1)
        ctx.set(b.cyc, 0)
        assert not ctx.get(a.stall)
        await ctx.tick()
        # the gap, the cycle the lock reserved: a asks nothing, lock raised (or not); b
        # asks and waits
        ctx.set(a.cyc, 0)
        ctx.set(a.lock, int(hold))
        ask(ctx, b, 2)
        assert ctx.get(b.stall)
        await ctx.tick()
        if hold:
            # still a's: its write, b waits
            await writes_while_the_other_waits(ctx, a, b)
        # then b's turn
        assert not ctx.get(b.stall)

    run(top, body)


@pytest.mark.parametrize("n", [1, 2])
def test_an_aborted_request_has_no_effect_and_no_answer(n):
    """``abort`` withdraws a request in its own cycle: the arbiter may choose it (it is
    not on the path to the choice) but passes nothing on, the RAM is not written, nothing
    answers, and an aborted ``lock`` reserves nothing."""
    top, arb = make(n)

    async def body(ctx):
        a = arb.ins[0]
        ask(ctx, a, 3, we=1, data=0xBAD, lock=1)
        ctx.set(a.abort, 1)
        assert not ctx.get(arb.out.cyc)
        await ctx.tick()
        assert not ctx.get(a.ack) and not ctx.get(a.err)
        ctx.set(a.abort, 0)
        ctx.set(a.cyc, 0)
        if n > 1:
            # the lock of the aborted request holds nothing: the other initiator is taken
            b = arb.ins[1]
            ask(ctx, b, 1)
            assert not ctx.get(b.stall)
            await ctx.tick()
            ctx.set(b.cyc, 0)
        # the word was not written
        ask(ctx, a, 3)
        await ctx.tick()
        ctx.set(a.cyc, 0)
        assert ctx.get(a.ack) and ctx.get(a.dat_r) == 0

    run(top, body)


@pytest.mark.parametrize("n", [1, 3])
def test_a_registered_arbiter_takes_a_request_the_cycle_after_choosing_it(n):
    """``registered`` (the devices' ports of a board build): a request is chosen and
    registered in one cycle, every asker stalled; the next cycle the subordinate sees it
    and its initiator is taken, and the answer comes a cycle later, to it alone. The
    other initiators' requests follow round-robin, each written once."""
    top, arb = make(n, registered=True)

    async def body(ctx):
        for i, bus in enumerate(arb.ins):
            ask(ctx, bus, i, we=1, data=0x200 + i)
        order = []
        waiting = set(range(n))
        for _ in range(2 * n):
            taken = [i for i in sorted(waiting) if not ctx.get(arb.ins[i].stall)]
            assert len(taken) <= 1
            if not taken:
                # a choosing cycle: nothing reaches the RAM yet
                assert not ctx.get(arb.out.cyc)
                await ctx.tick()
                continue
            winner, = taken
            assert ctx.get(arb.out.cyc) and ctx.get(arb.out.adr) == winner
            order.append(winner)
            await ctx.tick()
            assert [ctx.get(bus.ack) for bus in arb.ins] == [int(i == winner)
                                                             for i in range(n)]
            ctx.set(arb.ins[winner].cyc, 0)
            waiting.discard(winner)
        assert sorted(order) == list(range(n)) and not waiting
        # each word was written once, by its own initiator: read them back
        for i, bus in enumerate(arb.ins):
            ask(ctx, bus, i)
            while ctx.get(bus.stall):
                await ctx.tick()
            await ctx.tick()
            ctx.set(bus.cyc, 0)
            assert ctx.get(bus.ack) and ctx.get(bus.dat_r) == 0x200 + i

    run(top, body)


def test_a_registered_arbiters_stall_does_not_wait_on_the_request_it_answers():
    """An initiator's stall comes from the arbiter's registers: in the cycle its request
    is taken, it reads the same whether the request is raised or not (which an initiator
    looks at only while it asks)."""
    top, arb = make(2, registered=True)

    async def body(ctx):
        a, b = arb.ins
        ask(ctx, a, 1, we=1, data=0x11)
        await ctx.tick()        # a's request is chosen and registered
        assert ctx.get(arb.out.cyc)
        for raised in (1, 0, 1):
            ctx.set(a.cyc, raised)
            assert not ctx.get(a.stall) and ctx.get(b.stall)

    run(top, body)


def test_a_registered_arbiter_keeps_its_request_issued_while_the_subordinate_stalls():
    """Behind a registered arbiter, a registered partition checker (a device's, on the
    boards) stalls every request its first cycle: the arbiter keeps it issued, its
    initiator stalled and the others waiting, until the checker passes it on; then the
    answer goes to it alone. Two initiators' writes and reads all land."""
    from zerovisor.rtl.partition.checker import Checker

    class Checked(wiring.Component):
        def __init__(self):
            super().__init__({})
            self.arbiter = Arbiter(2, addr_width=4, registered=True)

        def elaborate(self, platform):
            m = Module()
            m.submodules.arb = self.arbiter
            m.submodules.check = check = Checker(addr_width=4, registered=True)
            m.submodules.ram = ram = SRAM(size=64, ports=1)
            connect(m, self.arbiter.out, check.bus)
            connect(m, check.sub, ram.bus0)
            return m

    top = Checked()
    arb = top.arbiter

    async def body(ctx):
        for we in (1, 0):
            for i, bus in enumerate(arb.ins):
                ask(ctx, bus, 4 + i, we=we, data=0x300 + i)
            waiting = {0, 1}
            for _ in range(8):              # (two accesses, three cycles each)
                if not waiting:
                    break
                taken = [i for i in sorted(waiting) if not ctx.get(arb.ins[i].stall)]
                issued = ctx.get(arb.out.cyc)
                checker_stalls = ctx.get(arb.out.stall)
                if issued and checker_stalls:
                    # the checker's deciding cycle: everybody waits
                    assert taken == []
                await ctx.tick()
                if taken:
                    winner, = taken
                    assert [ctx.get(bus.ack) for bus in arb.ins] == [int(i == winner)
                                                                     for i in range(2)]
                    if not we:
                        assert ctx.get(arb.ins[winner].dat_r) == 0x300 + winner
                    ctx.set(arb.ins[winner].cyc, 0)
                    waiting.discard(winner)
                else:
                    assert not any(ctx.get(bus.ack) for bus in arb.ins)
            assert not waiting

    run(top, body)


def test_a_registered_arbiter_passes_no_withdrawn_request_on():
    """A request withdrawn (``abort``) in the cycle it is chosen reaches nothing: the RAM
    is not written and nothing answers."""
    top, arb = make(2, registered=True)

    async def body(ctx):
        a = arb.ins[0]
        ask(ctx, a, 3, we=1, data=0xBAD)
        ctx.set(a.abort, 1)
        await ctx.tick()
        ctx.set(a.cyc, 0)
        ctx.set(a.abort, 0)
        assert not ctx.get(arb.out.cyc)
        await ctx.tick()
        assert not ctx.get(a.ack) and not ctx.get(a.err)
        ask(ctx, a, 3)
        while ctx.get(a.stall):
            await ctx.tick()
        await ctx.tick()
        ctx.set(a.cyc, 0)
        assert ctx.get(a.ack) and ctx.get(a.dat_r) == 0

    run(top, body)


@pytest.mark.parametrize("hold", [True, False], ids=["lock-raised", "lock-dropped"])
def test_a_registered_arbiter_keeps_a_locked_reads_port_for_its_write(hold):
    """With ``late_mem`` a RAM bank's data port is registered too: an AMO's locked read,
    the cycles its hart raises ``lock`` alone (the answer and the new word registered),
    then its write, and the other initiator, asking all along, is chosen only after the
    write. Without ``lock`` in the gap, the other initiator's turn comes first."""
    top, arb = make(2, registered=True)

    async def body(ctx):
        a, b = arb.ins
        ask(ctx, a, 1, lock=1)
        while ctx.get(a.stall):
            await ctx.tick()
        await ctx.tick()                  # a's read taken; b asks from now on
        ctx.set(a.cyc, 0)
        ctx.set(a.lock, int(hold))
        ask(ctx, b, 1, we=1, data=0x22)
        for _ in range(2):                # the gap: a's answer, then its new word
            assert ctx.get(b.stall) and not ctx.get(arb.out.cyc)
            await ctx.tick()
        ask(ctx, a, 1, we=1, data=0x11, lock=0)
        order = []
        while ctx.get(a.cyc) or ctx.get(b.cyc):
            for i, bus in enumerate((a, b)):
                if ctx.get(bus.cyc) and not ctx.get(bus.stall):
                    order.append(i)
                    ctx.set(bus.cyc, 0)
            await ctx.tick()
        assert order == ([0, 1] if hold else [1, 0])
        ask(ctx, a, 1)
        while ctx.get(a.stall):
            await ctx.tick()
        await ctx.tick()
        assert ctx.get(a.dat_r) == (0x22 if hold else 0x11)

    run(top, body)


def make_home(n, home):
    top = _Shared(n)
    top.arbiter = Arbiter(n, addr_width=4, home=home)
    return top, top.arbiter


def test_bad_home():
    with pytest.raises(ValueError, match="home must name initiators 0 to 1"):
        Arbiter(2, home=[2])
    with pytest.raises(ValueError, match="registered arbiter has no home"):
        Arbiter(2, home=[0], registered=True)


def test_a_home_initiator_never_waits_on_an_away_ones_request_in_the_same_cycle():
    """``home``: initiator 0 at home is taken every cycle it asks whatever initiator 1
    (away) does in that cycle; 1's request waits for a cycle reserved the cycle before
    (its stall a register's, the same whether it asks or not: its request does not
    travel to the arbiter and back), in which 0 stalls; then 0 again."""
    top, arb = make_home(2, home=[0])

    async def body(ctx):
        a, b = arb.ins
        ask(ctx, a, 1, we=1, data=0x11)
        # the away initiator's request, raised or not, changes nothing for a this cycle
        for raised in (0, 1, 0, 1):
            ctx.set(b.cyc, raised)
            ask(ctx, b, 2, we=1, data=0x22) if raised else None
            assert not ctx.get(a.stall)
            assert ctx.get(b.stall)
        await ctx.tick()
        # b asked in the last cycle: this one is reserved for it, a stalls
        assert ctx.get(a.stall) and not ctx.get(b.stall)
        assert ctx.get(arb.out.adr) == 2
        await ctx.tick()
        assert ctx.get(b.ack) and not ctx.get(a.ack)
        ctx.set(b.cyc, 0)
        # a's again, every cycle
        for _ in range(3):
            assert not ctx.get(a.stall)
            await ctx.tick()
            assert ctx.get(a.ack)
        ctx.set(a.cyc, 0)

    run(top, body)


@pytest.mark.parametrize("home", [[0], []])
def test_a_port_with_one_home_or_none_passes_fields_chosen_by_its_registers(home):
    """With one home initiator or none, the request's fields at the subordinate are
    those of the initiator the reservation names (the home's when there is none), whoever
    asks in the cycle: a partition checker's decision on them does not wait on the
    choice. Whether the request goes (``cyc``) is the choice's."""
    top, arb = make_home(3, home=home)

    async def body(ctx):
        for i, bus in enumerate(arb.ins):
            ctx.set(bus.adr, 4 + i)
        for asking in ([], [0], [1, 2], [0, 1, 2]):
            for i, bus in enumerate(arb.ins):
                ctx.set(bus.cyc, i in asking)
            if home:
                assert ctx.get(arb.out.adr) == 4
            assert ctx.get(arb.out.cyc) == (0 in asking and bool(home))
        for i, bus in enumerate(arb.ins):
            ctx.set(bus.cyc, i == 2)
        await ctx.tick()                          # reserved for 2 from the next cycle
        for asking in ([], [0, 1], [2]):
            for i, bus in enumerate(arb.ins):
                ctx.set(bus.cyc, i in asking)
            assert ctx.get(arb.out.adr) == 6
            assert ctx.get(arb.out.cyc) == (2 in asking)

    run(top, body)


def test_away_initiators_take_turns_and_leave_every_other_cycle_to_the_home():
    top, arb = make_home(3, home=[0])

    async def body(ctx):
        home, *away = arb.ins
        ask(ctx, home, 0)
        for i, bus in enumerate(away, 1):
            ask(ctx, bus, i, we=1, data=0x30 + i)
        served, home_cycles = [], 0
        for _ in range(8):
            taken = [i for i, bus in enumerate(arb.ins)
                     if ctx.get(bus.cyc) and not ctx.get(bus.stall)]
            assert len(taken) == 1
            await ctx.tick()
            if taken[0] == 0:
                home_cycles += 1
            else:
                served.append(taken[0])
                ctx.set(arb.ins[taken[0]].cyc, 0)
        assert sorted(served) == [1, 2] and home_cycles >= 4
        ctx.set(home.cyc, 0)
        for i, bus in enumerate(away, 1):
            ask(ctx, bus, i)
            while ctx.get(bus.stall):
                await ctx.tick()
            await ctx.tick()
            ctx.set(bus.cyc, 0)
            assert ctx.get(bus.dat_r) == 0x30 + i

    run(top, body)


def test_an_away_reservation_holds_while_its_initiator_raises_lock():
    """An away initiator's locked read, a cycle with lock alone, then its write: the home
    waits all three (a late_mem hart's AMO)."""
    top, arb = make_home(2, home=[0])

    async def body(ctx):
        a, b = arb.ins
        ask(ctx, b, 2, lock=1)
        await ctx.tick()                  # reserved for b from the next cycle
        ask(ctx, a, 1, we=1, data=0x99)
        assert not ctx.get(b.stall) and ctx.get(a.stall)
        await ctx.tick()                  # b's read taken, with lock
        ctx.set(b.cyc, 0)
        assert ctx.get(a.stall)           # the gap: b raises lock alone
        await ctx.tick()
        ask(ctx, b, 2, we=1, data=0x77, lock=0)
        assert not ctx.get(b.stall) and ctx.get(a.stall)
        await ctx.tick()                  # b's write taken
        ctx.set(b.cyc, 0)
        assert not ctx.get(a.stall)
        await ctx.tick()
        ctx.set(a.cyc, 0)
        ask(ctx, b, 2)
        while ctx.get(b.stall):
            await ctx.tick()
        await ctx.tick()
        assert ctx.get(b.dat_r) == 0x77

    run(top, body)


@pytest.mark.parametrize("bank_harts", [[[0]], [[0], [4]], [[0], [-1]]])
def test_the_socs_bank_homes_must_name_its_harts_for_each_bank(bank_harts):
    from zerovisor.rtl.soc import SoC
    with pytest.raises(ValueError, match=r"bank_harts must list harts \(0 to 1\) for each "
                                         r"of the 2 bank\(s\)"):
        SoC(harts=2, banks=2, bank_harts=bank_harts)
