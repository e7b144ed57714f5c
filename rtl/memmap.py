"""The SoC's physical memory map: one list that the gateware, the firmware's headers and
linker script, and the documentation all read.

Addresses follow QEMU ``virt`` where ``virt`` has the device, so that guests built for it
find their devices where they expect them.
"""

from dataclasses import dataclass

from .partition.checker import CHECKER_REGS
from .periph.clint import CLINT_REGS
from .periph.doorbell import DOORBELL_REGS, DOORBELLS
from .periph.finisher import FINISHER_REGS
from .periph.plic import PLIC_REGS
from .periph.uart import UART_REGS

__all__ = ["Region", "ROM_BASE", "ROM_SIZE", "RAM_BASE", "memory_map", "checked_targets",
           "CHECKED_TARGETS", "CHECKER_SLOT", "IRQS", "MAX_BANKS", "MAX_UARTS",
           "checker_entries"]

MAX_BANKS = 8
CHECKER_SLOT = 0x200     # bytes of the control block per checker
MAX_UARTS = 4
UART_STRIDE = 0x1000
OTHER_DEVICES = ("CLINT", "FINISHER", "PLIC", "DOORBELL", "PARTCTL")


def checked_targets(banks=1, uarts=1):
    """The targets behind a checker, in the order of their slots (``CHECKER_SLOT`` apart) in the
    partition control block: each RAM bank's data and fetch ports (``RAM_DATA``/
    ``RAM_FETCH`` with one bank, ``RAM0_DATA``... with more), then the devices; the last
    guards the control block itself. The boot ROM is the one target left unguarded (every
    hart starts there)."""
    if banks == 1:
        ram = ("RAM_DATA", "RAM_FETCH")
    else:
        ram = tuple(f"RAM{b}_{port}" for b in range(banks) for port in ("DATA", "FETCH"))
    return ram + tuple(f"UART{u}" for u in range(uarts)) + OTHER_DEVICES


CHECKED_TARGETS = checked_targets(1)


# Entries a device with per-hart or per-partition pages may need, for each hart and
# besides: the CLINT a hart's msip word and mtimecmp, and mtime for everyone; the PLIC a
# hart's context page; the doorbells a partition's acknowledge and ring pages (a partition
# has a hart at least, so there are no more partitions than harts).
_PER_HART = {"CLINT": (2, 1), "PLIC": (1, 0), "DOORBELL": (2, 0)}


def checker_entries(target, harts):
    """Entries of the checker in front of ``target`` in a SoC of ``harts`` harts: four, or
    for a device with per-hart or per-partition pages as many as those pages (at most 16).
    With 4 harts these three checkers hold 9, 4 and 8 entries, not 16 each, which took
    ``examples/quad.toml``'s SoC on the ULX3S from 49,679 to 48,862 LUT4 and from 21,566 to
    19,778 flip-flops (synthesis)."""
    if target in _PER_HART:
        each, shared = _PER_HART[target]
        return min(16, each * harts + shared)
    return 4


# PLIC source IDs: UART0 where QEMU virt has it and the others after it; one for every
# checker's violation; one per partition's doorbell.
IRQS = ({f"UART{u}": 10 + u for u in range(MAX_UARTS)} | {"VIOLATION": 16}
        | {f"DOORBELL{p}": 24 + p for p in range(DOORBELLS)})

ROM_BASE = 0x0000_4000
ROM_SIZE = 0x4000
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


def memory_map(*, ram_size, uarts=1):
    """The regions of a SoC with ``ram_size`` bytes of RAM and ``uarts`` UARTs, in address
    order."""
    return [
        Region("BOOTROM", ROM_BASE, ROM_SIZE, "boot ROM: reset vector of every hart"),
        Region("FINISHER", 0x0010_0000, 0x1000, "test finisher (sifive,test0)", FINISHER_REGS),
        Region("CLINT", 0x0200_0000, 0x1_0000, "CLINT: mtime, mtimecmp, msip", CLINT_REGS),
        Region("PLIC", 0x0c00_0000, 0x400_0000, "PLIC: M, S and guest context per hart",
               PLIC_REGS),
        *(Region(f"UART{u}", 0x1000_0000 + UART_STRIDE * u, 0x1000,
                 f"UART{u}, ns16550a subset", UART_REGS) for u in range(uarts)),
        Region("PARTCTL", 0x1100_0000, 0x4000, "partition control block: one checker's "
               "registers per guarded target, 0x200 apart", CHECKER_REGS),
        Region("DOORBELL", 0x1200_0000, 0x1_0000, "doorbells: ring page and ack page per "
               "partition", DOORBELL_REGS),
        Region("RAM", RAM_BASE, ram_size, "RAM"),
    ]
