# amaranth: UnusedElaboratable=no
"""The CSR file built with and without the hypervisor extension (amaranth.sim): which CSRs
exist, misa, and what the mode decides about an access."""

import pytest
from amaranth.sim import Simulator

from zerovisor.rtl.cpu.csr import CSRFile
from zerovisor.rtl.cpu.isa import Csr, misa


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

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(body)
    sim.run()
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

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(body)
    sim.run()
    assert all(seen[a] == (0, 0) for a in hpm), [hex(a) for a in hpm if seen[a] != (0, 0)]
    assert all(seen[a][0] for a in holes), [hex(a) for a in holes if not seen[a][0]]
    assert not any(seen[a][0] for a in named)
