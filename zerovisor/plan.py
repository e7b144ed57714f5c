"""Placement of a validated layout in the SoC's RAM.

Every region (a partition's RAM, a guest's console ring, a channel) is a naturally aligned
power of two, which is what the partition checkers match. Placing them largest first from
the bottom of RAM keeps each aligned with no gaps that a later region could not fill (a
partition may skip ahead to a bank of its own, leaving a hole aligned to its size for the
smaller regions after it), so the layout fits when the sizes add up to at most the SoC's
RAM and the banks' checkers have the entries.
"""

from dataclasses import dataclass, field

from .checks import resolve_image
from .layout import (
    CHANNEL_GPA_BASE,
    CONSOLE_RING_SIZE,
    ChannelPlan,
    PartitionPlan,
    Plan,
    effective_console,
)
from .rtl.memmap import MAX_BANKS, RAM_BASE, checker_entries

RAM_CHECKER_ENTRIES = checker_entries("RAM0_DATA", 1)

__all__ = ["allocate", "bank_count", "plan_layout", "spanned_banks"]


def spanned_banks(offset, size, bank):
    """The banks (of ``bank`` bytes each) that ``size`` bytes at ``offset`` into the RAM
    touch."""
    return range(offset // bank, (offset + size - 1) // bank + 1)


@dataclass
class Allocation:
    partitions: dict = field(default_factory=dict)   # index -> base
    rings: dict = field(default_factory=dict)        # partition index -> base
    channels: dict = field(default_factory=dict)     # channel index -> base
    slices: dict = field(default_factory=dict)       # partition index -> base
    used: int = 0


def bank_count(layout):
    """RAM banks of the SoC: the fewest (a power of two, up to 8, of at least 4 KiB each)
    with which every partition can have banks of its own, so that harts of different
    partitions never wait for each other at a RAM port, and the banks' checkers hold an
    entry for every region the layout places (four a bank). Every bank costs a fetch and a
    data arbiter and checker each, so there are no more than that: ``examples/quad.toml``
    has 4, not 8, which took its SoC on the ULX3S from 54,258 to 49,679 LUT4 (synthesis)."""
    ram = layout.soc.ram
    sizes = [p.ram for p in layout.partition]
    regions = len(_regions(layout, [0] * len(layout.partition)))
    banks = 1
    while banks < MAX_BANKS and ram // (2 * banks) >= 4096:
        bank = ram // banks
        if (sum(-(-size // bank) for size in sizes) <= banks
                and regions <= RAM_CHECKER_ENTRIES * banks):
            break
        banks *= 2
    return banks


def _regions(layout, slices):
    """``(size, kind, index)`` of every region to place."""
    regions = []
    control = any(p.role == "control" for p in layout.partition)
    for i, part in enumerate(layout.partition):
        regions.append((part.ram, "partitions", i))
        if control and part.role == "guest":
            # its channel to the control partition: status, commands, console ring
            regions.append((CONSOLE_RING_SIZE, "rings", i))
    for c, chan in enumerate(layout.channel):
        regions.append((chan.size, "channels", c))
    for i, size in enumerate(slices):
        regions.append((size, "slices", i))
    return regions


def allocate(layout, slices=()):
    """Place every region, largest first, each at the lowest aligned address where it
    overlaps nothing and every RAM bank it touches has a checker entry left for it; a
    partition's region also goes where no other partition is in its banks, if there is
    such a place.

    ``slices`` are the sizes of the partitions' image slices (see :mod:`.system`), once
    their images are built. When the regions do not fit, ``used`` exceeds the RAM.
    """
    ram = layout.soc.ram
    nbanks = bank_count(layout)
    bank = ram // nbanks
    entries = [0] * nbanks
    owned = set()                        # banks holding a partition
    taken = []
    alloc = Allocation()

    def place(size, alone):
        for offset in range(0, ram - size + 1, size):
            banks = spanned_banks(offset, size, bank)
            if (all(end <= offset or offset + size <= start for start, end in taken)
                    and all(entries[b] < RAM_CHECKER_ENTRIES for b in banks)
                    and not (alone and owned.intersection(banks))):
                return offset, banks
        return None

    # Largest first; ties keep file order, so the plan is stable.
    for size, kind, index in sorted(_regions(layout, slices), key=lambda r: -r[0]):
        alone = kind == "partitions"
        found = (alone and place(size, True)) or place(size, False)
        if found:
            offset, banks = found
        else:
            offset, banks = max([ram] + [end for _, end in taken]), ()   # does not fit
        for b in banks:
            entries[b] += 1
        if alone:
            owned.update(banks)
        taken.append((offset, offset + size))
        getattr(alloc, kind)[index] = RAM_BASE + offset
    alloc.used = max(end for _, end in taken)
    return alloc


def plan_layout(layout):
    """The :class:`~.layout.Plan` of a layout that :func:`~.layout.load_layout` accepted."""
    alloc = allocate(layout)
    partitions = []
    for i, part in enumerate(layout.partition):
        kind, where = resolve_image(layout, part)
        image = f"guests/{where}" if kind == "builtin" else str(where)
        partitions.append(PartitionPlan(
            pid=i, name=part.name, role=part.role, harts=sorted(part.harts),
            ram_base=alloc.partitions[i], ram_size=part.ram, devices=list(part.devices),
            console=effective_console(layout, part), image=image, on_fault=part.on_fault,
            restart_limit=part.restart_limit, watchdog=part.watchdog,
            console_ring=alloc.rings.get(i)))
    channels = []
    for c, chan in enumerate(layout.channel):
        channels.append(ChannelPlan(
            index=c, name=chan.name or f"{chan.between[0]}-{chan.between[1]}",
            ends=tuple(chan.between), base=alloc.channels[c], size=chan.size))
    # Guest-physical addresses of channels: by size, each aligned. (A guest does not see
    # its console ring: its VMM writes it.)
    for part in partitions:
        gpa = CHANNEL_GPA_BASE
        mine = [ch for ch in channels if part.name in ch.ends]
        for ch in sorted(mine, key=lambda ch: -ch.size):
            gpa = (gpa + ch.size - 1) // ch.size * ch.size
            part.channels.append((ch.index, gpa))
            gpa += ch.size
    owned = {h for p in partitions for h in p.harts}
    parked = [h for h in range(layout.soc.harts) if h not in owned]
    return Plan(soc=layout.soc, partitions=partitions, channels=channels, parked_harts=parked,
                source=layout.source, layout=layout)
