# amaranth: UnusedElaboratable=no
"""Component tests of the bus decoder, RAM/ROM, UART, CLINT and finisher (amaranth.sim)."""

import random

import pytest
from amaranth import Module, Mux
from amaranth.lib import wiring
from amaranth.lib.wiring import Out, connect
from amaranth.sim import Simulator

from zerovisor.rtl.bus import BusSignature, Decoder, window_hits
from zerovisor.rtl.periph.clint import CLINT
from zerovisor.rtl.periph.finisher import Finisher
from zerovisor.rtl.periph.sram import SRAM, pieces
from zerovisor.rtl.periph.uart import UART, UART_REGS
from zerovisor.sim.bus_helpers import BusError, bus_read, bus_write


def simulate(dut, testbench, processes=()):
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(testbench)
    for process in processes:
        sim.add_process(process)
    sim.run()


_WINDOWS = [("a", 0x1000, 0x1000), ("b", 0x8000_0000, 0x4000)]


class _TwoSrams(wiring.Component):
    """Two SRAMs behind a decoder; ``hinted``: the decoder told the window by ``hit``,
    which follows the address (``window_hits``) unless ``forcing``, then ``force``."""

    bus: Out(BusSignature()).flip()
    forcing: Out(1).flip()
    force: Out(len(_WINDOWS)).flip()

    def __init__(self, hinted=False):
        self.hinted = hinted
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.submodules.dec = dec = Decoder(_WINDOWS, hinted=self.hinted)
        m.submodules.a = a = SRAM(size=0x1000, ports=1, writable=False, init=[0x11, 0x22])
        m.submodules.b = b = SRAM(size=0x4000, ports=1)
        connect(m, wiring.flipped(self.bus), dec.bus)
        connect(m, dec.subs.a, a.bus0)
        connect(m, dec.subs.b, b.bus0)
        if self.hinted:
            hits = window_hits(self.bus.adr, [(base, size) for _, base, size in _WINDOWS])
            m.d.comb += dec.hit.eq(Mux(self.forcing, self.force, hits))
        return m


@pytest.mark.parametrize("hinted", [False, True], ids=["by-address", "hinted"])
def test_decoder_routes_by_address_and_answers_err_elsewhere(hinted):
    dut = _TwoSrams(hinted)

    async def tb(ctx):
        assert await bus_read(ctx, dut.bus, 0x1004) == 0x22
        await bus_write(ctx, dut.bus, 0x8000_0010, 0xDEADBEEF)
        assert await bus_read(ctx, dut.bus, 0x8000_0010) == 0xDEADBEEF
        await bus_write(ctx, dut.bus, 0x8000_0010, 0x000000AA, sel=0b0001)
        assert await bus_read(ctx, dut.bus, 0x8000_0010) == 0xDEADBEAA
        with pytest.raises(BusError):
            await bus_read(ctx, dut.bus, 0x4000_0000)   # no device
        with pytest.raises(BusError):
            await bus_write(ctx, dut.bus, 0x1000, 1)     # ROM refuses writes
        assert await bus_read(ctx, dut.bus, 0x1000) == 0x11

    simulate(dut, tb)


def test_decoder_does_not_answer_an_aborted_request():
    """A request withdrawn by its initiator (``abort``) in no window gets no ``err``."""
    dut = _TwoSrams()

    async def tb(ctx):
        ctx.set(dut.bus.cyc, 1)
        ctx.set(dut.bus.abort, 1)
        ctx.set(dut.bus.adr, 0x4000_0000 >> 2)
        await ctx.tick()
        ctx.set(dut.bus.cyc, 0)
        ctx.set(dut.bus.abort, 0)
        assert not ctx.get(dut.bus.err) and not ctx.get(dut.bus.ack)
        with pytest.raises(BusError):
            await bus_read(ctx, dut.bus, 0x4000_0000)

    simulate(dut, tb)


def test_a_hinted_decoder_routes_by_its_hit_input_alone():
    """The initiator's ``hit`` decides (it must agree with the address; here it does not,
    to show that the address is not compared): an address in ``a`` is read from ``b`` at
    the same offset in its window, and no hit at all is answered with ``err``."""
    dut = _TwoSrams(hinted=True)

    async def tb(ctx):
        await bus_write(ctx, dut.bus, 0x8000_1004, 0x5A5A_0001)
        ctx.set(dut.forcing, 1)
        ctx.set(dut.force, 0b10)
        assert await bus_read(ctx, dut.bus, 0x1004) == 0x5A5A_0001
        ctx.set(dut.force, 0b01)
        assert await bus_read(ctx, dut.bus, 0x8000_0000) == 0x11
        ctx.set(dut.force, 0)
        with pytest.raises(BusError):
            await bus_read(ctx, dut.bus, 0x1004)

    simulate(dut, tb)


class _StallingPair(wiring.Component):
    """Two SRAMs behind a ``stall_any`` decoder; ``a`` stalls while ``stall_a``."""

    bus: Out(BusSignature()).flip()
    stall_a: Out(1).flip()

    def elaborate(self, platform):
        m = Module()
        m.submodules.dec = dec = Decoder(_WINDOWS, stall_any=True)
        m.submodules.a = a = SRAM(size=0x1000, ports=1, writable=False, init=[0x11, 0x22])
        m.submodules.b = b = SRAM(size=0x4000, ports=1)
        connect(m, wiring.flipped(self.bus), dec.bus)
        connect(m, dec.subs.b, b.bus0)
        sub = dec.subs.a
        m.d.comb += [getattr(a.bus0, name).eq(getattr(sub, name))
                     for name in ("we", "adr", "sel", "dat_w")]
        m.d.comb += [a.bus0.cyc.eq(sub.cyc & ~self.stall_a), sub.stall.eq(self.stall_a),
                     sub.dat_r.eq(a.bus0.dat_r), sub.ack.eq(a.bus0.ack),
                     sub.err.eq(a.bus0.err)]
        return m


def test_a_stall_any_decoder_holds_every_request_while_one_subordinate_stalls():
    """A write to ``b`` (or a request for no window) waits while ``a`` stalls: it reaches
    nothing and gets no answer, not even a miss's err; then it goes through."""
    dut = _StallingPair()

    async def tb(ctx):
        ctx.set(dut.stall_a, 1)
        for address in (0x8000_0008, 0x4000_0000):
            ctx.set(dut.bus.cyc, 1)
            ctx.set(dut.bus.we, 1)
            ctx.set(dut.bus.sel, 0b1111)
            ctx.set(dut.bus.dat_w, 0xBAD)
            ctx.set(dut.bus.adr, address >> 2)
            assert ctx.get(dut.bus.stall)
            await ctx.tick()
            ctx.set(dut.bus.cyc, 0)
            assert not ctx.get(dut.bus.ack) and not ctx.get(dut.bus.err)
        ctx.set(dut.stall_a, 0)
        assert await bus_read(ctx, dut.bus, 0x8000_0008) == 0     # the write never landed
        await bus_write(ctx, dut.bus, 0x8000_0008, 0x600D)
        assert await bus_read(ctx, dut.bus, 0x8000_0008) == 0x600D
        with pytest.raises(BusError):
            await bus_read(ctx, dut.bus, 0x4000_0000)

    simulate(dut, tb)


@pytest.mark.parametrize("windows, message", [
    ([("a", 0x1000, 0x1000), ("a", 0x2000, 0x1000)], "used twice"),
    ([("a", 0x1000, 0x3000)], "power of two"),
    ([("a", 0x1800, 0x1000)], "not aligned"),
    ([("a", 0x0, 0x2000), ("b", 0x1000, 0x1000)], "overlap"),
])
def test_decoder_rejects_bad_windows(windows, message):
    with pytest.raises(ValueError, match=message):
        Decoder(windows)


def test_constructor_errors_show_the_bad_value():
    with pytest.raises(ValueError, match="not 3000"):
        SRAM(size=3000)
    with pytest.raises(ValueError, match="harts must be 1 to 8, not 9"):
        CLINT(harts=9)
    with pytest.raises(ValueError, match="divisor must be 1 to 65535, not 0"):
        UART(divisor=0)


def _reg(name):
    return UART_REGS.offset(name)


async def uart_write(ctx, bus, reg, value):
    lane = reg % 4
    await bus_write(ctx, bus, reg & ~3, value << (8 * lane), sel=1 << lane)


async def uart_read(ctx, bus, reg):
    lane = reg % 4
    return (await bus_read(ctx, bus, reg & ~3, sel=1 << lane) >> (8 * lane)) & 0xFF


def test_uart_sends_a_byte_serially_and_reports_busy():
    dut = UART(divisor=1)
    bits = []

    async def tb(ctx):
        assert await uart_read(ctx, dut.bus, _reg("LSR")) & 0x60 == 0x60
        await uart_write(ctx, dut.bus, _reg("RBR_THR"), 0xA5)
        assert await uart_read(ctx, dut.bus, _reg("LSR")) & 0x20 == 0  # busy
        for _ in range(16 * 10 + 4):
            bits.append(ctx.get(dut.tx))
            await ctx.tick()
        assert await uart_read(ctx, dut.bus, _reg("LSR")) & 0x60 == 0x60

    simulate(dut, tb)
    # sample the middle of each 16-cycle bit: start, 8 data bits LSB first, stop
    start = bits.index(0)
    frame = [bits[start + 8 + 16 * i] for i in range(10)]
    assert frame == [0, 1, 0, 1, 0, 0, 1, 0, 1, 1]


def test_uart_receives_serial_and_injected_bytes_and_interrupts():
    dut = UART(divisor=1, instant_tx=True)

    async def line(ctx):
        await ctx.tick().repeat(20)
        for bit in [0, 1, 1, 0, 0, 0, 0, 1, 0, 1]:   # 0x43 'C'
            ctx.set(dut.rx, bit)
            await ctx.tick().repeat(16)

    async def tb(ctx):
        await uart_write(ctx, dut.bus, _reg("IER"), 0x01)
        assert ctx.get(dut.irq) == 0
        for _ in range(400):
            if await uart_read(ctx, dut.bus, _reg("LSR")) & 1:
                break
        assert ctx.get(dut.irq) == 1
        assert await uart_read(ctx, dut.bus, _reg("IIR_FCR")) == 0x04
        assert await uart_read(ctx, dut.bus, _reg("RBR_THR")) == 0x43
        assert await uart_read(ctx, dut.bus, _reg("LSR")) & 1 == 0
        assert ctx.get(dut.irq) == 0
        ctx.set(dut.rx_inject, 1)
        ctx.set(dut.rx_inject_data, ord("z"))
        await ctx.tick()
        ctx.set(dut.rx_inject, 0)
        assert await uart_read(ctx, dut.bus, _reg("RBR_THR")) == ord("z")
        # the divisor latch hides RBR/IER while DLAB is set
        await uart_write(ctx, dut.bus, _reg("LCR"), 0x80)
        await uart_write(ctx, dut.bus, _reg("RBR_THR"), 0x34)
        assert await uart_read(ctx, dut.bus, _reg("RBR_THR")) == 0x34
        await uart_write(ctx, dut.bus, _reg("LCR"), 0x03)
        await uart_write(ctx, dut.bus, _reg("SCR"), 0x5A)
        assert await uart_read(ctx, dut.bus, _reg("SCR")) == 0x5A

    simulate(dut, tb, [line])


def test_uart_receive_fifo_keeps_sixteen_bytes_in_order_then_overruns():
    """A shell busy printing does not lose what is typed meanwhile: bytes wait, in order,
    up to 16; the 17th is lost and LSR.OE says so (reading LSR clears it)."""
    dut = UART(divisor=1, instant_tx=True)

    async def tb(ctx):
        for c in range(17):
            ctx.set(dut.rx_inject, 1)
            ctx.set(dut.rx_inject_data, 0x41 + c)
            await ctx.tick()
        ctx.set(dut.rx_inject, 0)
        assert await uart_read(ctx, dut.bus, _reg("LSR")) & 0x03 == 0x03   # DR, OE
        assert await uart_read(ctx, dut.bus, _reg("LSR")) & 0x03 == 0x01   # OE cleared
        got = [await uart_read(ctx, dut.bus, _reg("RBR_THR")) for _ in range(16)]
        assert got == list(range(0x41, 0x51))
        assert await uart_read(ctx, dut.bus, _reg("LSR")) & 0x01 == 0
        # a byte arriving as the oldest is read out keeps its place
        for c in (1, 2):
            ctx.set(dut.rx_inject, 1)
            ctx.set(dut.rx_inject_data, c)
            await ctx.tick()
        ctx.set(dut.rx_inject, 0)
        assert [await uart_read(ctx, dut.bus, _reg("RBR_THR")) for _ in range(2)] == [1, 2]

    simulate(dut, tb)


def test_uart_instant_tx_strobes_each_written_byte():
    dut = UART(instant_tx=True)
    seen = []

    async def watch(ctx):
        async for _, _, strobe, data in ctx.tick().sample(dut.tx_strobe, dut.tx_data):
            if strobe:
                seen.append(data)

    async def tb(ctx):
        for c in b"ok":
            assert await uart_read(ctx, dut.bus, _reg("LSR")) & 0x20
            await uart_write(ctx, dut.bus, _reg("RBR_THR"), c)
        await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.add_testbench(watch, background=True)
    sim.run()
    assert bytes(seen) == b"ok"


def test_clint_timer_and_software_interrupts():
    dut = CLINT(harts=2)

    async def tb(ctx):
        assert ctx.get(dut.mtip) == 0   # mtimecmp resets to all ones
        await bus_write(ctx, dut.bus, 0x4008 + 4, 0)      # hart 1 mtimecmp high
        now = await bus_read(ctx, dut.bus, 0xBFF8)
        await bus_write(ctx, dut.bus, 0x4008, now + 10)   # hart 1 mtimecmp low
        assert ctx.get(dut.mtip) == 0
        await ctx.tick().repeat(12)
        assert ctx.get(dut.mtip) == 0b10
        await bus_write(ctx, dut.bus, 0x0000, 1)          # hart 0 msip
        assert ctx.get(dut.msip) == 0b01
        assert await bus_read(ctx, dut.bus, 0x0000) == 1
        await bus_write(ctx, dut.bus, 0xBFF8 + 4, 7)      # mtime is writable
        assert await bus_read(ctx, dut.bus, 0xBFFC) == 7

    simulate(dut, tb)


def test_finisher_reports_pass_and_fail_words_only():
    dut = Finisher()
    verdicts = []

    async def watch(ctx):
        async for _, _, done, passed, code in ctx.tick().sample(dut.done, dut.passed,
                                                                  dut.code):
            if done:
                verdicts.append((passed, code))

    async def tb(ctx):
        await bus_write(ctx, dut.bus, 0, 0x1234)          # neither pass nor fail
        await bus_write(ctx, dut.bus, 0, (9 << 16) | 0x3333)
        await bus_write(ctx, dut.bus, 0, 0x5555)
        await ctx.tick().repeat(2)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.add_testbench(watch, background=True)
    sim.run()
    assert verdicts == [(0, 9), (1, 0)]


# A window of 8K words built to 6.5K: pieces of 4K, 2K and 512 words. The words traffic
# goes to: both sides of every edge between pieces, and the last one built.
PIECE_EDGES = [0, 1, 4095, 4096, 4097, 6143, 6144, 6655]


@pytest.mark.parametrize("size, built, words", [
    (32, None, range(8)),
    (0x8000, 0x6800, PIECE_EDGES),
], ids=["one-memory", "pieces"])
def test_ram_data_port_reads_back_to_back_writes(size, built, words):
    """The data port reads every write at once, whatever the lanes: random back-to-back
    traffic over a few words, checked against a model; an instruction port then reads
    the same words. Built in pieces (see :func:`pieces`), the RAM is still one memory:
    its preloaded words are where they were put, and no piece's write lands in another."""
    init = [0x0101_0101 * (w % 251) for w in range(built // 4)] if built else []
    dut = SRAM(size=size, ports=2, built=built, init=init)
    rng = random.Random(7)
    model = {w: init[w] if init else 0 for w in words}

    async def tb(ctx):
        for _ in range(2000):
            cyc, we = rng.random() < 0.9, rng.random() < 0.5
            adr, sel, dat = rng.choice(words), rng.randrange(16), rng.getrandbits(32)
            ctx.set(dut.bus0.cyc, cyc)
            ctx.set(dut.bus0.we, we)
            ctx.set(dut.bus0.adr, adr)
            ctx.set(dut.bus0.sel, sel)
            ctx.set(dut.bus0.dat_w, dat)
            ctx.set(dut.bus1.cyc, 0)
            expect = model[adr] if cyc and not we else None
            if cyc and we:
                mask = sum(0xFF << 8 * b for b in range(4) if sel >> b & 1)
                model[adr] = model[adr] & ~mask | dat & mask
            await ctx.tick()          # the answer, in the next cycle
            assert ctx.get(dut.bus0.ack) == cyc
            if expect is not None:
                assert ctx.get(dut.bus0.dat_r) == expect
        # once the writes have settled, an instruction port reads the same words
        ctx.set(dut.bus0.cyc, 0)
        await ctx.tick()
        for adr, word in model.items():
            ctx.set(dut.bus1.cyc, 1)
            ctx.set(dut.bus1.adr, adr)
            await ctx.tick()
            assert ctx.get(dut.bus1.dat_r) == word

    simulate(dut, tb)


@pytest.mark.parametrize("size, built, first_absent", [
    (0x4000, 0x2300, 0x2400),      # rounded up to sixteenths of the window (1 KiB)
    (0x4000, 0x2000, 0x2000),      # a write to 0x2000 would wrap onto 0
    (0x4000, 0x4000, None),
    (0x4000, 0, 0),
    (32, 12, 12),                  # a small window: whole words
])
def test_ram_built_in_part_answers_err_beyond_it_and_never_aliases(size, built, first_absent):
    """A board builds only the block RAM a layout uses: past it every port answers err,
    and a refused write does not land (wrapped) in the memory that is built."""
    dut = SRAM(size=size, ports=2, built=built)
    absent = size if first_absent is None else first_absent

    async def tb(ctx):
        for addr in {0, absent - 4} if absent else ():
            await bus_write(ctx, dut.bus0, addr, 0x1234_5678 ^ addr)
            assert await bus_read(ctx, dut.bus0, addr) == 0x1234_5678 ^ addr
        for addr in {absent, size - 4} if absent < size else ():
            with pytest.raises(BusError):
                await bus_write(ctx, dut.bus0, addr, 0xDEAD_BEEF)
            with pytest.raises(BusError):
                await bus_read(ctx, dut.bus0, addr)
            with pytest.raises(BusError):
                await bus_read(ctx, dut.bus1, addr)
        # the refused writes wrapped onto nothing
        for addr in {0, absent - 4} if absent else ():
            assert await bus_read(ctx, dut.bus1, addr) == 0x1234_5678 ^ addr

    simulate(dut, tb)


def test_pieces_are_powers_of_two_from_the_largest_each_on_its_own_boundary():
    """The rows a built size is made of: one per power of two, the shallow rest together."""
    assert pieces(26624) == [(0, 16384), (16384, 8192), (24576, 2048)]   # 104 KiB
    assert pieces(32768) == [(0, 32768)]
    assert pieces(1553) == [(0, 1024), (1024, 512), (1536, 17)]
    assert pieces(100) == [(0, 100)]
    assert pieces(0) == []
    for words in range(1, 5000, 7):
        got = pieces(words)
        assert sum(n for _, n in got) == words
        for first, n in got:
            assert first % (1 << (n - 1).bit_length()) == 0


def test_ram_built_errors():
    with pytest.raises(ValueError, match="built must be 0 to size .4096. bytes, not 8192"):
        SRAM(size=4096, built=8192)
    with pytest.raises(ValueError, match="hardware builds"):
        SRAM(size=4096, built=1024, sim=True)
    with pytest.raises(ValueError, match="beyond the 256 bytes built"):
        SRAM(size=4096, built=256, init=[0] * 64 + [1])
