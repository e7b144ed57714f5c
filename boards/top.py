"""The SoC on a board: the board's clock through an ECP5 PLL to the SoC's clock, reset
from a button (held until the PLL locks), UART0 on the board's USB serial port, one LED
per partition (blinking while the partition's guest runs), and the firmware image
preloaded into RAM."""

from amaranth import Cat, ClockDomain, ClockSignal, Elaboratable, Instance, Module, Mux, Signal
from amaranth.build import ResourceError
from amaranth.lib import io

from ..rtl.soc import SoC

__all__ = ["BoardTop", "PartitionLeds", "ecp5_pll"]

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


class PartitionLeds(Elaboratable):
    """One LED per partition, blinking (``half_period`` cycles on, as many off) while some
    hart of the partition has run in VS or VU mode during the previous half period: a
    running guest, even one that waits for its timer, keeps its LED blinking; a stopped
    partition (its harts parked by its VMM) or one whose harts never leave the VMM goes
    dark. The harts' modes come from the SoC's ``hart_state``.

    ``partition_harts`` lists each partition's harts.
    """

    def __init__(self, partition_harts, half_period):
        self.partition_harts = [list(h) for h in partition_harts]
        self.half_period = half_period
        harts = max((h for hs in self.partition_harts for h in hs), default=0) + 1
        self.hart_state = Signal(4 * harts)
        self.leds = Signal(len(self.partition_harts))

    def elaborate(self, platform):
        m = Module()
        count = Signal(range(self.half_period))
        beat = Signal()
        end = count == self.half_period - 1
        m.d.sync += count.eq(Mux(end, 0, count + 1))
        with m.If(end):
            m.d.sync += beat.eq(~beat)
        for p, harts in enumerate(self.partition_harts):
            in_guest = Cat(self.hart_state[4 * h + 2] for h in harts).any() if harts else 0
            seen, shown = Signal(name=f"seen{p}"), Signal(name=f"shown{p}")
            with m.If(end):
                m.d.sync += [shown.eq(seen | in_guest), seen.eq(0)]
            with m.Elif(in_guest):
                m.d.sync += seen.eq(1)
            m.d.comb += self.leds[p].eq(beat & shown)
        return m


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
    ram_built, rom_built : list of int, int or None
        Bytes of each RAM bank and of the boot ROM to build as block RAM (see
        :class:`~zerovisor.rtl.soc.SoC`); ``None`` builds them whole.
    late_mem : bool
        Build the harts with every data access registered a cycle after E decides it
        (see :class:`~zerovisor.rtl.soc.SoC`): slower per instruction (kernel CPI 1.43
        against 1.24), a faster clock (the 1-hart SoC routed at 32.1 MHz against 19.3).
        The default; ``zerovisor sim``/``run-elf --late-mem`` simulate it.
    partition_harts : list of lists of int
        Each partition's harts: one LED a partition (as many as the board has), see
        :class:`PartitionLeds`. Default: one partition on hart 0.
    """

    def __init__(self, board, soc_params, *, ram_init=(), rom_init=None, ram_built=None,
                 rom_built=None, late_mem=True, partition_harts=((0,),)):
        self.board = board
        self.soc_params = dict(soc_params)
        self.ram_init = list(ram_init)
        self.rom_init = rom_init
        self.ram_built = ram_built
        self.rom_built = rom_built
        self.late_mem = late_mem
        self.partition_harts = [list(h) for h in partition_harts]

    @classmethod
    def of_system(cls, board, system, *, clock_hz=None, late_mem=True):
        """The board's top level for a built :class:`~zerovisor.system.System`: its boot
        ROM and image slices preloaded, only the memory its layout uses built, an LED per
        partition; ``clock_hz`` overrides the layout's clock."""
        params = dict(system.params)
        if clock_hz is not None:
            params["clock_hz"] = clock_hz
        return cls(board, params, ram_init=system.ram_words(), rom_init=system.rom,
                   ram_built=system.ram_built(), rom_built=system.rom_used,
                   late_mem=late_mem,
                   partition_harts=[p.harts for p in system.plan.partitions])

    def elaborate(self, platform):
        m = Module()
        params = self.soc_params
        m.submodules.soc = soc = SoC(ram_init=self.ram_init, rom_init=self.rom_init,
                                     ram_built=self.ram_built, rom_built=self.rom_built,
                                     late_mem=self.late_mem, **params)

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
        # Reset: until the PLL locks, and while the reset button is held; taken through two
        # flip-flops of the SoC's clock (the button and the lock are asynchronous to it)
        # and then a global clock buffer: the reset reaches some 9,000 flip-flops per hart,
        # and in general routing it added to the congestion nextpnr's router fights.
        pressed = 0
        reset = self.board.reset or platform.default_rst
        if reset is not None:
            m.submodules.reset = button = io.Buffer("i", platform.request(reset, 0, dir="-"))
            pressed = button.i
        m.domains.reset_sync = reset_sync = ClockDomain("reset_sync", reset_less=True)
        stages = Signal(2, init=0b11)
        m.d.comb += reset_sync.clk.eq(sync.clk)
        m.d.reset_sync += stages.eq(Cat(~locked | pressed, stages[0]))
        m.submodules.reset_buffer = Instance("DCCA", i_CLKI=stages[1], i_CE=1,
                                             o_CLKO=sync.rst)

        # UART0 on the USB serial port.
        uart = platform.request("uart", 0, dir="-")
        m.submodules.uart_tx = tx = io.Buffer("o", uart.tx)
        m.submodules.uart_rx = rx = io.Buffer("i", uart.rx)
        m.d.comb += [tx.o.eq(soc.uart_tx[0]), soc.uart_rx[0].eq(rx.i)]

        # One LED per partition, blinking at about 1 Hz while its guest runs.
        m.submodules.leds = leds = PartitionLeds(self.partition_harts, int(achieved) // 2)
        m.d.comb += leds.hart_state.eq(soc.hart_state)
        for p in range(len(self.partition_harts)):
            try:
                led = platform.request(self.board.leds, p, dir="-")
            except ResourceError:   # the board has fewer LEDs than partitions
                break
            m.submodules[f"led{p}"] = buf = io.Buffer("o", led.r if self.board.rgb else led)
            m.d.comb += buf.o.eq(leds.leds[p])
        return m
