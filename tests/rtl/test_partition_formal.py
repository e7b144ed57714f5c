# amaranth: UnusedElaboratable=no
"""Proofs (k-induction) of the partition hardware: a locked checker lets no access of a
partition outside an entry's allowed set reach its target, refuses it with an error, keeps
its entries and its lock until reset; the partition register keeps its ID once locked; and
every bus request of a core carries its partition register's ID."""


from functools import partial

import pytest
from amaranth import Cat, Elaboratable, Module, Signal
from amaranth.hdl import Assert
from amaranth.lib.wiring import In

from zerovisor.rtl.partition.checker import Checker
from zerovisor.rtl.partition.register import PartitionRegister
from zerovisor.sim.formal import prove


def free_inputs(component):
    """The component's input signals, left free for the solver (any value, any cycle)."""
    return [value for _, member, value in component.signature.flatten(component)
            if member.flow == In]


def _past(m, value, name):
    """``value`` one cycle ago, in a register that reset does not touch."""
    past = Signal.like(value, name=f"past_{name}", reset_less=True)
    m.d.sync += past.eq(value)
    return past


class CheckerProperties(Elaboratable):
    def __init__(self, registered=False):
        self.dut = Checker(addr_width=10, base=0x1000_0000, entries=2, registered=registered)

    def elaborate(self, platform):
        m = Module()
        m.submodules.dut = dut = self.dut
        started = Signal(reset_less=True)
        m.d.sync += started.eq(1)
        bus, sub = dut.bus, dut.sub

        def spec_allowed(req):
            """What the entries allow, written out again from the spec: some entry covers
            the request's address, grants its kind and lists its partition."""
            addr = Cat(0, 0, req.adr) | dut.base
            need = Cat(~req.we & ~req.fetch, req.we, req.fetch)
            return Cat(*[((addr & e.mask) == e.base) & ((e.perm & need) != 0)
                         & ((e.parts >> req.pid) & 1) for e in dut.table]).any()

        asks = bus.cyc & ~bus.abort
        p_locked = _past(m, dut.locked, "locked")
        p_table = _past(m, dut.table.as_value(), "table")
        # (a request its initiator withdraws, ``abort``, is nobody's and has no answer)
        p_refuse = _past(m, dut.locked & asks & ~spec_allowed(bus), "refuse")
        # a request taken (not stalled) that the target did not see
        p_kept = _past(m, asks & ~bus.stall & ~sub.cyc, "kept")
        p_rst = _past(m, self._rst, "rst")

        # Nothing outside the entries reaches the target once locked (what reaches it is
        # judged as the target sees it: a registered checker passes a request it holds).
        with m.If(dut.locked & sub.cyc):
            m.d.comb += Assert(spec_allowed(sub), "a refused access reached the target")
        with m.If(bus.abort):
            m.d.comb += Assert(~sub.cyc, "a withdrawn access reached the target")
        with m.If(started & ~p_rst):
            # The lock and the entries hold until reset.
            with m.If(p_locked):
                m.d.comb += [Assert(dut.locked, "the lock was cleared without reset"),
                             Assert(dut.table.as_value() == p_table,
                                    "an entry changed after the lock")]
            # A request taken but kept from the target is answered with an error, never
            # with an acknowledge; so is, in the checker that decides at once, every
            # request the entries refuse.
            with m.If(p_kept | (p_refuse if not dut.registered else 0)):
                m.d.comb += [Assert(bus.err, "a refused access got no error"),
                             Assert(~bus.ack, "a refused access was acknowledged")]
        return m


class PartitionRegisterProperties(Elaboratable):
    def __init__(self):
        self.dut = PartitionRegister()

    def elaborate(self, platform):
        m = Module()
        m.submodules.reg = reg = self.dut
        started = Signal(reset_less=True)
        m.d.sync += started.eq(1)
        p_locked = _past(m, reg.locked, "locked")
        p_pid = _past(m, reg.pid, "pid")
        p_rst = _past(m, self._rst, "rst")
        m.d.comb += Assert(reg.value[0:3] == reg.pid, "CSR value and bus ID disagree")
        with m.If(started & ~p_rst & p_locked):
            m.d.comb += [Assert(reg.locked, "the partition lock was cleared without reset"),
                         Assert(reg.pid == p_pid, "a locked partition ID changed")]
        return m


def _with_reset(design):
    """Give the property wrapper a handle on the sync domain's reset; returns the design
    to prove and the domain's clock and reset, which must be ports (left undriven, the
    clock would stay still and every property would hold vacuously)."""
    from amaranth import ClockDomain
    wrapper = Module()
    wrapper.domains.sync = sync = ClockDomain("sync")
    design._rst = sync.rst
    wrapper.submodules.props = design
    return wrapper, [sync.clk, sync.rst]


def _prove(props, tmp_path):
    design, clock = _with_reset(props)
    return prove(design, tmp_path, ports=[*clock, *free_inputs(props.dut)], depth=4)


@pytest.mark.parametrize("design", [CheckerProperties, partial(CheckerProperties, True),
                                    PartitionRegisterProperties],
                         ids=["checker", "registered checker", "partition register"])
def test_partition_hardware_is_proved_by_induction(design, tmp_path):
    log = _prove(design(), tmp_path)
    assert "successful proof by k-induction" in log


def test_a_broken_property_is_reported(tmp_path):
    reg = PartitionRegister()

    class Broken(Elaboratable):
        def elaborate(self, platform):
            m = Module()
            m.submodules.reg = reg
            m.d.comb += Assert(~reg.locked, "locking is impossible")   # false: it can lock
            return m
    with pytest.raises(AssertionError, match="proof failed"):
        prove(Broken(), tmp_path, ports=free_inputs(reg), depth=4)


@pytest.mark.parametrize("registered", [False, True])
def test_a_checker_that_lets_everything_through_fails_the_proof(registered, tmp_path):
    class Leaky(Checker):
        def elaborate(self, platform):
            m = super().elaborate(platform)
            m.d.comb += self.sub.cyc.eq(self.bus.cyc)   # the bug: no decision at all
            return m

    props = CheckerProperties()
    props.dut = Leaky(addr_width=10, base=0x1000_0000, entries=2, registered=registered)
    with pytest.raises(AssertionError, match=r"failed assertion.*\n.*DONE \(FAIL"):
        _prove(props, tmp_path)


def test_a_partition_register_that_forgets_its_lock_fails_the_proof(tmp_path):
    class Forgetful(PartitionRegister):
        def elaborate(self, platform):
            m = super().elaborate(platform)
            with m.If(self.write & ~self.wdata[31]):
                m.d.sync += self.locked.eq(0)           # the bug: software can unlock
            return m

    props = PartitionRegisterProperties()
    props.dut = Forgetful()
    with pytest.raises(AssertionError, match=r"failed assertion.*\n.*DONE \(FAIL"):
        _prove(props, tmp_path)


class CorePidProperties(Elaboratable):
    """Every bus request of a hart carries its partition register's ID, and a locked ID
    never changes: proved on the whole core, whatever its program does."""

    def __init__(self):
        from zerovisor.rtl.cpu.core import Core
        self.dut = Core(hext=False)

    def elaborate(self, platform):
        m = Module()
        m.submodules.core = core = self.dut
        started = Signal(reset_less=True)
        m.d.sync += started.eq(1)
        p_locked = _past(m, core.pid_locked, "locked")
        p_pid = _past(m, core.pid, "pid")
        p_rst = _past(m, self._rst, "rst")
        m.d.comb += [Assert(core.ibus.pid == core.pid, "a fetch carries another ID"),
                     Assert(core.dbus.pid == core.pid, "a data access carries another ID"),
                     Assert(core.iobus.pid == core.pid, "a device access carries another ID")]
        with m.If(started & ~p_rst & p_locked):
            m.d.comb += [Assert(core.pid_locked, "the core's partition lock was cleared"),
                         Assert(core.pid == p_pid, "a locked hart changed partition")]
        return m


def test_a_harts_bus_requests_carry_its_locked_partition_id(tmp_path):
    props = CorePidProperties()
    design, clock = _with_reset(props)
    log = prove(design, tmp_path, ports=[*clock, *free_inputs(props.dut)], depth=2)
    assert "successful proof by k-induction" in log


def test_a_core_that_sends_another_id_fails_the_proof(tmp_path):
    from zerovisor.rtl.cpu.core import Core

    class Misaddressed(Core):
        def elaborate(self, platform):
            m = super().elaborate(platform)
            m.d.comb += self.dbus.pid.eq(0)             # the bug: data goes out as partition 0
            return m

    props = CorePidProperties()
    props.dut = Misaddressed(hext=False)
    design, clock = _with_reset(props)
    # reset leaves partition 0, so only induction finds the ID the bug sends wrongly
    with pytest.raises(AssertionError, match=r"failed assertion top\.props"):
        prove(design, tmp_path, ports=[*clock, *free_inputs(props.dut)], depth=2)
