"""Simulation speed and core CPI on a CPU-bound program (CRC-32), recorded as JSON.

Usage: python bench/sim_speed.py [--rounds N]; writes bench/results/sim_speed.json.
"""

import argparse
import json
import os
import platform
import re
import tempfile
import time
from pathlib import Path

from zerovisor.firmware.build import build_program
from zerovisor.sim.build import SimConfig, build_model
from zerovisor.sim.runner import run_elf

HERE = Path(__file__).resolve().parent


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    model = build_model(SimConfig(), progress=print)
    build_seconds = float((model / "build_seconds").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "crc.c"
        src.write_text(f"#define ROUNDS {args.rounds}\n" + (HERE / "crc.c").read_text())
        elf = build_program([src], tmp)
        start = time.monotonic()
        result = run_elf(elf, echo=False)
        wall = time.monotonic() - start
    assert result.passed, result.summary()
    m = re.search(r"cycles (\d+) instret (\d+)", result.output)
    cycles, instret = int(m[1]), int(m[2])
    record = {
        "benchmark": "crc32 4 KiB x rounds, single-hart SoC, Verilator --timing, cocotb",
        "rounds": args.rounds,
        "sim_cycles": result.cycles,
        "sim_seconds": round(result.seconds, 3),
        "sim_mcycles_per_second": round(result.cycles / result.seconds / 1e6, 3),
        "run_elf_wall_seconds": round(wall, 2),
        "core_cpi": round(cycles / instret, 3),
        "verilator_build_seconds": build_seconds,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average": os.getloadavg()[0],
    }
    out = HERE / "results" / "sim_speed.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
