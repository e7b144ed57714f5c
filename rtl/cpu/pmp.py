"""Physical memory protection: the entries' CSR state and a checker for one access.

Privileged spec, "Physical Memory Protection": entries are matched in order, the lowest
matching entry decides; M-mode is checked only against locked entries; with no match,
M-mode is allowed and every other mode denied. Grain is 4 bytes, and every access the core
makes is naturally aligned and at most 4 bytes, so an access never straddles an entry.

How many entries a hart has is a parameter (0 to 16; the CSRs of all 16 exist, those past
the last entry read zero and ignore writes, as the spec allows for WARL fields). With none
every access is allowed ("If no PMP entry matches an S-mode or U-mode access, but at least
one PMP entry is implemented, the access fails"). Zerovisor's boot firmware uses one entry
(everything, for S and U: the partition checkers isolate), so a board build can drop the
rest: each entry is two comparators in each of the hart's two checkers.
"""

from amaranth import Cat, Const, Module, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .isa import Priv

__all__ = ["PMP_ENTRIES", "MAX_PMP_ENTRIES", "PmpCfg", "PmpMode", "PmpChecker",
           "pmp_entry_layout", "check_pmp_entries"]

PMP_ENTRIES = 8        # the default
MAX_PMP_ENTRIES = 16   # the CSRs that exist (pmpcfg0-3, pmpaddr0-15)


def check_pmp_entries(entries):
    """``entries``, or a ``ValueError`` that says what is allowed."""
    if not isinstance(entries, int) or isinstance(entries, bool) or \
            not 0 <= entries <= MAX_PMP_ENTRIES:
        raise ValueError(f"pmp_entries must be 0 to {MAX_PMP_ENTRIES}, not {entries!r}")
    return entries


class PmpMode:
    OFF, TOR, NA4, NAPOT = range(4)


PmpCfg = data.StructLayout({
    "r": 1, "w": 1, "x": 1, "a": 2, "_zero": 2, "l": 1,
})

# (two whole words, see the word alignment in core.py's Fetched)
pmp_entry_layout = data.StructLayout({"addr": 32, "cfg": PmpCfg, "_pad": 24})


class PmpChecker(wiring.Component):
    """Decides whether an access at ``addr`` by privilege ``priv`` is allowed.

    ``need`` holds the permissions the access needs: bit 0 read, bit 1 write, bit 2
    execute. ``allow`` is combinational.
    """

    def __init__(self, entries=PMP_ENTRIES):
        self.entries = check_pmp_entries(entries)
        super().__init__({
            "pmp": In(data.ArrayLayout(pmp_entry_layout, entries)),
            "addr": In(32),
            "priv": In(Priv),
            "need": In(3),
            "allow": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        if not self.entries:
            m.d.comb += self.allow.eq(1)
            return m
        word = Cat(self.addr[2:32], Const(0, 2))  # compared with pmpaddr (address >> 2)
        is_m = self.priv == Priv.M
        matches, oks = [], []
        for i in range(self.entries):
            entry = self.pmp[i]
            cfg = entry.cfg
            prev = self.pmp[i - 1].addr if i > 0 else 0
            ones = entry.addr ^ (entry.addr + 1)  # NAPOT: trailing ones and the first zero
            match = Signal(name=f"match{i}")
            with m.Switch(cfg.a):
                with m.Case(PmpMode.TOR):
                    m.d.comb += match.eq((word >= prev) & (word < entry.addr))
                with m.Case(PmpMode.NA4):
                    m.d.comb += match.eq(word == entry.addr)
                with m.Case(PmpMode.NAPOT):
                    m.d.comb += match.eq((word & ~ones) == (entry.addr & ~ones))
            perms = Cat(cfg.r, cfg.w, cfg.x)
            matches.append(match)
            oks.append((is_m & ~cfg.l) | ((perms & self.need) == self.need))
        # The lowest matching entry decides: each entry's verdict counts when no lower
        # entry matches. Written flat (an OR over first matches) rather than as a chain of
        # priority multiplexers, which was eight levels deep on the data address's path.
        allow = ~Cat(*matches).any() & is_m
        for i in range(self.entries):
            first = matches[i] & ~Cat(*matches[:i]).any() if i else matches[i]
            allow = allow | (first & oks[i])
        m.d.comb += self.allow.eq(allow)
        return m
