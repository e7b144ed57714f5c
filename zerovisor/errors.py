"""Errors a user can cause. Each message is ready to print; the CLI prints it and exits
non-zero without a traceback."""

__all__ = ["ZerovisorError", "BuildError", "ElfError", "SimError"]


class ZerovisorError(Exception):
    """Base of every error whose message is meant for the user."""


class BuildError(ZerovisorError):
    """A model or firmware build failed."""


class ElfError(ZerovisorError):
    """A program file is missing, not an RV32 ELF, or does not fit the SoC."""


class SimError(ZerovisorError):
    """The simulation could not run."""
