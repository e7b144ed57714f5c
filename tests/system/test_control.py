"""The control partition under Verilator: the console concentrator, the health monitor
with each partition's fault policy, and the operator shell."""

import re
from pathlib import Path

import pytest

from zerovisor.firmware.abi import RING, STATE
from zerovisor.layout import load_layout
from zerovisor.plan import plan_layout
from zerovisor.sim.runner import run_system
from zerovisor.system import build_system

from .test_boot import EXAMPLES, lines_of

HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.xdist_group("quad")        # every layout here is quad's SoC
LINE = re.compile(r"^\[(control|sensor|logger|planner)\] (.*)$")


def run(path, tmp_path, **options):
    system = build_system(plan_layout(load_layout(path)), tmp_path / path.stem)
    channels = {p.plan.name: p.plan.console_ring for p in system.partitions
                if p.plan.console_ring is not None}
    peek = [base + RING.offsets[f] for base in channels.values()
            for f in ("state", "boots", "drops")]
    result = run_system(system, echo=False, peek=peek, **options)
    status = {name: {f: result.peek[base + RING.offsets[f]]
                     for f in ("state", "boots", "drops")}
              for name, base in channels.items()}
    return result, status


def ticks(output, name):
    return [int(t.split()[1]) for t in lines_of(output, name) if re.fullmatch(r"tick \d+", t)]


def test_three_guests_print_concurrently_intact_and_in_order(tmp_path):
    result, _ = run(EXAMPLES / "quad.toml", tmp_path, max_cycles=4_000_000,
                    until=[f"[{n}] tick 5" for n in ("sensor", "logger", "planner")])
    assert result.reason == "until", result.output
    body = result.output[result.output.index("[control]"):]
    for line in body.splitlines():
        m = LINE.match(line)
        assert m, f"a line mangled or unprefixed: {line!r}"
        assert m[2].startswith(("hello from hart 0", "tick ", "console server")), line
    for name in ("sensor", "logger", "planner"):
        assert ticks(result.output, name)[:5] == [1, 2, 3, 4, 5]


def kernel_cycles(output):
    return {m[1]: int(m[2]) for m in re.finditer(r"kernel (\w+) result \S+ cycles (\d+)",
                                                 output)}


def test_a_flooding_guest_slows_no_one(tmp_path):
    until = ["compute: done", "[victim] tick 4"]
    flooded, status = run(HERE / "flood.toml", tmp_path, max_cycles=6_000_000, until=until)
    assert flooded.reason == "until", flooded.output[-2000:]
    quiet_layout = tmp_path / "quiet.toml"
    quiet_layout.write_text((HERE / "flood.toml").read_text()
                            .replace('image = "guests/faulty"', 'image = "guests/hello"'))
    quiet, _ = run(quiet_layout, tmp_path, max_cycles=6_000_000, until=until)
    with_flood, without = kernel_cycles(flooded.output), kernel_cycles(quiet.output)
    assert len(with_flood) == 7 and with_flood.keys() == without.keys()
    for name, cycles in with_flood.items():
        assert abs(cycles / without[name] - 1) <= 0.01, (name, cycles, without[name])
    assert ticks(flooded.output, "victim")[:4] == [1, 2, 3, 4]
    # In simulation the UART sends a byte a cycle, so the console server keeps up with a
    # flooding hart and nothing is dropped; on a board the UART's pace makes the flood's
    # VMM drop and count (the ring's `drops`, shown by `ps`). Nobody else ever drops.
    assert status["victim"]["drops"] == status["compute"]["drops"] == 0
    # the flood's lines arrive whole, numbered in order, with gaps only where it dropped
    numbers = [int(m[1]) for m in re.finditer(r"^\[flood\] flood 0\.(\d+): the quick brown "
                                              r"fox jumps over the lazy dog$", flooded.output,
                                              re.MULTILINE)]
    assert numbers and numbers == sorted(numbers)


def test_a_muted_console_fills_and_its_losses_are_counted(tmp_path):
    """Muting stops the server draining a partition's ring: the flood's VMM drops what
    does not fit and counts it, the shell reports it, and the other guests are unaffected.
    (Unmuted, the simulated UART is too fast for any guest to overflow its ring.)"""
    result, status = run(HERE / "flood.toml", tmp_path, max_cycles=6_000_000,
                         typed="mute flood\n" + "\n" * 120 + "ps\n",
                         until=["[control] muted flood", "[victim] tick 3",
                                "[control] 3 victim running"])
    assert result.reason == "until", result.output[-3000:]
    assert status["flood"]["drops"] > 0
    row = next(line for line in lines_of(result.output, "control")
               if line.startswith("2 flood running"))
    assert int(row.split()[6]) > 0                       # ps shows the drops
    assert status["victim"]["drops"] == 0
    assert ticks(result.output, "victim")[:3] == [1, 2, 3]


def fault_run(tmp_path_factory, layout, until):
    """Run a fault layout until ``until``; (result, status, the control partition's lines)."""
    result, status = run(HERE / layout, tmp_path_factory.mktemp(Path(layout).stem),
                         max_cycles=6_000_000, until=until)
    assert result.reason == "until", result.output[-3000:]
    return result, status, "\n".join(lines_of(result.output, "control"))


@pytest.fixture(scope="module")
def faults_a(tmp_path_factory):
    return fault_run(tmp_path_factory, "faults_a.toml",
                     ["restart limit reached, stays stopped: hang", "[victim] tick 6"])


@pytest.fixture(scope="module")
def faults_b(tmp_path_factory):
    return fault_run(tmp_path_factory, "faults_b.toml",
                     ["reboot loop: stopping srst", "faulty: illegal starting, boot 2"])


def test_wild_stores_into_others_memory_stop_the_partition(faults_a):
    _, status, control = faults_a
    # the first refused address is the next partition's RAM; its policy is stop
    assert re.search(r"fault: cause/epc/tval wild 00000007 800\w+ 80010000", control)
    assert status["wild"]["state"] == STATE["faulted"]


def test_a_hang_with_interrupts_off_is_restarted_up_to_its_limit(faults_a):
    result, status, control = faults_a
    assert control.count("event: hang: vcpu/epc hang") == 2
    assert "event: restarting hang 00000001 00000001" in control
    assert lines_of(result.output, "hang").count("faulty: hang starting, boot 2") == 1
    assert status["hang"] == {"state": STATE["faulted"], "boots": 2, "drops": 0}


def test_the_others_count_on_without_a_gap(faults_a):
    result, status, _ = faults_a
    victim = ticks(result.output, "victim")
    assert victim == list(range(1, len(victim) + 1)) and len(victim) >= 6
    assert status["victim"]["state"] == STATE["running"]


def test_an_illegal_instruction_trap_loop_is_found_and_restarted(faults_b):
    result, _, control = faults_b
    assert "event: hang: vcpu/epc illegal" in control      # traps forever, interrupts off
    assert "event: restarting illegal" in control
    assert "faulty: illegal starting, boot 2" in lines_of(result.output, "illegal")


def test_a_trap_handler_that_faults_is_found_and_stopped(faults_b):
    _, status, control = faults_b
    assert "event: hang: vcpu/epc double" in control
    assert status["double"]["state"] == STATE["faulted"]    # policy: stop


def test_a_guest_rebooting_in_a_loop_is_stopped_after_its_limit(faults_b):
    result, _, control = faults_b
    assert "event: reboot loop: stopping srst 00000003 00000002" in control
    assert lines_of(result.output, "srst")[:3] == [f"faulty: srst starting, boot {n}"
                                                  for n in (1, 2, 3)]


def test_a_fault_under_halt_system_ends_the_run(tmp_path):
    result, status = run(HERE / "faults_c.toml", tmp_path, max_cycles=3_000_000)
    assert result.reason == "finisher" and not result.passed, result.output[-2000:]
    assert result.code == 2                               # the faulty partition's ID
    assert "event: halt-system after a fault of wild 00000007" in result.output
    assert status["wild"]["state"] == STATE["faulted"]


def test_the_shell_lists_stops_restarts_and_routes_input(tmp_path, zerovisor):
    script = tmp_path / "session.txt"
    script.write_text("ps\nstop sensor\nbogus\n\x012hi there\n\x010restart sensor\nlog\n")
    run_ = zerovisor("sim", "--input", script, "--max-cycles", "6000000",
                     "--until", "[logger] input: hi there", "--until", "log 0: stopped sensor",
                     "--until", "event: running: boot sensor 00000002", timeout=900)
    assert run_.returncode == 0, run_.stdout[-3000:] + run_.stderr
    control = lines_of(run_.stdout, "control")
    assert "pid name state harts uptime_ms restarts drops violations" in control
    # pid, name, state, harts, uptime in ms (the run is at ~1.5 ms), restarts, drops,
    # violations
    row = next(line for line in control if line.startswith("1 sensor "))
    m = re.fullmatch(r"1 sensor running 1 (\d+) 0 0 0", row)
    assert m and 0 < int(m[1]) < 100, row
    assert "stopping sensor" in control
    assert "unknown command 'bogus'" in control
    assert "input to logger" in control and "input to control" in control
    assert "restarting sensor" in control
    assert "[logger] input: hi there" in run_.stdout
    assert any(line.startswith("log 0: stopped sensor") for line in control)
    assert "zerovisor: partition shut down" in lines_of(run_.stdout, "sensor")


def test_sim_reports_an_unreadable_input_file(tmp_path, zerovisor):
    run_ = zerovisor("sim", "--input", tmp_path / "missing.txt", "--max-cycles", "10")
    assert run_.returncode == 1
    assert "--input" in run_.stderr and "cannot read it" in run_.stderr
    assert "Traceback" not in run_.stderr


def test_an_interactive_terminal_reaches_the_shell(tmp_path):
    """With a terminal on stdin (a pseudo-terminal here), keys go to the shell as typed."""
    import os
    import pty
    import subprocess
    import sys
    import time
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "zerovisor", "sim", "--max-cycles",
                             "4000000", "--until", "1 sensor running"],
                            stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 600
    os.set_blocking(proc.stdout.fileno(), False)
    while b"type help" not in out and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        out += proc.stdout.read() or b""
    os.write(master, b"ps\r")
    rest, err = proc.communicate(timeout=600)
    os.close(master)
    text = (out + rest).decode()
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "[control] pid name state harts uptime_ms restarts drops violations" in text
    assert "keys go to the control partition's shell" in err.decode()
