"""Testbench helpers for ``amaranth.sim``: drive a :class:`~zerovisor.rtl.bus.BusSignature`
port as its initiator would."""

__all__ = ["bus_read", "bus_write", "BusError"]


class BusError(Exception):
    """The subordinate answered ``err``."""


STALL_LIMIT = 16


async def _transfer(ctx, bus, addr, *, we, data=0, sel=0b1111):
    """One request, held while the subordinate stalls, answered one cycle after it is
    taken (see :mod:`zerovisor.rtl.bus.wishbone`)."""
    ctx.set(bus.cyc, 1)
    ctx.set(bus.we, we)
    ctx.set(bus.adr, addr >> 2)
    ctx.set(bus.sel, sel)
    ctx.set(bus.dat_w, data)
    for _ in range(STALL_LIMIT):
        stalled = ctx.get(bus.stall)
        await ctx.tick()
        if not stalled:
            break
    else:
        raise TimeoutError(f"the bus stalled a request to 0x{addr:08x} for "
                           f"{STALL_LIMIT} cycles")
    ctx.set(bus.cyc, 0)
    ctx.set(bus.we, 0)
    ack, err, dat_r = ctx.get(bus.ack), ctx.get(bus.err), ctx.get(bus.dat_r)
    await ctx.tick()
    if err:
        raise BusError(f"bus error at 0x{addr:08x}")
    if not ack:
        raise TimeoutError(f"no answer from the bus at 0x{addr:08x} one cycle later")
    return dat_r


async def bus_read(ctx, bus, addr, *, sel=0b1111):
    """Read the word holding byte address ``addr``; returns the whole word."""
    return await _transfer(ctx, bus, addr, we=0, sel=sel)


async def bus_write(ctx, bus, addr, data, *, sel=0b1111):
    """Write ``data`` to the byte lanes ``sel`` of the word at ``addr``."""
    await _transfer(ctx, bus, addr, we=1, data=data, sel=sel)
