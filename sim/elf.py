"""Reads a program's ELF file into the segments the loader writes into RAM."""

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ElfError

__all__ = ["Program", "read_program"]

EM_RISCV = 243


@dataclass
class Program:
    """What the loader needs from an ELF file."""

    path: Path
    entry: int
    segments: list = field(default_factory=list)  # (address, bytes)
    tohost: int | None = None


def read_program(path, *, ram_base, ram_size):
    """Read ``path``; every loadable segment must lie in RAM.

    Raises :class:`ElfError` with a one-line message naming the file and the problem.
    """
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    path = Path(path)
    if not path.exists():
        raise ElfError(f"{path}: no such file")
    if not path.is_file():
        raise ElfError(f"{path}: not a file")
    ram_end = ram_base + ram_size
    with open(path, "rb") as f:
        if f.read(4) != b"\x7fELF":
            raise ElfError(f"{path}: not an ELF file")
        f.seek(0)
        try:
            elf = ELFFile(f)
            if elf.elfclass != 32 or elf["e_machine"] != "EM_RISCV":
                raise ElfError(f"{path}: not an RV32 ELF (class {elf.elfclass}, machine "
                               f"{elf['e_machine']}); build with -target riscv32")
            program = Program(path=path, entry=elf["e_entry"])
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
                    continue
                start, end = seg["p_paddr"], seg["p_paddr"] + seg["p_memsz"]
                if start < ram_base or end > ram_end:
                    raise ElfError(
                        f"{path}: segment 0x{start:08x}-0x{end:08x} lies outside RAM "
                        f"(0x{ram_base:08x}-0x{ram_end:08x}); link the program for RAM")
                data = seg.data() + bytes(seg["p_memsz"] - seg["p_filesz"])
                program.segments.append((start, data))
            if not program.segments:
                raise ElfError(f"{path}: no loadable segment")
            if not ram_base <= program.entry < ram_end:
                raise ElfError(f"{path}: entry point 0x{program.entry:08x} is outside RAM")
            for section in elf.iter_sections():
                if isinstance(section, SymbolTableSection):
                    syms = section.get_symbol_by_name("tohost")
                    if syms:
                        program.tohost = syms[0]["st_value"]
        except ELFError as exc:
            raise ElfError(f"{path}: damaged ELF file ({exc})") from None
    return program


def to_words(base, segments):
    """Merge segments into {word index from base: 32-bit little-endian word}."""
    words = {}
    for addr, data in segments:
        pad = addr % 4
        data = bytes(pad) + data
        data += bytes(-len(data) % 4)
        first = (addr - pad - base) // 4
        for i in range(len(data) // 4):
            word = int.from_bytes(data[4 * i:4 * i + 4], "little")
            words[first + i] = word  # overlapping partial words: later segment wins
    return words
