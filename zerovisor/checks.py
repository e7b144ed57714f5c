"""The rules of a layout that span tables: ownership, roles, images and fit.

:func:`check_layout` returns ``(location, message)`` pairs; a location is the path of
keys into the file (``("partition", 1, "harts")``), which :mod:`.layout` turns into a
file, line and table name.
"""

from pathlib import Path

from .errors import ElfError
from .layout import (
    BUILTIN_DIR,
    GUEST_RAM_BASE,
    MIN_PARTITION_RAM,
    VMM_RESERVE,
    _did_you_mean,
    effective_console,
)
from .units import format_size

__all__ = ["check_layout", "device_names", "resolve_image"]


def _pow2(n):
    return n > 0 and n & (n - 1) == 0


def device_names(soc):
    return [f"uart{i}" for i in range(soc.uarts)]


def resolve_image(layout, part):
    """``("builtin", name)`` or ``("elf", path)`` for a partition's image."""
    image = part.image
    if image is None:
        return ("builtin", "control" if part.role == "control" else "hello")
    if image.startswith("guests/") and (BUILTIN_DIR / f"{image}.c").is_file():
        return ("builtin", image.removeprefix("guests/"))
    path = Path(image)
    if not path.is_absolute() and layout.source is not None:
        path = layout.source.parent / path
    return ("elf", path)


def _check_image(layout, i, part):
    kind, where = resolve_image(layout, part)
    if kind == "builtin":
        return []
    loc = ("partition", i, "image")
    builtins = sorted(p.stem for p in (BUILTIN_DIR / "guests").glob("*.c"))
    if not where.exists():
        hint = f" (built-in guests: {', '.join('guests/' + b for b in builtins)})" \
            if part.image.startswith("guests/") else ""
        return [(loc, f"image {part.image!r}: no such file {str(where)!r}{hint}")]
    from .sim.elf import read_program
    guest_ram = part.ram - VMM_RESERVE
    try:
        program = read_program(where, ram_base=0, ram_size=1 << 32)
    except ElfError as exc:
        return [(loc, f"image {part.image!r}: {str(exc).split(': ', 1)[-1]}")]
    low = min(addr for addr, _ in program.segments)
    high = max(addr + len(data) for addr, data in program.segments)
    if low < GUEST_RAM_BASE or high > GUEST_RAM_BASE + (1 << 31) - 1:
        return [(loc, (f"image {part.image!r} is linked at 0x{low:08x}; guest RAM starts at "
                      f"0x{GUEST_RAM_BASE:08x}: link it there"))]
    if high - GUEST_RAM_BASE > guest_ram:
        return [(loc, (f"image {part.image!r} needs {high - GUEST_RAM_BASE} bytes but the "
                      f"guest's RAM is {guest_ram} ({format_size(part.ram)} less "
                      f"{format_size(VMM_RESERVE)} for the VMM): raise ram"))]
    return []


def _claim(owners, item, what, name, loc, problem):
    """Record that partition ``name`` owns ``item``, or report who already does."""
    if item not in owners:
        owners[item] = name
    elif owners[item] == name:
        problem(loc, f"{what} is listed twice")
    else:
        problem(loc, f"{what} already belongs to partition {owners[item]!r}")


def check_layout(layout):
    soc = layout.soc
    problems = []

    def problem(loc, message):
        problems.append((loc, message))

    if not _pow2(soc.ram) or not (64 << 10) <= soc.ram <= (16 << 20):
        problem(("soc", "ram"), f"must be a power of two from 64K to 16M, "
                                f"not {format_size(soc.ram)}")

    controls = [i for i, p in enumerate(layout.partition) if p.role == "control"]
    for extra in controls[1:]:
        first = layout.partition[controls[0]].name
        problem(("partition", extra, "role"), f"a second control partition (the first is "
                                              f"{first!r}); at most one is allowed")

    names = {}
    hart_owner = {}
    device_owner = {}
    known_devices = device_names(soc)
    for i, part in enumerate(layout.partition):
        if part.name in names:
            problem(("partition", i, "name"), f"the name {part.name!r} is already used by "
                                              f"[[partition]] #{names[part.name] + 1}")
        names.setdefault(part.name, i)

        if not part.harts:
            problem(("partition", i, "harts"), "a partition needs at least one hart")
        for hart in part.harts:
            if hart >= soc.harts:
                problem(("partition", i, "harts"), f"hart {hart} is beyond soc.harts = "
                        f"{soc.harts} (valid: 0 to {soc.harts - 1})")
            else:
                _claim(hart_owner, hart, f"hart {hart}", part.name, ("partition", i, "harts"),
                       problem)

        if not _pow2(part.ram) or part.ram < MIN_PARTITION_RAM:
            problem(("partition", i, "ram"), f"must be a power of two of at least "
                    f"{format_size(MIN_PARTITION_RAM)} (the checkers match aligned "
                    f"power-of-two regions), not {format_size(part.ram)}")

        for dev in part.devices:
            if dev not in known_devices:
                problem(("partition", i, "devices"), f"unknown device {dev!r}"
                        f"{_did_you_mean(dev, known_devices)} (this SoC has: "
                        f"{', '.join(known_devices)})")
            else:
                _claim(device_owner, dev, f"device {dev!r}", part.name,
                       ("partition", i, "devices"), problem)

        console = part.console
        if console == "shared":
            if part.role == "control":
                problem(("partition", i, "console"), "the control partition serves the "
                        "shared console; give it one of its UARTs or \"none\"")
            elif not controls:
                problem(("partition", i, "console"), "\"shared\" needs a control partition "
                        "to serve it; add one (role = \"control\") or use \"none\"")
        elif console not in (None, "none") and console not in part.devices:
            problem(("partition", i, "console"), f"{console!r} is not one of its devices; "
                    f"use \"shared\", \"none\" or one of: {', '.join(part.devices) or '-'}")
        problems.extend(_check_image(layout, i, part))

    if controls:
        control = layout.partition[controls[0]]
        served = any(effective_console(layout, p) == "shared" for p in layout.partition)
        if served and not any(d.startswith("uart") for d in control.devices):
            problem(("partition", controls[0], "devices"), "the control partition serves "
                    "shared consoles but owns no UART; add one, e.g. devices = [\"uart0\"]")

    pairs = {}
    for c, chan in enumerate(layout.channel):
        a, b = chan.between
        for end in (a, b):
            if end not in names:
                problem(("channel", c, "between"), f"unknown partition {end!r}"
                        f"{_did_you_mean(end, names)} (partitions: {', '.join(names)})")
        if a == b:
            problem(("channel", c, "between"), f"a channel joins two different partitions, "
                                               f"not {a!r} with itself")
        key = frozenset((a, b))
        if key in pairs and a != b:
            problem(("channel", c, "between"), f"{a!r} and {b!r} already share channel "
                                               f"#{pairs[key] + 1}")
        pairs.setdefault(key, c)
        if not _pow2(chan.size) or chan.size < 4096:
            problem(("channel", c, "size"), f"must be a power of two of at least 4K, "
                                            f"not {format_size(chan.size)}")
        if not controls:
            problem(("channel", c, "between"), "channels are set up and watched by the "
                    "control partition; add one (role = \"control\")")

    if not problems:
        from .plan import allocate
        need = allocate(layout).used
        if need > soc.ram:
            problem(("soc", "ram"), f"partitions, console rings and channels need "
                    f"{format_size(need)} but soc.ram is {format_size(soc.ram)}")
    return problems
