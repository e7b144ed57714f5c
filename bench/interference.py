"""Interference between partitions: hart 0's kernel cycles in its own RAM bank, alone and
with the three other harts hammering their own banks and the shared devices, and (for
contrast) hammering hart 0's bank. Runs firmware/smp/interference.S on the 4-hart,
4-bank SoC and records bench/results/interference.json.

Usage: python bench/interference.py
"""

import re
import tempfile
from pathlib import Path

from zerovisor.firmware.build import FIRMWARE_DIR, build_program
from zerovisor.sim.build import SimConfig
from zerovisor.sim.runner import run_elf

HERE = Path(__file__).resolve().parent


def measure(quick=False, progress=print):
    """The record (``quick`` changes nothing)."""
    config = SimConfig(harts=4, banks=4)
    with tempfile.TemporaryDirectory() as tmp:
        elf = build_program([FIRMWARE_DIR / "smp" / "interference.S"], tmp, runtime=False,
                            banks=4, include_dirs=[FIRMWARE_DIR / "isa"])
        result = run_elf(elf, echo=False, config=config, progress=progress)
    m = re.search(r"alone (\d+) busy (\d+) shared (\d+)", result.output)
    if not result.passed or m is None:
        raise RuntimeError(f"the benchmark program failed: {result.summary()}\n{result.output}")
    alone, busy, shared = map(int, m.groups())
    return {
        "benchmark": "hart 0: 2000 iterations of loads and stores in its own bank (mcycle)",
        "soc": "4 harts, 4 RAM banks, Verilator",
        "alone_cycles": alone,
        "others_busy_own_banks_and_devices_cycles": busy,
        "slowdown_percent": round(100 * (busy - alone) / alone, 2),
        "others_in_the_same_bank_cycles": shared,
        "same_bank_slowdown_percent": round(100 * (shared - alone) / alone, 2),
    }


RESULT = "interference"

if __name__ == "__main__":
    from zerovisor.benchmeta import main
    main(measure, RESULT, __doc__)
