"""Console throughput through the control partition: tests/system/flood.toml (a guest
printing numbered lines as fast as it can, beside the compute and hello guests), all of
it relayed by the control partition's console server to UART0.

Reports the bytes the UART carried per million cycles once the partitions run, the
flood's lines among them, and what the VMM dropped because the flood's ring was full.
(In simulation the UART sends a byte a cycle; on a board 115200 baud is the limit.)

Usage: python bench/console.py [--quick] [--out FILE]; writes bench/results/console.json.
"""

import tempfile
from pathlib import Path

from zerovisor.firmware.abi import RING
from zerovisor.layout import load_layout
from zerovisor.plan import plan_layout
from zerovisor.sim.runner import run_system
from zerovisor.system import build_system

ROOT = Path(__file__).resolve().parent.parent
LAYOUT = ROOT / "tests" / "system" / "flood.toml"
READY = "console server: serving"


def measure(quick=False, progress=print):
    """The record; ``quick`` runs 1.5 M cycles instead of 4 M."""
    cycles = 1_500_000 if quick else 4_000_000
    with tempfile.TemporaryDirectory() as tmp:
        system = build_system(plan_layout(load_layout(LAYOUT)), Path(tmp))
        flood = next(p.plan.console_ring for p in system.partitions if p.plan.name == "flood")
        progress(f"flood.toml for {cycles:,} cycles ...")
        ready = run_system(system, max_cycles=cycles, echo=False, until=[READY])
        result = run_system(system, max_cycles=cycles, echo=False,
                            peek=[flood + RING.offsets["drops"]])
    if ready.reason != "until" or result.reason != "max-cycles":
        raise RuntimeError(f"the flood run did not go as planned: {ready.summary()}; "
                           f"{result.summary()}")
    boot_bytes = ready.output_bytes
    relayed = result.output_bytes - boot_bytes
    window = result.cycles - ready.cycles
    tail = result.output.splitlines()[1:]
    flood_lines = sum(1 for line in tail if line.startswith("[flood] "))
    return {
        "benchmark": "console bytes through the control partition, tests/system/flood.toml",
        "cycles": result.cycles,
        "cycles_relaying": window,
        "bytes_relayed": relayed,
        "bytes_per_mcycle": round(relayed / window * 1e6),
        "bytes_per_second_at_50mhz": round(relayed / window * 50e6),
        "flood_share_of_lines_percent": round(100 * flood_lines / max(len(tail), 1), 1),
        "flood_drops": result.peek[flood + RING.offsets["drops"]],
        "note": "lines in the last 64 KiB of output; drops are bytes the flooding guest's "
                "VMM could not put in its full ring",
    }


RESULT = "console"

if __name__ == "__main__":
    from zerovisor.benchmeta import main
    main(measure, RESULT, __doc__)
