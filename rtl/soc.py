"""The SoC: one hart, boot ROM, RAM, UART, CLINT, PLIC and the test finisher on the bus,
with a partition checker in front of every target but the boot ROM."""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect

from .bootrom import boot_rom
from .bus import Decoder
from .cpu.core import Core, Pma
from .cpu.rvfi import RVFISignature
from .memmap import CHECKED_TARGETS, IRQS, RAM_BASE, ROM_BASE, memory_map
from .partition.checker import Checker
from .periph.clint import CLINT
from .periph.finisher import Finisher
from .periph.plic import PLIC, context
from .periph.sram import SRAM
from .periph.uart import UART

__all__ = ["SoC"]


class SoC(wiring.Component):
    """The single-hart SoC.

    Parameters
    ----------
    ram_size : int
        Bytes of RAM at ``0x8000_0000``; a power of two from 4 KiB to 16 MiB.
    clock_hz : int
        Clock frequency; sets the UART's reset divisor for 115200 baud.
    sim : bool
        Build for simulation: the UART sends bytes at once instead of serially.
    ram_init : list of int
        Initial RAM words (a preloaded image, as on an FPGA board).
    entry : int
        Address the boot ROM jumps to.
    fault : str or None
        Test-only fault injected into the core (see :class:`~.cpu.core.Core`).
    """

    uart_tx: Out(1)
    uart_rx: In(1, init=1)
    uart_tx_strobe: Out(1)
    uart_tx_data: Out(8)
    uart_rx_inject: In(1)
    uart_rx_inject_data: In(8)
    finish_done: Out(1)
    finish_passed: Out(1)
    finish_code: Out(16)
    rvfi: Out(RVFISignature())

    def __init__(self, *, ram_size=512 * 1024, clock_hz=50_000_000, sim=False, ram_init=(),
                 entry=RAM_BASE, fault=None):
        if not isinstance(ram_size, int) or ram_size & (ram_size - 1) or \
                not 4096 <= ram_size <= 16 << 20:
            raise ValueError(f"ram_size must be a power of two from 4 KiB to 16 MiB, "
                             f"not {ram_size!r}")
        if not isinstance(clock_hz, int) or clock_hz < 1_000_000:
            raise ValueError(f"clock_hz must be an integer of at least 1 MHz, not {clock_hz!r}")
        self.ram_size = ram_size
        self.clock_hz = clock_hz
        self.sim = sim
        self.ram_init = list(ram_init)
        self.entry = entry
        self.fault = fault
        self.memory_map = memory_map(ram_size=ram_size)
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        regions = {r.name: r for r in self.memory_map}
        # What each region allows: code runs from ROM and RAM, devices hold data only.
        pma = [Pma(r.base, r.size, write=r.name != "BOOTROM",
                   execute=r.name in ("BOOTROM", "RAM")) for r in self.memory_map]
        m.submodules.cpu = cpu = Core(hartid=0, reset_addr=ROM_BASE, pma=pma, fault=self.fault)
        m.submodules.rom = rom = SRAM(size=regions["BOOTROM"].size, writable=False,
                                      init=boot_rom(self.entry))
        m.submodules.ram = ram = SRAM(size=self.ram_size, init=self.ram_init)
        m.submodules.uart = uart = UART(divisor=max(1, round(self.clock_hz / (16 * 115200))),
                                        instant_tx=self.sim)
        m.submodules.clint = clint = CLINT(harts=1)
        m.submodules.finisher = finisher = Finisher()
        m.submodules.plic = plic = PLIC(harts=1, sources=IRQS.values())

        # Instructions come from ROM and RAM only; data reaches every device.
        m.submodules.ibus_dec = ibus_dec = Decoder([
            ("rom", ROM_BASE, regions["BOOTROM"].size),
            ("ram", RAM_BASE, self.ram_size),
        ])
        m.submodules.dbus_dec = dbus_dec = Decoder([
            ("rom", ROM_BASE, regions["BOOTROM"].size),
            ("finisher", regions["FINISHER"].base, regions["FINISHER"].size),
            ("clint", regions["CLINT"].base, regions["CLINT"].size),
            ("plic", regions["PLIC"].base, regions["PLIC"].size),
            ("uart", regions["UART0"].base, regions["UART0"].size),
            ("partctl", regions["PARTCTL"].base, regions["PARTCTL"].size),
            ("ram", RAM_BASE, self.ram_size),
        ])
        connect(m, cpu.ibus, ibus_dec.bus)
        connect(m, cpu.dbus, dbus_dec.bus)
        connect(m, ibus_dec.subs.rom, rom.bus1)
        connect(m, dbus_dec.subs.rom, rom.bus0)

        # A partition checker in front of every target but the boot ROM, programmed (and
        # locked) through the partition control block.
        guarded = {
            "RAM_DATA": (dbus_dec.subs.ram, ram.bus0, RAM_BASE),
            "RAM_FETCH": (ibus_dec.subs.ram, ram.bus1, RAM_BASE),
            "UART0": (dbus_dec.subs.uart, uart.bus, regions["UART0"].base),
            "CLINT": (dbus_dec.subs.clint, clint.bus, regions["CLINT"].base),
            "FINISHER": (dbus_dec.subs.finisher, finisher.bus, regions["FINISHER"].base),
            "PLIC": (dbus_dec.subs.plic, plic.bus, regions["PLIC"].base),
        }
        m.submodules.partctl = partctl = Decoder(
            [(name.lower(), 0x100 * i, 0x100) for i, name in enumerate(CHECKED_TARGETS)],
            addr_width=(regions["PARTCTL"].size // 4 - 1).bit_length())
        # The control block is guarded too, by a checker whose registers it holds itself.
        guarded["PARTCTL"] = (dbus_dec.subs.partctl, partctl.bus, regions["PARTCTL"].base)
        for name in CHECKED_TARGETS:
            initiator, target, base = guarded[name]
            checker = Checker(addr_width=len(target.adr), base=base, entries=4)
            m.submodules[f"check_{name.lower()}"] = checker
            connect(m, initiator, checker.bus)
            connect(m, checker.sub, target)
            connect(m, getattr(partctl.subs, name.lower()), checker.cfg)
            m.d.comb += plic.irq[IRQS[f"VIOLATION_{name}"]].eq(checker.irq)
        connect(m, cpu.rvfi, wiring.flipped(self.rvfi))

        m.d.comb += [
            cpu.msip.eq(clint.msip[0]),
            cpu.mtip.eq(clint.mtip[0]),
            plic.irq[IRQS["UART0"]].eq(uart.irq),
            cpu.meip.eq(plic.eip[context(0, "m")]),
            cpu.seip.eq(plic.eip[context(0, "s")]),
            cpu.sgeip.eq(plic.eip[context(0, "guest")]),
            cpu.mtime.eq(clint.mtime),
            self.uart_tx.eq(uart.tx),
            uart.rx.eq(self.uart_rx),
            self.uart_tx_strobe.eq(uart.tx_strobe),
            self.uart_tx_data.eq(uart.tx_data),
            uart.rx_inject.eq(self.uart_rx_inject),
            uart.rx_inject_data.eq(self.uart_rx_inject_data),
            self.finish_done.eq(finisher.done),
            self.finish_passed.eq(finisher.passed),
            self.finish_code.eq(finisher.code),
        ]
        return m
