"""Testbench helpers for ``amaranth.sim``: drive a :class:`~zerovisor.rtl.bus.BusSignature`
port as its initiator would."""

__all__ = ["bus_read", "bus_write", "BusError"]


class BusError(Exception):
    """The subordinate answered ``err``."""


async def _transfer(ctx, bus, addr, *, we, data=0, sel=0b1111, timeout=64):
    ctx.set(bus.cyc, 1)
    ctx.set(bus.we, we)
    ctx.set(bus.adr, addr >> 2)
    ctx.set(bus.sel, sel)
    ctx.set(bus.dat_w, data)
    for _ in range(timeout):
        ack, err, dat_r = ctx.get(bus.ack), ctx.get(bus.err), ctx.get(bus.dat_r)
        await ctx.tick()
        if ack or err:
            ctx.set(bus.cyc, 0)
            ctx.set(bus.we, 0)
            if err:
                raise BusError(f"bus error at 0x{addr:08x}")
            return dat_r
    raise TimeoutError(f"no answer from the bus at 0x{addr:08x} in {timeout} cycles")


async def bus_read(ctx, bus, addr, *, sel=0b1111):
    """Read the word holding byte address ``addr``; returns the whole word."""
    return await _transfer(ctx, bus, addr, we=0, sel=sel)


async def bus_write(ctx, bus, addr, data, *, sel=0b1111):
    """Write ``data`` to the byte lanes ``sel`` of the word at ``addr``."""
    await _transfer(ctx, bus, addr, we=1, data=data, sel=sel)
