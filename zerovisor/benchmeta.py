"""What every benchmark record says about where it was measured: commit, date, machine
and load. Cycle counts are exact; wall-clock figures mean little without these."""

import argparse
import datetime
import json
import os
import platform
import subprocess
from pathlib import Path

__all__ = ["machine", "stamp", "write", "main", "RESULTS"]

RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results"


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine():
    return {"cpu": _cpu_model(), "arch": platform.machine(), "cores": os.cpu_count()}


def current_commit():
    here = Path(__file__).resolve().parent
    try:
        done = subprocess.run(["git", "-C", str(here), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def stamp(record, quick=False):
    """``record`` with ``commit``, ``date``, ``machine``, ``load_average`` and ``quick`` (a
    short run's, not to be compared with the others) added."""
    return {
        **record,
        "commit": current_commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average": round(os.getloadavg()[0], 2),
        "quick": quick,
    }


def write(record, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")


def main(measure, result, doc):
    """The command line of one benchmark script: ``[--quick] [--out FILE]``; writes
    ``bench/results/RESULT.json`` (with ``--quick``, only where ``--out`` says)."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the short version")
    parser.add_argument("--out", type=Path, help=f"JSON file to write (default "
                        f"bench/results/{result}.json, none with --quick)")
    args = parser.parse_args()
    record = stamp(measure(quick=args.quick, progress=print), args.quick)
    out = args.out or (None if args.quick else RESULTS / f"{result}.json")
    if out:
        write(record, out)
    print(json.dumps(record, indent=2))
