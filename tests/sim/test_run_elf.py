"""``zerovisor run-elf`` and ``zerovisor sim``: verdicts, limits and every error a user can hit."""

import pytest

from zerovisor.firmware.build import FIRMWARE_DIR, build_program, demo_elf
from zerovisor.sim.runner import run_elf


def test_demo_prints_its_greeting_and_passes_by_the_finisher(tmp_path):
    result = run_elf(demo_elf(tmp_path), max_cycles=1_000_000, echo=False)
    assert result.passed and result.reason == "finisher"
    assert "Hello from zerovisor! hart 0, misa 0x40141181" in result.output
    assert "sum of squares 1..100 = 338350" in result.output


def test_run_elf_command_streams_the_uart_to_stdout(tmp_path, zerovisor):
    run = zerovisor("run-elf", demo_elf(tmp_path), "--max-cycles", "1000000")
    assert run.returncode == 0, run.stderr
    assert "Hello from zerovisor!" in run.stdout
    assert "PASS (finisher)" in run.stderr


def test_finisher_failure_code_becomes_exit_status_1(tmp_path, zerovisor):
    src = tmp_path / "fail.c"
    src.write_text('#include "zv.h"\nint main(void) { zv_puts("bye\\n"); return 7; }\n')
    elf = build_program([src], tmp_path)
    run = zerovisor("run-elf", elf, "--max-cycles", "1000000")
    assert run.returncode == 1
    assert "FAIL (finisher, code 7)" in run.stderr
    assert "bye" in run.stdout


def test_cycle_limit_stops_a_program_that_never_ends(tmp_path, zerovisor):
    src = tmp_path / "spin.c"
    src.write_text('#include "zv.h"\nint main(void) { for (;;) ; }\n')
    run = zerovisor("run-elf", build_program([src], tmp_path), "--max-cycles", "5000")
    assert run.returncode == 2
    assert "TIMEOUT" in run.stderr
    assert "5,00" in run.stderr


def test_missing_program_is_one_clear_line(zerovisor):
    run = zerovisor("run-elf", "/no/such/program.elf")
    assert run.returncode == 1
    assert run.stderr.strip() == "zerovisor: error: /no/such/program.elf: no such file"


def test_a_text_file_is_not_an_elf(tmp_path, zerovisor):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    run = zerovisor("run-elf", path)
    assert run.returncode == 1
    assert "not an ELF file" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_64_bit_elf_is_refused(tmp_path, zerovisor):
    import sys
    run = zerovisor("run-elf", sys.executable)
    assert run.returncode == 1
    assert "not an RV32 ELF" in run.stderr


def test_a_program_linked_outside_ram_is_refused(tmp_path, zerovisor):
    src = tmp_path / "low.S"
    src.write_text(".globl _start\n_start: j _start\n")
    import subprocess
    import sys
    elf = tmp_path / "low.elf"
    script = tmp_path / "low.ld"
    script.write_text("SECTIONS { . = 0x20000000; .text : { *(.text) } }\n")
    subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "riscv32-freestanding-none",
                    "-nostdlib", "-T", str(script), str(src), "-o", str(elf)], check=True)
    run = zerovisor("run-elf", elf)
    assert run.returncode == 1
    assert "lies outside RAM" in run.stderr


def test_a_truncated_elf_is_reported_as_damaged(tmp_path, zerovisor):
    elf = build_program([FIRMWARE_DIR / "demo" / "hello.c"], tmp_path)
    cut = tmp_path / "cut.elf"
    cut.write_bytes(elf.read_bytes()[:60])
    run = zerovisor("run-elf", cut)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "cut.elf" in run.stderr


def test_bad_max_cycles_is_refused_by_the_parser(zerovisor):
    run = zerovisor("run-elf", "x.elf", "--max-cycles", "0")
    assert run.returncode == 2
    assert "must be at least 1" in run.stderr
    run = zerovisor("run-elf", "x.elf", "--max-cycles", "lots")
    assert "is not a whole number" in run.stderr


def test_compiler_errors_reach_the_user(tmp_path):
    import pytest

    from zerovisor.errors import BuildError
    src = tmp_path / "broken.c"
    src.write_text("int main(void) { return undeclared; }\n")
    with pytest.raises(BuildError, match="undeclared"):
        build_program([src], tmp_path)


def test_help_explains_the_commands(zerovisor):
    run = zerovisor("--help")
    assert run.returncode == 0
    assert "run-elf" in run.stdout and "sim" in run.stdout
    run = zerovisor("run-elf", "--help")
    assert "tohost" in run.stdout and "exit status" in run.stdout


def test_ctrl_c_ends_the_run_and_says_so(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    src = tmp_path / "spin.c"
    src.write_text('#include "zv.h"\nint main(void) { zv_puts("spinning\\n"); for (;;) ; }\n')
    elf = build_program([src], tmp_path)
    # Ctrl-C in a terminal signals the whole foreground process group.
    proc = subprocess.Popen([sys.executable, "-m", "zerovisor", "run-elf", str(elf)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    seen = ""
    while "spinning" not in seen and time.monotonic() < deadline:
        seen += proc.stdout.read(1) if proc.poll() is None else ""
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "INTERRUPTED (Ctrl-C)" in err
    assert "cycles" in err and "Traceback" not in err


def test_trace_writes_a_vcd_waveform(tmp_path, zerovisor):
    elf = demo_elf(tmp_path)
    wave = tmp_path / "demo.vcd"
    run = zerovisor("run-elf", elf, "--trace", wave, "--max-cycles", "20000", "--quiet")
    assert run.returncode == 0, run.stderr
    text = wave.read_text(errors="replace")
    assert "$enddefinitions" in text and "uart_strobe" in text


def test_trace_window_keeps_only_its_cycles(tmp_path, zerovisor):
    from zerovisor.sim.build import CLOCK_PERIOD_PS
    elf = demo_elf(tmp_path)
    wave = tmp_path / "window.vcd"
    run = zerovisor("run-elf", elf, "--trace", wave, "--trace-from", "200",
                    "--trace-to", "699", "--max-cycles", "20000", "--quiet")
    assert run.returncode == 0, run.stderr
    times = [int(line[1:]) for line in wave.read_text(errors="replace").splitlines()
             if line.startswith("#")]
    assert times and min(times) >= 200 * CLOCK_PERIOD_PS
    assert max(times) <= 700 * CLOCK_PERIOD_PS
    assert len(times) >= 500   # at least one timestamp per cycle of the window


@pytest.mark.parametrize("args, message", [
    (["--trace-from", "10"], "needs a waveform file"),
    (["--trace", "w.vcd", "--trace-from", "10", "--trace-to", "5"], "ends (cycle 5) before"),
])
def test_trace_window_errors_are_clear(tmp_path, zerovisor, args, message):
    run = zerovisor("run-elf", demo_elf(tmp_path), *args)
    assert run.returncode == 1
    assert message in run.stderr and "Traceback" not in run.stderr


def test_fst_trace_works_or_names_what_is_missing(tmp_path, zerovisor):
    from zerovisor.sim.build import fst_supported
    elf = demo_elf(tmp_path)
    wave = tmp_path / "demo.fst"
    run = zerovisor("run-elf", elf, "--trace", wave, "--max-cycles", "20000", "--quiet")
    if fst_supported():
        assert run.returncode == 0, run.stderr
        assert wave.stat().st_size > 1000
    else:
        assert run.returncode == 1
        assert "needs the lz4 library's header" in run.stderr and "write a .vcd" in run.stderr


def test_trace_file_needs_a_known_suffix(tmp_path, zerovisor):
    run = zerovisor("run-elf", demo_elf(tmp_path), "--trace", tmp_path / "w.txt")
    assert run.returncode == 1
    assert "must end in .vcd or .fst" in run.stderr


def test_memmap_prints_every_region(zerovisor):
    run = zerovisor("memmap", "--ram", "1M")
    assert run.returncode == 0, run.stderr
    for text in ("0x00004000", "0x10000000", "0x11000000", "RAM_FETCH", "0x800fffff"):
        assert text in run.stdout
    run = zerovisor("memmap", "--ram", "lots")
    assert run.returncode == 1 and "--ram: expected a size" in run.stderr


def test_memmap_names_the_banks_and_uarts_slots(zerovisor):
    run = zerovisor("memmap", "--banks", "4", "--uarts", "2")
    assert run.returncode == 0, run.stderr
    for text in ("RAM3_FETCH", "UART1", "0x10001000", "0x0c000000", "0x12000000", "DOORBELL"):
        assert text in run.stdout


@pytest.mark.parametrize("args, message", [
    (("--banks", "3"), "--banks must be 1, 2, 4 or 8"),
    (("--uarts", "5"), "--uarts must be 1 to 4"),
    (("--ram", "8K", "--banks", "4"), "too small for 4 banks"),
])
def test_memmap_refuses_a_soc_that_cannot_be(args, message, zerovisor):
    run = zerovisor("memmap", *args)
    assert run.returncode == 1
    assert message in run.stderr
