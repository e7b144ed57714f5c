"""The simulation profiler: callgrind's output read back line by line, lines charged to the
SoC's blocks, and a real profile of a 1-hart model (slow: a model with line information
of its own, and valgrind)."""

import shutil
import sys
from pathlib import Path

import pytest

from zerovisor.errors import SimError
from zerovisor.firmware.build import build_program
from zerovisor.sim import profile
from zerovisor.sim.build import SimConfig
from zerovisor.sim.profile import (
    DRIVER,
    RUNTIME,
    UNNAMED,
    block_of,
    charge,
    fold,
    parse_callgrind,
    profile_model,
)
from zerovisor.sim.runner import elf_memories

ROOT = Path(__file__).resolve().parents[2]

# callgrind's format: names compressed to "(id)" after their first use, positions relative
# to the previous line ("+2", "-3") or the same ("*"), and a call's cost (the line after
# calls=) charged to the callee, not to the calling line
CALLGRIND = """\
version: 1
events: Ir
fl=(1) /tmp/m/Vtop___024root__0.cpp
fn=(1) nba
10 5
+2 7
* 1
cfl=(2) /usr/include/verilated_funcs.h
cfn=(2) helper
calls=3 40
12 900
-1 4
fl=(2)
fn=(2)
40 3
fl=(3) ???
fn=(3) main
5 11
"""


def test_callgrind_output_is_read_line_by_line(tmp_path):
    out = tmp_path / "callgrind.out"
    out.write_text(CALLGRIND)
    costs = parse_callgrind(out)
    model = "/tmp/m/Vtop___024root__0.cpp"
    assert costs == {(model, 10): 5, (model, 12): 8, (model, 11): 4,
                     ("/usr/include/verilated_funcs.h", 40): 3, ("???", 5): 11}


def test_verilator_names_become_blocks():
    assert block_of("soc__DOT__cpu3__DOT__csr__024357__DOT__mstatus") == "soc/cpu3/csr$357"
    assert block_of("soc__DOT__bus___05Fadr__0242860") == "soc"
    assert block_of("cycles") == "harness"
    assert fold("soc/cpu3/csr$357") == "soc/cpu*/csr"
    assert fold("soc/check_ram12_fetch") == "soc/check_ram*_fetch"
    assert fold("soc/plic") == "soc/plic"


def test_lines_are_charged_to_the_signal_named_nearest_before_them(tmp_path):
    source = [
        "void f(Vtop___024root* vlSelf) {",                                          # 1
        "    vlSelfRef.zv_sim__DOT__h__DOT__soc__DOT__cpu0__DOT__mmu__DOT__ptr",      # 2
        "        = (1U & vlSelfRef.zv_sim__DOT__h__DOT__soc__DOT__uart__DOT__level);",  # 3
        "    x = 1;",                                                                 # 4
        "    vlSelfRef.zv_sim__DOT__h__DOT__soc__DOT__cpu2__DOT__mmu__DOT__walk = 0;",  # 5
        "    vlSelfRef.zv_sim__DOT__h__DOT__cycles = 2;",                             # 6
    ]
    (tmp_path / "Vtop___024root__0.cpp").write_text("\n".join(source) + "\n")
    (tmp_path / "Vtop___024root__1.cpp").write_text("int g() {\n  return 0;\n}\n")
    model = str(tmp_path / "Vtop___024root__0.cpp")
    costs = {(model, 2): 10, (model, 4): 1, (model, 5): 20, (model, 6): 3,
             (model, 3): 7,
             (str(tmp_path / "Vtop___024root__1.cpp"), 2): 5,
             ("/x/verilated_vpi.cpp", 7): 30, ("???", 1): 40, ("main.cpp", 3): 2}
    blocks = charge(costs, tmp_path)
    # (line 3 names the UART first, and so does the nearest name before line 4)
    assert blocks == {"soc/cpu*/mmu": 10 + 20, "soc/uart": 7 + 1, "harness": 3,
                      UNNAMED: 5, RUNTIME: 30, DRIVER: 42}
    apart = charge(costs, tmp_path, depth=2, folded=False)
    assert apart["soc/cpu0"] == 10 and apart["soc/cpu2"] == 20


def test_profiling_without_valgrind_says_what_to_install(monkeypatch):
    monkeypatch.setattr(profile.shutil, "which", lambda name: None)
    with pytest.raises(SimError, match="needs valgrind"):
        profile_model(SimConfig(), {}, cycles=100, warmup=10)


@pytest.mark.parametrize("cycles, warmup", [(100, 100), (100, 0), (50, 80)])
def test_a_window_that_is_not_one_is_refused(cycles, warmup, monkeypatch):
    monkeypatch.setattr(profile.shutil, "which", lambda name: "/usr/bin/" + name)
    with pytest.raises(SimError, match="0 < warmup < cycles"):
        profile_model(SimConfig(), {}, cycles=cycles, warmup=warmup)


def test_the_profile_script_refuses_bad_arguments_in_one_line(capsys, tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import sim_profile
    finally:
        sys.path.remove(str(ROOT / "bench"))
    assert sim_profile.main(["/nonexistent/layout.toml"]) == 1
    assert "no such layout file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        sim_profile.main(["--cycles", "0"])
    assert exit_.value.code == 2
    assert "must be at least 1, not 0" in capsys.readouterr().err
    for out in (tmp_path, tmp_path / "missing" / "profile.json"):
        assert sim_profile.main(["--out", str(out)]) == 1
        assert "not a file in an existing folder" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs valgrind")
def test_a_profile_of_one_hart_counts_the_core(tmp_path):
    src = tmp_path / "loop.c"
    src.write_text('#include "zv.h"\nint main(void) { volatile int x = 0;\n'
                   '  for (;;) x++; }\n')
    config = SimConfig()
    _, memories = elf_memories(build_program([src], tmp_path), config)
    result = profile_model(config, memories, cycles=6000, warmup=2000)
    assert result.cycles == 6000
    assert result.total == pytest.approx(sum(result.blocks.values()))
    core = sum(count for block, count in result.blocks.items()
               if block.startswith("soc/cpu"))
    # the core is the larger part of a 1-hart model's work, and a cycle is thousands of
    # instructions
    assert core > result.total / 3
    assert 1_000 < result.total < 100_000
    with pytest.raises(SimError, match="stopped after"):
        profile_model(config, elf_memories(build_program(
            [_finishing(tmp_path)], tmp_path / "f"), config)[1], cycles=6000, warmup=2000)


def _finishing(tmp_path):
    src = tmp_path / "done.c"
    src.write_text('#include "zv.h"\nint main(void) { return 0; }\n')
    return src
