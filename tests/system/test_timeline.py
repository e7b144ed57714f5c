"""`zerovisor sim --timeline`: what every hart did, sampled from the running SoC and drawn."""

import struct
from pathlib import Path

import pytest

from zerovisor.layout import load_layout
from zerovisor.plan import plan_layout
from zerovisor.sim.runner import run_system
from zerovisor.system import build_system
from zerovisor.timeline import DPI, SIZE, classify, timeline_rows

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.xdist_group("quad")
def test_timeline_samples_show_the_boot_then_the_guests(tmp_path):
    system = build_system(plan_layout(load_layout(EXAMPLES / "quad.toml")), tmp_path / "s")
    result = run_system(system, max_cycles=600_000, echo=False, timeline=2000)
    assert len(result.timeline) == 300
    rows = timeline_rows(system, result.timeline)
    assert [label for label, _ in rows] == ["hart 0: control", "hart 1: sensor",
                                            "hart 2: logger", "hart 3: planner"]
    # Hart 0 boots in M-mode while the others sleep until it wakes them ...
    assert rows[0][1][0] == "firmware"
    assert all(states[0] == "idle" for _, states in rows[1:])
    # ... and every hello guest then runs in VS/VU, entering its VMM now and then.
    for _, states in rows[1:]:
        assert states[-1] == "guest"
        assert "vmm" in states


@pytest.mark.xdist_group("quad")
def test_timeline_command_draws_a_picture(tmp_path, zerovisor):
    picture = tmp_path / "t.png"
    run = zerovisor("sim", "--max-cycles", "300000", "--quiet", "--timeline", picture,
                    timeout=900)
    assert run.returncode == 0, run.stderr
    data = picture.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (SIZE[0] * DPI, SIZE[1] * DPI)
    assert "300 samples" in run.stderr   # one every 1000 cycles (the default)


def test_timeline_needs_a_png_name(tmp_path, zerovisor):
    run = zerovisor("sim", "--max-cycles", "1000", "--timeline", tmp_path / "t.jpg")
    assert run.returncode == 1
    assert "name it FILE.png" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("code, word, state", [
    (0b0011, None, "firmware"), (0b0001, 1, "vmm"), (0b0101, 1, "guest"),
    (0b0100, 1, "guest"), (0b1001, 1, "idle"), (0b0101, 2, "stopped"),
    (0b1001, 3, "stopped"), (0b0101, 4, "stopped"),
])
def test_a_sample_is_classified_by_mode_sleep_and_partition_state(code, word, state):
    assert classify(code, word) == state
