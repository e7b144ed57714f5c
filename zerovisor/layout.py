"""The layout file: one TOML file describes the SoC and its partitions.

:func:`load_layout` parses the file with :mod:`tomllib`, checks its shape with pydantic
(types, unknown keys, defaults) and then the rules that tie tables together (harts and
devices owned once, a control partition where one is needed, images that fit). Every
problem becomes a line of :class:`LayoutError` naming the file, the line, the table and the
field. :func:`plan_layout` then places each partition's RAM, console ring and channel in
the SoC's RAM.
"""

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, ValidationError

from .errors import ZerovisorError
from .units import parse_clock, parse_size, parse_time

__all__ = ["Layout", "LayoutError", "load_layout", "parse_layout", "ROLES", "ON_FAULT",
           "GUEST_RAM_BASE", "VMM_RESERVE", "CONSOLE_RING_SIZE"]

GUEST_RAM_BASE = 0x8000_0000
VMM_RESERVE = 32 << 10      # top of each partition's RAM: G-stage tables, VMM records
CONSOLE_RING_SIZE = 4 << 10
CHANNEL_GPA_BASE = 0x2000_0000  # guest-physical: its console ring, then its channels
MIN_PARTITION_RAM = 64 << 10
ROLES = ("guest", "control")
ON_FAULT = ("restart", "stop", "halt-system")
BUILTIN_DIR = Path(__file__).resolve().parent.parent / "firmware"

Size = Annotated[int, BeforeValidator(parse_size)]
Time = Annotated[int, BeforeValidator(parse_time)]      # microseconds
Clock = Annotated[int, BeforeValidator(parse_clock)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Soc(_Table):
    """``[soc]``: the hardware."""
    harts: int = Field(4, ge=1, le=8, description="number of harts, 1 to 8")
    ram: Size = Field(512 << 10, description="bytes of RAM at 0x8000_0000, a power of two "
                      "from 64K to 16M")
    clock: Clock = Field(50_000_000, description="clock rate, e.g. \"50MHz\"")
    uarts: int = Field(1, ge=1, le=4, description="number of UARTs (uart0, uart1, ...)")
    pmp_entries: int = Field(1, ge=0, le=16, description="PMP entries of each hart, 0 to "
                             "16; the boot firmware uses one (the partition checkers "
                             "isolate), and each costs logic")


class Partition(_Table):
    """``[[partition]]``: one partition, in the order of its partition ID."""
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,31}$",
                      description="unique name: a letter, then letters, digits, - or _")
    role: Literal["guest", "control"] = Field("guest", description="\"control\" owns the "
                                              "shared devices and serves the others")
    harts: list[Annotated[int, Field(ge=0)]] = Field(description="harts it runs on")
    ram: Size = Field(description="bytes of RAM, a power of two of at least 32K")
    devices: list[str] = Field(default_factory=list, description="devices it owns: uart0...")
    image: str | None = Field(None, description="\"guests/NAME\" for a built-in guest, or "
                              "the path of an RV32 ELF linked at 0x8000_0000")
    console: str | None = Field(None, description="\"shared\" (served by the control "
                                "partition), \"none\", or one of its own UARTs")
    on_fault: Literal["restart", "stop", "halt-system"] = Field(
        "stop", description="what the control partition does when this partition faults")
    restart_limit: int = Field(3, ge=0, le=255, description="restarts before it stays stopped")
    watchdog: Time = Field(20_000, description="a guest that runs this long with its "
                           "interrupts disabled and no SBI call is hung, e.g. \"20ms\"; 0 "
                           "turns the watchdog off")


class Channel(_Table):
    """``[[channel]]``: shared memory and doorbells between two partitions."""
    between: list[str] = Field(min_length=2, max_length=2, description="two partition names")
    size: Size = Field(4 << 10, description="bytes of shared memory, a power of two >= 4K")
    name: str | None = Field(None, description="optional name, for the device tree")


class Layout(_Table):
    soc: Soc = Field(default_factory=Soc)
    partition: list[Partition] = Field(min_length=1)
    channel: list[Channel] = Field(default_factory=list)

    # The file it came from (set by parse_layout); not part of the format.
    _source: Path | None = PrivateAttr(None)

    @property
    def source(self):
        return self._source


_TABLES = {"soc": Soc, "partition": Partition, "channel": Channel}


class LayoutError(ZerovisorError):
    """One or more problems in a layout file; each line is ready to print."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(problems))


class _Locator:
    """Finds the line of a table or key in the TOML text (tomllib keeps no positions)."""

    def __init__(self, path, text):
        self.path = path
        self.lines = text.splitlines()

    def _header_line(self, table, index):
        pattern = re.compile(rf"^\s*\[\[\s*{table}\s*\]\]" if index is not None
                             else rf"^\s*\[\s*{table}\s*\]")
        seen = -1
        for n, line in enumerate(self.lines):
            if pattern.match(line):
                seen += 1
                if index is None or seen == index:
                    return n
        return None

    def line(self, loc):
        if not loc or loc[0] not in _TABLES:
            key = loc[0] if loc else None
            for n, line in enumerate(self.lines):
                if key and re.match(rf"^\s*{re.escape(str(key))}\s*=", line):
                    return n + 1
            return None
        index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
        start = self._header_line(loc[0], index)
        if start is None:
            return None
        key = next((k for k in loc[1:] if isinstance(k, str)), None)
        if key is not None:
            for n in range(start + 1, len(self.lines)):
                if re.match(r"^\s*\[", self.lines[n]):
                    break
                if re.match(rf"^\s*{re.escape(key)}\s*=", self.lines[n]):
                    return n + 1
        return start + 1

    def where(self, loc, layout_dict):
        """``[soc] ram``, ``[[partition]] #2 "sensor" harts``."""
        if not loc:
            return "layout"
        table = loc[0]
        if table == "soc":
            text = "[soc]"
            rest = loc[1:]
        elif table in ("partition", "channel") and len(loc) > 1 and isinstance(loc[1], int):
            text = f"[[{table}]] #{loc[1] + 1}"
            try:
                name = layout_dict[table][loc[1]].get("name")
            except (KeyError, IndexError, AttributeError, TypeError):
                name = None
            if isinstance(name, str):
                text += f" \"{name}\""
            rest = loc[2:]
        else:
            text = "layout"
            rest = loc
        fields = ".".join(str(k) for k in rest if isinstance(k, str))
        if fields:
            text += f" {fields}"
        items = [k for k in rest if isinstance(k, int)]
        if items:
            text += f"[{items[0]}]"
        return text

    def format(self, loc, message, layout_dict):
        line = self.line(loc)
        prefix = f"{self.path}:{line}" if line else f"{self.path}"
        return f"{prefix}: {self.where(loc, layout_dict)}: {message}"


def _did_you_mean(word, choices):
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _pydantic_message(err):
    kind, msg, loc = err["type"], err["msg"], err["loc"]
    if kind == "extra_forbidden":
        model = _TABLES.get(loc[0], Layout) if len(loc) > 1 else Layout
        fields = list(model.model_fields)
        return (f"unknown key {loc[-1]!r}{_did_you_mean(loc[-1], fields)} "
                f"(valid keys: {', '.join(fields)})")
    if kind == "missing":
        return "missing (this key is required)"
    msg = msg.removeprefix("Value error, ")
    if kind.endswith("_type") or kind in ("literal_error", "too_short", "too_long",
                                          "string_pattern_mismatch", "greater_than_equal",
                                          "less_than_equal"):
        return f"{msg}, not {err['input']!r}"
    return msg


def parse_layout(text, path="<layout>"):
    """Validate the TOML ``text``; ``path`` names it in messages and anchors image paths."""
    path = Path(path)
    locate = _Locator(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError([f"{path}: not valid TOML: {exc}"]) from None
    try:
        layout = Layout.model_validate(data)
    except ValidationError as exc:
        problems = [(locate.line(e["loc"]) or 0, locate.format(e["loc"], _pydantic_message(e),
                                                              data))
                    for e in exc.errors()]
        raise LayoutError([p for _, p in sorted(problems, key=lambda p: p[0])]) from None
    layout._source = path
    from .checks import check_layout
    problems = check_layout(layout)
    if problems:
        formatted = [(locate.line(loc) or 0, locate.format(loc, msg, data))
                     for loc, msg in problems]
        raise LayoutError([p for _, p in sorted(formatted, key=lambda p: p[0])])
    return layout


def load_layout(path):
    """Read and validate the layout file at ``path``."""
    path = Path(path)
    if not path.is_file():
        raise LayoutError([f"{path}: no such layout file"])
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise LayoutError([f"{path}: cannot read it ({exc})"]) from None
    return parse_layout(text, path)


@dataclass
class ChannelPlan:
    index: int
    name: str
    ends: tuple
    base: int
    size: int


@dataclass
class PartitionPlan:
    pid: int
    name: str
    role: str
    harts: list
    ram_base: int
    ram_size: int
    devices: list
    console: str
    image: str
    on_fault: str
    restart_limit: int
    watchdog: int = 0                 # microseconds, 0: off
    # physical address of its channel to the control partition (status, commands and
    # console ring), when there is a control partition
    console_ring: int | None = None
    channels: list = field(default_factory=list)  # (channel index, guest-physical address)

    @property
    def guest_ram_size(self):
        return self.ram_size - VMM_RESERVE


@dataclass
class Plan:
    """Where everything of a validated layout lives."""
    soc: Soc
    partitions: list
    channels: list
    parked_harts: list
    source: Path | None = None
    layout: object = None      # the validated Layout it came from


def effective_console(layout, part):
    """The console a partition gets when its ``console`` key is left out."""
    if part.console is not None:
        return part.console
    has_control = any(p.role == "control" for p in layout.partition)
    uarts = [d for d in part.devices if d.startswith("uart")]
    if part.role == "guest" and has_control:
        return "shared"
    return uarts[0] if uarts else "none"

