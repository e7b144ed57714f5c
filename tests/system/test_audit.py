"""The isolation audit under Verilator: the attack guest and the buggy VMM try every way
out of their partition; every attempt must be refused and logged. And the audit must
see a hole when there is one."""

import json

import pytest

from zerovisor import system as system_module
from zerovisor.audit import KINDS, PRIVS, AuditError, attack_targets, run_audit
from zerovisor.cli import main
from zerovisor.layout import load_layout
from zerovisor.plan import plan_layout
from zerovisor.system import build_system

from .test_boot import EXAMPLES

pytestmark = pytest.mark.xdist_group("audit")
QUAD = EXAMPLES / "quad.toml"


def test_audit_of_the_default_layout_finds_no_breach(tmp_path):
    out = tmp_path / "audit.json"
    assert main(["audit", str(QUAD), "--out", str(tmp_path), "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    matrix = report["matrix"]
    assert report["breaches"] == 0 and report["cells"] == len(matrix) > 1500
    # every guest partition attacked, to the end, with no unexplained violation report
    assert [r["attacker"] for r in report["runs"]] == ["sensor", "logger", "planner"]
    assert all(r["finished"] and not r["problems"] for r in report["runs"])
    # every cell ran and was refused by what the design says refuses it, and logged
    assert all(c["ok"] and c["logged"] and c["cause"] not in ("not run", "went through")
               for c in matrix)
    # every row of the matrix is exercised: each resource from each privilege, each kind
    rows = {(c["resource"], c["privilege"]) for c in matrix}
    for resource in {c["resource"] for c in matrix} - {"privilege"}:
        assert {(resource, p) for p in PRIVS} <= rows, resource
    assert {c["kind"] for c in matrix} == set(KINDS)
    refusers = {c["refused_by"].split()[0] for c in matrix}
    assert refusers == {"G-stage", "checker", "bus", "PMA", "CPU"}
    # the checkers' refusals came to the control partition by interrupt, one report each
    by_checker = [c for c in matrix if c["refused_by"].startswith("checker")]
    assert len(by_checker) > 500
    stores = [c for c in by_checker if c["privilege"] == "HS" and c["kind"] == "store"
              and c["target"] == "sensor's RAM"]
    assert stores and stores[0]["cause"] == "store/AMO access fault"


def test_the_audit_sees_a_misprogrammed_checker(tmp_path, monkeypatch):
    """The boot firmware is made to let the attacker share the entry of sensor's RAM (the
    audit's own view of the grants stays right): exactly the HS and forged accesses to
    what lies in sensor's RAM must come out as breaches, not its image slice or console
    ring. (The entry is widened, not added: the bank's checker has none to spare.)"""
    writes = system_module._checker_writes

    def leaky(plan, grants, banks):
        sensor = next(p for p in plan.partitions if p.name == "sensor")
        logger = next(p for p in plan.partitions if p.name == "logger")
        bank = (sensor.ram_base - 0x8000_0000) // (plan.soc.ram // banks)
        grants = {k: list(v) for k, v in grants.items()}
        entries = grants[f"RAM{bank}_DATA"]
        i = next(i for i, (base, size, _, _) in enumerate(entries)
                 if (base, size) == (sensor.ram_base, sensor.ram_size))
        base, size, perm, parts = entries[i]
        entries[i] = (base, size, perm, parts | 1 << logger.pid)
        return writes(plan, grants, banks)

    monkeypatch.setattr(system_module, "_checker_writes", leaky)
    audit = run_audit(QUAD, tmp_path, partitions=["logger"])
    breaches = {(c.target, c.privilege, c.kind) for c in audit.breaches}
    inside = ("sensor's RAM", "sensor's guest RAM (last word)",
              "sensor's G-stage root table", "sensor's VMM record")
    assert breaches == {(target, priv, kind) for target in inside
                        for priv in ("HS", "forged G-stage") for kind in ("load", "store", "amo")}
    assert all(c.cause == "went through" for c in audit.breaches)


def test_a_layout_without_a_control_partition_is_judged_on_refusals(tmp_path):
    """single.toml: one partition, no monitor. Its attacker still finds no way to the
    partition control block, the PLIC, the CLINT's other registers or its VMM's memory;
    the checkers' refusals are counted but nobody reports them, and the audit says so."""
    audit = run_audit(EXAMPLES / "single.toml", tmp_path)
    assert audit.cells and not audit.breaches
    assert "no control partition" in audit.runs[0]["note"]
    assert not any(c.logged for c in audit.cells if c.refused_by.startswith("checker"))


def test_no_target_is_one_the_attacker_may_reach(tmp_path, monkeypatch):
    plan = plan_layout(load_layout(QUAD))
    for p in plan.partitions:
        if p.role == "guest":
            p.image = "guests/hello"
    system = build_system(plan, tmp_path)
    logger = next(p for p in system.partitions if p.plan.name == "logger")
    targets = attack_targets(system, logger)
    names = [t.name for t in targets]
    assert len(names) == len(set(names)) > 30
    assert "UART0" in names and "sensor's RAM" in names and "logger's RAM" not in names
    # where its G-stage maps a target's address, a guest reaches its own memory: no
    # VS/VU cells there (HS and forged stay)
    control = next(t for t in targets if t.name == "control's RAM")
    assert control.addr == 0x8000_0000 and not control.cells["VS"] and control.cells["HS"]
    # a target the attacker was granted is refused by the audit itself
    grants = system_module.checker_grants

    def generous(plan, parts, banks):
        out = grants(plan, parts, banks)
        out["UART0"].append((0x1000_0000, 0x1000, 3, 1 << logger.plan.pid))
        return out

    monkeypatch.setattr(system_module, "checker_grants", generous)
    with pytest.raises(AuditError, match="UART0: a checker grants its load"):
        attack_targets(system, logger)


def test_audit_errors_are_clear(tmp_path, capsys):
    with pytest.raises(AuditError, match="no guest partition named nobody"):
        run_audit(QUAD, tmp_path, partitions=["nobody"])
    alone = tmp_path / "alone.toml"
    alone.write_text('[soc]\nharts = 1\nram = "64K"\n\n[[partition]]\nname = "boss"\n'
                     'role = "control"\nharts = [0]\nram = "64K"\ndevices = ["uart0"]\n')
    assert main(["audit", str(alone), "--out", str(tmp_path)]) == 1
    assert "no guest partition to attack from" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[soc]\nharts = 0\n")
    assert main(["audit", str(bad), "--out", str(tmp_path)]) == 2
    assert "error" in capsys.readouterr().err
