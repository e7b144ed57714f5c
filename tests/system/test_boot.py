"""The whole system under Verilator: the boot firmware starts every partition of a layout,
each VMM runs its guest, and the guests see what the layout gives them, nothing else."""

from pathlib import Path

import pytest

from zerovisor.firmware.abi import STATE, VMM
from zerovisor.layout import load_layout
from zerovisor.plan import plan_layout
from zerovisor.sim.runner import run_system
from zerovisor.system import build_system

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HERE = Path(__file__).resolve().parent


def boot(path, tmp_path, *, until, max_cycles):
    system = build_system(plan_layout(load_layout(path)), tmp_path / "system")
    peek = [p.vmm_addr + VMM.offsets[f] for p in system.partitions
            for f in ("state", "boots")]
    result = run_system(system, max_cycles=max_cycles, until=until, echo=False, peek=peek)
    states = {p.plan.name: (result.peek[p.vmm_addr + VMM.offsets["state"]],
                            result.peek[p.vmm_addr + VMM.offsets["boots"]])
              for p in system.partitions}
    return result, states


def lines_of(output, name):
    prefix = f"[{name}] "
    return [line.removeprefix(prefix) for line in output.splitlines()
            if line.startswith(prefix)]


# Layouts of the same SoC shape share one model: one worker builds it.
@pytest.mark.xdist_group("quad")
def test_default_layout_boots_every_partition_from_the_command_line(zerovisor):
    run = zerovisor("sim", "--until", "[sensor] tick 1", "--until", "[logger] tick 1",
                    "--until", "[planner] tick 1", "--max-cycles", "3000000", timeout=900)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    for line in ("zerovisor: 4 partition(s) on 4 hart(s), 512K RAM",
                 "zerovisor: [0] control (control) harts 0 RAM 0x80000000+64K devices uart0",
                 "zerovisor: [3] planner (guest) harts 3 RAM 0x80060000+64K",
                 "zerovisor: checkers locked, starting partitions",
                 ("[control] console server: serving 3 console(s), violations by "
                  "interrupt; type help")):
        assert line in out
    for name in ("sensor", "logger", "planner"):
        assert lines_of(out, name)[0].startswith("hello from hart 0, device tree at 800")
        assert lines_of(out, name)[0].endswith("SBI 2.0, implementation 5a56")
        assert "tick 1" in lines_of(out, name)
    # the summary comes before any partition's output
    assert out.index("checkers locked") < out.index("[control]")
    assert "DONE" in run.stderr


def test_default_layout_boots_on_the_harts_a_board_build_makes(zerovisor):
    """--late-mem: every data access a cycle after E decides it, as on the FPGA."""
    run = zerovisor("sim", "--late-mem", "--until", "[sensor] tick 1", "--until",
                    "[logger] tick 1", "--until", "[planner] tick 1", "--max-cycles",
                    "3000000", "--quiet", timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "DONE" in run.stderr


@pytest.mark.xdist_group("quad")
def test_every_partition_is_running_in_its_vmm_record(tmp_path):
    result, states = boot(EXAMPLES / "quad.toml", tmp_path, max_cycles=3_000_000,
                          until=["[sensor] tick 1", "[logger] tick 1", "[planner] tick 1"])
    assert result.reason == "until", result.output
    assert states == {name: (STATE["running"], 1)
                      for name in ("control", "sensor", "logger", "planner")}
    # each guest's device tree at the top of its 32 KiB of guest RAM (64K less the VMM's)
    for name in ("sensor", "logger", "planner"):
        assert "device tree at 80007000" in "\n".join(lines_of(result.output, name))


@pytest.mark.xdist_group("quad")
def test_channel_layout_boots_and_parks_the_spare_hart(tmp_path):
    result, states = boot(EXAMPLES / "channel.toml", tmp_path, max_cycles=3_000_000,
                          until=["[producer] tick 1", "[consumer] tick 1"])
    assert result.reason == "until", result.output
    assert "zerovisor: harts 3 parked" in result.output
    assert all(state == (STATE["running"], 1) for state in states.values())


@pytest.fixture(scope="module")
def sbi_run(tmp_path_factory):
    return boot(HERE / "sbi.toml", tmp_path_factory.mktemp("sbi"), max_cycles=8_000_000,
                until=["[sbitest] zerovisor: partition shut down", "[other] tick 4"])


@pytest.mark.xdist_group("quad")
def test_each_sbi_call_gives_its_expected_result(sbi_run):
    result, _ = sbi_run
    lines = lines_of(result.output, "sbitest")
    assert not [line for line in lines if line.startswith("FAIL")], result.output
    checks = [line for line in lines if line.startswith("ok ")]
    for name in ("base spec version", "base probe missing", "unknown extension",
                 "time interrupt", "ipi interrupt", "ipi bad hart", "hsm status self",
                 "hsm start self", "dbcn write", "dbcn write outside RAM", "srst bad type",
                 "zv channels", "zv channel address", "zv channel memory"):
        assert f"ok {name}" in checks
    assert "sbitest: 0 failures" in lines
    assert "dbcn write" in lines and "L" in lines      # DBCN and the legacy putchar


@pytest.mark.xdist_group("quad")
def test_a_guest_faults_outside_its_ram_and_devices(sbi_run):
    lines = lines_of(sbi_run[0].output, "sbitest")
    for name in ("fault past RAM", "fault past RAM address", "fault on another's device",
                 "fault on a store", "three faults"):
        assert f"ok {name}" in lines


@pytest.mark.xdist_group("quad")
def test_srst_reboots_then_stops_only_its_partition(sbi_run):
    result, states = sbi_run
    assert result.reason == "until", result.output
    lines = lines_of(result.output, "sbitest")
    assert lines.index("sbitest: rebooting") < lines.index("sbitest: boot 2, hart 0, "
                                                           "device tree 80007000")
    assert lines[-1] == "zerovisor: partition shut down"
    assert states["sbitest"] == (STATE["stopped"], 2)
    assert states["other"] == (STATE["running"], 1)
    # the other guest keeps counting after the shutdown
    out = result.output
    after = out[out.index("[sbitest] zerovisor: partition shut down"):]
    assert "[other] tick" in after
    ticks = [int(t.split()[-1]) for t in lines_of(out, "other") if t.startswith("tick")]
    assert ticks == list(range(1, len(ticks) + 1))


@pytest.mark.xdist_group("smp")
def test_hsm_starts_the_second_hart_of_a_two_hart_partition(tmp_path):
    result, states = boot(EXAMPLES / "smp.toml", tmp_path, max_cycles=3_000_000,
                          until=["[compute] hart 1 tick 1", "[compute] hart 0 tick 1"])
    assert result.reason == "until", result.output
    lines = lines_of(result.output, "compute")
    assert lines[:5] == ["multihart: 2 harts, vCPU 1 is 1",
                         "hart 1 up (opaque 1001), status 0",
                         "started hart 1: 0, again: -6",
                         "hart 1 got an IPI",
                         "hart 1 answered"]
    assert "zerovisor: harts 3 parked" in result.output
    assert states["compute"] == (STATE["running"], 1)


@pytest.mark.xdist_group("smp")
def test_a_device_interrupt_reaches_its_guest_through_the_plic_guest_context(tmp_path):
    """The boot firmware routed UART1's source to the guest context of the partition's
    hart; the guest enables, takes, claims and completes it eight times by itself."""
    result, states = boot(HERE / "devirq.toml", tmp_path, max_cycles=2_000_000,
                          until=["[irq] device interrupt"])
    assert result.reason == "until", result.output
    line = lines_of(result.output, "irq")[0]
    assert line.startswith("device interrupt: source 11 claimed 8 times"), line
    assert states["irq"] == (STATE["running"], 1)


@pytest.mark.xdist_group("single")
@pytest.mark.parametrize("pmp_entries", [None, 0])
def test_single_partition_owns_the_uart_and_its_lines_are_prefixed(tmp_path, pmp_entries):
    """Also on harts without PMP entries (``pmp_entries = 0``): the firmware's one entry
    then does not exist, and S and U reach everything the checkers let through."""
    layout = EXAMPLES / "single.toml"
    if pmp_entries is not None:
        text = layout.read_text().replace("[soc]\n", f"[soc]\npmp_entries = {pmp_entries}\n")
        layout = tmp_path / "single.toml"
        layout.write_text(text)
    result, states = boot(layout, tmp_path, max_cycles=2_000_000, until=["[solo] tick 2"])
    assert result.reason == "until", result.output
    assert lines_of(result.output, "solo")[0].startswith("hello from hart 0")
    assert states == {"solo": (STATE["running"], 1)}


@pytest.mark.slow
def test_a_guest_built_for_qemu_virt_runs_unchanged(tmp_path):
    """firmware/guests/portable.c is linked as QEMU virt's OpenSBI expects a payload
    (0x80200000) and uses only the SBI; its partition has the RAM for that address (an
    8M SoC: its own model, hence slow)."""
    result, states = boot(EXAMPLES / "portable.toml", tmp_path, max_cycles=2_000_000,
                          until=["[portable] zerovisor: partition shut down"])
    assert result.reason == "until", result.output
    lines = lines_of(result.output, "portable")
    assert lines[0].startswith("portable: hart 0, linked at 80200000, device tree 803f7000: "
                               "magic d00dfeed")
    assert lines[1] == "portable: 3 timer interrupts through SBI set_timer, shutting down"
    assert states["portable"] == (STATE["stopped"], 1)
