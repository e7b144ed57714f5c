"""On-chip memory with one bus port per initiator: RAM and the boot ROM."""

from amaranth import Module
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In

from ..bus import BusSignature

__all__ = ["SRAM"]


class SRAM(wiring.Component):
    """Single-cycle block RAM with ``ports`` independent bus ports.

    Every port reads; port 0 is the only one that writes (the data side), the others are
    instruction ports. Each port takes a request every cycle and answers it on the next,
    as block RAM does. In simulation the array is the instance ``mem`` of this module, which
    the loader writes through VPI.

    Parameters
    ----------
    size : int
        Bytes, a power of two >= 4.
    ports : int
        Number of bus ports.
    writable : bool
        ``False`` makes a ROM: writes are answered with ``err``.
    init : list of int
        Initial words.
    """

    def __init__(self, *, size, ports=2, writable=True, init=()):
        if not isinstance(size, int) or size < 4 or size & (size - 1):
            raise ValueError(f"size must be a power of two of at least 4 bytes, not {size!r}")
        if not isinstance(ports, int) or ports < 1:
            raise ValueError(f"ports must be a positive integer, not {ports!r}")
        if len(init) > size // 4:
            raise ValueError(f"init has {len(init)} words, more than the {size // 4} that fit")
        self.size = size
        self.writable = writable
        self._init = list(init)
        self._addr_width = max(1, (size // 4 - 1).bit_length())
        super().__init__({
            f"bus{i}": In(BusSignature(self._addr_width)) for i in range(ports)
        })
        self.ports = ports

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = memory.Memory(shape=32, depth=self.size // 4, init=self._init)
        if self.writable:
            wp = mem.write_port(granularity=8)
        for i in range(self.ports):
            bus = getattr(self, f"bus{i}")
            rp = mem.read_port(transparent_for=(wp,) if self.writable and i == 0 else ())
            m.d.comb += [
                rp.addr.eq(bus.adr),
                rp.en.eq(bus.cyc),
                bus.dat_r.eq(rp.data),
            ]
            refuse = bus.we & (i != 0 or not self.writable)
            m.d.sync += [
                bus.ack.eq(bus.cyc & ~refuse),
                bus.err.eq(bus.cyc & refuse),
            ]
            if self.writable and i == 0:
                m.d.comb += [
                    wp.addr.eq(bus.adr),
                    wp.data.eq(bus.dat_w),
                    wp.en.eq((bus.cyc & bus.we).replicate(4) & bus.sel),
                ]
        return m
