"""Several harts on the Verilator model: concurrent kernels in their own RAM banks, LR/SC
and AMO counters under contention, PLIC routing to one hart; four partitions behind locked
checkers, each refused the others' RAM, devices, per-hart registers and doorbells
(firmware/smp/*.S)."""

import pytest

from zerovisor.firmware.build import FIRMWARE_DIR

pytestmark = pytest.mark.xdist_group("smp4")   # one worker builds the 4-hart model


# also on the harts a board build makes (--late-mem: an AMO's write a cycle after its
# read's answer is registered, the bank's arbiter held for it meanwhile)
@pytest.mark.parametrize("late", [False, True], ids=["plain", "late-mem"])
def test_four_harts_run_share_and_route(late, build_isa, zerovisor):
    elf = build_isa(FIRMWARE_DIR / "smp" / "multicore.S")
    run = zerovisor("run-elf", elf, "--harts", "4", "--banks", "4", "--max-cycles", "200000",
                    "--quiet", *(["--late-mem"] if late else []))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PASS (tohost)" in run.stderr


def run4(zerovisor, elf):
    return zerovisor("run-elf", elf, "--harts", "4", "--banks", "4", "--max-cycles", "300000",
                     "--quiet")


def test_four_partitions_cannot_reach_each_other(build_isa, zerovisor):
    run = run4(zerovisor, build_isa(FIRMWARE_DIR / "smp" / "partitions.S", banks=4))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PASS (tohost)" in run.stderr


def test_the_partition_test_catches_a_leak(build_isa, zerovisor, tmp_path):
    # Grant partition 1 the UART too: its own check of the UART (17) must fail.
    source = (FIRMWARE_DIR / "smp" / "partitions.S").read_text()
    leaky = source.replace("GRANT(UART0, 0, UART0_BASE, 0x1000, PART(0) | R | W)",
                           "GRANT(UART0, 0, UART0_BASE, 0x1000, PART(0) | PART(1) | R | W)")
    assert leaky != source
    src = tmp_path / "leaky.S"
    src.write_text(leaky)
    run = run4(zerovisor, build_isa(src, banks=4))
    assert run.returncode == 1
    assert "FAIL (tohost, test 1)" in run.stderr


def test_the_interference_benchmark_runs(build_isa, zerovisor):
    # The figures go to bench/interference.py; here only that the program works.
    run = zerovisor("run-elf", build_isa(FIRMWARE_DIR / "smp" / "interference.S", banks=4),
                    "--harts", "4", "--banks", "4", "--max-cycles", "1000000")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "interference: alone " in run.stdout


@pytest.mark.parametrize("option, value, message", [
    ("--harts", "9", "--harts must be 1 to 8"),
    ("--banks", "3", "--banks must be 1, 2, 4 or 8"),
])
def test_bad_hart_or_bank_counts_are_refused(option, value, message, tmp_path, zerovisor):
    elf = tmp_path / "x.elf"
    elf.write_bytes(b"")
    run = zerovisor("run-elf", elf, option, value)
    assert run.returncode == 1
    assert message in run.stderr
