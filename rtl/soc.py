"""The SoC: 1 to 8 harts; boot ROM, banked RAM, UART, CLINT, PLIC and the test finisher on
a crossbar, with a partition checker in front of every target but the boot ROM.

Every hart has an instruction bus, a data bus for memory and an I/O bus for the devices,
each with its own address decoder (the core drives the I/O bus from registers, so that
the device side is not on its longest path). Every target port has an arbiter that takes
one hart's request a cycle: the RAM is split into banks, each with a fetch port and a data
port, so harts working in different banks (their partitions' own memory) never wait for
each other, and the fetch and data buses of one hart never meet either. The checker sits
between a port's arbiter and the target, so it sees the partition ID and hart of the
request it lets through.
"""

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out, connect

from .bootrom import boot_rom
from .bus import Arbiter, Decoder
from .cpu.core import Core, Pma
from .cpu.pmp import PMP_ENTRIES, check_pmp_entries
from .cpu.rvfi import RVFISignature
from .memmap import (
    CHECKER_SLOT,
    IRQS,
    MAX_BANKS,
    MAX_UARTS,
    RAM_BASE,
    ROM_BASE,
    checked_targets,
    checker_entries,
    memory_map,
)
from .partition.checker import Checker
from .periph.clint import CLINT
from .periph.doorbell import DOORBELLS, Doorbells
from .periph.finisher import Finisher
from .periph.plic import PLIC, context
from .periph.sram import SRAM
from .periph.uart import UART

__all__ = ["SoC", "pma_regions"]


def pma_regions(regions):
    """What each region of a memory map allows: code runs from ROM and RAM, devices hold
    data only and are reached through the I/O bus."""
    memories = ("BOOTROM", "RAM")
    return [Pma(r.base, r.size, write=r.name != "BOOTROM", execute=r.name in memories,
                io=r.name not in memories) for r in regions]


class SoC(wiring.Component):
    """The SoC.

    Parameters
    ----------
    harts : int
        Number of harts, 1 to 8. Every hart starts in the boot ROM.
    banks : int
        RAM banks, a power of two from 1 to 8; each holds ``ram_size // banks`` bytes.
    uarts : int
        UARTs, 1 to 4, ``0x1000`` apart from ``0x1000_0000``. ``uart_tx``/``uart_rx`` have a
        bit each; the simulation's byte stream (``uart_tx_strobe``...) is UART0's.
    ram_size : int
        Bytes of RAM at ``0x8000_0000``; a power of two from 4 KiB to 16 MiB.
    ram_built : list of int or None
        Bytes of each bank that are block RAM, from the bank's start (see
        :class:`~.periph.sram.SRAM`'s ``built``); the rest of the bank answers ``err``.
        ``None`` builds every bank whole.
    rom_built : int or None
        Bytes of the boot ROM that are block RAM, likewise (the firmware of a 4-hart layout
        is some 9 KiB of the 16, and the ROM is one block RAM copy per two of its ports).
    clock_hz : int
        Clock frequency; sets the UART's reset divisor for 115200 baud.
    sim : bool
        Build for simulation: the UART sends bytes at once instead of serially.
    ram_init : list of int
        Initial RAM words (a preloaded image, as on an FPGA board).
    entry : int
        Address the boot ROM jumps to (when ``rom_init`` is not given).
    rom_init : list of int or None
        The boot ROM's words (a layout's boot firmware, VMM and tables); the default is a
        jump to ``entry``.
    hext : bool
        Build the harts with the hypervisor extension.
    late_mem : bool
        Every data access of the harts goes to the bus a cycle after E decides it, from
        registers (see :class:`~.cpu.core.Core`): a load or store costs a cycle more, and
        the path from an instruction to the block RAM's write enable is cut in two. The
        arbiters of the devices and of the RAM banks' data ports register the request they
        choose (``Arbiter(registered=True)``): a data access costs a cycle more again, and
        the block RAM's write enable is a partition checker away from a register; a
        device's checker registers its decision (``Checker(registered=True)``), and a
        device access costs a cycle more again. A RAM bank's fetch port serves the harts
        at home there (``bank_harts``) without waiting on the others, whose fetches wait
        for a cycle reserved the cycle before (``Arbiter(home=...)``), as do all accesses
        to the boot ROM's data port: no hart's stall depends on another hart's request in
        the same cycle.
    bank_harts : list of list of int or None
        With ``late_mem``, the harts at home in each RAM bank's fetch port (a layout's: the
        harts of the partitions whose memory is there). ``None``: hart ``h`` in the banks ``b`` with
        ``b % harts == h % banks``, spreading the harts over the banks.
    pmp_entries : int
        PMP entries of each hart, 0 to 16 (see :mod:`.cpu.pmp`): zerovisor's firmware
        uses one, the partition checkers isolate.
    fault : str or None
        Test-only fault injected into hart 0 (see :class:`~.cpu.core.Core`).
    """

    def __init__(self, *, harts=1, banks=1, uarts=1, ram_size=512 * 1024,
                 clock_hz=50_000_000, sim=False, ram_init=(), entry=RAM_BASE, hext=True,
                 rom_init=None, ram_built=None, rom_built=None, late_mem=False,
                 pmp_entries=PMP_ENTRIES, fault=None, bank_harts=None):
        if not isinstance(harts, int) or not 1 <= harts <= 8:
            raise ValueError(f"harts must be 1 to 8, not {harts!r}")
        if not isinstance(ram_size, int) or ram_size & (ram_size - 1) or \
                not 4096 <= ram_size <= 16 << 20:
            raise ValueError(f"ram_size must be a power of two from 4 KiB to 16 MiB, "
                             f"not {ram_size!r}")
        if not isinstance(banks, int) or banks & (banks - 1) or not 1 <= banks <= MAX_BANKS \
                or ram_size // banks < 4096:
            raise ValueError(f"banks must be a power of two from 1 to {MAX_BANKS} leaving "
                             f"at least 4 KiB a bank, not {banks!r}")
        if ram_built is not None and (len(ram_built) != banks or not all(
                isinstance(b, int) and 0 <= b <= ram_size // banks for b in ram_built)):
            raise ValueError(f"ram_built must give each of the {banks} bank(s) 0 to "
                             f"{ram_size // banks} bytes, not {ram_built!r}")
        if bank_harts is None:
            bank_harts = [[h for h in range(harts) if b % harts == h % banks]
                          for b in range(banks)]
        if len(bank_harts) != banks or not all(
                isinstance(h, int) and 0 <= h < harts for hs in bank_harts for h in hs):
            raise ValueError(f"bank_harts must list harts (0 to {harts - 1}) for each of the "
                             f"{banks} bank(s), not {bank_harts!r}")
        if not isinstance(uarts, int) or not 1 <= uarts <= MAX_UARTS:
            raise ValueError(f"uarts must be 1 to {MAX_UARTS}, not {uarts!r}")
        if not isinstance(clock_hz, int) or clock_hz < 1_000_000:
            raise ValueError(f"clock_hz must be an integer of at least 1 MHz, not {clock_hz!r}")
        self.harts = harts
        self.banks = banks
        self.uarts = uarts
        self.ram_size = ram_size
        self.ram_built = None if ram_built is None else list(ram_built)
        self.rom_built = rom_built
        self.clock_hz = clock_hz
        self.sim = sim
        self.ram_init = list(ram_init)
        self.rom_init = None if rom_init is None else list(rom_init)
        self.entry = entry
        self.hext = hext
        self.late_mem = late_mem
        self.pmp_entries = check_pmp_entries(pmp_entries)
        self.fault = fault
        self.bank_harts = [sorted(set(hs)) for hs in bank_harts]
        self.memory_map = memory_map(ram_size=ram_size, uarts=uarts)
        super().__init__({
            "uart_tx": Out(uarts),
            "uart_rx": In(uarts, init=(1 << uarts) - 1),
            "uart_tx_strobe": Out(1),
            "uart_tx_data": Out(8),
            "uart_rx_inject": In(1),
            "uart_rx_inject_data": In(8),
            "finish_done": Out(1),
            "finish_passed": Out(1),
            "finish_code": Out(16),
            "rvfi": Out(RVFISignature()),      # hart 0's
            "hart_state": Out(4 * harts),       # each hart's Core.state, hart 0 lowest
        })

    def elaborate(self, platform):
        m = Module()
        n = self.harts
        regions = {r.name: r for r in self.memory_map}
        pma = pma_regions(self.memory_map)
        # Each hart's decoders' windows: instructions and data come from ROM and RAM, the
        # I/O bus reaches every device.
        bank_size = self.ram_size // self.banks
        bank_names = ["ram"] if self.banks == 1 else [f"ram{b}" for b in range(self.banks)]
        ram_windows = [(name, RAM_BASE + b * bank_size, bank_size)
                       for b, name in enumerate(bank_names)]
        uart_names = [f"UART{u}" for u in range(self.uarts)]
        device_windows = [(name.lower(), regions[name].base, regions[name].size)
                          for name in ("FINISHER", "CLINT", "PLIC", *uart_names, "PARTCTL",
                                       "DOORBELL")]
        rom_window = [("rom", ROM_BASE, regions["BOOTROM"].size)]
        # (late_mem: a hart registers which window each request goes to, with the request)
        windows = None
        if self.late_mem:
            windows = {bus: [(base, size) for _, base, size in w]
                       for bus, w in (("dbus", rom_window + ram_windows),
                                      ("iobus", device_windows))}
        cores = []
        for h in range(n):
            core = Core(hartid=h, reset_addr=ROM_BASE, pma=pma, hext=self.hext,
                        late_mem=self.late_mem, pmp_entries=self.pmp_entries,
                        windows=windows, fault=self.fault if h == 0 else None)
            m.submodules[f"cpu{h}" if n > 1 else "cpu"] = core
            cores.append(core)

        # The boot ROM holds the VMM, which every partition runs in place: each hart has a
        # fetch port of its own, so that one partition's VMM never waits for another's
        # (a busy VMM would otherwise slow every other partition's SBI calls).
        rom_init = self.rom_init if self.rom_init is not None else boot_rom(self.entry)
        m.submodules.rom = rom = SRAM(size=regions["BOOTROM"].size, writable=False,
                                      init=rom_init, built=self.rom_built, sim=self.sim,
                                      ports=1 + n)
        bank_words = bank_size // 4
        banks = []
        for b, name in enumerate(bank_names):
            init = self.ram_init[b * bank_words:(b + 1) * bank_words]
            built = None if self.ram_built is None else self.ram_built[b]
            m.submodules[name] = bank = SRAM(size=bank_size, init=init, built=built,
                                             sim=self.sim)
            banks.append(bank)
        divisor = max(1, round(self.clock_hz / (16 * 115200)))
        uarts = []
        for u in range(self.uarts):
            m.submodules[f"uart{u}" if u else "uart"] = uart = UART(divisor=divisor,
                                                                   instant_tx=self.sim)
            uarts.append(uart)
        uart = uarts[0]
        m.submodules.clint = clint = CLINT(harts=n)
        m.submodules.finisher = finisher = Finisher()
        m.submodules.doorbells = doorbells = Doorbells()
        m.submodules.plic = plic = PLIC(harts=n, sources=IRQS.values(), late=self.late_mem)

        # One decoder per bus of every hart
        idecs, ddecs, iodecs = [], [], []
        for h, core in enumerate(cores):
            hinted = windows is not None
            m.submodules[f"ibus_dec{h}"] = idec = Decoder(rom_window + ram_windows)
            m.submodules[f"dbus_dec{h}"] = ddec = Decoder(rom_window + ram_windows,
                                                          hinted=hinted)
            m.submodules[f"iobus_dec{h}"] = iodec = Decoder(device_windows, hinted=hinted)
            connect(m, core.ibus, idec.bus)
            connect(m, core.dbus, ddec.bus)
            connect(m, core.iobus, iodec.bus)
            if hinted:
                m.d.comb += [ddec.hit.eq(core.dbus_hit), iodec.hit.eq(core.iobus_hit)]
            idecs.append(idec)
            ddecs.append(ddec)
            iodecs.append(iodec)

        def arbitrate(name, decoders, window, *, registered=False, home=None):
            """An arbiter for one target port, fed by every hart's decoder."""
            arb = Arbiter(n, addr_width=len(getattr(decoders[0].subs, window).adr),
                          registered=registered, home=home if self.late_mem else None)
            m.submodules[f"arb_{name.lower()}"] = arb
            for h, dec in enumerate(decoders):
                connect(m, getattr(dec.subs, window), arb.ins[h])
            return arb.out

        for h, dec in enumerate(idecs):
            connect(m, dec.subs.rom, getattr(rom, f"bus{h + 1}"))
        connect(m, arbitrate("ROM_DATA", ddecs, "rom", home=() if n > 1 else None), rom.bus0)

        # A partition checker in front of every target but the boot ROM, programmed (and
        # locked) through the partition control block.
        targets = checked_targets(self.banks, self.uarts)
        guarded = {}
        homes = {}
        for b, bank in enumerate(banks):
            prefix = "RAM" if self.banks == 1 else f"RAM{b}"
            base = RAM_BASE + b * bank_size
            guarded[f"{prefix}_DATA"] = (ddecs, bank_names[b], bank.bus0, base)
            guarded[f"{prefix}_FETCH"] = (idecs, bank_names[b], bank.bus1, base)
            homes[f"{prefix}_FETCH"] = self.bank_harts[b]   # (data ports are registered)
        # (late_mem: it stalls while any checker's configuration port does, the cycle after
        # a write, whichever is addressed: the address comparison is off the path of that
        # stall through the control block's checker and arbiter into every hart)
        m.submodules.partctl = partctl = Decoder(
            [(name.lower(), CHECKER_SLOT * i, CHECKER_SLOT) for i, name in enumerate(targets)],
            addr_width=(regions["PARTCTL"].size // 4 - 1).bit_length(),
            stall_any=self.late_mem)
        devices = {f"UART{u}": u_.bus for u, u_ in enumerate(uarts)} | {
            "CLINT": clint.bus, "FINISHER": finisher.bus, "PLIC": plic.bus,
            "DOORBELL": doorbells.bus, "PARTCTL": partctl.bus}
        for name, target in devices.items():
            guarded[name] = (iodecs, name.lower(), target, regions[name].base)
        violations = []
        for name in targets:
            decoders, window, target, base = guarded[name]
            # late_mem: a device's checker decides a cycle before it passes a request on,
            # so that its decision is not on the path into the device's side effects
            # (a device access costs a cycle more; a RAM bank's checkers decide at once,
            # or every load would pay it too)
            checker = Checker(addr_width=len(target.adr), base=base,
                              entries=checker_entries(name, n),
                              registered=self.late_mem and name in devices)
            m.submodules[f"check_{name.lower()}"] = checker
            # late_mem: a data access's request is registered past its arbiter, so that
            # the arbiters' choice and the harts' PMP (abort) are not on the path into the
            # checkers, devices and block RAM write enables (a RAM or I/O access costs a
            # cycle more); instruction fetches keep their bank's home harts
            registered = self.late_mem and not name.endswith("_FETCH")
            connect(m, arbitrate(name, decoders, window, registered=registered,
                                 home=None if registered else homes.get(name)), checker.bus)
            connect(m, checker.sub, target)
            connect(m, getattr(partctl.subs, name.lower()), checker.cfg)
            violations.append(checker.irq)
        connect(m, cores[0].rvfi, wiring.flipped(self.rvfi))
        m.d.comb += self.hart_state.eq(Cat(core.state for core in cores))

        # LR/SC across harts: a store taken from one hart kills the others' reservations
        # of the same word, from a register in the next cycle (so that a hart's PMP check
        # and a bank's arbitration end there, not at every other hart's reservation); the
        # hart's SC looks at the kill as well as the reservation in that cycle.
        for h, core in enumerate(cores):
            kills = [other.dbus.cyc & ~other.dbus.abort & other.dbus.we & ~other.dbus.stall
                     & (other.dbus.adr == core.resv_addr)
                     for j, other in enumerate(cores) if j != h]
            if kills:
                kill = Signal(name=f"resv_kill{h}")
                m.d.sync += kill.eq(Cat(kills).any())
                m.d.comb += core.resv_kill.eq(kill)

        for h, core in enumerate(cores):
            m.d.comb += [
                core.msip.eq(clint.msip[h]),
                core.mtip.eq(clint.mtip[h]),
                core.meip.eq(plic.eip[context(h, "m")]),
                core.seip.eq(plic.eip[context(h, "s")]),
                core.sgeip.eq(plic.eip[context(h, "guest")]),
                core.mtime.eq(clint.mtime), core.mtime_next.eq(clint.mtime_next),
            ]
        violation = Signal()
        m.d.comb += [
            violation.eq(Cat(violations).any()),
            *(plic.irq[IRQS[f"UART{u}"]].eq(u_.irq) for u, u_ in enumerate(uarts)),
            *(self.uart_tx[u].eq(u_.tx) for u, u_ in enumerate(uarts)),
            *(u_.rx.eq(self.uart_rx[u]) for u, u_ in enumerate(uarts)),
            plic.irq[IRQS["VIOLATION"]].eq(violation),
            plic.irq[IRQS["DOORBELL0"]:IRQS["DOORBELL0"] + DOORBELLS].eq(doorbells.irq),
            self.uart_tx_strobe.eq(uart.tx_strobe),
            self.uart_tx_data.eq(uart.tx_data),
            uart.rx_inject.eq(self.uart_rx_inject),
            uart.rx_inject_data.eq(self.uart_rx_inject_data),
            self.finish_done.eq(finisher.done),
            self.finish_passed.eq(finisher.passed),
            self.finish_code.eq(finisher.code),
        ]
        return m
