"""The cocotb side of a run: loads the program, releases reset and relays events.

Python sleeps while Verilator runs; it wakes on a UART byte, on the stop signal and on the
harness's beat (every 2**20 cycles) to show progress and notice Ctrl-C. The run's settings
come in a JSON file named by ``ZV_RUN``; the verdict goes out in the file it names.
"""

import json
import os
import signal
import sys
import time

import cocotb
from cocotb.simtime import get_sim_time
from cocotb.triggers import FallingEdge, First, RisingEdge, Timer

from .harness import StopReason, unpack_retire

_REASONS = {
    StopReason.FINISHER: "finisher",
    StopReason.TOHOST: "tohost",
    StopReason.MAX_CYCLES: "max-cycles",
}
_OUTPUT_KEEP = 1 << 16


@cocotb.test()
async def run(dut):
    with open(os.environ["ZV_RUN"]) as f:
        cfg = json.load(f)
    interrupted = []
    signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))

    # The wrapper holds reset for the first two clock edges only: the program must be in
    # RAM before the first one.
    if get_sim_time("ns") != 0:
        raise RuntimeError("the run started after time 0: too late to load the program")
    start = time.monotonic()
    for mem_path, words in cfg["memories"].items():
        mem = dut
        for part in mem_path.split("."):
            mem = getattr(mem, part)
        for index, word in words:
            mem[index].value = word
    dut.max_cycles.value = cfg["max_cycles"]
    if cfg["tohost"] is not None:
        dut.tohost_addr.value = cfg["tohost"]
        dut.tohost_en.value = 1
    load_seconds = time.monotonic() - start
    # The wrapper releases reset by itself after two clock edges.

    console = _Console(cfg["echo"])
    run = _run_retire if cfg.get("retire") else _run_events
    result = await run(dut, cfg, console, interrupted)
    peeked = []
    for mem_path, index in cfg.get("peek") or ():
        mem = dut
        for part in mem_path.split("."):
            mem = getattr(mem, part)
        peeked.append(int(mem[index].value))
    result.update({
        "peek": peeked,
        "code": int(dut.stop_code.value),
        "cycles": int(dut.cycles.value),
        "load_seconds": load_seconds,
        "output": console.text(),
        "output_bytes": len(console.output),
    })
    with open(cfg["result"], "w") as f:
        json.dump(result, f)


class _Console:
    """The UART's output: kept for the result, copied to standard output if asked."""

    def __init__(self, echo):
        self.echo = echo
        self.output = bytearray()
        self.samples = []

    def take(self, dut):
        byte = int(dut.uart_data.value)
        self.output.append(byte)
        if self.echo:
            os.write(1, bytes([byte]))

    def holds(self, texts):
        return all(t in self.output for t in texts)

    def text(self):
        return self.output[-_OUTPUT_KEEP:].decode("utf-8", errors="replace")


async def _run_events(dut, cfg, console, interrupted):
    """The normal loop: Python wakes on a UART byte, the stop, and the beat."""
    uart = RisingEdge(dut.uart_strobe)
    stop = RisingEdge(dut.stopped)
    beat = dut.beat.value_change
    run_start = time.monotonic()
    reason = "interrupted"
    until = [t.encode() for t in cfg.get("until") or ()]
    typing = None
    if cfg.get("input"):
        typing = cocotb.start_soon(_type(dut, console, cfg["input"].encode(),
                                         cfg["input_after"].encode()))
    elif cfg.get("interactive"):
        typing = cocotb.start_soon(_keyboard(dut))
    sampling = None
    if cfg.get("timeline"):
        sampling = cocotb.start_soon(_sample(dut, cfg["timeline"], console.samples))
    while True:
        fired = await First(uart, stop, beat)
        if fired is uart:
            console.take(dut)
            if until and console.output[-1:] == b"\n" and console.holds(until):
                reason = "until"
                break
        elif fired is stop:
            reason = _REASONS.get(int(dut.stop_reason.value), "unknown")
            break
        if interrupted:
            break
        if fired is beat and cfg["progress"]:
            cycles = int(dut.cycles.value)
            rate = cycles / max(time.monotonic() - run_start, 1e-9)
            sys.stderr.write(f"\r[zerovisor] {cycles / 1e6:.0f} M cycles, "
                             f"{rate / 1e6:.2f} M cycles/s\x1b[K")
            sys.stderr.flush()
    for task in (typing, sampling):
        if task is not None:
            task.cancel()
    return {"reason": reason, "seconds": time.monotonic() - run_start,
            "timeline": console.samples if sampling is not None else None}


async def _sample(dut, timeline, samples):
    """Every ``interval`` cycles: each hart's state and the watched RAM words (the
    partitions' state words)."""
    words = []
    for mem_path, index in timeline["words"]:
        mem = dut
        for part in mem_path.split("."):
            mem = getattr(mem, part)
        words.append(mem[index])
    while True:
        await Timer(timeline["interval"] * CLOCK_NS, "ns")
        samples.append([int(dut.hart_state.value), [int(w.value) for w in words]])


CLOCK_NS = 10          # the harness's clock period
TYPE_GAP = 4000        # cycles between typed bytes: the console server polls its UART


async def _inject(dut, byte):
    # Change the inputs only at falling edges, so the design samples them settled at
    # exactly one rising edge.
    await FallingEdge(dut.clk)
    dut.rx_inject_data.value = byte
    dut.rx_inject.value = 1
    await FallingEdge(dut.clk)
    dut.rx_inject.value = 0


async def _keyboard(dut):
    """Interactive runs: what the user types (the terminal is in cbreak mode) goes to
    UART0; stdin is looked at every ``TYPE_GAP`` cycles."""
    import select
    while True:
        await Timer(TYPE_GAP * CLOCK_NS, "ns")
        if select.select([0], [], [], 0)[0]:
            data = os.read(0, 1)
            if not data:
                return
            await _inject(dut, data[0])


async def _type(dut, console, text, after):
    """Type ``text`` into UART0 once the console has shown ``after``, a byte at a time,
    ``TYPE_GAP`` cycles apart (Python wakes once a byte, not once a cycle)."""
    while after not in console.output:
        await Timer(100_000 * CLOCK_NS, "ns")
    await Timer(50_000 * CLOCK_NS, "ns")   # let the shell settle into its loop
    for byte in text:
        await _inject(dut, byte)
        await Timer(TYPE_GAP * CLOCK_NS, "ns")


async def _run_retire(dut, cfg, console, interrupted):
    """The loop used when retired instructions are traced or checked: Python wakes in
    every cycle with a retirement, a UART byte or the stop (the harness's ``wake``)."""
    from .lockstep import Divergence, Lockstep, format_retire
    retire = cfg["retire"]
    checker = Lockstep() if retire["lockstep"] else None
    trace = open(retire["trace_file"], "w") if retire["trace_file"] else None
    wake = dut.wake.value_change
    reason, report = "interrupted", None
    retired = 0
    start = time.monotonic()
    try:
        while not interrupted:
            await wake
            if dut.uart_strobe.value:
                console.take(dut)
            if dut.retire_valid.value:
                rec = unpack_retire(int(dut.retire_word.value))
                rec["order"] = retired
                retired += 1
                if trace:
                    trace.write(format_retire(rec) + "\n")
                if checker:
                    try:
                        checker.step(rec, int(dut.cycles.value))
                    except Divergence as exc:
                        reason, report = "divergence", str(exc)
                        break
            if dut.stopped.value:
                reason = _REASONS.get(int(dut.stop_reason.value), "unknown")
                break
    finally:
        if trace:
            trace.close()
    return {
        "reason": reason,
        "seconds": time.monotonic() - start,
        "divergence": report,
        "lockstep": checker.summary() if checker else None,
        "checked": checker.checked if checker else 0,
    }
