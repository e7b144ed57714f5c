"""The boot ROM's program: every hart starts here and jumps to the boot vector.

The ROM holds a few instructions and two data words, the entry address and the address of
a device tree, following the QEMU ``virt`` reset vector's convention (``a0`` = hart ID,
``a1`` = device tree). The simulator's loader overwrites the entry word with the ELF's
entry point before releasing reset; a board image leaves the default, the start of RAM.
"""

__all__ = ["boot_rom", "ENTRY_WORD", "FDT_WORD"]

ENTRY_WORD = 6  # word index of the entry address in the ROM
FDT_WORD = 7


def _i_type(opcode, rd, f3, rs1, imm):
    return ((imm & 0xFFF) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode


T0, T1, A0, A1 = 5, 6, 10, 11


def boot_rom(entry, fdt=0):
    """The ROM's words for a jump to ``entry`` with ``a1 = fdt``."""
    words = [
        0x00000297,                                   # auipc t0, 0
        _i_type(0x73, A0, 2, 0, 0xF14),               # csrr  a0, mhartid
        _i_type(0x03, T1, 2, T0, 4 * ENTRY_WORD),     # lw    t1, entry(t0)
        _i_type(0x03, A1, 2, T0, 4 * FDT_WORD),       # lw    a1, fdt(t0)
        _i_type(0x67, 0, 0, T1, 0),                   # jr    t1
        _i_type(0x13, 0, 0, 0, 0),                    # nop
        entry,
        fdt,
    ]
    assert len(words) == FDT_WORD + 1
    return words
