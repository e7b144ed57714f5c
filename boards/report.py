"""What a board build produced: device use and clock speed, from nextpnr's JSON report,
and the reason a build failed, from its log.

nextpnr-ecp5 ``--report FILE`` writes ``{"utilization": {BEL type: {"used", "available"}},
"fmax": {clock net: {"achieved", "constraint"}}, ...}`` (MHz); :func:`summarize` turns it
into zerovisor's report: LUT4, FF, EBR (block RAM), DSP and I/O use with the share of
the device, each clock's Fmax against its target, and whether timing is met.
"""

import re

__all__ = ["RESOURCES", "summarize", "worst_clock", "does_not_fit", "memory_shortfall",
           "system_shortfall", "phase"]

# nextpnr's BEL types on ECP5 -> what a user calls them
RESOURCES = {
    "TRELLIS_COMB": "LUT4",
    "TRELLIS_FF": "FF",
    "DP16KD": "EBR (block RAM)",
    "MULT18X18D": "DSP (18x18)",
    "TRELLIS_IO": "I/O",
    "EHXPLLL": "PLL",
}


def summarize(report, *, board, layout, clock_hz):
    """Our report (a JSON-ready dict) from nextpnr's ``report``."""
    use = {}
    for bel, name in RESOURCES.items():
        cell = report.get("utilization", {}).get(bel)
        if cell:
            used, available = cell["used"], cell["available"]
            use[name] = {"used": used, "available": available,
                         "percent": round(100 * used / available, 1) if available else 0.0}
    clocks = {}
    for net, f in report.get("fmax", {}).items():
        clocks[net] = {"fmax_mhz": round(f["achieved"], 2),
                       "target_mhz": round(f["constraint"], 2),
                       "met": f["achieved"] >= f["constraint"]}
    return {"board": board, "layout": layout, "soc_clock_mhz": clock_hz / 1e6,
            "utilization": use, "clocks": clocks,
            "timing_met": bool(clocks) and all(c["met"] for c in clocks.values())}


def worst_clock(summary):
    """The clock of ``summary`` furthest below its target (the SoC's: the board's
    oscillator input is reported too), or ``None`` when nextpnr reported none."""
    return min(summary["clocks"].values(), key=lambda c: c["fmax_mhz"] / c["target_mhz"],
               default=None)


_UTIL = re.compile(r"^\s*Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%", re.MULTILINE)


def does_not_fit(log):
    """From nextpnr's log: ``[(resource, used, available)]`` of every resource the design
    needs more of than the device has (empty when it fits)."""
    over = []
    for bel, used, available in _UTIL.findall(log):
        used, available = int(used), int(available)
        if used > available:
            over.append((RESOURCES.get(bel, bel), used, available))
    return over


# Block RAMs (EBR, 18 Kbit: 2 KiB of 32-bit words) of each ECP5 device, by the size suffix
# of its part name (LFE5U-85F, LFE5UM5G-85F, ...).
ECP5_EBR = {"12F": 32, "25F": 56, "45F": 108, "85F": 208}
EBR_BYTES = 2048


def memory_shortfall(device, ram_banks, rom_size):
    """A sentence saying why a SoC whose RAM banks are built to ``ram_banks`` bytes each
    and whose boot ROM holds ``rom_size`` bytes cannot fit the block RAM of ECP5
    ``device``, or ``None`` if it may.

    Every built byte of RAM and one copy of the ROM are block RAM (more copies of the ROM
    come with more harts: it has a fetch port for each), so this is a lower bound, known
    before synthesis; a SoC it passes may still be refused by nextpnr, which counts
    exactly."""
    available = ECP5_EBR.get(device.rsplit("-", 1)[-1])
    if available is None:
        return None
    ram = sum(-(-bank // EBR_BYTES) for bank in ram_banks)
    rom = -(-rom_size // EBR_BYTES)
    if ram + rom <= available:
        return None
    over = ram + rom - available
    return (f"the RAM it places ({sum(ram_banks) // 1024} KiB: partitions, console rings, "
            f"channels and image slices) and its {-(-rom_size // 1024)} KiB boot ROM need at "
            f"least {ram + rom} block RAMs (EBR, 2 KiB each) and the {device} has "
            f"{available} ({over} over): give its partitions at least "
            f"{over * EBR_BYTES // 1024} KiB less RAM in all")


def system_shortfall(device, system):
    """:func:`memory_shortfall` for a built :class:`~zerovisor.system.System` as a board
    build makes it: each RAM bank and the boot ROM built only as far as the layout uses
    them, in the granules an :class:`~zerovisor.rtl.periph.sram.SRAM` builds."""
    from ..rtl.memmap import ROM_SIZE
    from ..rtl.periph.sram import built_size
    bank = system.params["ram_size"] // system.params["banks"]
    return memory_shortfall(device, [built_size(bank, b) for b in system.ram_built()],
                            built_size(ROM_SIZE, system.rom_used))


def phase(files):
    """Which step a build is in, from the names of the files in its folder."""
    if "zerovisor.bit" in files:
        return "done"
    if "zerovisor.config" in files:
        return "packing the bitstream (ecppack)"
    if "zerovisor.tim" in files:
        return "placing and routing (nextpnr-ecp5)"
    return "synthesizing (yosys)"
