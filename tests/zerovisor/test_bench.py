"""`zerovisor bench`: the quick suite end to end (JSON with every metric, the plots), the
report from recorded results, the README's generated table, and the error paths."""

import json
import struct

import pytest

from zerovisor.bench import (
    load_results,
    markdown_table,
    missing_metrics,
    summary_rows,
    update_readme,
)
from zerovisor.benchmeta import RESULTS
from zerovisor.cli import main
from zerovisor.errors import ZerovisorError
from zerovisor.plots import DPI, SIZE, make_plots


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_quick_bench_writes_every_metric_and_the_plots(tmp_path):
    assert main(["bench", "--quick", "--out", str(tmp_path)]) == 0
    results = load_results(tmp_path)
    assert set(results) == {"core", "partition", "interference", "console", "isolation",
                            "sim_speed"}
    assert missing_metrics(results) == []
    for record in results.values():
        assert record["quick"] is True and record["machine"]["cores"] >= 1
    speed = results["sim_speed"]["crc"][0]
    assert speed["cocotb_mcycles_per_second"] > 0 and speed["native_mcycles_per_second"] > 0
    plots = sorted(p.name for p in (tmp_path / "plots").glob("*.png"))
    assert plots == ["cpi.png", "interference.png", "overhead.png", "sim_speed.png"]
    for name in plots:
        assert png_size(tmp_path / "plots" / name) == (SIZE[0] * DPI, SIZE[1] * DPI)


def test_the_recorded_results_have_every_metric():
    assert missing_metrics(load_results(RESULTS)) == []


def test_report_only_draws_from_recorded_results(tmp_path, capsys):
    for name in ("core", "partition"):
        (tmp_path / f"{name}.json").write_text((RESULTS / f"{name}.json").read_text())
    assert main(["bench", "--report-only", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["cpi.png",
                                                                       "overhead.png"]


def test_report_only_with_no_records_is_a_clear_error(tmp_path, capsys):
    assert main(["bench", "--report-only", "--out", str(tmp_path)]) == 1
    assert "no benchmark records in" in capsys.readouterr().err


def test_an_unknown_benchmark_name_is_refused(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "--only", "nonsense"])
    assert "invalid choice" in capsys.readouterr().err


def test_readme_table_is_replaced_between_its_markers(tmp_path):
    results = load_results(RESULTS)
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- bench-table:begin -->\nSTALE\n<!-- bench-table:end -->\nend\n")
    text = update_readme(results, readme)
    assert "STALE" not in text and text.startswith("intro\n") and text.endswith("end\n")
    assert markdown_table(summary_rows(results)) in text
    assert "SBI round trip" in text and "≤ 100 cycles" in text


def test_readme_without_markers_is_a_clear_error(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("no table here\n")
    with pytest.raises(ZerovisorError, match="markers"):
        update_readme({}, readme)
    assert readme.read_text() == "no table here\n"


def test_plots_skip_what_has_no_record(tmp_path):
    core = json.loads((RESULTS / "core.json").read_text())
    assert [p.name for p in make_plots({"core": core}, tmp_path)] == ["cpi.png"]


def test_fpga_builds_get_a_row_each():
    entry = {"harts": 4, "hext": False, "fmax_mhz": 12.5,
             "utilization": {"LUT4": 41820, "FF": 30000, "EBR (block RAM)": 88},
             "available": {"LUT4": 83640, "FF": 83640, "EBR (block RAM)": 208}}
    rows = summary_rows({"fpga": {"boards": {"ulx3s-85f": {"4": entry}}}})
    assert rows == [("FPGA, ulx3s-85f, SoC with 4 hart(s), without H: LUT4, FF, EBR; Fmax",
                     "≥ 50 MHz (4 harts)", "41,820 LUT4 (50 %), 30,000 FF, 88 EBR; 12.5 MHz",
                     "fpga")]
    bitstream = {"layout": "single.toml", "soc_clock_mhz": 10.0, "timing_met": True,
                 "clocks": {"clk": {"fmax_mhz": 11.34, "target_mhz": 10, "met": True}}}
    rows = summary_rows({"fpga": {"bitstreams": {"ecpix5-85": bitstream}}})
    assert rows == [("FPGA bitstream, ecpix5-85: single.toml; Fmax", "≥ 50 MHz (4 harts)",
                     "11.34 MHz routed, timing met at 10 MHz", "fpga")]
