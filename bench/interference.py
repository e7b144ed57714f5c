"""Interference between partitions: hart 0's kernel cycles in its own RAM bank, alone and
with the three other harts hammering their own banks and the shared devices, and (for
contrast) hammering hart 0's bank. Runs firmware/smp/interference.S on the 4-hart,
4-bank SoC and records bench/results/interference.json.

Usage: python bench/interference.py
"""

import json
import os
import platform
import re
import sys
import tempfile
from pathlib import Path

from zerovisor.firmware.build import FIRMWARE_DIR, build_program
from zerovisor.sim.build import SimConfig
from zerovisor.sim.runner import run_elf

HERE = Path(__file__).resolve().parent


def main():
    config = SimConfig(harts=4, banks=4)
    with tempfile.TemporaryDirectory() as tmp:
        elf = build_program([FIRMWARE_DIR / "smp" / "interference.S"], tmp, runtime=False,
                            banks=4, include_dirs=[FIRMWARE_DIR / "isa"])
        result = run_elf(elf, echo=False, config=config, progress=print)
    m = re.search(r"alone (\d+) busy (\d+) shared (\d+)", result.output)
    if not result.passed or m is None:
        sys.exit(f"the benchmark program failed: {result.summary()}\n{result.output}")
    alone, busy, shared = map(int, m.groups())
    record = {
        "benchmark": "hart 0: 2000 iterations of loads and stores in its own bank (mcycle)",
        "soc": "4 harts, 4 RAM banks, Verilator",
        "alone_cycles": alone,
        "others_busy_own_banks_and_devices_cycles": busy,
        "slowdown_percent": round(100 * (busy - alone) / alone, 2),
        "others_in_the_same_bank_cycles": shared,
        "same_bank_slowdown_percent": round(100 * (shared - alone) / alone, 2),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    out = HERE / "results" / "interference.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
