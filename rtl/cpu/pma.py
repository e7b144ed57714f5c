"""Physical memory attributes: which address ranges hold memory that can be read, written
or executed. The SoC declares them from its memory map; the core checks every access
against them (an access outside is an access fault) before it reaches the bus."""

from amaranth import Const

__all__ = ["Pma", "pma_allows"]


class Pma:
    """A physical memory attribute region: ``size`` bytes at ``base`` and what it allows."""

    def __init__(self, base, size, *, read=True, write=True, execute=False):
        self.base, self.size = base, size
        self.read, self.write, self.execute = read, write, execute

    def __repr__(self):
        perms = "".join(c if f else "-" for c, f in zip("rwx", (self.read, self.write,
                                                                self.execute)))
        return f"Pma(0x{self.base:08x}, 0x{self.size:x}, {perms})"


def pma_allows(addr, regions, kind):
    """Whether ``addr`` lies in a region that allows ``kind`` (read, write, execute)."""
    allowed = Const(0, 1)
    for region in regions:
        if getattr(region, kind):
            inside = (addr >= region.base) & (addr < region.base + region.size) \
                if region.base + region.size < 2**32 else (addr >= region.base)
            allowed = allowed | inside
    return allowed
