"""The same Verilated model driven from a plain C++ loop, without cocotb or Python.

It is the yardstick for the simulator's speed: ``bench/sim_speed.py`` runs a program both
ways and reports cocotb's figure beside this one. The driver (``native/main.cpp``) loads the
memories through VPI, lets the Verilog wrapper's clock run, prints the UART and stops where
the harness stops; it is compiled once per model, next to it.
"""

import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError, SimError
from .build import CLOCK_PERIOD_PS, build_model, verilator_env
from .harness import StopReason

__all__ = ["NativeResult", "native_binary", "run_native"]

_MAIN = Path(__file__).resolve().parent / "native" / "main.cpp"
_SUPPORT = ("verilated.o", "verilated_vpi.o", "verilated_threads.o", "verilated_dpi.o")
_REASONS = {StopReason.FINISHER: "finisher", StopReason.TOHOST: "tohost",
            StopReason.MAX_CYCLES: "max-cycles"}


@dataclass
class NativeResult:
    reason: str
    code: int
    cycles: int
    seconds: float
    output: str


def native_binary(model):
    """The native driver for the built model in folder ``model``, compiled if needed."""
    obj = model / "obj"
    binary = obj / "zv_native"
    if binary.exists() and binary.stat().st_mtime >= _MAIN.stat().st_mtime:
        return binary
    root = verilator_env()
    command = ["c++", "-std=c++20", "-O2", f"-DZV_HALF_PERIOD={CLOCK_PERIOD_PS // 2}",
               f"-I{obj}", f"-I{root}/include",
               f"-I{root}/include/vltstd", str(_MAIN), str(obj / "Vtop__ALL.a"),
               *(str(obj / name) for name in _SUPPORT), "-lpthread", "-o", str(binary)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise BuildError(f"compiling the native driver failed:\n{done.stderr[-2000:]}")
    return binary


def run_native(config, memories, *, max_cycles, wrapper=()):
    """Run a model of ``config`` with ``memories`` loaded (as the runner's ``elf_memories``
    or ``system_memories`` give them) for at most ``max_cycles`` cycles; ``wrapper`` is a
    command the driver runs under (a profiler, :mod:`zerovisor.sim.profile`)."""
    binary = native_binary(build_model(config))
    with tempfile.TemporaryDirectory(prefix="zerovisor-native-") as tmp:
        load = Path(tmp) / "load.txt"
        with open(load, "w") as f:
            for path, words in memories.items():
                f.write(f"@{path}\n")
                f.writelines(f"{index:x} {word:x}\n" for index, word in words)
        start = time.monotonic()
        done = subprocess.run([*wrapper, str(binary), str(load), str(max_cycles)],
                              capture_output=True)
        wall = time.monotonic() - start
    err = done.stderr.decode(errors="replace")
    found = re.search(r"stopped (\d+) code (\d+) cycles (\d+) seconds ([\d.]+)", err)
    if done.returncode or not found:
        raise SimError(f"the native driver failed (status {done.returncode}): {err[-500:]}")
    return NativeResult(reason=_REASONS.get(int(found[1]), "unknown"), code=int(found[2]),
                        cycles=int(found[3]), seconds=min(float(found[4]), wall),
                        output=done.stdout.decode(errors="replace"))
