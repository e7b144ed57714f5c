"""Isolation: the audit's matrix on examples/quad.toml (every attempt from every guest
partition refused and logged), and timing isolation under attack: the compute guest's
kernel cycles and SBI round trip with the attack guest hammering beside it (every
attempt of the audit, unpaced, through the deliberately buggy VMM: other partitions'
banks, shared devices, doorbells, the control partition's violation interrupt) against
the same layout with a quiet guest there (bench/layouts/attack.toml).

Usage: python bench/isolation.py      # writes bench/results/isolation.json
"""

import re
import tempfile
from pathlib import Path

from zerovisor.audit import build_attack_system, run_audit
from zerovisor.layout import load_layout
from zerovisor.plan import plan_layout
from zerovisor.sim.runner import run_system
from zerovisor.system import build_system

HERE = Path(__file__).resolve().parent
LAYOUT = HERE / "layouts" / "attack.toml"
QUAD = HERE.parent / "examples" / "quad.toml"
KERNEL = re.compile(r"\[compute\] kernel (\w+) result (0x[0-9a-f]+) cycles (\d+)")
SBI = re.compile(r"\[compute\] sbi round trip min (\d+) mean (\d+)")
UNTIL = ["compute: done", "[victim] tick 2"]


def _run(system):
    result = run_system(system, echo=False, max_cycles=12_000_000, until=UNTIL)
    if result.reason != "until":
        raise RuntimeError(f"the run did not finish: {result.summary()}\n"
                           f"{result.output[-2000:]}")
    kernels = {m[1]: (int(m[2], 16), int(m[3])) for m in KERNEL.finditer(result.output)}
    sbi = SBI.search(result.output)
    return kernels, (int(sbi[1]), int(sbi[2])), result


def measure(quick=False, progress=print):
    """The record; ``quick`` audits from one partition only."""
    with tempfile.TemporaryDirectory() as tmp:
        progress("audit of examples/quad.toml ...")
        audit = run_audit(QUAD, Path(tmp) / "audit", partitions=["logger"] if quick else None,
                          progress=None)
        progress("compute beside a quiet guest ...")
        quiet = _run(build_system(plan_layout(load_layout(LAYOUT)), Path(tmp) / "quiet"))
        progress("compute beside the attack guest, hammering ...")
        system, targets = build_attack_system(plan_layout(load_layout(LAYOUT)), "attacker",
                                              Path(tmp) / "attack", hammer=True)
        attacked = _run(system)
    (kq, sq, _), (ka, sa, run) = quiet, attacked
    if kq.keys() != ka.keys() or not kq:
        raise RuntimeError(f"kernels missing: {sorted(kq)} vs. {sorted(ka)}")
    kernels = {}
    for name, (result, cycles) in kq.items():
        if ka[name][0] != result:
            raise RuntimeError(f"kernel {name}: result differs under attack")
        kernels[name] = {"quiet_cycles": cycles, "attacked_cycles": ka[name][1],
                         "slowdown_percent": round(100 * (ka[name][1] / cycles - 1), 2)}
    violations = re.findall(r"\[control\] event: violation: \w+ by attacker .* "
                            r"([0-9a-f]{8})$", run.output, re.MULTILINE)
    return {
        "benchmark": "isolation: audit matrix, and a victim's progress under attack",
        "audit_layout": "examples/quad.toml",
        "audit_attackers": [r["attacker"] for r in audit.runs],
        "audit_cells": len(audit.cells),
        "audit_breaches": len(audit.breaches),
        "audit_totals": {k: {"cells": n, "breaches": b} for k, (n, b) in
                         audit.totals().items()},
        "attack_layout": "bench/layouts/attack.toml",
        "attack_targets": len(targets),
        "attack_violation_reports": len(violations),
        "kernels_under_attack": kernels,
        "worst_kernel_slowdown_percent": max(k["slowdown_percent"] for k in kernels.values()),
        "sbi_round_trip_quiet": {"min": sq[0], "mean": sq[1]},
        "sbi_round_trip_under_attack": {"min": sa[0], "mean": sa[1]},
    }


RESULT = "isolation"

if __name__ == "__main__":
    from zerovisor.benchmeta import main
    main(measure, RESULT, __doc__)
