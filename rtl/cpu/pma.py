"""Physical memory attributes: which address ranges hold memory that can be read, written
or executed, and which are I/O (device registers). The SoC declares them from its memory
map; the core checks every access against them (an access outside is an access fault)
before it reaches the bus, and sends I/O accesses out on its I/O bus, from a register."""

from amaranth import Cat, Const

__all__ = ["Pma", "pma_allows", "pma_routes_io"]


class Pma:
    """A physical memory attribute region: ``size`` bytes at ``base`` and what it allows.

    ``io`` marks device registers: reached through the core's I/O bus one cycle after the
    access is decided, with no atomics (an AMO, LR or SC there is an access fault)."""

    def __init__(self, base, size, *, read=True, write=True, execute=False, io=False):
        self.base, self.size = base, size
        self.read, self.write, self.execute, self.io = read, write, execute, io

    def __repr__(self):
        perms = "".join(c if f else "-" for c, f in zip("rwxi", (self.read, self.write,
                                                                 self.execute, self.io)))
        return f"Pma(0x{self.base:08x}, 0x{self.size:x}, {perms})"


def pma_allows(addr, regions, *kinds):
    """Whether ``addr`` lies in a region that allows ``kind`` (read, write, execute, io);
    with several kinds, a tuple, one answer per kind, from one comparison per region."""
    insides = [(region, _inside(addr, region)) for region in regions
               if any(getattr(region, kind) for kind in kinds)]
    answers = tuple(Cat(inside for region, inside in insides if getattr(region, kind)).any()
                    for kind in kinds)
    return answers[0] if len(answers) == 1 else answers


def pma_routes_io(addr, regions):
    """Whether an access to ``addr`` goes out on the I/O bus, for an address that some
    region allows at all (any other is refused whichever bus it goes to).

    Each memory region is widened to the largest naturally aligned block holding it and
    no I/O region, and ``addr`` is I/O unless it is in one of those blocks: fewer address
    bits and comparisons than the regions' own (the SoC's map: RAM is bit 31 set, the boot
    ROM the first MiB), so that the choice of bus is a short step after the address
    adder instead of every region's comparison."""
    io = [r for r in regions if r.io]
    blocks = set()
    for region in regions:
        if region.io or not (region.read or region.write or region.execute):
            continue
        size = 1
        while region.base // size != (region.base + region.size - 1) // size:
            size *= 2
        base = region.base // size * size
        while size < 2**32:
            wider = size * 2
            start = region.base // wider * wider
            if any(r.base < start + wider and start < r.base + r.size for r in io):
                break
            size, base = wider, start
        blocks.add((base, size))
    inside = [_inside(addr, Pma(base, size)) for base, size in sorted(blocks)]
    return ~Cat(inside).any()


def _inside(addr, region):
    base, size, end = region.base, region.size, region.base + region.size
    if size & (size - 1) == 0 and base % size == 0:
        # an aligned power of two: one comparison of the bits above the size
        shift = size.bit_length() - 1
        return (addr[shift:] == base >> shift) if shift < len(addr) else Const(1, 1)
    return (addr >= base) & (addr < end) if end < 2**32 else (addr >= base)
