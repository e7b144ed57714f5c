"""FPGA boards: each target names an ``amaranth-boards`` platform and the board's
resources the SoC uses (clock, reset button, UART, LEDs). Add a board with one more
:class:`Board` entry in :data:`BOARDS`."""

from dataclasses import dataclass

from ..errors import ZerovisorError

__all__ = ["Board", "BOARDS", "BoardError", "SYNTH_OVERRIDES", "get_board"]

# How yosys synthesizes the SoC. synth_ecp5 (synth_lattice in yosys 0.70) always maps to LUTs
# with ABC9, which on the whole SoC ran for over an hour and then failed an internal
# assertion (rtlil.cc, in ABC9's reintegration). So the build stops synth_ecp5 before its
# LUT mapping, maps with classic ABC to LUT4s and lets synth_ecp5 finish the cell mapping:
# the 1-hart SoC synthesizes in two to three minutes. (LUT5 to LUT7 out of PFU muxes, as
# synth_ecp5 mapped before ABC9, placed at 11.2 MHz with 26,957 LUT4 in use; LUT4s alone
# at 12.5 MHz with 20,169.) ``-no-rw-check`` lets a block RAM return either value when a
# fetch reads the word a store writes in the same cycle (see
# :class:`~zerovisor.rtl.periph.sram.SRAM`), which halves the block RAM the SoC needs.
#
# The logic a block RAM's output feeds (up to the next register) is mapped by an ABC run
# of its own, before the rest. ABC maps for the least depth and then, to save LUTs, lets
# every path grow up to the deepest path of what it maps; it sees a block RAM's output as
# arriving with the clock, like a flip-flop's, where it comes 5.6 ns later and from a
# corner of the device. Mapped with the rest, a load's data from a RAM bank through the
# bank's, the arbiter's and the decoder's choices and the load's byte choice took 11 LUT
# levels in the 4-hart layout (the design's deepest path is 18) and was its critical
# path; on its own it takes 6, in fewer LUTs. (The same for the carry chains' outputs
# made the design deeper: 18 levels to 20, and 3,600 LUTs more.)
SYNTH_OVERRIDES = {
    "synth_opts": "-no-rw-check -run begin:map_luts",
    "script_after_synth": "\n".join([
        "techmap -map +/lattice/latches_map.v",
        "select -set ram_fed t:DP16KD %co1 %coe* t:$_* %i",
        "abc -dress -lut 4 @ram_fed",
        "abc -dress -lut 4",
        "clean",
        "synth_ecp5 -top zerovisor -run map_cells:",
    ]),
}


class BoardError(ZerovisorError):
    """A board a user asked for that zerovisor cannot build for."""


@dataclass(frozen=True)
class Board:
    """A board target.

    ``platform`` is ``"module:Class"`` in ``amaranth_boards``; ``reset`` names the button
    that resets the SoC (``None``: the platform's own reset); ``leds`` the resource of
    the LEDs, one per partition, and whether it is an RGB LED (its red element is used).
    """

    name: str
    platform: str
    reset: str | None
    leds: str
    rgb: bool = False
    doc: str = ""

    def make_platform(self, program=False):
        """The board's platform; unless ``program``, one that does not ask for the
        programming tool (amaranth-boards' ULX3S wants openFPGALoader for every build)."""
        import importlib
        module, cls = self.platform.split(":")
        try:
            base = getattr(importlib.import_module(f"amaranth_boards.{module}"), cls)
        except ImportError:
            raise BoardError("amaranth-boards is not installed (pip install "
                             "amaranth-boards)") from None
        if program:
            return base()

        class BuildOnly(base):
            @property
            def required_tools(self):
                return [t for t in super().required_tools if t != "openFPGALoader"]

        BuildOnly.__name__ = base.__name__
        return BuildOnly()


BOARDS = {b.name: b for b in (
    Board("ulx3s-85f", "ulx3s:ULX3S_85F_Platform", reset="button_pwr", leds="led",
          doc="Radiona ULX3S, LFE5U-85F, 25 MHz clock, UART on the FTDI USB port"),
    Board("ecpix5-85", "ecpix5:ECPIX585Platform", reset=None, leds="rgb_led", rgb=True,
          doc="LambdaConcept ECPIX-5, LFE5UM5G-85F, 100 MHz clock, UART on the FTDI"),
)}


def get_board(name):
    """The :class:`Board` called ``name``, or a :class:`BoardError` naming the known ones."""
    try:
        return BOARDS[name]
    except KeyError:
        known = ", ".join(sorted(BOARDS))
        raise BoardError(f"unknown board {name!r}; known boards: {known}") from None
