"""The SoC's physical memory map: one list that the gateware, the firmware's headers and
linker script, and the documentation all read.

Addresses follow QEMU ``virt`` where ``virt`` has the device, so that guests built for it
find their devices where they expect them.
"""

from dataclasses import dataclass

from .partition.checker import CHECKER_REGS
from .periph.clint import CLINT_REGS
from .periph.finisher import FINISHER_REGS
from .periph.plic import PLIC_REGS
from .periph.uart import UART_REGS

__all__ = ["Region", "ROM_BASE", "ROM_SIZE", "RAM_BASE", "memory_map", "CHECKED_TARGETS",
           "IRQS"]

# The partition control block holds one checker's registers per guarded target, each in a
# 0x100 slot, in this order; the last guards the control block itself. The boot ROM is the
# one target left unguarded (every hart starts there).
CHECKED_TARGETS = ("RAM_DATA", "RAM_FETCH", "UART0", "CLINT", "FINISHER", "PLIC", "PARTCTL")

# PLIC source IDs: UART0 where QEMU virt has it; then each checker's violation interrupt.
VIOLATION_IRQ_BASE = 16
IRQS = {"UART0": 10} | {f"VIOLATION_{t}": VIOLATION_IRQ_BASE + i
                        for i, t in enumerate(CHECKED_TARGETS)}

ROM_BASE = 0x0000_1000
ROM_SIZE = 0x1000
RAM_BASE = 0x8000_0000


@dataclass(frozen=True)
class Region:
    """A window of the address space: ``name`` is also the C macro prefix."""

    name: str
    base: int
    size: int
    doc: str
    regs: object = None  # the device's RegisterMap, if it has registers

    @property
    def end(self):
        return self.base + self.size


def memory_map(*, ram_size):
    """The regions of a SoC with ``ram_size`` bytes of RAM, in address order."""
    return [
        Region("BOOTROM", ROM_BASE, ROM_SIZE, "boot ROM: reset vector of every hart"),
        Region("FINISHER", 0x0010_0000, 0x1000, "test finisher (sifive,test0)", FINISHER_REGS),
        Region("CLINT", 0x0200_0000, 0x1_0000, "CLINT: mtime, mtimecmp, msip", CLINT_REGS),
        Region("PLIC", 0x0c00_0000, 0x400_0000, "PLIC: M, S and guest context per hart",
               PLIC_REGS),
        Region("UART0", 0x1000_0000, 0x1000, "UART0, ns16550a subset", UART_REGS),
        Region("PARTCTL", 0x1100_0000, 0x1000, "partition control block: one checker's "
               "registers per guarded target, 0x100 apart", CHECKER_REGS),
        Region("RAM", RAM_BASE, ram_size, "RAM"),
    ]
