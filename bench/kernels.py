"""The core benchmark: compute kernels (bench/kernels.c, -O2) on the simulated SoC.

Every kernel's result is checked against the value computed here in Python; cycles and
instructions come from the program's own mcycle/minstret. Usage:

    python bench/kernels.py            # writes bench/results/core.json
"""

import math
import re
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MASK = 0xFFFFFFFF
KERNELS = ["matmul", "crc32", "isort", "listwalk", "statemachine", "strsearch", "mixed"]


class _Lcg:
    def __init__(self, seed):
        self.x = seed

    def __call__(self):
        self.x = (self.x * 1664525 + 1013904223) & MASK
        return self.x


def _crc_bits(crc, bits):
    for _ in range(bits):
        crc = (crc >> 1) ^ (0xEDB88320 if crc & 1 else 0)
    return crc


def expected_results():
    """Each kernel's result, computed the way bench/kernels.c computes it."""
    out = {}
    r = _Lcg(1)
    a, b = [[0] * 16 for _ in range(16)], [[0] * 16 for _ in range(16)]
    for i in range(16):
        for j in range(16):
            a[i][j] = (r() >> 24) - 128
            b[i][j] = (r() >> 24) - 128
    s = 0
    for i in range(16):
        for j in range(16):
            s = (s * 31 + sum(a[i][k] * b[k][j] for k in range(16))) & MASK
    out["matmul"] = s

    r = _Lcg(2)
    crc = 0xFFFFFFFF
    for _ in range(1024):
        crc = _crc_bits(crc ^ (r() >> 24), 8)
    out["crc32"] = ~crc & MASK

    r = _Lcg(3)
    arr = sorted(r() for _ in range(200))
    out["isort"] = sum(v * (i + 1) for i, v in enumerate(arr)) & MASK

    r = _Lcg(4)
    order = list(range(256))
    for i in range(255, 0, -1):
        j = r() % (i + 1)
        order[i], order[j] = order[j], order[i]
    value, nxt = [0] * 256, [None] * 256
    for i in range(256):
        value[order[i]] = r() >> 16
        nxt[order[i]] = order[i + 1] if i + 1 < 256 else None
    s = 0
    for p in range(8):
        n = order[0]
        while n is not None:
            s = (((s ^ value[n]) * 3) + p) & MASK
            n = nxt[n]
    out["listwalk"] = s

    r = _Lcg(5)
    alphabet = "abc 123 ,.;xyz 7890 "
    text = "".join(alphabet[(r() >> 24) % len(alphabet)] for _ in range(2047))
    state, words, numbers, symbols = "space", 0, 0, 0
    for c in text:
        digit, letter = c.isdigit(), "a" <= c <= "z"
        if state == "space":
            if digit:
                state, numbers = "number", numbers + 1
            elif letter:
                state, words = "word", words + 1
            elif c != " ":
                symbols += 1
        elif state == "word":
            if digit:
                state, numbers = "number", numbers + 1
            elif not letter:
                state = "space"
                symbols += c != " "
        else:
            if letter:
                state, words = "word", words + 1
            elif not digit:
                state = "space"
                symbols += c != " "
    out["statemachine"] = (words * 1000000 + numbers * 1000 + symbols) & MASK

    r = _Lcg(6)
    text = "".join(chr(ord("a") + (r() >> 24) % 4) for _ in range(2047))
    found = 0
    for p, pat in enumerate(["abc", "dda", "bbb", "cab"]):
        found += (p + 1) * sum(text.startswith(pat, t) for t in range(len(text)))
    out["strsearch"] = found

    r = _Lcg(7)
    acc = 0
    for rnd in range(4):
        m = [[r() >> 20 for _ in range(8)] for _ in range(8)]
        trace = sum(m[i][k] * m[k][i] for i in range(8) for k in range(8))
        crc = _crc_bits(trace & MASK, 32)
        hops, n, count = 0, order[rnd], 0
        while n is not None and hops < 64:
            hops += value[n] & 7
            n = nxt[n]
            count += 1
        acc = (((acc * 7) & MASK) ^ crc ^ hops ^ (trace // 3)) & MASK
    out["mixed"] = acc
    return out


_LINE = re.compile(r"kernel (\w+) result 0x([0-9a-f]+) cycles (\d+) instret (\d+)")


def parse_output(text):
    """``{name: (result, cycles, instret)}`` from the program's UART output."""
    return {m[1]: (int(m[2], 16), int(m[3]), int(m[4])) for m in _LINE.finditer(text)}


def build_kernels(out_dir):
    from zerovisor.firmware.build import FIRMWARE_DIR, build_program
    lib = FIRMWARE_DIR / "guests" / "lib"
    return build_program([HERE / "kernels.c", lib / "kernels.c"], out_dir, include_dirs=[lib])


def _run_kernels(elf, config):
    """``(kernels, CPI geometric mean, the run's result)`` on the model of ``config``."""
    from zerovisor.sim.runner import run_elf
    result = run_elf(elf, echo=False, config=config)
    if not result.passed:
        raise RuntimeError(f"kernels did not pass: {result.summary()}")
    measured = parse_output(result.output)
    expected = expected_results()
    kernels = {}
    for name in KERNELS:
        value, cycles, instret = measured[name]
        if value != expected[name]:
            raise RuntimeError(f"{name}: result 0x{value:08x}, expected 0x{expected[name]:08x}")
        kernels[name] = {"cycles": cycles, "instret": instret,
                         "cpi": round(cycles / instret, 3)}
    geomean = math.exp(sum(math.log(k["cpi"]) for k in kernels.values()) / len(kernels))
    return kernels, round(geomean, 3), result


def measure(quick=False, progress=print):
    """The core benchmark's record (``quick`` changes nothing: it takes seconds), on the
    harts as simulated and as a board build makes them (``late_mem``)."""
    from zerovisor.sim.build import SimConfig, build_model
    model = build_model(SimConfig(), progress=progress)
    build_model(SimConfig(late_mem=True), progress=progress)
    with tempfile.TemporaryDirectory() as tmp:
        elf = build_kernels(tmp)
        start = time.monotonic()
        kernels, geomean, result = _run_kernels(elf, SimConfig())
        wall = time.monotonic() - start
        late, late_geomean, _ = _run_kernels(elf, SimConfig(late_mem=True))
    return {
        "benchmark": "compute kernels (bench/kernels.c, clang -O2), single-hart SoC",
        "kernels": kernels,
        "cpi_geomean": geomean,
        "late_mem": {"what": "the same kernels on the harts zerovisor build makes: every "
                             "data access a cycle after E, every fetch a cycle after F "
                             "(rtl.soc.SoC's late_mem)",
                     "cpi": {name: k["cpi"] for name, k in late.items()},
                     "cpi_geomean": late_geomean},
        "sim_cycles": result.cycles,
        "sim_seconds": round(result.seconds, 3),
        "sim_mcycles_per_second": round(result.cycles / result.seconds / 1e6, 3),
        "run_wall_seconds": round(wall, 2),
        "verilator_build_seconds": float((model / "build_seconds").read_text()),
    }


RESULT = "core"

if __name__ == "__main__":
    from zerovisor.benchmeta import main
    main(measure, RESULT, __doc__)
