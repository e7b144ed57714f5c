"""The ISA suite: one assembly program per instruction group, each run through
``zerovisor run-elf`` on the Verilator model, passing by the tohost convention."""

import pytest

from zerovisor.firmware.build import FIRMWARE_DIR

GROUPS = sorted(p.stem for p in (FIRMWARE_DIR / "isa").glob("*.S"))


def test_every_group_of_the_issue_is_covered():
    assert set(GROUPS) >= {"alu", "shift", "branch", "jump", "ldst", "upper", "muldiv", "amo",
                           "partition", "checker",
                           "csr", "trap", "irq", "umode", "pmp",
                           # S-mode, Sv32 and the hypervisor extension, one concern a file
                           "smode", "sv32", "hcsr", "gstage", "hlsv", "virtinsn", "hirq",
                           "vsguest"}


# Every group runs on the harts as simulated and on the harts a board build makes
# (--late-mem: every data access registered a cycle after E decides it, every fetch a
# cycle after F translates it).
@pytest.mark.parametrize("late", [False, True], ids=["plain", "late-mem"])
@pytest.mark.parametrize("group", GROUPS)
def test_isa_group_passes(group, late, build_isa, zerovisor):
    elf = build_isa(group)
    run = zerovisor("run-elf", elf, *(["--late-mem"] if late else []),
                    "--max-cycles", "200000", "--quiet")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PASS (tohost)" in run.stderr


@pytest.mark.parametrize("body, verdict", [
    (" li s0, 0\n CHECK(3, s0, 1)\n", "FAIL (tohost, test 3)"),      # a wrong value
    (" ecall\n CHECK_NO_TRAP(5)\n", "FAIL (tohost, test 5)"),       # an unexpected trap
])
def test_the_test_frame_reports_the_failed_check(body, verdict, build_isa, tmp_path, zerovisor):
    # The frame must be able to fail, and say which check did.
    src = tmp_path / "fails.S"
    src.write_text(f'#include "zvtest.h"\nTEST_BEGIN\n{body} PASS\nTEST_END\n')
    run = zerovisor("run-elf", build_isa(src), "--max-cycles", "100000", "--quiet")
    assert run.returncode == 1
    assert verdict in run.stderr
