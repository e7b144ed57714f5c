"""What a partition costs its guest, on the 4-hart SoC of examples/quad.toml:

- each compute kernel's cycles in a partition (firmware/guests/compute.c, beside three
  other partitions) vs. the same kernels bare-metal in M-mode (bench/kernels.c);
- the SBI round trip (VS -> HS -> VS) of a Base call;
- timer interrupt latency seen by a guest (Sstc) vs. bare-metal (M-mode, CLINT);
- device interrupt latency seen by a guest (the PLIC's guest context) vs. bare-metal
  (M-mode, the M context), UART1 on the SoC of tests/system/devirq.toml;
- cycles from reset until every partition of examples/quad.toml has printed its first
  line (the boot firmware, every VMM's start, the guests' first SBI calls).

Usage: python bench/partition.py      # writes bench/results/partition.json
"""

import re
import tempfile
from pathlib import Path

from zerovisor.firmware.build import FIRMWARE_DIR, build_program
from zerovisor.layout import load_layout
from zerovisor.plan import bank_count, plan_layout
from zerovisor.sim.build import SimConfig
from zerovisor.sim.runner import run_elf, run_system, system_config
from zerovisor.system import build_system

HERE = Path(__file__).resolve().parent
KERNEL = re.compile(r"kernel (\w+) result (0x[0-9a-f]+) cycles (\d+) instret (\d+)")
TIMER = re.compile(r"timer latency min (\d+) mean (\d+) max (\d+)")
IRQ = re.compile(r"device interrupt: source 11 claimed 8 times, latency min (\d+) max (\d+)")


def _kernels(text):
    return {m[1]: {"result": int(m[2], 16), "cycles": int(m[3]), "instret": int(m[4])}
            for m in KERNEL.finditer(text)}


def _timer(text):
    rows = [tuple(map(int, m.groups())) for m in TIMER.finditer(text)]
    return {"min": min(r[0] for r in rows), "mean": max(r[1] for r in rows),
            "max": max(r[2] for r in rows)}


def _irq(text):
    m = IRQ.search(text)
    if m is None:
        raise RuntimeError(f"no device-interrupt line in: {text[-500:]}")
    return {"min": int(m[1]), "max": int(m[2])}


def _system(path, tmp):
    return build_system(plan_layout(load_layout(path)), Path(tmp) / path.stem)


def measure(quick=False, progress=print):
    """The record (``quick`` changes nothing)."""
    # the SoC of overhead.toml (and quad.toml): the bare-metal runs use the same model
    layout = load_layout(HERE / "layouts" / "overhead.toml")
    soc = SimConfig(harts=layout.soc.harts, banks=bank_count(layout),
                    pmp_entries=layout.soc.pmp_entries)
    lib = [FIRMWARE_DIR / "guests" / "lib"]
    with tempfile.TemporaryDirectory() as tmp:
        progress("bare-metal kernels and timer (hart 0, M-mode) ...")
        bare = run_elf(build_program([HERE / "kernels.c", lib[0] / "kernels.c"],
                                     Path(tmp) / "k", include_dirs=lib), echo=False,
                       config=soc)
        bare_timer = run_elf(build_program([HERE / "timer_bare.c"], Path(tmp) / "t",
                                           include_dirs=lib),
                             echo=False, config=soc, max_cycles=2_000_000)
        progress("the same in partitions (bench/layouts/overhead.toml) ...")
        part = run_system(_system(HERE / "layouts" / "overhead.toml", tmp), echo=False,
                          max_cycles=20_000_000,
                          until=["compute: done", "timer latency"])
        progress("device interrupts, bare-metal and in a guest (tests/system/devirq.toml) ...")
        devirq = _system(HERE.parent / "tests" / "system" / "devirq.toml", tmp)
        irq_guest = run_system(devirq, echo=False, max_cycles=2_000_000,
                               until=["[irq] device interrupt"])
        irq_bare = run_elf(build_program([HERE / "irq_bare.c"], Path(tmp) / "i",
                                         include_dirs=lib),
                           echo=False, config=system_config(devirq), max_cycles=2_000_000)
        progress("booting examples/quad.toml ...")
        quad = run_system(_system(HERE.parent / "examples" / "quad.toml", tmp), echo=False,
                          max_cycles=5_000_000,
                          until=[f"[{n}] hello" for n in ("sensor", "logger", "planner")])
    for run in (bare, bare_timer, part, quad, irq_guest, irq_bare):
        if not run.passed:
            raise RuntimeError(f"a benchmark run failed: {run.summary()}\n{run.output}")
    kb, kp = _kernels(bare.output), _kernels(part.output)
    kernels = {}
    for name, b in kb.items():
        p = kp[name]
        if p["result"] != b["result"]:
            raise RuntimeError(f"kernel {name}: result 0x{p['result']:x} in the partition, "
                               f"0x{b['result']:x} bare")
        kernels[name] = {"bare_cycles": b["cycles"], "partition_cycles": p["cycles"],
                         "overhead_percent": round(100 * (p["cycles"] / b["cycles"] - 1), 2),
                         "bare_instret": b["instret"], "partition_instret": p["instret"]}
    total_b = sum(k["bare_cycles"] for k in kernels.values())
    total_p = sum(k["partition_cycles"] for k in kernels.values())
    sbi = re.search(r"sbi round trip min (\d+) mean (\d+)", part.output)
    return {
        "benchmark": "guest in a partition vs. bare-metal on the same 4-hart SoC",
        "kernels": kernels,
        "overhead_percent_all_kernels": round(100 * (total_p / total_b - 1), 2),
        "sbi_round_trip_cycles": {"min": int(sbi[1]), "mean": int(sbi[2]),
                                  "call": "Base get_spec_version, from the compute guest, "
                                  "64 calls, three other partitions running"},
        "timer_latency_ticks": {"guest_sstc": _timer(part.output),
                                "bare_metal_m_mode": _timer(bare_timer.output),
                                "tick": "one per clock cycle"},
        "device_interrupt_latency_ticks": {
            "guest_plic_guest_context": _irq(irq_guest.output),
            "bare_metal_m_mode": _irq(irq_bare.output),
            "what": "UART1's transmitter-empty interrupt, 8 times: from the time read "
                    "just before the enabling store (the next instruction) to the trap "
                    "stub's time read, its third instruction (TIME_THEN_STORE8)",
        },
        "boot_cycles_quad": quad.cycles,
        "boot_note": "reset to the last of the three guests' first console line in "
                     "examples/quad.toml (boot summary printed at 1 byte per cycle)",
    }


RESULT = "partition"

if __name__ == "__main__":
    from zerovisor.benchmeta import main
    main(measure, RESULT, __doc__)
