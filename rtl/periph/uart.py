"""A ns16550a-compatible UART: the register subset that firmware and Linux's 8250 driver use.

Registers are one byte apart (``reg-shift = 0``). Received bytes wait in a 16-byte FIFO
(as a 16550A's, always on): a shell busy printing does not lose what an operator types
meanwhile. Sending has one transmit shifter. Besides the serial pins the UART has a
simulation side door: ``tx_strobe``/``tx_data`` show each byte the moment software writes
it, and ``rx_inject``/``rx_inject_data`` put a received byte straight into the FIFO.
"""

from amaranth import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..bus import BusSignature
from .regmap import Field, Register, RegisterMap

__all__ = ["UART", "UART_REGS", "RX_FIFO"]

RX_FIFO = 16            # received bytes the UART holds

UART_REGS = RegisterMap("UART", "ns16550a UART (register subset, 16-byte receive FIFO)", (
    Register("RBR_THR", 0, 1, "rw", "Read: oldest received byte. Write: byte to send. "
             "DLL (divisor low) when LCR.DLAB is set."),
    Register("IER", 1, 1, "rw", "Interrupt enables. DLM (divisor high) when LCR.DLAB is set.", (
        Field("ERBFI", 0, doc="received data available"),
        Field("ETBEI", 1, doc="transmit holding register empty"),
    )),
    Register("IIR_FCR", 2, 1, "rw", "Read: interrupt identification. Write: FIFO control "
             "(accepted, ignored)."),
    Register("LCR", 3, 1, "rw", "Line control (8N1 is the only format sent).", (
        Field("DLAB", 7, doc="divisor latch access"),
    )),
    Register("MCR", 4, 1, "rw", "Modem control (stored only)."),
    Register("LSR", 5, 1, "r", "Line status.", (
        Field("DR", 0, doc="a received byte is waiting"),
        Field("OE", 1, doc="a received byte was lost (the FIFO was full)"),
        Field("THRE", 5, doc="transmit holding register empty"),
        Field("TEMT", 6, doc="transmitter empty"),
    )),
    Register("MSR", 6, 1, "r", "Modem status (reads 0xb0: CTS, DSR, DCD asserted)."),
    Register("SCR", 7, 1, "rw", "Scratch."),
))


class UART(wiring.Component):
    """ns16550a UART subset.

    Parameters
    ----------
    divisor : int
        Reset value of the divisor latch: clock / (16 * baud).
    instant_tx : bool
        Transmitted bytes leave at once (``tx`` stays idle); for simulation, where
        waiting out a serial frame would only slow the run.
    """

    bus: In(BusSignature(10))
    irq: Out(1)
    tx: Out(1, init=1)
    rx: In(1, init=1)
    tx_strobe: Out(1)
    tx_data: Out(8)
    rx_inject: In(1)
    rx_inject_data: In(8)

    def __init__(self, *, divisor=27, instant_tx=False):
        if not isinstance(divisor, int) or not 1 <= divisor <= 0xFFFF:
            raise ValueError(f"divisor must be 1 to 65535, not {divisor!r}")
        self.divisor = divisor
        self.instant_tx = instant_tx
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        bus = self.bus

        ier = Signal(2)
        lcr = Signal(8)
        mcr = Signal(5)
        scr = Signal(8)
        div = Signal(16, init=self.divisor)
        fifo = Array(Signal(8, name=f"rx_fifo{i}") for i in range(RX_FIFO))
        head = Signal(range(RX_FIFO))           # the oldest byte
        level = Signal(range(RX_FIFO + 1))
        rbr = Signal(8)
        dr = Signal()
        m.d.comb += [rbr.eq(fifo[head]), dr.eq(level != 0)]
        pop = Signal()
        oe = Signal()
        tx_busy = Signal()
        dlab = lcr[7]

        # Byte lanes: register n sits in word n // 4, lane n % 4.
        regs_r = [Signal(8, name=f"reg{n}_r") for n in range(8)]
        m.d.comb += [reg.eq(value) for reg, value in zip(regs_r, [
            Mux(dlab, div[0:8], rbr),
            Mux(dlab, div[8:16], ier),
            Mux(ier[0] & dr, 0x04, Mux(ier[1] & ~tx_busy, 0x02, 0x01)),
            lcr,
            mcr,
            Cat(dr, oe, Const(0, 3), ~tx_busy, ~tx_busy, Const(0, 1)),
            Const(0xB0, 8),
            scr,
        ])]
        word = bus.adr[0]
        m.d.sync += [
            bus.ack.eq(bus.cyc),
            bus.dat_r.eq(Mux(word, Cat(*regs_r[4:8]), Cat(*regs_r[0:4]))),
        ]
        access = bus.cyc & (bus.adr[1:] == 0)

        def lane(n):
            return access & (word == n // 4) & bus.sel[n % 4]

        def byte(n):
            return bus.dat_w[8 * (n % 4):8 * (n % 4) + 8]

        tx_start = Signal()
        with m.If(bus.we):
            with m.If(lane(0)):
                with m.If(dlab):
                    m.d.sync += div[0:8].eq(byte(0))
                with m.Elif(~tx_busy):
                    m.d.comb += tx_start.eq(1)
            with m.If(lane(1)):
                with m.If(dlab):
                    m.d.sync += div[8:16].eq(byte(1))
                with m.Else():
                    m.d.sync += ier.eq(byte(1))
            with m.If(lane(3)):
                m.d.sync += lcr.eq(byte(3))
            with m.If(lane(4)):
                m.d.sync += mcr.eq(byte(4))
            with m.If(lane(7)):
                m.d.sync += scr.eq(byte(7))
        with m.Else():
            with m.If(lane(0) & ~dlab & dr):
                m.d.comb += pop.eq(1)
                m.d.sync += head.eq(head + 1)
            with m.If(lane(5)):
                m.d.sync += oe.eq(0)

        m.d.comb += [
            self.tx_strobe.eq(tx_start),
            self.tx_data.eq(byte(0)),
            self.irq.eq((ier[0] & dr) | (ier[1] & ~tx_busy)),
        ]

        # Transmitter: start bit, 8 data bits, stop bit, each 16 * divisor cycles.
        if not self.instant_tx:
            shift = Signal(10)
            bits = Signal(range(11))
            ticks = Signal(20)
            with m.If(tx_start):
                m.d.sync += [
                    shift.eq(Cat(Const(0, 1), byte(0), Const(1, 1))),
                    bits.eq(10), ticks.eq(0), tx_busy.eq(1),
                ]
            with m.Elif(tx_busy):
                m.d.sync += [self.tx.eq(shift[0]), ticks.eq(ticks + 1)]
                with m.If(ticks == Cat(Const(0, 4), div) - 1):
                    m.d.sync += [shift.eq(shift >> 1), bits.eq(bits - 1), ticks.eq(0)]
                    with m.If(bits == 1):
                        m.d.sync += [tx_busy.eq(0), self.tx.eq(1)]

        # Receiver: find the start bit's middle, then sample each bit's middle.
        rx_sync = Signal(2, init=0b11)
        m.d.sync += rx_sync.eq(Cat(self.rx, rx_sync[0]))
        rx_bit = rx_sync[1]
        rx_ticks = Signal(20)
        rx_bits = Signal(range(10))
        rx_shift = Signal(8)
        rx_busy = Signal()
        bit_time = Cat(Const(0, 4), div)

        push = Signal()
        pushed = Signal(8)

        def receive(data):
            m.d.comb += [push.eq(1), pushed.eq(data)]

        with m.If(~rx_busy):
            with m.If(~rx_bit):
                m.d.sync += [rx_busy.eq(1), rx_ticks.eq(bit_time >> 1), rx_bits.eq(0)]
        with m.Else():
            m.d.sync += rx_ticks.eq(rx_ticks - 1)
            with m.If(rx_ticks == 0):
                m.d.sync += [rx_ticks.eq(bit_time - 1), rx_bits.eq(rx_bits + 1)]
                with m.If(rx_bits == 0):
                    with m.If(rx_bit):  # a glitch, not a start bit
                        m.d.sync += rx_busy.eq(0)
                with m.Elif(rx_bits <= 8):
                    m.d.sync += rx_shift.eq(Cat(rx_shift[1:], rx_bit))
                with m.Else():
                    m.d.sync += rx_busy.eq(0)
                    with m.If(rx_bit):
                        receive(rx_shift)
        with m.If(self.rx_inject):
            receive(self.rx_inject_data)
        full = level == RX_FIFO
        with m.If(push & full):
            m.d.sync += oe.eq(1)
        with m.If(push & ~full):
            m.d.sync += fifo[(head + level)[:RX_FIFO.bit_length() - 1]].eq(pushed)
        m.d.sync += level.eq(level + (push & ~full) - pop)
        return m
