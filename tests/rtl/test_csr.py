# amaranth: UnusedElaboratable=no
"""The CSR file built with and without the hypervisor extension (amaranth.sim): which CSRs
exist, misa, and what the mode decides about an access."""

import pytest
from amaranth.sim import Simulator

from zerovisor.rtl.cpu.csr import CSRFile
from zerovisor.rtl.cpu.isa import Csr, Irq, Priv, misa


def simulate(dut, body, *, clock=True):
    """Run the testbench ``body`` on ``dut`` (with a clock unless it has no registers)."""
    sim = Simulator(dut)
    if clock:
        sim.add_clock(1e-8)
    sim.add_testbench(body)
    sim.run()


def access(hext, addr, *, writes=False):
    """(exists-and-allowed from M-mode, rdata) for one access at reset."""
    dut = CSRFile(hext=hext)
    seen = {}

    async def body(ctx):
        ctx.set(dut.addr, addr)
        ctx.set(dut.writes, writes)
        seen["illegal"] = ctx.get(dut.illegal)
        seen["virtual"] = ctx.get(dut.virtual)
        seen["rdata"] = ctx.get(dut.rdata)

    simulate(dut, body)
    return seen


@pytest.mark.parametrize("hext", [True, False])
def test_misa_says_whether_h_is_there(hext):
    seen = access(hext, Csr.MISA)
    assert not seen["illegal"]
    assert seen["rdata"] == misa(hext=hext)
    assert bool(seen["rdata"] & (1 << 7)) == hext       # H
    assert seen["rdata"] & (1 << 18) and seen["rdata"] & (1 << 20)   # S and U


@pytest.mark.parametrize("addr", [Csr.HSTATUS, Csr.HGATP, Csr.VSATP, Csr.VSTIMECMP,
                                  Csr.MTVAL2, Csr.HGEIP])
def test_hypervisor_csrs_exist_only_with_h(addr):
    assert not access(True, addr)["illegal"]
    assert access(False, addr)["illegal"]


@pytest.mark.parametrize("addr", [Csr.SSTATUS, Csr.SATP, Csr.STIMECMP, Csr.MEDELEG])
def test_supervisor_csrs_exist_either_way(addr):
    assert not access(False, addr)["illegal"]


def test_mideleg_reads_the_vs_bits_as_one_only_with_h():
    assert access(True, Csr.MIDELEG)["rdata"] == 0x1444
    assert access(False, Csr.MIDELEG)["rdata"] == 0


def test_writing_a_read_only_csr_is_illegal_even_in_m_mode():
    assert access(True, Csr.HGEIP, writes=True)["illegal"]
    assert not access(True, Csr.HGEIP, writes=False)["illegal"]


def test_bad_hartid_is_refused():
    with pytest.raises(ValueError, match="hartid must be a non-negative integer"):
        CSRFile(hartid=-1)


def test_hpm_counters_exist_and_read_zero_around_the_named_counters():
    """Numbers 3 to 31 of each hpm kind exist and read zero; the reserved numbers beside
    cycle, time and instret (matched before the hpm patterns) stay illegal."""
    dut = CSRFile(hext=True)
    hpm = [base - 3 + n for base in (Csr.MHPMEVENT3, Csr.MHPMCOUNTER3, Csr.MHPMCOUNTER3H,
                                    Csr.HPMCOUNTER3, Csr.HPMCOUNTER3H) for n in range(3, 32)]
    holes = [0x321, 0x322, 0xB01, 0xB81, 0xB20, 0xBA0, 0xC20, 0xCA0]
    named = [Csr.MCOUNTINHIBIT, Csr.MCYCLE, Csr.MINSTRET, Csr.MCYCLEH, Csr.CYCLE,
             Csr.TIME, Csr.INSTRET, Csr.TIMEH, Csr.MSCRATCH]
    seen = {}

    async def body(ctx):
        for addr in hpm + holes + named:
            ctx.set(dut.addr, addr)
            seen[addr] = (ctx.get(dut.illegal), ctx.get(dut.rdata))

    simulate(dut, body)
    assert all(seen[a] == (0, 0) for a in hpm), [hex(a) for a in hpm if seen[a] != (0, 0)]
    assert all(seen[a][0] for a in holes), [hex(a) for a in holes if not seen[a][0]]
    assert not any(seen[a][0] for a in named)


@pytest.mark.parametrize("entries", [0, 1, 3, 8, 16])
def test_pmp_csrs_past_the_last_entry_read_zero_and_ignore_writes(entries):
    """All 16 pmpaddr and 4 pmpcfg CSRs exist whatever the entry count; an entry that is
    there keeps what M-mode writes, the others read zero."""
    dut = CSRFile(hext=True, pmp_entries=entries)
    addrs = [Csr.PMPADDR0 + i for i in range(16)] + [Csr.PMPCFG0 + k for k in range(4)]
    seen = {}

    async def body(ctx):
        for addr in addrs:
            ctx.set(dut.addr, addr)
            ctx.set(dut.writes, 1)
            ctx.set(dut.write, 1)
            ctx.set(dut.wdata, 0x0F0F_0F0F)
            await ctx.tick()
        ctx.set(dut.write, 0)
        ctx.set(dut.writes, 0)
        for addr in addrs:
            ctx.set(dut.addr, addr)
            seen[addr] = (ctx.get(dut.illegal), ctx.get(dut.rdata))

    simulate(dut, body)
    # 0x0F a cfg byte: R, W, X and A = TOR, not locked
    for i in range(16):
        assert seen[Csr.PMPADDR0 + i] == (0, 0x0F0F_0F0F if i < entries else 0), i
    for k in range(4):
        want = sum(0x0F << 8 * j for j in range(4) if 4 * k + j < entries)
        assert seen[Csr.PMPCFG0 + k] == (0, want), k


@pytest.mark.parametrize("entries", [-1, 17, True, "8"])
def test_a_pmp_entry_count_out_of_range_is_refused(entries):
    from zerovisor.rtl.cpu.pmp import PmpChecker
    with pytest.raises(ValueError, match="pmp_entries must be 0 to 16"):
        CSRFile(pmp_entries=entries)
    with pytest.raises(ValueError, match="pmp_entries must be 0 to 16"):
        PmpChecker(entries)


@pytest.mark.parametrize("entries, cfg, priv, allowed", [
    (0, 0, Priv.U, 1),         # no entries: everything is allowed, at every privilege
    (0, 0, Priv.S, 1),
    (1, 0x1F, Priv.S, 1),      # one NAPOT entry over everything, R W X (the boot firmware's)
    (1, 0x00, Priv.S, 0),      # one entry, off: S and U match nothing and are refused...
    (1, 0x00, Priv.M, 1),      # ...and M is allowed
    (1, 0x1B, Priv.U, 0),      # NAPOT R W without X: no execute
])
def test_pmp_checker_with_few_entries(entries, cfg, priv, allowed):
    from zerovisor.rtl.cpu.pmp import PmpChecker
    dut = PmpChecker(entries)
    seen = {}

    async def body(ctx):
        if entries:
            ctx.set(dut.pmp[0].addr, 0xFFFF_FFFF)
            ctx.set(dut.pmp[0].cfg.as_value(), cfg)
        ctx.set(dut.addr, 0x8000_1234)
        ctx.set(dut.priv, priv)
        ctx.set(dut.need, 0b100)
        seen["allow"] = ctx.get(dut.allow)

    simulate(dut, body, clock=False)
    assert seen["allow"] == allowed


def test_the_pmp_bounds_spelled_outside_the_rtl_match_it():
    """``SimConfig`` and the layout file keep their own copies of the PMP numbers (they
    load without Amaranth): the ISA tests' core has the RTL's default, and a layout takes
    0 to the CSRs that exist."""
    from zerovisor.layout import Soc
    from zerovisor.rtl.cpu.pmp import MAX_PMP_ENTRIES, PMP_ENTRIES
    from zerovisor.sim.build import SimConfig
    assert SimConfig().pmp_entries == PMP_ENTRIES
    bounds = {type(m).__name__: m for m in Soc.model_fields["pmp_entries"].metadata}
    assert (bounds["Ge"].ge, bounds["Le"].le) == (0, MAX_PMP_ENTRIES)


def test_an_interrupt_goes_where_it_was_decided_to_go():
    """The core takes an interrupt the cycle after it decided it; if a more privileged
    interrupt rises in between, the trap still enters the mode of the decided one (with the
    cause the core registered), not a mix of the two."""
    dut = CSRFile(hext=True)
    seen = {}

    async def body(ctx):
        async def write(addr, value):
            ctx.set(dut.addr, addr)
            ctx.set(dut.wdata, value)
            ctx.set(dut.write, 1)
            await ctx.tick()
            ctx.set(dut.write, 0)

        await write(Csr.MIE, (1 << 11) | (1 << 9))         # MEIE, SEIE
        await write(Csr.MIDELEG, 1 << 9)                   # SEI to HS
        await write(Csr.MSTATUS, 0)                        # MPP = U
        ctx.set(dut.mret, 1)
        await ctx.tick()
        ctx.set(dut.mret, 0)
        assert ctx.get(dut.priv) == Priv.U
        ctx.set(dut.seip, 1)                               # the core decides: SEI, to HS
        assert ctx.get(dut.irq_take) and ctx.get(dut.irq_cause) == 9
        await ctx.tick()
        ctx.set(dut.meip, 1)                               # MEI rises before it is taken
        ctx.set(dut.trap, 1)
        ctx.set(dut.trap_intr, 1)
        ctx.set(dut.trap_cause, 9)
        ctx.set(dut.trap_pc, 0x8000_0100)
        await ctx.tick()
        ctx.set(dut.trap, 0)
        seen["priv"] = ctx.get(dut.priv)
        for name in ("SCAUSE", "MCAUSE", "SEPC"):
            ctx.set(dut.addr, getattr(Csr, name))
            seen[name] = ctx.get(dut.rdata)

    simulate(dut, body)
    assert seen["priv"] == Priv.S
    assert seen["SCAUSE"] == (1 << 31) | 9
    assert seen["SEPC"] == 0x8000_0100
    assert seen["MCAUSE"] == 0


@pytest.mark.parametrize("delta", [0, 1000, 2**63])
def test_sstc_pending_bits_rise_in_the_cycle_time_reaches_the_deadline(delta):
    """STIP (stimecmp against time) and VSTIP (vstimecmp against time + htimedelta) rise in
    the cycle time reaches the deadline, as the CLINT's combinational mtip does: their
    registered comparisons look at next cycle's time (``mtime_next``)."""
    dut = CSRFile(hext=True)
    deadline = 40
    rose = {}

    async def body(ctx):
        time = 0

        async def tick():
            nonlocal time
            await ctx.tick()
            time += 1
            ctx.set(dut.mtime, time)
            ctx.set(dut.mtime_next, time + 1)

        async def write(addr, value):
            ctx.set(dut.addr, addr)
            ctx.set(dut.wdata, value)
            ctx.set(dut.write, 1)
            await tick()
            ctx.set(dut.write, 0)

        ctx.set(dut.mtime_next, 1)
        await write(Csr.MENVCFGH, 1 << 31)                 # STCE
        await write(Csr.HENVCFGH, 1 << 31)
        await write(Csr.HTIMEDELTA, delta & 0xffff_ffff)
        await write(Csr.HTIMEDELTAH, delta >> 32)
        vdeadline = (deadline + delta) % 2**64
        await write(Csr.STIMECMP, deadline)
        await write(Csr.STIMECMPH, 0)
        await write(Csr.VSTIMECMP, vdeadline & 0xffff_ffff)
        await write(Csr.VSTIMECMPH, vdeadline >> 32)
        ctx.set(dut.addr, Csr.MIP)
        while time < deadline + 3:
            mip = ctx.get(dut.rdata)
            for name, bit in (("STIP", Irq.STI), ("VSTIP", Irq.VSTI)):
                if mip >> bit & 1:
                    rose.setdefault(name, time)
            await tick()

    simulate(dut, body)
    assert rose == {"STIP": deadline, "VSTIP": deadline}
