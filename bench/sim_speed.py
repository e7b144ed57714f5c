"""Simulation speed: simulated cycles per second under cocotb beside the same Verilated
model driven natively (``zerovisor.sim.native``), for 1, 2, 4 and 8 harts and for the
default layout's boot; model build times; the core's CPI on the load. Recorded as JSON.

The load is CRC-32 on hart 0 (the other harts park in WFI: the simulator evaluates them
all the same), and ``examples/quad.toml`` booting and running its four partitions. The
CRC runs on the SoC a layout builds (one PMP entry a hart, as ``[soc] pmp_entries``
defaults to), so that the 4-hart CRC and quad.toml share one model.

Usage: python bench/sim_speed.py [--quick] [--out FILE]; writes
bench/results/sim_speed.json (``--quick``: 1 hart, few rounds, no quad, written only
where ``--out`` says).
"""

import re
import tempfile
import time
from pathlib import Path

from zerovisor.firmware.build import build_program
from zerovisor.sim.build import SimConfig, build_model
from zerovisor.sim.native import run_native
from zerovisor.sim.runner import elf_memories, run_elf, run_system, system_config, system_memories

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
QUAD_CYCLES = 3_000_000


def _build(config, progress):
    """(model folder, seconds its cold build took, seconds a cached lookup takes)."""
    model = build_model(config, progress=progress)
    start = time.monotonic()
    build_model(config)
    cached = time.monotonic() - start
    return model, float((model / "build_seconds").read_text()), cached


def crc_speed(harts, rounds, progress):
    from zerovisor.layout import Soc
    config = SimConfig(harts=harts, banks=min(harts, 4) if harts > 1 else 1,
                       pmp_entries=Soc().pmp_entries)
    _, cold, cached = _build(config, progress)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "crc.c"
        src.write_text(f"#define ROUNDS {rounds}\n" + (HERE / "crc.c").read_text())
        elf = build_program([src], tmp)
        result = run_elf(elf, echo=False, config=config)
        _, memories = elf_memories(elf, config)
        native = run_native(config, memories, max_cycles=result.cycles + 1000)
    assert result.passed, result.summary()
    assert native.reason == "finisher" and native.code & 1, native
    m = re.search(r"cycles (\d+) instret (\d+)", result.output)
    return {
        "harts": harts,
        "sim_cycles": result.cycles,
        "cocotb_mcycles_per_second": round(result.cycles / result.seconds / 1e6, 3),
        "native_mcycles_per_second": round(native.cycles / native.seconds / 1e6, 3),
        "cocotb_to_native": round(native.seconds / result.seconds, 3),
        "core_cpi": round(int(m[1]) / int(m[2]), 3),
        "cold_build_seconds": cold,
        "cached_build_seconds": round(cached, 3),
    }


def quad_speed(progress):
    from zerovisor.layout import load_layout
    from zerovisor.plan import plan_layout
    from zerovisor.system import build_system
    plan = plan_layout(load_layout(ROOT / "examples" / "quad.toml"))
    with tempfile.TemporaryDirectory() as tmp:
        system = build_system(plan, Path(tmp))
        config = system_config(system)
        _, cold, cached = _build(config, progress)
        result = run_system(system, max_cycles=QUAD_CYCLES, echo=False)
        native = run_native(config, system_memories(system, config), max_cycles=QUAD_CYCLES)
    return {
        "layout": "examples/quad.toml",
        "harts": config.harts,
        "sim_cycles": result.cycles,
        "cocotb_mcycles_per_second": round(result.cycles / result.seconds / 1e6, 3),
        "native_mcycles_per_second": round(native.cycles / native.seconds / 1e6, 3),
        "cocotb_to_native": round(native.seconds / result.seconds, 3),
        "cold_build_seconds": cold,
        "cached_build_seconds": round(cached, 3),
    }


def measure(quick=False, progress=print, *, harts=(1, 2, 4, 8), rounds=20):
    """The record; ``quick``: 1 hart, 5 rounds, no quad."""
    if quick:
        harts, rounds = (1,), 5
    record = {
        "benchmark": "simulated cycles per second, Verilator, the clock toggled in C++: "
                     "cocotb (the product's runner) and a native C++ loop (the same "
                     "model); CRC-32 on hart 0, and the default layout booting",
        "rounds": rounds,
        "crc": [crc_speed(n, rounds, progress) for n in harts],
    }
    if not quick:
        record["quad"] = quad_speed(progress)
    return record


RESULT = "sim_speed"

if __name__ == "__main__":
    from zerovisor.benchmeta import main
    main(measure, RESULT, __doc__)
