"""Every benchmark kernel computes the value Python computes."""

import importlib.util
from pathlib import Path

from zerovisor.sim.runner import run_elf

_spec = importlib.util.spec_from_file_location(
    "kernels", Path(__file__).resolve().parents[2] / "bench" / "kernels.py")
kernels = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kernels)


def test_every_kernel_result_matches_python(tmp_path):
    result = run_elf(kernels.build_kernels(tmp_path), echo=False, max_cycles=20_000_000)
    assert result.passed, result.summary()
    measured = kernels.parse_output(result.output)
    expected = kernels.expected_results()
    assert sorted(measured) == sorted(kernels.KERNELS)
    for name in kernels.KERNELS:
        value, cycles, instret = measured[name]
        assert value == expected[name], f"{name}: 0x{value:08x} != 0x{expected[name]:08x}"
        assert cycles > instret > 1000
