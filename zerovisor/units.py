"""Sizes and clock rates as people write them: ``"64K"``, ``"1M"``, ``"50MHz"``."""

import re

__all__ = ["parse_size", "parse_clock", "parse_time", "format_size"]

_SIZE = re.compile(r"^\s*(\d+)\s*([KMG]?)(?:i?B)?\s*$", re.IGNORECASE)
_CLOCK = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kMG]?)Hz\s*$", re.IGNORECASE)
_SCALE = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
_HZ = {"": 1, "K": 1_000, "M": 1_000_000, "G": 1_000_000_000}
_TIME = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|ms|us)\s*$")
_US = {"s": 1_000_000, "ms": 1_000, "us": 1}


def parse_size(value):
    """Bytes from an integer or a string such as ``"64K"``, ``"1M"``, ``"4KiB"``."""
    if isinstance(value, bool):
        raise ValueError(f"expected a size such as \"64K\", not {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a size cannot be negative ({value})")
        return value
    if isinstance(value, str):
        m = _SIZE.match(value)
        if m:
            return int(m[1]) * _SCALE[m[2].upper()]
    raise ValueError(f"expected a size such as \"64K\", \"1M\" or a number of bytes, "
                     f"not {value!r}")


def parse_clock(value):
    """Hertz from an integer or a string such as ``"50MHz"``, ``"12.5 MHz"``."""
    if isinstance(value, bool):
        raise ValueError(f"expected a clock rate such as \"50MHz\", not {value!r}")
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str):
        m = _CLOCK.match(value)
        if m:
            hz = float(m[1]) * _HZ[m[2].upper()]
            if hz >= 1 and hz == int(hz):
                return int(hz)
    raise ValueError(f"expected a clock rate such as \"50MHz\" or a number of hertz, "
                     f"not {value!r}")


def parse_time(value):
    """Microseconds from an integer or a string such as ``"20ms"``, ``"500us"``, ``"1s"``."""
    if isinstance(value, bool):
        raise ValueError(f"expected a time such as \"20ms\", not {value!r}")
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str):
        m = _TIME.match(value)
        if m:
            us = float(m[1]) * _US[m[2]]
            if us == int(us):
                return int(us)
    raise ValueError(f"expected a time such as \"20ms\", \"500us\" or a number of "
                     f"microseconds, not {value!r}")


def format_size(n):
    for unit, scale in (("M", 1 << 20), ("K", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return str(n)
