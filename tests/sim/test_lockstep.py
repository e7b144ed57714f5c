"""Lockstep against the reference model: random programs agree, and a faulty core is
caught with a readable report."""

import pytest

from zerovisor.firmware.build import build_program
from zerovisor.sim.build import SimConfig
from zerovisor.sim.lockstep import Lockstep, integer_op, m_extension
from zerovisor.sim.randprog import random_program
from zerovisor.sim.runner import run_elf

SEEDS = range(20)
LENGTH = 10_000     # 20 x 10k: 200k random instructions in the default run


def _random_elf(tmp_path, seed, length):
    src = tmp_path / f"random{seed}.S"
    src.write_text(random_program(seed, length))
    return build_program([src], tmp_path, runtime=False)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_program_runs_in_lockstep(seed, tmp_path):
    result = run_elf(_random_elf(tmp_path, seed, LENGTH), echo=False, lockstep=True,
                     max_cycles=60 * LENGTH)
    assert result.divergence is None, (
        f"{result.divergence}\nreproduce: python -m zerovisor.sim.randprog --seed {seed} "
        f"--length {LENGTH} r.S, build it and run `zerovisor run-elf --lockstep`")
    assert result.passed, result.summary()
    assert result.checked >= LENGTH


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 150))
def test_long_random_program_runs_in_lockstep(seed, tmp_path):
    result = run_elf(_random_elf(tmp_path, seed, 50_000), echo=False, lockstep=True,
                     max_cycles=3_000_000)
    assert result.divergence is None, result.divergence
    assert result.passed


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(200, 210))
def test_random_program_runs_in_lockstep_with_late_memory_accesses(seed, tmp_path):
    """The harts as a board build makes them (every data access a cycle after E)."""
    result = run_elf(_random_elf(tmp_path, seed, 20_000), echo=False, lockstep=True,
                     max_cycles=1_500_000, config=SimConfig(late_mem=True))
    assert result.divergence is None, result.divergence
    assert result.passed


def test_a_faulty_core_is_caught(tmp_path):
    src = tmp_path / "xor.S"
    src.write_text(
        "    .section .text.init\n    .globl _start\n_start:\n"
        "    li a0, 12\n    li a1, 10\n    add a2, a0, a1\n    xor a3, a0, a1\n"
        "    li t0, 1\n    la t1, tohost\n    sw t0, 0(t1)\n1:  j 1b\n"
        "    .section .tohost, \"aw\"\n    .globl tohost\ntohost: .word 0, 0\n")
    elf = build_program([src], tmp_path, runtime=False)
    healthy = run_elf(elf, echo=False, lockstep=True, max_cycles=10_000)
    assert healthy.passed and healthy.divergence is None
    faulty = run_elf(elf, echo=False, lockstep=True, max_cycles=10_000,
                     config=SimConfig(fault="xor"))
    assert faulty.reason == "divergence" and faulty.exit_status == 3
    report = faulty.divergence
    assert "destination register" in report
    assert "xor x13, x10, x11" in report
    assert "expected x13 = 00000006" in report and "actual   x13 = 00000007" in report
    assert "add x12, x10, x11" in report   # the history of what retired before


def test_checker_reference_matches_the_spec_corner_cases():
    assert m_extension(4, 0x80000000, 0xFFFFFFFF) == 0x80000000   # DIV overflow
    assert m_extension(6, 0x80000000, 0xFFFFFFFF) == 0            # REM overflow
    assert m_extension(5, 7, 0) == 0xFFFFFFFF                     # DIVU by zero
    assert m_extension(6, 0xFFFFFFF9, 0) == 0xFFFFFFF9            # REM by zero
    assert m_extension(1, 0x80000000, 0x80000000) == 0x40000000   # MULH
    sltiu = (0x8B0 << 20) | (3 << 15) | (3 << 12) | (10 << 7) | 0x13
    assert integer_op(sltiu, 5, 0xFFFFF8B0) == 1
    srai = (0x20 << 25) | (1 << 20) | (5 << 12) | 0x13
    assert integer_op(srai, 0xFFFFFFFF, 1) == 0xFFFFFFFF


def test_skipped_instructions_are_counted_by_kind():
    checker = Lockstep()
    base = {"pc_wdata": 0, "rd_addr": 0, "rd_wdata": 0, "mem_addr": 0, "mem_rmask": 0,
            "mem_wmask": 0, "mem_rdata": 0, "mem_wdata": 0, "trap": 0, "intr": 0, "mode": 3,
            "order": 0}
    checker.step({**base, "insn": 0xF1402573, "pc_rdata": 0x100, "pc_wdata": 0x104,
                  "rd_addr": 10})
    checker.step({**base, "insn": 0x0805A52F, "pc_rdata": 0x104, "pc_wdata": 0x108})
    checker.step({**base, "insn": 0x00000073, "pc_rdata": 0x108, "pc_wdata": 0x200, "trap": 1})
    assert checker.skipped == {"system/CSR": 1, "A extension": 1, "trap": 1}
    assert "skipped: 1 A extension, 1 system/CSR, 1 trap" in checker.summary()


def test_trace_retire_writes_one_line_per_instruction(tmp_path, zerovisor, build_isa):
    elf = build_isa("upper")
    trace = tmp_path / "retire.txt"
    run = zerovisor("run-elf", elf, "--trace-retire", trace, "--max-cycles", "20000",
                    "--quiet")
    assert run.returncode == 0, run.stderr
    lines = trace.read_text().splitlines()
    assert lines[0].split()[1:4] == ["00004000", "00000297", "auipc"]
    assert [int(line.split()[0]) for line in lines] == list(range(len(lines)))
    assert any("lui x8, 74565" in line and "x8=12345000" in line for line in lines)
    assert len(lines) > 30
