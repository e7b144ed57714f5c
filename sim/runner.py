"""Runs a bare-metal program on the simulated SoC and reports how the run ended."""

import dataclasses
import json
import os
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import SimError
from ..firmware.abi import VMM
from ..rtl.bootrom import ENTRY_WORD
from ..rtl.memmap import RAM_BASE
from .build import CLOCK_PERIOD_PS, TOPLEVEL, SimConfig, build_model, fst_supported, verilator_env
from .elf import read_program, to_words

__all__ = ["RunResult", "check_trace", "run_elf", "run_system", "system_config", "elf_memories",
           "system_memories"]

NO_LIMIT = (1 << 64) - 1


@dataclass
class RunResult:
    """How a run ended.

    ``reason`` is ``finisher``, ``tohost``, ``max-cycles`` or ``interrupted``; ``passed``
    is true only for a pass verdict; ``code`` is the failure code the program gave.
    """

    reason: str
    passed: bool
    code: int
    cycles: int
    seconds: float
    output: str
    divergence: str | None = None   # the lockstep report, if the model disagreed
    peek: dict = dataclasses.field(default_factory=dict)  # RAM address -> word at the end
    lockstep: str | None = None     # the lockstep summary
    checked: int = 0
    # with a timeline: [hart_state, [watched words]] every ``interval`` cycles
    timeline: list | None = None
    output_bytes: int = 0           # all the UART printed (``output`` keeps the last 64 KiB)

    @property
    def exit_status(self):
        if self.passed:
            return 0
        return {"max-cycles": 2, "interrupted": 130, "divergence": 3}.get(self.reason, 1)

    def summary(self):
        rate = self.cycles / self.seconds / 1e6 if self.seconds > 0 else 0.0
        what = {
            "finisher": "PASS (finisher)" if self.passed else
                        f"FAIL (finisher, code {self.code})",
            "tohost": "PASS (tohost)" if self.passed else f"FAIL (tohost, test {self.code})",
            "max-cycles": "TIMEOUT (--max-cycles reached)",
            "until": "DONE (the expected output appeared)",
            "interrupted": "INTERRUPTED (Ctrl-C)",
            "divergence": "DIVERGENCE from the reference model",
        }.get(self.reason, f"STOPPED ({self.reason})")
        return (f"{what} after {self.cycles:,} cycles in {self.seconds:.2f} s "
                f"({rate:.2f} M cycles/s)")


def _verdict(reason, code):
    if reason == "finisher":
        return bool(code & 1), code >> 16
    if reason == "tohost":
        return code == 1, code >> 1
    if reason == "until":
        return True, 0
    return False, 0


def run_elf(path, *, max_cycles=None, trace=None, echo=True, progress=None,
            config=SimConfig(), lockstep=False, trace_retire=None, trace_window=None):
    """Run the ELF at ``path`` from its entry point on hart 0 in M-mode.

    Parameters
    ----------
    max_cycles : int or None
        Stop after this many cycles (``None``: run until the program ends or Ctrl-C).
    trace : path or None
        Write a waveform there: VCD for ``.vcd``, FST for ``.fst`` (builds a model with
        tracing, once).
    echo : bool
        Copy the UART's output to standard output as it is printed.
    progress : callable or None
        Receives status lines (model builds).
    lockstep : bool
        Check every retired instruction against the reference model (slower).
    trace_retire : path or None
        Write the retire trace there as text, one instruction per line.
    trace_window : (first, last) or None
        Write only cycles ``first`` to ``last`` (either may be ``None``: from the start,
        to the end) of the waveform.
    """
    if max_cycles is not None and (not isinstance(max_cycles, int) or max_cycles < 1):
        raise SimError(f"max-cycles must be a positive number of cycles, not {max_cycles!r}")
    program, memories = elf_memories(path, config)
    return _run(config, memories, max_cycles=max_cycles, trace=trace, echo=echo,
                progress=progress, tohost=program.tohost, trace_window=trace_window,
                retire={"lockstep": lockstep,
                        "trace_file": str(Path(trace_retire).resolve()) if trace_retire
                        else None} if lockstep or trace_retire else None)


def run_system(system, *, max_cycles=None, until=(), trace=None, echo=True, progress=None,
               peek=(), typed="", typed_after="type help", interactive=False,
               trace_window=None, timeline=None, late_mem=False):
    """Boot a built :class:`~zerovisor.system.System`: its boot ROM, its image slices in
    RAM, every hart from reset.

    ``until`` lists texts: the run ends (reason ``until``, a pass) once the console output
    holds every one of them. ``peek`` lists RAM addresses whose words the result's ``peek``
    gives at the end of the run. ``typed`` is typed into UART0 once the console has shown
    ``typed_after`` (the control partition's shell is ready), a byte every few thousand
    cycles. ``interactive`` passes the terminal's keys to UART0 as they are typed (the
    caller puts the terminal in cbreak mode). ``timeline`` is a sampling interval in
    cycles: the result's ``timeline`` then holds, for every interval, each hart's state
    and each partition's state word (see :mod:`zerovisor.timeline`). ``late_mem``
    simulates the harts as a board build makes them (see :class:`~zerovisor.rtl.soc.SoC`).
    Other parameters are as for :func:`run_elf`.
    """
    if timeline is not None and (not isinstance(timeline, int) or timeline < 1):
        raise SimError(f"a timeline's sampling interval must be a positive number of "
                       f"cycles, not {timeline!r}")
    config = system_config(system, late_mem=late_mem)
    memories = system_memories(system, config)
    return _run(config, memories, max_cycles=max_cycles, trace=trace, echo=echo,
                progress=progress, until=list(until), peek=list(peek),
                typed=(typed, typed_after), interactive=interactive,
                trace_window=trace_window,
                timeline=None if timeline is None else {
                    "interval": timeline,
                    "words": [_ram_word(config, p.vmm_addr + VMM.offsets["state"])
                              for p in system.partitions]})


def elf_memories(path, config):
    """The program read from the ELF at ``path``, and the memory words that load it: its
    segments in RAM and its entry point in the boot ROM's jump slot."""
    program = read_program(path, ram_base=RAM_BASE, ram_size=config.ram_size)
    words = to_words(RAM_BASE, program.segments)
    memories = {"h.soc.rom.mem": [(ENTRY_WORD, program.entry)]}
    memories.update(_ram_memories(config, words))
    return program, memories


def system_memories(system, config):
    """The memory words of a built system: its boot ROM and its image slices in RAM."""
    words = {}
    for base, data in system.ram.items():
        words.update(to_words(RAM_BASE, [(base, data)]))
    memories = {"h.soc.rom.mem": list(enumerate(system.rom))}
    memories.update(_ram_memories(config, {i: w for i, w in words.items() if w}))
    return memories


def system_config(system, *, late_mem=False):
    """The simulation model a built system runs on."""
    # (the banks' home harts make a difference to late_mem's SoC only: the plain model is
    # the same for every layout of the same size)
    homes = tuple(tuple(h) for h in system.params["bank_harts"]) if late_mem else None
    return SimConfig(late_mem=late_mem, bank_harts=homes, **{k: system.params[k] for k in (
        "ram_size", "clock_hz", "harts", "banks", "uarts", "pmp_entries")})


def _ram_memories(config, words):
    """RAM words (index from RAM_BASE) by the bank memory that holds them."""
    if config.banks == 1:
        return {"h.soc.ram.mem": sorted(words.items())}
    bank_words = config.ram_size // config.banks // 4
    return {f"h.soc.ram{b}.mem": sorted((i - b * bank_words, w) for i, w in words.items()
                                        if b * bank_words <= i < (b + 1) * bank_words)
            for b in range(config.banks)}


def _ram_word(config, address):
    """(memory path, index) of the RAM word at ``address``."""
    index = (address - RAM_BASE) // 4
    if not 0 <= index < config.ram_size // 4:
        raise SimError(f"0x{address:08x} is not in RAM")
    if config.banks == 1:
        return "h.soc.ram.mem", index
    bank_words = config.ram_size // config.banks // 4
    return f"h.soc.ram{index // bank_words}.mem", index % bank_words


def check_trace(trace, trace_window):
    """Refuse a waveform request that cannot be met (a window without a file, a window
    that ends before it starts, a file that is neither .vcd nor .fst, FST without lz4),
    before anything is built: the runs call it, and the command line before them."""
    if trace_window is not None:
        if trace is None:
            raise SimError("a trace window (--trace-from/--trace-to) needs a waveform file "
                           "(--trace FILE)")
        first, last = trace_window
        for value in (first, last):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise SimError(f"a trace window's cycles must be whole numbers >= 0, "
                               f"not {value!r}")
        if first is not None and last is not None and last < first:
            raise SimError(f"the trace window ends (cycle {last}) before it starts "
                           f"(cycle {first})")
    if trace is not None:
        kind = Path(trace).suffix.lower().lstrip(".")
        if kind not in ("vcd", "fst"):
            raise SimError(f"{trace}: a waveform file must end in .vcd or .fst")
        if kind == "fst" and not fst_supported():
            raise SimError(f"{trace}: Verilator's FST writer needs the lz4 library's "
                           f"header (Debian: apt-get install liblz4-dev), which this "
                           f"machine lacks; write a .vcd instead")


def _run(config, memories, *, max_cycles, trace, echo, progress, tohost=None, retire=None,
         until=(), peek=(), typed=("", ""), interactive=False, trace_window=None,
         timeline=None):
    if max_cycles is not None and (not isinstance(max_cycles, int) or max_cycles < 1):
        raise SimError(f"max-cycles must be a positive number of cycles, not {max_cycles!r}")
    check_trace(trace, trace_window)
    if trace is not None:
        config = dataclasses.replace(config, trace=Path(trace).suffix.lower().lstrip("."))
    model = build_model(config, progress=progress)
    verilator_env()

    with tempfile.TemporaryDirectory(prefix="zerovisor-run-") as tmp:
        tmp = Path(tmp)
        run_cfg = {
            "memories": memories,
            "max_cycles": NO_LIMIT if max_cycles is None else max_cycles,
            "tohost": tohost,
            "echo": echo,
            "progress": progress is not None,
            "result": str(tmp / "result.json"),
            "retire": retire,
            "until": list(until),
            "peek": [_ram_word(config, a) for a in peek],
            "input": typed[0],
            "input_after": typed[1],
            "interactive": interactive,
            "timeline": timeline,
        }
        (tmp / "run.json").write_text(json.dumps(run_cfg))
        test_args = []
        if trace is not None:
            test_args = ["--trace-file", str(Path(trace).resolve())]
            first, last = trace_window or (None, None)
            if first is not None:
                test_args += ["--trace-from", str(first * CLOCK_PERIOD_PS)]
            if last is not None:
                test_args += ["--trace-to", str((last + 1) * CLOCK_PERIOD_PS)]
        _simulate(model, tmp, test_args)
        result_file = tmp / "result.json"
        if not result_file.exists():
            raise SimError("the simulator stopped without a result (interrupted or crashed)")
        res = json.loads(result_file.read_text())
    passed, code = _verdict(res["reason"], res["code"])
    return RunResult(reason=res["reason"], passed=passed, code=code, cycles=res["cycles"],
                     seconds=res["seconds"], output=res["output"],
                     divergence=res.get("divergence"), lockstep=res.get("lockstep"),
                     checked=res.get("checked", 0), timeline=res.get("timeline"),
                     output_bytes=res.get("output_bytes", 0),
                     peek=dict(zip(peek, res.get("peek", []))))


def _simulate(model, workdir, test_args):
    from .build import _runner

    runner = _runner()
    env = {
        "ZV_RUN": str(workdir / "run.json"),
        "COCOTB_LOG_LEVEL": os.environ.get("COCOTB_LOG_LEVEL", "WARNING"),
        "GPI_LOG_LEVEL": os.environ.get("GPI_LOG_LEVEL", "WARNING"),
        "COCOTB_ANSI_OUTPUT": "0",
    }
    # Ctrl-C reaches the simulator too; it finishes the run cleanly and reports it,
    # so the parent only has to wait.
    previous = signal.signal(signal.SIGINT, lambda *_: None)
    try:
        runner.test(
            test_module="zerovisor.sim.cocotb_main",
            hdl_toplevel=TOPLEVEL,
            hdl_toplevel_lang="verilog",
            build_dir=model / "obj",
            test_dir=workdir,
            extra_env=env,
            test_args=test_args,
            results_xml=str(workdir / "results.xml"),
            plusargs=["+verilator+quiet"],
        )
    except SystemExit as exc:
        if not (workdir / "result.json").exists():
            raise SimError(f"the simulator failed (exit status {exc.code})") from None
    finally:
        signal.signal(signal.SIGINT, previous)
