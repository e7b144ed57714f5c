"""Builds RV32 C and assembly into ELF and raw binary with the clang of the ziglang wheel.

Generated files (the SoC header, the linker script) go into the build folder with the
outputs, never into the source tree.
"""

import subprocess
import sys
from pathlib import Path

from ..errors import BuildError
from ..rtl.export import c_header, linker_script

__all__ = ["FIRMWARE_DIR", "CFLAGS", "build_program", "demo_elf", "zig"]

FIRMWARE_DIR = Path(__file__).resolve().parent
LIB_DIR = FIRMWARE_DIR / "lib"
MARCH = "generic_rv32+m+a+zicsr+zifencei+h"
CFLAGS = [
    "-target", "riscv32-freestanding-none", f"-mcpu={MARCH}", "-mno-relax",
    "-nostdlib", "-ffreestanding", "-fno-builtin", "-std=c11", "-O2", "-g",
    "-Wall", "-Wextra", "-Werror",
]


def zig(*args, cwd=None):
    cmd = [sys.executable, "-m", "ziglang", *map(str, args)]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip()
        raise BuildError(f"compiler failed: {message}")
    return result


def build_program(sources, out_dir, *, name=None, ram_size=512 * 1024, banks=1,
                  runtime=True, include_dirs=()):
    """Compile and link ``sources`` into ``out_dir/NAME.elf`` and ``NAME.bin``.

    Parameters
    ----------
    sources : list of path
        C (``.c``) and assembly (``.S``) files.
    banks : int
        RAM banks of the SoC it is for (names the checkers' slots in the header).
    runtime : bool
        Link the start-up code and the tiny runtime of ``firmware/lib``; ISA tests bring
        their own ``_start``.

    Returns the ELF's path. Raises :class:`BuildError` with the compiler's message.
    """
    sources = [Path(s) for s in sources]
    for src in sources:
        if not src.is_file():
            raise BuildError(f"{src}: no such source file")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = name or sources[0].stem
    gen = out_dir / "generated"
    gen.mkdir(exist_ok=True)
    (gen / "zerovisor_soc.h").write_text(c_header(ram_size=ram_size, banks=banks))
    (gen / "link.ld").write_text(linker_script(ram_size=ram_size))
    elf = out_dir / f"{name}.elf"
    inputs = list(sources)
    if runtime:
        inputs = [LIB_DIR / "crt0.S", LIB_DIR / "zv.c", *inputs]
    includes = [gen, LIB_DIR, *map(Path, include_dirs)]
    zig("cc", *CFLAGS, *(f"-I{d}" for d in includes), "-T", gen / "link.ld",
         *inputs, "-o", elf)
    zig("objcopy", "-O", "binary", elf, out_dir / f"{name}.bin")
    return elf


def demo_elf(out_dir, *, ram_size=512 * 1024):
    """Build the demo program (``firmware/demo/hello.c``)."""
    return build_program([FIRMWARE_DIR / "demo" / "hello.c"], out_dir, ram_size=ram_size)
