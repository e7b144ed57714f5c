"""Where the simulation model's time goes: host instructions per simulated cycle, by block
of the SoC, counted with valgrind's callgrind (see ``zerovisor.sim.profile``).

Usage: python bench/sim_profile.py [LAYOUT.toml] [--cycles N] [--warmup N] [--depth N]
       [--instances] [--top N] [--out FILE.json]

Profiles the layout (default examples/quad.toml) booting and running: its boot takes
some 235,000 cycles, so the default window, cycles 250,000 to 350,000, is its partitions
at work. Needs valgrind; takes about a minute, plus a model build the first time.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from zerovisor.cli import _positive_int
from zerovisor.errors import ZerovisorError
from zerovisor.layout import load_layout
from zerovisor.plan import plan_layout
from zerovisor.sim.profile import profile_model
from zerovisor.sim.runner import system_config, system_memories
from zerovisor.system import build_system

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Host instructions per simulated cycle, by block of the SoC, counted "
                    "with valgrind's callgrind on the native driver (a minute or two).",
        epilog="Counts are exact and the same from run to run; the model is built once "
               "with line information (cached like any other).")
    parser.add_argument("layout", nargs="?", type=Path, metavar="LAYOUT.toml",
                        default=ROOT / "examples" / "quad.toml",
                        help="the layout to boot (default: examples/quad.toml)")
    parser.add_argument("--cycles", type=_positive_int, default=350_000, metavar="N",
                        help="profile up to this cycle (default 350,000)")
    parser.add_argument("--warmup", type=_positive_int, default=250_000, metavar="N",
                        help="from this cycle (default 250,000: after quad.toml's boot)")
    parser.add_argument("--depth", type=_positive_int, default=3, metavar="N",
                        help="levels of the hierarchy to tell apart (default 3: soc/cpu*/mmu)")
    parser.add_argument("--instances", action="store_true",
                        help="keep instances apart (cpu0, cpu1...) instead of adding them up")
    parser.add_argument("--top", type=_positive_int, default=30, metavar="N",
                        help="rows to show (default 30)")
    parser.add_argument("--out", type=Path, metavar="FILE.json",
                        help="also write the profile as JSON here")
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    if args.out and (args.out.is_dir() or not args.out.parent.is_dir()):
        # (said now, not after minutes of profiling)
        console.print(f"[bold red]error:[/] --out {escape(str(args.out))}: not a file in an "
                      f"existing folder", soft_wrap=True)
        return 1
    try:
        plan = plan_layout(load_layout(args.layout))
        with tempfile.TemporaryDirectory() as tmp:
            system = build_system(plan, Path(tmp))
            config = system_config(system)
            profile = profile_model(config, system_memories(system, config),
                                    cycles=args.cycles, warmup=args.warmup, depth=args.depth,
                                    folded=not args.instances,
                                    progress=lambda text: console.print(f"[cyan]{text}"))
    except ZerovisorError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return 1
    rows = sorted(profile.blocks.items(), key=lambda item: -item[1])
    table = Table(title=f"{args.layout.name}: host instructions per simulated cycle, "
                        f"cycles {args.warmup:,} to {args.cycles:,}")
    table.add_column("block")
    table.add_column("instructions", justify="right")
    table.add_column("share", justify="right")
    for block, count in rows[:args.top]:
        table.add_row(block, f"{count:,.0f}", f"{100 * count / profile.total:.1f} %")
    rest = sum(count for _, count in rows[args.top:])
    if rest:
        table.add_row(f"({len(rows) - args.top} more)", f"{rest:,.0f}",
                      f"{100 * rest / profile.total:.1f} %")
    table.add_row("[bold]total", f"[bold]{profile.total:,.0f}", "100 %")
    Console().print(table)
    if args.out:
        try:
            args.out.write_text(json.dumps({
                "layout": str(args.layout), "from_cycle": args.warmup,
                "to_cycle": args.cycles, "instructions_per_cycle": round(profile.total),
                "blocks": {block: round(count, 1) for block, count in rows},
            }, indent=2) + "\n")
        except OSError as exc:
            console.print(f"[bold red]error:[/] --out {escape(str(args.out))}: cannot write "
                          f"it ({escape(str(exc))})", soft_wrap=True)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
