"""Where a simulation model's time goes: host instructions per simulated cycle, by block.

The native driver (:mod:`zerovisor.sim.native`) runs a model built with line information
(``SimConfig(debug_info=True)``) under valgrind's callgrind twice, for ``cycles`` cycles
and for ``warmup`` cycles; the difference of each line's count, divided by the cycles in
between, is what that line of Verilator's C++ costs a cycle, without the loading of the
memories and the model's construction. Instructions are counted, not sampled: a profile
is the same from run to run, where the run time of one model varies by up to 15 % on
these machines (and two links of the same model by up to 7 %).

Each line is charged to the block (the SoC's module instance, ``soc/cpu2/mmu``) whose
signal is named nearest before it: Verilator writes a statement with the hierarchical
names of what it computes and reads. A statement that mixes blocks goes to the first name
found looking back, which is an approximation. Verilator's run-time headers, inlined into
the model, are charged apart, and so is code without line information (the driver, the
run-time library compiled once for every model, the C library).
"""

import os
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import SimError
from .build import build_model
from .native import run_native

__all__ = ["Profile", "charge", "fold", "parse_callgrind", "profile_model"]

_SIGNAL = re.compile(r"zv_sim__DOT__h__DOT__(\w+)")
_ESCAPE = re.compile(r"__0([0-9A-F]{2})")
_LOOK_BACK = 60     # lines: a statement of Verilator's C++ rarely spans more
RUNTIME = "(Verilator run-time)"
DRIVER = "(no line information: driver, libraries)"
UNNAMED = "(model code naming no signal)"


@dataclass
class Profile:
    """Host instructions per simulated cycle: ``total``, and ``blocks`` (block: count)."""
    cycles: int
    total: float
    blocks: dict


def parse_callgrind(path):
    """Self cost (the first event, instructions) of every (file, line) in callgrind's
    output ``path``."""
    costs = Counter()
    names = {}
    current = None
    line = 0
    inclusive = False       # the cost line after calls= is the callee's, not the line's
    with open(path) as f:
        for raw in f:
            text = raw.rstrip("\n")
            if not text:
                continue
            key, _, value = text.partition("=")
            if key in ("fl", "fi", "fe"):
                current = _compressed(value, names)
                continue
            if key in ("cfl", "cfi"):
                _compressed(value, names)
                continue
            if key == "calls":
                inclusive = True
                continue
            if text[0] not in "0123456789+-*":
                continue
            fields = text.split()
            position = fields[0]
            if position[0] in "+-":
                line += int(position)
            elif position != "*":
                line = int(position)
            if inclusive:
                inclusive = False
                continue
            if len(fields) > 1:
                costs[(current, line)] += int(fields[1])
    return costs


def _compressed(value, names):
    """A file name in callgrind's compressed form, ``(id) name`` once and ``(id)`` later."""
    found = re.match(r"\((\d+)\)(?: (.*))?$", value)
    if not found:
        return value
    if found[2] is not None:
        names[found[1]] = found[2]
    return names.get(found[1], value)


def _unescape(name):
    return _ESCAPE.sub(lambda m: chr(int(m[1], 16)), name)


def block_of(name):
    """The block of a Verilator variable name below the harness (``soc__DOT__cpu0__DOT__
    pc`` is ``soc/cpu0``; a signal of the harness itself is ``harness``)."""
    parts = [_unescape(p) for p in name.split("__DOT__")]
    return "/".join(parts[:-1]) or "harness"


def fold(block):
    """``block`` with instance numbers made ``*`` and Amaranth's ``$N`` suffixes dropped:
    the four cores' ``soc/cpu0`` to ``soc/cpu3`` are all ``soc/cpu*``."""
    parts = [re.sub(r"(?<=[a-z])\d+", "*", re.sub(r"\$\d+$", "", p)) for p in block.split("/")]
    return "/".join(parts)


def charge(costs, model_dir, *, depth=3, folded=True):
    """Add up ``costs`` (from :func:`parse_callgrind`) by block, blocks cut to ``depth``
    levels below the harness and (``folded``) their instance numbers made ``*``."""
    model_dir = Path(model_dir)
    sources = {}
    blocks = Counter()
    for (path, number), cost in costs.items():
        name = os.path.basename(path or "")
        if name not in sources:
            file = model_dir / name
            sources[name] = (file.read_text(errors="replace").split("\n")
                             if name.startswith("Vtop") and file.exists() else None)
        lines = sources[name]
        if lines is None:
            blocks[RUNTIME if name.startswith("verilated") else DRIVER] += cost
            continue
        block = UNNAMED
        for index in range(min(number, len(lines)) - 1, max(number - 1 - _LOOK_BACK, -1), -1):
            found = _SIGNAL.search(lines[index])
            if found:
                block = block_of(found[1])
                break
        if block != UNNAMED:
            block = "/".join(block.split("/")[:depth])
            if folded:
                block = fold(block)
        blocks[block] += cost
    return blocks


def profile_model(config, memories, *, cycles, warmup=1000, depth=3, folded=True,
                  progress=None):
    """Profile a model of ``config`` (built with line information: ``debug_info`` is set
    here) running ``memories`` (as ``run_native`` takes them) for ``cycles`` cycles."""
    if shutil.which("valgrind") is None:
        raise SimError("profiling needs valgrind (its callgrind tool counts the "
                       "instructions); install it, e.g. apt-get install valgrind")
    if not isinstance(cycles, int) or not isinstance(warmup, int) or \
            not 0 < warmup < cycles:
        raise SimError(f"need 0 < warmup < cycles, not warmup={warmup} cycles={cycles}")
    config = replace(config, debug_info=True)
    model = build_model(config, progress=progress)
    counts = []
    with tempfile.TemporaryDirectory(prefix="zerovisor-profile-") as tmp:
        for run in (warmup, cycles):
            if progress:
                progress(f"counting the instructions of {run:,} cycles under callgrind "
                         f"(some 50 times slower than a plain run)")
            out = Path(tmp) / f"callgrind.{run}"
            result = run_native(config, memories, max_cycles=run, wrapper=(
                "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"))
            if result.cycles < run:
                raise SimError(f"the program stopped after {result.cycles:,} cycles "
                               f"({result.reason}), before the {run:,} to profile")
            counts.append(parse_callgrind(out))
    short, long = counts
    span = cycles - warmup
    per_line = Counter({key: (long[key] - short.get(key, 0)) / span for key in long})
    blocks = charge(per_line, model / "obj", depth=depth, folded=folded)
    return Profile(cycles=cycles, total=sum(blocks.values()), blocks=dict(blocks))
