"""The SoC on a board: the board's clock through an ECP5 PLL to the SoC's clock, reset
from a button (held until the PLL locks), UART0 on the board's USB serial port, one LED
per partition, and the firmware image preloaded into RAM."""

from amaranth import ClockDomain, ClockSignal, Elaboratable, Instance, Module, Signal
from amaranth.build import ResourceError
from amaranth.lib import io

from ..rtl.soc import SoC

__all__ = ["BoardTop", "ecp5_pll"]

VCO_MIN, VCO_MAX = 400e6, 800e6       # EHXPLLL's VCO range
PFD_MIN = 3.125e6


def ecp5_pll(f_in, f_out):
    """Dividers ``(clki_div, clkfb_div, clkop_div, achieved)`` putting ``f_out`` on CLKOP
    with feedback from CLKOP: ``f_out = f_in * clkfb_div / clki_div``, and the VCO at
    ``f_out * clkop_div`` inside 400 to 800 MHz. The closest achievable frequency wins;
    raises :class:`ValueError` if none is within 1 %."""
    best = None
    for clki_div in range(1, 129):
        if f_in / clki_div < PFD_MIN:
            break
        for clkfb_div in range(1, 81):
            f = f_in * clkfb_div / clki_div
            for clkop_div in range(1, 129):
                if VCO_MIN <= f * clkop_div <= VCO_MAX:
                    error = abs(f - f_out)
                    if best is None or error < best[0]:
                        best = (error, clki_div, clkfb_div, clkop_div, f)
                    break
    if best is None or best[0] > 0.01 * f_out:
        raise ValueError(f"no ECP5 PLL setting turns {f_in / 1e6:g} MHz into "
                         f"{f_out / 1e6:g} MHz")
    return best[1:]


class BoardTop(Elaboratable):
    """Parameters
    ----------
    board : :class:`~zerovisor.boards.Board`
    soc_params : dict
        The SoC's parameters (``soc.json`` of a layout).
    ram_init : list of int
        RAM words to preload (each partition's image slice).
    rom_init : list of int or None
        The boot ROM (boot firmware, VMM and the layout's tables).
    partitions : int
        LEDs to drive, one per partition (as many as the board has).
    """

    def __init__(self, board, soc_params, *, ram_init=(), rom_init=None, partitions=1):
        self.board = board
        self.soc_params = dict(soc_params)
        self.ram_init = list(ram_init)
        self.rom_init = rom_init
        self.partitions = partitions

    def elaborate(self, platform):
        m = Module()
        params = self.soc_params
        m.submodules.soc = soc = SoC(ram_init=self.ram_init, rom_init=self.rom_init, **params)

        # Clock: the board's oscillator through the PLL.
        m.submodules.clk_in = clk_in = io.Buffer("i", platform.request(platform.default_clk,
                                                                        0, dir="-"))
        f_in = platform.default_clk_frequency
        clki, clkfb, clkop, achieved = ecp5_pll(f_in, params.get("clock_hz", 50_000_000))
        m.domains.sync = sync = ClockDomain("sync")
        locked = Signal()
        m.submodules.pll = Instance(
            "EHXPLLL",
            p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED", p_STDBY_ENABLE="DISABLED",
            p_DPHASE_SOURCE="DISABLED", p_OUTDIVIDER_MUXA="DIVA", p_CLKOP_ENABLE="ENABLED",
            p_CLKI_DIV=clki, p_CLKFB_DIV=clkfb, p_CLKOP_DIV=clkop,
            p_CLKOP_CPHASE=clkop - 1, p_CLKOP_FPHASE=0, p_FEEDBK_PATH="CLKOP",
            i_RST=0, i_STDBY=0, i_CLKI=clk_in.i, i_CLKFB=ClockSignal("sync"),
            i_PHASESEL0=0, i_PHASESEL1=0, i_PHASEDIR=1, i_PHASESTEP=1, i_PHASELOADREG=1,
            i_PLLWAKESYNC=0, i_ENCLKOP=0,
            o_CLKOP=sync.clk, o_LOCK=locked,
            a_FREQUENCY_PIN_CLKI=f"{f_in / 1e6:g}", a_FREQUENCY_PIN_CLKOP=f"{achieved / 1e6:g}",
            a_ICP_CURRENT="12", a_LPF_RESISTOR="8", a_MFG_ENABLE_FILTEROPAMP="1",
            a_MFG_GMCREF_SEL="2",
        )
        platform.add_clock_constraint(sync.clk, achieved)
        # Reset: until the PLL locks, and while the reset button is held.
        pressed = 0
        reset = self.board.reset or platform.default_rst
        if reset is not None:
            m.submodules.reset = button = io.Buffer("i", platform.request(reset, 0, dir="-"))
            pressed = button.i
        m.d.comb += sync.rst.eq(~locked | pressed)

        # UART0 on the USB serial port.
        uart = platform.request("uart", 0, dir="-")
        m.submodules.uart_tx = tx = io.Buffer("o", uart.tx)
        m.submodules.uart_rx = rx = io.Buffer("i", uart.rx)
        m.d.comb += [tx.o.eq(soc.uart_tx[0]), soc.uart_rx[0].eq(rx.i)]

        # One LED per partition. Until the VMM has a heartbeat to show (the boot firmware
        # issue), the first blinks at about 1 Hz to show the clock runs and the others
        # stay dark.
        blink = Signal(range(int(achieved)))
        beat = Signal()
        m.d.sync += blink.eq(blink + 1)
        with m.If(blink == int(achieved) // 2 - 1):
            m.d.sync += [blink.eq(0), beat.eq(~beat)]
        for p in range(self.partitions):
            try:
                led = platform.request(self.board.leds, p, dir="-")
            except ResourceError:   # the board has fewer LEDs than partitions
                break
            m.submodules[f"led{p}"] = buf = io.Buffer("o", led.r if self.board.rgb else led)
            m.d.comb += buf.o.eq(beat if p == 0 else 0)
        return m
