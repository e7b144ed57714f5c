"""The ``zerovisor`` command."""

import argparse
import sys
from pathlib import Path

from .errors import ZerovisorError

__all__ = ["main"]

DESCRIPTION = """\
zerovisor: a Type 0 (hardware-partitioning) hypervisor for a RISC-V SoC.

The SoC is Amaranth HDL simulated by Verilator; the first run of a configuration builds
its simulation model (about half a minute) and caches it in ~/.cache/zerovisor
(or $ZEROVISOR_CACHE).
"""

RUN_ELF_HELP = """\
Run a bare-metal RV32 program linked for RAM at 0x80000000, from its entry point, on
hart 0 in M-mode. The UART's output streams to the terminal. The run ends when the
program writes the test finisher (0x00100000: 0x5555 passes, (code << 16) | 0x3333
fails), stores to its `tohost` symbol (1 passes, 2n+1 fails test n), at --max-cycles,
or on Ctrl-C.

exit status: 0 pass, 1 fail, 2 cycle limit reached, 130 interrupted.
"""


def _parser():
    parser = argparse.ArgumentParser(
        prog="zerovisor", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run-elf", help="run a bare-metal program in simulation",
                         description=RUN_ELF_HELP,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("program", metavar="PROGRAM.elf", help="RV32 ELF file")
    _run_options(run)

    sim = sub.add_parser("sim", help="build the demo program and run it in simulation",
                         description="Build the demo program (firmware/guests/hello.c) "
                         "and run it on the simulated SoC.")
    _run_options(sim)
    return parser


def _positive_int(text):
    try:
        value = int(text.replace("_", ""), 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _run_options(parser):
    parser.add_argument("--max-cycles", type=_positive_int, metavar="N",
                        help="stop after N clock cycles (default: no limit)")
    parser.add_argument("--trace", metavar="FILE.fst", type=Path,
                        help="write an FST waveform of the whole run (slower; builds a "
                        "tracing model once)")
    parser.add_argument("--quiet", action="store_true",
                        help="print only the verdict, not the UART output or progress")


def _status(console):
    def show(text):
        console.print(f"[bold cyan]zerovisor:[/] {text}", highlight=False)
    return show


def _run(program, args, console):
    from .sim.runner import run_elf
    result = run_elf(program, max_cycles=args.max_cycles, trace=args.trace,
                     echo=not args.quiet, progress=None if args.quiet else _status(console))
    sys.stdout.flush()
    style = "green" if result.passed else "red"
    console.print(f"[bold {style}]{result.summary()}[/]", highlight=False)
    return result.exit_status


def main(argv=None):
    from rich.console import Console
    console = Console(stderr=True)
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "run-elf":
            return _run(args.program, args, console)
        if args.command == "sim":
            from .firmware.build import demo_elf
            from .sim.build import cache_dir
            elf = demo_elf(cache_dir() / "demo")
            return _run(elf, args, console)
    except ZerovisorError as exc:
        console.print(f"[bold red]zerovisor: error:[/] {exc}", highlight=False)
        return 1
    except KeyboardInterrupt:
        console.print("[bold red]zerovisor: interrupted[/]")
        return 130
    parser.error(f"unknown command {args.command!r}")


if __name__ == "__main__":
    sys.exit(main())
