"""``zerovisor bench``: every benchmark in one command, its JSON, a summary table beside
the targets, the plots, and the README's table generated from the results.

The benchmarks themselves live in ``bench/`` (one script each, runnable alone); each
exposes ``measure(quick, progress) -> dict`` and ``RESULT``, the name of its JSON file.
"""

import importlib.util
import json
import time
from pathlib import Path

from .benchmeta import RESULTS, stamp, write
from .boards.report import worst_clock
from .errors import ZerovisorError

__all__ = ["SUITE", "run_suite", "summary_rows", "update_readme", "BENCH_DIR"]

BENCH_DIR = Path(__file__).resolve().parent.parent / "bench"
README = BENCH_DIR.parent / "README.md"

# (script, what it measures), in the order they run
SUITE = [
    ("kernels.py", "core CPI per kernel"),
    ("partition.py", "guest overhead, SBI round trip, timer latency, boot cycles"),
    ("interference.py", "interference between partitions"),
    ("console.py", "console throughput through the control partition"),
    ("isolation.py", "isolation audit, and a victim's progress under attack"),
    ("sim_speed.py", "simulation speed, cocotb and native"),
]

BEGIN, END = "<!-- bench-table:begin -->", "<!-- bench-table:end -->"


def _load(script):
    path = BENCH_DIR / script
    if not path.exists():
        raise ZerovisorError(f"{path} not found: `zerovisor bench` runs from a clone of "
                             f"the repository, where bench/ is")
    spec = importlib.util.spec_from_file_location(f"zerovisor_bench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_suite(*, quick=False, out=None, only=None, progress=print, done=None):
    """Run the benchmarks (``only``: a subset of result names) and write each record as
    ``out/RESULT.json`` (default ``bench/results``). ``done(name, seconds)`` is called
    after each. Returns {result name: record}."""
    out = Path(out) if out else RESULTS
    records = {}
    for script, _ in SUITE:
        module = _load(script)
        if only and module.RESULT not in only:
            continue
        start = time.monotonic()
        try:
            record = stamp(module.measure(quick=quick, progress=progress), quick)
        except RuntimeError as exc:
            raise ZerovisorError(f"benchmark {script} failed: {exc}") from None
        write(record, out / f"{module.RESULT}.json")
        records[module.RESULT] = record
        if done:
            done(module.RESULT, time.monotonic() - start)
    return records


def load_results(folder=None):
    """Every ``*.json`` record in ``folder`` (default ``bench/results``), by name."""
    folder = Path(folder) if folder else RESULTS
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def _pct(x):
    return f"{x:+.2f} %"


def summary_rows(results):
    """(benchmark, target, measured, source) rows from the records present."""
    rows = []
    core = results.get("core")
    if core:
        worst = max(core["kernels"].items(), key=lambda kv: kv[1]["cpi"])
        rows.append(("core CPI, geometric mean of 7 kernels", "",
                     f"{core['cpi_geomean']:.3f} (worst: {worst[0]} {worst[1]['cpi']:.2f})",
                     "core"))
        if "late_mem" in core:
            rows.append(("core CPI, geometric mean, harts as built for an FPGA", "",
                         f"{core['late_mem']['cpi_geomean']:.3f}", "core"))
    part = results.get("partition")
    if part:
        worst = max(part["kernels"].items(), key=lambda kv: kv[1]["overhead_percent"])
        rows.append(("guest overhead, all kernels in a partition vs. bare-metal", "≤ 1 %",
                     (f"{_pct(part['overhead_percent_all_kernels'])} (worst: {worst[0]} "
                     f"{_pct(worst[1]['overhead_percent'])})"), "partition"))
        sbi = part["sbi_round_trip_cycles"]
        rows.append(("SBI round trip, VS → HS → VS", "≤ 100 cycles",
                     f"{sbi['min']} min, {sbi['mean']} mean", "partition"))
        t = part["timer_latency_ticks"]
        rows.append(("timer interrupt latency, guest (Sstc) vs. bare-metal", "equal",
                     f"{t['guest_sstc']['min']} vs. {t['bare_metal_m_mode']['min']} cycles",
                     "partition"))
        irq = part.get("device_interrupt_latency_ticks")
        if irq:
            rows.append((("device interrupt latency, guest (PLIC guest context) vs. "
                         "bare-metal"), "equal",
                         (f"{irq['guest_plic_guest_context']['min']} vs. "
                         f"{irq['bare_metal_m_mode']['min']} cycles (min)"), "partition"))
        rows.append(("reset to every guest's first line, quad.toml", "",
                     f"{part['boot_cycles_quad']:,} cycles", "partition"))
    inter = results.get("interference")
    if inter:
        rows.append(("victim slowdown, others hammering own banks and devices", "≤ 1 %",
                     _pct(inter["slowdown_percent"]), "interference"))
    console = results.get("console")
    if console:
        rows.append(("console through the control partition (a flooding guest)", "",
                     (f"{console['bytes_per_mcycle']:,} bytes per M cycles, "
                     f"{console['flood_drops']} dropped"), "console"))
    iso = results.get("isolation")
    if iso:
        rows.append(("isolation audit of quad.toml: attempts refused and logged", "no breach",
                     (f"{iso['audit_cells'] - iso['audit_breaches']:,} of "
                      f"{iso['audit_cells']:,} ({iso['audit_breaches']} breaches)"),
                     "isolation"))
        rows.append(("victim slowdown, an attacker hammering (buggy VMM)", "≤ 1 %",
                     (f"{_pct(iso['worst_kernel_slowdown_percent'])} (worst kernel); SBI "
                      f"round trip {iso['sbi_round_trip_under_attack']['mean']} vs. "
                      f"{iso['sbi_round_trip_quiet']['mean']} cycles"), "isolation"))
    speed = results.get("sim_speed")
    if speed:
        for row in speed.get("crc", []):
            rows.append((f"simulation, {row['harts']} hart(s), CRC loop: cocotb / native",
                         "cocotb ≥ ½ native",
                         (f"{row['cocotb_mcycles_per_second']:.2f} / "
                         f"{row['native_mcycles_per_second']:.2f} M cycles/s "
                         f"({row['cocotb_to_native']:.0%})"), "sim_speed"))
        quad = speed.get("quad")
        if quad:
            rows.append(("simulation, quad.toml booting (4 harts): cocotb / native",
                         "≥ 1 M cycles/s",
                         (f"{quad['cocotb_mcycles_per_second']:.2f} / "
                         f"{quad['native_mcycles_per_second']:.2f} M cycles/s"), "sim_speed"))
            if quad.get("cold_build_seconds"):
                rows.append(("model build, 4 harts, cold", "≤ 60 s",
                             f"{quad['cold_build_seconds']:.0f} s", "sim_speed"))
            rows.append(("model lookup, cached", "≤ 2 s",
                         f"{quad['cached_build_seconds']:.2f} s", "sim_speed"))
    fpga = results.get("fpga")
    for board, entries in (fpga or {}).get("boards", {}).items():
        for name, e in entries.items():
            # a carry cell holds two LUT4s
            lut = e["utilization"].get("LUT4", 0) + 2 * e["utilization"].get("carry (2 bits)", 0)
            what = f"{e['harts']} hart(s), {'with' if e['hext'] else 'without'} H"
            what = "examples/quad.toml" if name == "quad" else what
            what += ", late_mem" if e.get("late_mem") else ""
            rows.append((f"FPGA, {board}, SoC with {what}: LUT4, FF, EBR; Fmax",
                         "≥ 50 MHz (4 harts)",
                         (f"{lut:,} LUT4 ({100 * lut / e['available']['LUT4']:.0f} %), "
                          f"{e['utilization'].get('FF', 0):,} FF, "
                          f"{e['utilization'].get('EBR (block RAM)', 0)} EBR; "
                          + (f"{e['fmax_mhz']} MHz" if e.get("fmax_mhz") else "not routed")),
                         "fpga"))
    for board, report in (fpga or {}).get("bitstreams", {}).items():
        clock = worst_clock(report)
        if clock:
            rows.append((f"FPGA bitstream, {board}: {report['layout']}; Fmax",
                         "≥ 50 MHz (4 harts)",
                         (f"{clock['fmax_mhz']} MHz routed, timing "
                          f"{'met' if report['timing_met'] else 'NOT met'} at "
                          f"{report['soc_clock_mhz']:g} MHz"), "fpga"))
    return rows


def markdown_table(rows):
    lines = ["| benchmark | target | measured | JSON |", "| --- | --- | --- | --- |"]
    lines += [f"| {b} | {t} | **{m}** | [`{s}`](bench/results/{s}.json) |"
              for b, t, m, s in rows]
    return "\n".join(lines)


def update_readme(results, readme=README):
    """Replace the README's generated table (between the bench-table markers)."""
    text = Path(readme).read_text()
    if BEGIN not in text or END not in text:
        raise ZerovisorError(f"{readme} has no {BEGIN} ... {END} markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    dates = sorted({r.get("date", "")[:10] for r in results.values() if r.get("date")})
    note = (f"Generated by `zerovisor bench --readme` from `bench/results/` "
            f"(measured {', '.join(dates) or 'at unrecorded dates'}).")
    table = markdown_table(summary_rows(results))
    new = f"{head}{BEGIN}\n{note}\n\n{table}\n{END}{tail}"
    Path(readme).write_text(new)
    return new


def missing_metrics(results):
    """Metric names the quick test insists on, absent from ``results``."""
    need = {
        "core": ["kernels", "cpi_geomean", "late_mem"],
        "partition": ["overhead_percent_all_kernels", "sbi_round_trip_cycles",
                      "timer_latency_ticks", "device_interrupt_latency_ticks",
                      "boot_cycles_quad"],
        "interference": ["slowdown_percent", "same_bank_slowdown_percent"],
        "console": ["bytes_per_mcycle", "flood_drops"],
        "isolation": ["audit_cells", "audit_breaches", "worst_kernel_slowdown_percent",
                      "sbi_round_trip_under_attack"],
        "sim_speed": ["crc"],
    }
    common = ["commit", "date", "machine", "load_average"]
    return [f"{name}.{key}" for name, keys in need.items() for key in keys + common
            if key not in results.get(name, {})]

