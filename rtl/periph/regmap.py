"""Register maps of the SoC's devices, declared once.

Each device module declares its registers here-style (a :class:`RegisterMap`), uses the
offsets in its gateware, and :mod:`zerovisor.rtl.export` turns the same objects into the
firmware's C header and the README's tables.
"""

from dataclasses import dataclass, field

__all__ = ["Field", "Register", "RegisterMap"]


@dataclass(frozen=True)
class Field:
    """A bit field of a register: ``width`` bits from bit ``offset``."""

    name: str
    offset: int
    width: int = 1
    doc: str = ""


@dataclass(frozen=True)
class Register:
    """A register at byte ``offset`` in its device, ``width`` bytes wide.

    ``access`` is ``"r"``, ``"w"`` or ``"rw"``. ``stride`` and ``count`` describe an array
    of per-hart registers (``count`` copies, ``stride`` bytes apart).
    """

    name: str
    offset: int
    width: int
    access: str
    doc: str
    fields: tuple = ()
    count: int = 1
    stride: int = 0

    def __post_init__(self):
        if self.access not in ("r", "w", "rw"):
            raise ValueError(f"register {self.name}: access must be r, w or rw, "
                             f"not {self.access!r}")
        if self.width not in (1, 2, 4, 8):
            raise ValueError(f"register {self.name}: width must be 1, 2, 4 or 8 bytes, "
                             f"not {self.width!r}")


@dataclass(frozen=True)
class RegisterMap:
    """The registers of one kind of device; ``prefix`` names them in C."""

    prefix: str
    doc: str
    registers: tuple = field(default_factory=tuple)

    def __getitem__(self, name):
        for reg in self.registers:
            if reg.name == name:
                return reg
        raise KeyError(f"{self.prefix} has no register {name!r}")

    def offset(self, name):
        return self[name].offset
