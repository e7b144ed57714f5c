"""Generated layouts either validate into a consistent plan or fail with a LayoutError."""

import json

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from zerovisor.generate import partition_blob, read_partition_blob
from zerovisor.layout import LayoutError, parse_layout
from zerovisor.plan import bank_count, plan_layout

SIZES = st.sampled_from(["4K", "16K", "32K", "48K", "64K", "128K", "256K", "1M", 65536, "x",
                         -1, 0])
NAMES = st.sampled_from(["a", "b", "ctl", "gamma", "2bad", "", "a"])
ANY = st.one_of(st.integers(-2, 10), st.text(max_size=4), st.booleans(),
                st.lists(st.integers(-1, 9), max_size=3))


def _toml_value(value):
    # json's syntax for these strings, numbers, booleans and lists is valid TOML
    return json.dumps(value)


def _table(header, items):
    lines = [header]
    for key, value in items.items():
        lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


partitions = st.fixed_dictionaries(
    {"name": NAMES, "harts": st.lists(st.integers(-1, 9), max_size=3), "ram": SIZES},
    optional={"role": st.sampled_from(["guest", "control", "boss"]),
              "devices": st.lists(st.sampled_from(["uart0", "uart1", "uart7", "gpio"]),
                                  max_size=2),
              "console": st.sampled_from(["shared", "none", "uart0", "uart1"]),
              "on_fault": st.sampled_from(["restart", "stop", "halt-system", "explode"]),
              "restart_limit": st.integers(-1, 300),
              "typo": ANY})
channels = st.fixed_dictionaries(
    {"between": st.lists(NAMES, min_size=0, max_size=3)}, optional={"size": SIZES})
socs = st.fixed_dictionaries({}, optional={
    "harts": st.integers(0, 9), "ram": SIZES, "clock": st.sampled_from(["50MHz", "1 kHz", 7]),
    "uarts": st.integers(0, 5)})


@st.composite
def plausible_layouts(draw):
    """Layouts built to be mostly right, then sometimes broken in one place."""
    harts = draw(st.integers(1, 8))
    uarts = draw(st.integers(1, 4))
    soc = {"harts": harts, "ram": draw(st.sampled_from(["256K", "512K", "1M", "2M"])),
           "uarts": uarts}
    order = draw(st.permutations(range(harts)))
    count = draw(st.integers(1, harts))
    cuts = sorted(draw(st.lists(st.integers(1, harts), min_size=count - 1,
                                max_size=count - 1)))
    groups = [g for g in (order[a:b] for a, b in zip([0, *cuts], [*cuts, harts])) if g]
    control = draw(st.booleans())
    parts = []
    for i, group in enumerate(groups):
        part = {"name": f"p{i}", "harts": sorted(group),
                "ram": draw(st.sampled_from(["32K", "64K", "128K"]))}
        if control and i == 0:
            part["role"] = "control"
            part["devices"] = ["uart0"]
        elif i < uarts and draw(st.booleans()):
            part["devices"] = [f"uart{i}"]
        parts.append(part)
    chans = []
    if control and len(parts) > 1:
        for _ in range(draw(st.integers(0, 2))):
            a, b = draw(st.permutations([p["name"] for p in parts]))[:2]
            chans.append({"between": [a, b], "size": draw(st.sampled_from(["4K", "8K"]))})
    if draw(st.integers(0, 3)) == 0:   # break one thing
        victim = draw(st.sampled_from(parts))
        key = draw(st.sampled_from(["harts", "ram", "devices", "name", "console", "role"]))
        victim[key] = draw(ANY)
    return soc, parts, chans


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plausible_layouts())
def test_plausible_layouts_validate_consistently_or_fail_cleanly(layout):
    test_generated_layouts_validate_consistently_or_fail_cleanly.hypothesis.inner_test(
        *layout)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(soc=socs, parts=st.lists(partitions, max_size=5), chans=st.lists(channels, max_size=3))
def test_generated_layouts_validate_consistently_or_fail_cleanly(soc, parts, chans):
    text = _table("[soc]", soc)
    text += "".join(_table("[[partition]]", p) for p in parts)
    text += "".join(_table("[[channel]]", c) for c in chans)
    try:
        layout = parse_layout(text, "fuzz.toml")
    except LayoutError as exc:
        event("invalid")
        assert exc.problems and all(p.startswith("fuzz.toml") for p in exc.problems)
        return
    plan = plan_layout(layout)
    event(f"valid with {len(plan.partitions)} partitions")
    # every hart and device has one owner, and nothing is out of range
    harts = [h for p in plan.partitions for h in p.harts]
    assert len(harts) == len(set(harts)) and all(0 <= h < layout.soc.harts for h in harts)
    devices = [d for p in plan.partitions for d in p.devices]
    assert len(devices) == len(set(devices))
    # regions are aligned, inside RAM and disjoint
    regions = [(p.ram_base, p.ram_size) for p in plan.partitions]
    regions += [(p.console_ring, 4096) for p in plan.partitions if p.console_ring]
    regions += [(c.base, c.size) for c in plan.channels]
    regions.sort()
    for base, size in regions:
        assert base % size == 0
        assert 0x8000_0000 <= base and base + size <= 0x8000_0000 + layout.soc.ram
    for (b0, s0), (b1, _) in zip(regions, regions[1:]):
        assert b0 + s0 <= b1
    # partitions have banks of their own whenever the banks are enough for that
    bank = layout.soc.ram // bank_count(layout)
    spans = [range((p.ram_base - 0x8000_0000) // bank,
                   (p.ram_base - 0x8000_0000 + p.ram_size - 1) // bank + 1)
             for p in plan.partitions]
    if sum(len(s) for s in spans) <= bank_count(layout):
        assert len({b for s in spans for b in s}) == sum(len(s) for s in spans)
    # the firmware's table says the same
    parts_back, chans_back, _ = read_partition_blob(partition_blob(plan))
    assert [p["ram_base"] for p in parts_back] == [p.ram_base for p in plan.partitions]
    assert len(chans_back) == len(plan.channels)
