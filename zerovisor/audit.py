"""The isolation audit: every way one partition could reach another, tried, and the result
of each attempt.

For each guest partition of a layout in turn, the audit builds the system with the attack
guest (``firmware/guests/attack.c``) in that partition and the deliberately buggy VMM
build (``ZV_ATTACK``: raw accesses from HS-mode, forged G-stage mappings), runs it under
Verilator and reads the attacker's report. Each attempt is a *cell* of the matrix: source
partition x target resource x access kind x privilege. A cell passes when the access was
refused (it trapped) by the mechanism the design says refuses it, and that mechanism
logged it: the G-stage (the guest's trap record holds the address), a checker (the
control partition's monitor reports the violation, the address and the attacker), the
bus (no target takes it), the core's physical memory attributes (an AMO on a device) or
the CPU (a privileged instruction).

The targets come from the built system, not from a list kept by hand: every other
partition's RAM, VMM tables and image slice, the console rings and channels it is not an
end of, the devices it was not given, the partition control block, the PLIC's and CLINT's
registers, doorbells, the boot ROM, the test finisher, and M-mode and hypervisor state.
Before running, the audit checks that no target is one the attacker is entitled to (its
G-stage maps it, or a checker grants it), so a pass means something.
"""

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import ZerovisorError
from .layout import load_layout
from .plan import plan_layout
from .rtl.memmap import CHECKER_SLOT, ROM_BASE, checked_targets, memory_map

__all__ = ["PRIVS", "KINDS", "Target", "attack_targets", "targets_header",
           "build_attack_system", "audit_partition", "run_audit", "AuditError"]

PRIVS = ("VS", "VU", "HS", "forged G-stage")
KINDS = ("load", "store", "fetch", "amo", "hlv", "hsv", "write mpartition", "mret",
         "write hgatp")
MEMORY = ("load", "store", "fetch", "amo")
DATA = ("load", "store", "amo")
ESCALATION = ("write mpartition", "mret")
PACE = 3000            # timebase ticks the attacker waits after each line
CAUSES = {1: "instruction access fault", 2: "illegal instruction", 5: "load access fault",
          7: "store/AMO access fault", 20: "instruction guest-page fault",
          21: "load guest-page fault", 22: "virtual instruction",
          23: "store/AMO guest-page fault"}
R, W, X = 1, 2, 4
NEED = {"load": R, "amo": R | W, "store": W, "fetch": X}


class AuditError(ZerovisorError):
    """The audit could not be run as asked (a bad layout, a target list that would test
    nothing)."""


@dataclass
class Target:
    """One resource the attacker must not reach, and the attempts on it."""
    name: str
    resource: str
    addr: int
    cells: dict           # privilege -> kinds, in PRIVS and KINDS order

    def attempts(self):
        return [(priv, kind) for priv in PRIVS for kind in KINDS
                if kind in self.cells.get(priv, ())]


@dataclass
class Cell:
    """One attempt's result."""
    source: str
    target: str
    resource: str
    address: str
    privilege: str
    kind: str
    refused_by: str       # what the design says refuses it
    cause: str = ""       # the trap it took, or "" when it went through
    logged: bool = False
    ok: bool = False      # refused and logged


@dataclass
class Audit:
    layout: str
    cells: list = field(default_factory=list)
    runs: list = field(default_factory=list)      # per attacker: cycles, seconds, notes

    @property
    def breaches(self):
        return [c for c in self.cells if not c.ok]

    def totals(self):
        """``{resource: (cells, breaches)}``."""
        out = {}
        for c in self.cells:
            n, bad = out.get(c.resource, (0, 0))
            out[c.resource] = (n + 1, bad + (not c.ok))
        return out

    def to_json(self):
        return {"layout": self.layout, "cells": len(self.cells),
                "breaches": len(self.breaches), "runs": self.runs,
                "totals": {k: {"cells": n, "breaches": b} for k, (n, b) in
                           self.totals().items()},
                "matrix": [asdict(c) for c in self.cells]}


# ---- the targets ---------------------------------------------------------------------------

def attack_targets(system, attacker):
    """The targets for ``attacker`` (a :class:`~zerovisor.system.Partition` of the built
    ``system``)."""
    from .rtl.periph.doorbell import DOORBELL_REGS
    from .rtl.periph.plic import PLIC_REGS, context
    from .system import _doorbell, plic_context_page
    plan = system.plan
    regions = {r.name: r for r in memory_map(ram_size=plan.soc.ram, uarts=plan.soc.uarts)}
    me = attacker.plan
    targets = []

    def add(name, resource, addr, vs=MEMORY, vu=MEMORY, hs=MEMORY + ("hlv", "hsv"),
            forged=MEMORY):
        targets.append(Target(name, resource, addr, {"VS": vs, "VU": vu, "HS": hs,
                                                     "forged G-stage": forged}))

    def add_register(name, resource, addr):
        """A device register: loads and stores from every privilege."""
        add(name, resource, addr, vs=DATA, vu=DATA, hs=DATA, forged=DATA)

    for q in system.partitions:
        if q is attacker:
            continue
        p = q.plan
        add(f"{p.name}'s RAM", "partition RAM", p.ram_base)
        add(f"{p.name}'s guest RAM (last word)", "partition RAM",
            p.ram_base + p.guest_ram_size - 4)
        add(f"{p.name}'s G-stage root table", "VMM state", q.reserve)
        add(f"{p.name}'s VMM record", "VMM state", q.vmm_addr)
        add(f"{p.name}'s image slice", "image slices", q.slice_base)
        if p.console_ring is not None:
            add(f"{p.name}'s console ring", "channels", p.console_ring)
    for chan in plan.channels:
        if me.name not in chan.ends:
            add(f"channel {'-'.join(chan.ends)}", "channels", chan.base)
    # its own VMM's memory: the G-stage keeps the guest out (its VMM may go there)
    add("its own G-stage root table", "VMM state", attacker.reserve, hs=(), forged=())
    add("its own VMM record", "VMM state", attacker.vmm_addr, hs=(), forged=())
    add("its own image slice (read-only)", "image slices", attacker.slice_base,
        hs=("store", "amo"), forged=("store", "amo"))
    free = _free_ram(system)
    if free is not None:
        add("unallocated RAM", "partition RAM", free)
    for u in range(plan.soc.uarts):
        if f"uart{u}" not in me.devices:
            add(f"UART{u}", "devices", regions[f"UART{u}"].base)
    partctl = regions["PARTCTL"].base
    slots = checked_targets(system.params["banks"], plan.soc.uarts)
    ram_slot = partctl + CHECKER_SLOT * 0
    from .rtl.partition.checker import CHECKER_REGS, ENTRY_BASE
    add_register(f"{slots[0]} checker's entry 0 (permissions)", "partition registers",
                 ram_slot + ENTRY_BASE + 8)
    add_register(f"{slots[0]} checker's lock", "partition registers",
                 ram_slot + CHECKER_REGS.offset("CTRL"))
    add_register(f"{slots[0]} checker's violation log", "partition registers",
                 ram_slot + CHECKER_REGS.offset("VACK"))
    plic = regions["PLIC"].base
    from .rtl.memmap import IRQS
    add_register("PLIC priority of the violation source", "PLIC",
                 plic + PLIC_REGS.offset("PRIORITY") + 4 * IRQS["VIOLATION"])
    my_hart = me.harts[0]
    add_register(f"PLIC enables of hart {my_hart}'s guest context", "PLIC",
                 plic + PLIC_REGS.offset("ENABLE") + 0x80 * context(my_hart, "guest"))
    add_register(f"PLIC claim of hart {my_hart}'s M context", "PLIC",
                 plic + PLIC_REGS.offset("CLAIM") + 0x1000 * context(my_hart, "m"))
    clint = regions["CLINT"].base
    other = [h for q in plan.partitions if q is not me for h in q.harts]
    if other:
        h = other[0]
        add_register(f"PLIC claim of hart {h}'s guest context", "PLIC",
                     plic_context_page(plan, h) + 4)
        add_register(f"PLIC enables of hart {h}'s guest context", "PLIC",
                     plic + PLIC_REGS.offset("ENABLE") + 0x80 * context(h, "guest"))
        add_register(f"CLINT msip of hart {h}", "CLINT", clint + 4 * h)
        add_register(f"CLINT mtimecmp of hart {h}", "CLINT", clint + 0x4000 + 8 * h)
    add_register(f"CLINT mtimecmp of hart {my_hart} (its own M-mode timer)", "CLINT",
                 clint + 0x4000 + 8 * my_hart)
    add_register("CLINT mtime", "CLINT", clint + 0xBFF8)
    bells = regions["DOORBELL"].base
    peers = {q.pid for c in plan.channels if me.name in c.ends
             for q in plan.partitions if q.name in c.ends}
    for q in plan.partitions:
        if q is me:
            continue
        if q.pid not in peers and q.role != "control":
            add_register(f"{q.name}'s doorbell (no channel)", "doorbells",
                         _doorbell(plan, "RING", q.pid))
        add_register(f"{q.name}'s doorbell acknowledge", "doorbells",
                     bells + DOORBELL_REGS.offset("ACK") + 0x1000 * q.pid)
    add("boot ROM (VMM code)", "boot ROM", ROM_BASE + 0x100,
        hs=("store", "amo", "hsv"), forged=("store", "amo"))
    if len(system.partitions) > 1:      # a partition alone may end its system
        add("test finisher (ends the system)", "finisher", regions["FINISHER"].base,
            vs=("store",), vu=("store",), hs=("store",), forged=("store",))
    add("M-mode and hypervisor state", "privilege", 0,
        vs=ESCALATION + ("write hgatp", "hlv", "hsv"),
        vu=ESCALATION + ("write hgatp", "hlv", "hsv"), hs=ESCALATION, forged=())
    for t in targets:
        # a guest names guest-physical addresses: where its G-stage maps the target's
        # address, it reaches its own memory, not the target (the HS and forged cells
        # stay, and the faulty guest's `wild` stores cover the rest)
        if _mapped(attacker, t.addr):
            t.cells["VS"] = t.cells["VU"] = ()
            t.cells["HS"] = tuple(k for k in t.cells["HS"] if k not in ("hlv", "hsv"))
    _check_targets(system, attacker, targets)
    return targets


def _mapped(part, addr):
    return any(gpa <= addr < gpa + size for gpa, _, size, *_ in part.mappings)


def _free_ram(system):
    """A RAM page no partition, ring, channel or slice holds, or None."""
    plan = system.plan
    taken = [(p.plan.ram_base, p.plan.ram_size) for p in system.partitions]
    taken += [(p.slice_base, p.slice_size) for p in system.partitions]
    taken += [(p.plan.console_ring, 0x1000) for p in system.partitions
              if p.plan.console_ring is not None]
    taken += [(c.base, c.size) for c in plan.channels]
    from .rtl.memmap import RAM_BASE
    for page in range(RAM_BASE, RAM_BASE + plan.soc.ram, 0x1000):
        if not any(b <= page < b + s for b, s in taken):
            return page
    return None


def _check_targets(system, attacker, targets):
    """No target may be one the attacker is entitled to: a checker grants its partition
    the access (HS, forged). (Where its G-stage maps an address, attack_targets has
    already left out the VS and VU cells.)"""
    from .system import checker_grants
    grants = checker_grants(system.plan, system.partitions, system.params["banks"])
    me = 1 << attacker.plan.pid
    problems = []
    for t in targets:
        for priv, kind in t.attempts():
            if kind in NEED and priv in ("HS", "forged G-stage"):
                for entries in grants.values():
                    for base, size, perm, mask in entries:
                        if (base <= t.addr < base + size and mask & me
                                and perm & NEED[kind] == NEED[kind]):
                            problems.append(f"{t.name}: a checker grants its {kind}")
    if problems:
        raise AuditError("the attack's target list tests what the attacker may do: "
                         + "; ".join(sorted(set(problems))))


def targets_header(targets, hammer=False):
    """``attack_targets.h`` for the attack guest; ``hammer``: the benchmark's aggressor,
    which repeats every attempt for ever."""
    rows = []
    for t in targets:
        masks = [sum(1 << KINDS.index(k) for k in t.cells.get(priv, ())) for priv in PRIVS]
        rows.append(f"    {{0x{t.addr:08x}u, {{{', '.join(f'0x{m:x}' for m in masks)}}}}},"
                    f"  /* {t.name} */")
    return "\n".join([
        "/* Generated by zerovisor audit: the attack guest's targets. */",
        "#include <stdint.h>",
        f"#define ATTACK_PACE {PACE}",
        *(["#define ATTACK_HAMMER 1"] if hammer else []),
        "static const struct target { uint32_t addr; uint16_t cells[4]; } targets[] = {",
        *rows, "};", ""])


# ---- building and running ------------------------------------------------------------------

def build_attack_system(plan, attacker_name, out_dir, progress=None, hammer=False):
    """Build ``plan`` with the attack guest in partition ``attacker_name`` and the buggy
    VMM. Returns ``(system, targets)``. The guest is built thrice: to count the targets,
    to place everything (its size does not depend on the table's values), then with the
    table. ``hammer`` builds the benchmark's aggressor instead (see attack.c)."""
    from .system import build_system
    part = next((p for p in plan.partitions if p.name == attacker_name), None)
    if part is None or part.role != "guest":
        raise AuditError(f"no guest partition {attacker_name!r} in the layout")
    part.image = "guests/attack"
    out_dir = Path(out_dir)
    inc = out_dir / "attack"
    inc.mkdir(parents=True, exist_ok=True)
    header = inc / "attack_targets.h"
    header.write_text(targets_header([], hammer))
    first = build_system(plan, out_dir, progress, attack=inc)
    attacker = next(p for p in first.partitions if p.plan.name == attacker_name)
    count = len(attack_targets(first, attacker))
    header.write_text(targets_header([Target("", "", 0, {})] * count, hammer))
    first = build_system(plan, out_dir, progress, attack=inc)
    attacker = next(p for p in first.partitions if p.plan.name == attacker_name)
    targets = attack_targets(first, attacker)
    header.write_text(targets_header(targets, hammer))
    system = build_system(plan, out_dir, progress, attack=inc)
    placed = [(p.slice_base, p.plan.console_ring, p.vmm_addr) for p in system.partitions]
    assert placed == [(p.slice_base, p.plan.console_ring, p.vmm_addr)
                      for p in first.partitions], "the attack table moved the system"
    return system, targets


def refused_by(system, target, priv, kind):
    """What the design says refuses this attempt: ``G-stage``, ``CPU``, ``PMA``, ``bus``
    or ``checker NAME``."""
    if priv in ("VS", "VU"):
        return "G-stage" if kind in MEMORY else "CPU"
    if kind in ("hlv", "hsv"):
        return "G-stage"
    if kind not in NEED:
        return "CPU"
    regions = memory_map(ram_size=system.plan.soc.ram, uarts=system.plan.soc.uarts)
    region = next(r for r in regions if r.base <= target.addr < r.end)
    if region.name == "BOOTROM":
        return "bus"                    # the ROM refuses writes
    if region.name == "RAM":
        banks = system.params["banks"]
        bank = (target.addr - region.base) // (system.plan.soc.ram // banks)
        port = "FETCH" if kind == "fetch" else "DATA"
        return f"checker {f'RAM{bank}_{port}' if banks > 1 else f'RAM_{port}'}"
    if kind == "fetch":
        return "bus"                    # devices hold data only
    if kind == "amo":
        return "PMA"                    # no atomics on I/O: the core refuses them itself
    return f"checker {region.name}"


_LINE = re.compile(r"^\[(?P<who>[^\]]+)\] A (?P<t>\d+)(?P<rest>( \S+)*)$", re.MULTILINE)
_EVENT = re.compile(r"^\[control\] event: violation: (?P<kind>\w+) by (?P<who>\S+) "
                    r"(?P<hart>[0-9a-f]{8}) (?P<addr>[0-9a-f]{8}) (?P<slot>[0-9a-f]{8}) "
                    r"(?P<count>[0-9a-f]{8})$", re.MULTILINE)


def judge(system, attacker, targets, output):
    """The attacker's cells from the run's console ``output``, and the problems with the
    control partition's violation reports (a report no cell explains, a wrong address).

    A cell refused by a checker is logged when the control partition reported a
    violation on that checker, by the attacker's partition and hart, whose count reaches
    the cell's place among that checker's refusals. Two refusals in quick succession may
    share one report (the count says so); a report of exactly one new refusal must name
    the cell's address."""
    name = attacker.plan.name
    hart = attacker.plan.harts[0]
    monitored = any(p.role == "control" for p in system.plan.partitions)
    slots = checked_targets(system.params["banks"], system.plan.soc.uarts)
    reports = {int(m["t"]): m["rest"].split() for m in _LINE.finditer(output)
               if m["who"] == name}
    events = {}
    problems = []
    for m in _EVENT.finditer(output):
        slot, count = slots[int(m["slot"], 16)], int(m["count"], 16)
        if (m["who"], int(m["hart"], 16)) != (name, hart):
            problems.append(f"a violation by {m['who']} hart {int(m['hart'], 16)} on {slot}")
        events.setdefault(slot, []).append((count, int(m["addr"], 16)))
    cells, ordinal = [], {}
    for i, t in enumerate(targets):
        results = reports.get(i, [])
        for n, (priv, kind) in enumerate(t.attempts()):
            by = refused_by(system, t, priv, kind)
            cell = Cell(name, t.name, t.resource, f"0x{t.addr:08x}", priv, kind, by)
            result = results[n] if n < len(results) else None
            if result is None:
                cell.cause = "not run"
            elif result == "ok":
                cell.cause = "went through"
            else:
                code = int(result.removesuffix("/t"), 16)
                cell.cause = CAUSES.get(code, f"cause {code}")
                if by.startswith("checker "):
                    slot = by.split()[1]
                    k = ordinal[slot] = ordinal.get(slot, 0) + 1
                    seen = events.get(slot, [])
                    cell.logged = any(count >= k for count, _ in seen)
                    for j, (count, addr) in enumerate(seen):
                        before = seen[j - 1][0] if j else 0
                        if count == k and before == k - 1 and addr != t.addr & ~3:
                            problems.append(f"{slot}: violation {k} reported at 0x{addr:08x}"
                                            f", made at 0x{t.addr:08x}")
                            cell.logged = False
                else:
                    # the guest's trap record holds the address (the G-stage's guest-page
                    # fault, reflected); the CPU's and bus's refusals are their trap
                    cell.logged = not result.endswith("/t")
            # without a control partition nobody reports the checkers' logs: refused is
            # all a cell can show
            cell.ok = result not in (None, "ok") and (cell.logged or not monitored
                                                      and by.startswith("checker "))
            cells.append(cell)
    for slot, seen in events.items():
        if seen and seen[-1][0] > ordinal.get(slot, 0):
            problems.append(f"{slot}: {seen[-1][0]} violations reported, "
                            f"{ordinal.get(slot, 0)} made")
    return cells, problems


def audit_partition(plan, attacker_name, out_dir, *, max_cycles=6_000_000, progress=None):
    """Run the attack from one partition; returns ``(cells, notes)``."""
    from .sim.runner import run_system
    system, targets = build_attack_system(plan, attacker_name, out_dir, progress)
    attacker = next(p for p in system.partitions if p.plan.name == attacker_name)
    result = run_system(system, max_cycles=max_cycles, echo=False, progress=progress,
                        until=[f"[{attacker_name}] A done"])
    cells, problems = judge(system, attacker, targets, result.output)
    notes = {"attacker": attacker_name, "cycles": result.cycles,
             "seconds": round(result.seconds, 1), "finished": result.reason == "until",
             "problems": problems}
    if not any(p.role == "control" for p in plan.partitions):
        notes["note"] = ("no control partition: the checkers' refusals were counted but "
                         "nobody reported them (judged on the refusal alone)")
    if result.reason != "until":
        notes["tail"] = result.output[-2000:]
    return cells, notes


def run_audit(path, out_dir, *, partitions=None, max_cycles=6_000_000, progress=None):
    """Audit layout ``path`` with the attacker in each guest partition (or those named in
    ``partitions``). Returns an :class:`Audit`."""
    names = [p.name for p in plan_layout(load_layout(path)).partitions if p.role == "guest"]
    if partitions:
        unknown = [n for n in partitions if n not in names]
        if unknown:
            raise AuditError(f"{path}: no guest partition named {', '.join(unknown)} "
                             f"(guest partitions: {', '.join(names) or 'none'})")
        names = list(partitions)
    if not names:
        raise AuditError(f"{path}: the layout has no guest partition to attack from")
    audit = Audit(layout=str(path))
    for name in names:
        if progress:
            progress(f"attacking from {name}")
        plan = plan_layout(load_layout(path))
        cells, notes = audit_partition(plan, name, Path(out_dir) / name,
                                       max_cycles=max_cycles, progress=progress)
        audit.cells += cells
        audit.runs.append(notes)
    return audit


def write_json(audit, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(audit.to_json(), indent=1) + "\n")
    return path
