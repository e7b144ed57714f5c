"""Placement of a validated layout in the SoC's RAM.

Every region (a partition's RAM, a guest's console ring, a channel) is a naturally aligned
power of two, which is what the partition checkers match. Placing them largest first from
the bottom of RAM keeps each aligned with no gaps, so the layout fits exactly when the sizes
add up to at most the SoC's RAM.
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
from .rtl.memmap import RAM_BASE

__all__ = ["allocate", "plan_layout"]


@dataclass
class Allocation:
    partitions: dict = field(default_factory=dict)   # index -> base
    rings: dict = field(default_factory=dict)        # partition index -> base
    channels: dict = field(default_factory=dict)     # channel index -> base
    used: int = 0


def allocate(layout):
    regions = []
    for i, part in enumerate(layout.partition):
        regions.append((part.ram, "partitions", i))
        if effective_console(layout, part) == "shared":
            regions.append((CONSOLE_RING_SIZE, "rings", i))
    for c, chan in enumerate(layout.channel):
        regions.append((chan.size, "channels", c))
    alloc = Allocation()
    offset = 0
    # Largest first; ties keep file order, so the plan is stable.
    for size, kind, index in sorted(regions, key=lambda r: -r[0]):
        getattr(alloc, kind)[index] = RAM_BASE + offset
        offset += size
    alloc.used = offset
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
            restart_limit=part.restart_limit, console_ring=alloc.rings.get(i)))
    channels = []
    for c, chan in enumerate(layout.channel):
        channels.append(ChannelPlan(
            index=c, name=chan.name or f"{chan.between[0]}-{chan.between[1]}",
            ends=tuple(chan.between), base=alloc.channels[c], size=chan.size))
    # Guest-physical addresses: console ring first, then channels by size, each aligned.
    for part in partitions:
        gpa = CHANNEL_GPA_BASE + (CONSOLE_RING_SIZE if part.console_ring else 0)
        mine = [ch for ch in channels if part.name in ch.ends]
        for ch in sorted(mine, key=lambda ch: -ch.size):
            gpa = (gpa + ch.size - 1) // ch.size * ch.size
            part.channels.append((ch.index, gpa))
            gpa += ch.size
    owned = {h for p in partitions for h in p.harts}
    parked = [h for h in range(layout.soc.harts) if h not in owned]
    return Plan(soc=layout.soc, partitions=partitions, channels=channels, parked_harts=parked,
                source=layout.source)
