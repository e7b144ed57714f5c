"""bench/fpga.py keeps the reports of ``zerovisor build`` for the README's bitstream rows."""

import importlib.util
import json
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "fpga_bench", Path(__file__).resolve().parents[2] / "bench" / "fpga.py")
fpga = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fpga)


def test_a_build_report_is_kept_under_its_board(tmp_path):
    record = tmp_path / "fpga.json"
    record.write_text(json.dumps({"boards": {"ulx3s-85f": {"1h": {"fmax_mhz": 32.0}}}}))
    report = tmp_path / "ecpix5-85.json"
    report.write_text(json.dumps({"board": "ecpix5-85", "timing_met": True,
                                  "layout": "/tmp/clone/examples/fpga.toml"}))
    fpga.record_reports([report], path=record)
    kept = json.loads(record.read_text())
    assert kept["bitstreams"]["ecpix5-85"]["timing_met"] is True
    assert kept["bitstreams"]["ecpix5-85"]["layout"] == "examples/fpga.toml"
    assert kept["boards"]["ulx3s-85f"]["1h"]["fmax_mhz"] == 32.0    # the rest is kept
    assert "commit" in kept and kept["benchmark"].startswith("FPGA resources")


def test_a_file_that_is_no_report_is_refused_and_nothing_written(tmp_path):
    record = tmp_path / "fpga.json"
    record.write_text("{}")
    bad = tmp_path / "notes.json"
    bad.write_text(json.dumps({"fmax": 1}))
    with pytest.raises(SystemExit, match="notes.json is not a report of zerovisor build"):
        fpga.record_reports([bad], path=record)
    assert json.loads(record.read_text()) == {}
