"""Shared fixtures: programs are built into a per-session folder."""

import subprocess
import sys

import pytest

from zerovisor.firmware.build import FIRMWARE_DIR, build_program


@pytest.fixture(scope="session")
def build_isa(tmp_path_factory):
    """Build ``firmware/isa/NAME.S`` (or a given source) into an ELF."""
    root = tmp_path_factory.mktemp("isa")

    def build(source, **options):
        source = FIRMWARE_DIR / "isa" / f"{source}.S" if isinstance(source, str) else source
        return build_program([source], root / source.stem, runtime=False,
                             include_dirs=[FIRMWARE_DIR / "isa", FIRMWARE_DIR / "smp"],
                             **options)
    return build


@pytest.fixture
def zerovisor():
    """Run the ``zerovisor`` command as a user would; returns the completed process."""
    def run(*args, timeout=600):
        return subprocess.run([sys.executable, "-m", "zerovisor", *map(str, args)],
                              capture_output=True, text=True, timeout=timeout)
    return run
