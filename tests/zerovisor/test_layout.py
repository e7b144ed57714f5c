"""Layout files: every mistake gives one precise line; valid files generate consistent
outputs."""

import json

import pytest

from zerovisor.firmware.build import build_program
from zerovisor.generate import (
    device_tree,
    partition_blob,
    partition_header,
    read_partition_blob,
    write_outputs,
)
from zerovisor.layout import LayoutError, load_layout, parse_layout
from zerovisor.plan import plan_layout

GOOD = """\
[soc]
harts = 4
ram = "512K"

[[partition]]
name = "control"
role = "control"
harts = [0]
ram = "64K"
devices = ["uart0"]

[[partition]]
name = "sensor"
harts = [1]
ram = "64K"
"""


def error_of(text, tmp_path=None):
    path = (tmp_path / "bad.toml") if tmp_path else "bad.toml"
    with pytest.raises(LayoutError) as info:
        parse_layout(text, path)
    return info.value.problems


@pytest.mark.parametrize("text, expected", [
    # unknown keys, with a suggestion
    (GOOD.replace("harts = [1]", "hartz = [1]"),
     [("bad.toml:14: [[partition]] #2 \"sensor\" hartz: unknown key 'hartz'; did you mean "
      "'harts'?")]),
    (GOOD + "\n[extra]\n", ["unknown key 'extra'"]),
    (GOOD.replace("ram = \"512K\"", "ram = \"512K\"\nclok = \"50MHz\""),
     ["bad.toml:4: [soc] clok: unknown key 'clok'; did you mean 'clock'?"]),
    # wrong types and values
    (GOOD.replace("harts = 4", "harts = \"4\""), ["bad.toml:2: [soc] harts: ", "not '4'"]),
    (GOOD.replace("harts = 4", "harts = 9"), ["[soc] harts: ", "less than or equal to 8"]),
    (GOOD.replace("harts = 4", "harts = 4\npmp_entries = 17"),
     ["bad.toml:3: [soc] pmp_entries: ", "less than or equal to 16"]),
    (GOOD.replace("ram = \"512K\"", "ram = \"lots\""),
     ["bad.toml:3: [soc] ram: expected a size such as \"64K\""]),
    (GOOD.replace("ram = \"512K\"", "ram = \"512K\"\nclock = \"fast\""),
     ["[soc] clock: expected a clock rate such as \"50MHz\""]),
    (GOOD.replace("role = \"control\"", "role = \"boss\""),
     ["bad.toml:7: [[partition]] #1 \"control\" role: ", "'guest' or 'control'"]),
    (GOOD.replace("name = \"sensor\"", "name = \"2fast\""), ["#2", "name: String should match"]),
    (GOOD.replace("name = \"sensor\"\n", ""),
     ["bad.toml:12: [[partition]] #2 name: missing (this key is required)"]),
    ("[soc]\nharts = 1\n", ["partition: missing"]),
    ("[soc\n", ["not valid TOML"]),
    # sizes
    (GOOD.replace("ram = \"512K\"", "ram = \"384K\""),
     ["bad.toml:3: [soc] ram: must be a power of two from 64K to 16M, not 384K"]),
    (GOOD.replace("harts = [1]\nram = \"64K\"", "harts = [1]\nram = \"48K\""),
     ["bad.toml:15: [[partition]] #2 \"sensor\" ram: must be a power of two of at least 64K"]),
    (GOOD.replace("harts = [1]\nram = \"64K\"", "harts = [1]\nram = \"16K\""),
     ["at least 64K", "not 16K"]),
    (GOOD.replace("ram = \"512K\"", "ram = \"64K\""),
     [("bad.toml:3: [soc] ram: partitions, console rings and channels need 132K but soc.ram "
      "is 64K")]),
    # harts
    (GOOD.replace("harts = [1]", "harts = [0]"),
     [("bad.toml:14: [[partition]] #2 \"sensor\" harts: hart 0 already belongs to partition "
      "'control'")]),
    (GOOD.replace("harts = [1]", "harts = [1, 1]"), ["hart 1 is listed twice"]),
    (GOOD.replace("harts = [1]", "harts = [4]"),
     ["harts: hart 4 is beyond soc.harts = 4 (valid: 0 to 3)"]),
    (GOOD.replace("harts = [1]", "harts = []"), ["harts: a partition needs at least one hart"]),
    (GOOD.replace("harts = [1]", "harts = [-1]"), ["harts[0]: ", "greater than or equal to 0"]),
    # devices
    (GOOD.replace("devices = [\"uart0\"]", "devices = [\"uart9\"]"),
     [("bad.toml:10: [[partition]] #1 \"control\" devices: unknown device 'uart9'; did you mean "
      "'uart0'? (this SoC has: uart0)")]),
    (GOOD.replace("harts = [1]", "harts = [1]\ndevices = [\"uart0\"]"),
     ["device 'uart0' already belongs to partition 'control'"]),
    # names and roles
    (GOOD.replace("name = \"sensor\"", "name = \"control\""),
     [("bad.toml:13: [[partition]] #2 \"control\" name: the name 'control' is already used by "
      "[[partition]] #1")]),
    (GOOD.replace("name = \"sensor\"", "name = \"sensor\"\nrole = \"control\""),
     ["role: a second control partition (the first is 'control'); at most one is allowed"]),
    (GOOD.replace("role = \"control\"\n", "").replace("harts = [1]",
                                                          "harts = [1]\nconsole = \"shared\""),
     ["console: \"shared\" needs a control partition to serve it"]),
    (GOOD.replace("harts = [1]", "harts = [1]\nconsole = \"uart0\""),
     ["console: 'uart0' is not one of its devices"]),
    (GOOD.replace("devices = [\"uart0\"]", "devices = []"),
     ["devices: the control partition serves shared consoles but owns no UART"]),
    # channels
    (GOOD + "[[channel]]\nbetween = [\"sensor\", \"sensr\"]\n",
     ["bad.toml:17: [[channel]] #1 between: unknown partition 'sensr'; did you mean 'sensor'?"]),
    (GOOD + "[[channel]]\nbetween = [\"sensor\", \"sensor\"]\n",
     ["not 'sensor' with itself"]),
    (GOOD + "[[channel]]\nbetween = [\"sensor\"]\n", ["between: List should have at least 2"]),
    (GOOD + "[[channel]]\nbetween = [\"sensor\", \"control\"]\nsize = \"6K\"\n",
     ["[[channel]] #1 size: must be a power of two of at least 4K, not 6K"]),
    (GOOD + "[[channel]]\nbetween = [\"sensor\", \"control\"]\n"
            "[[channel]]\nbetween = [\"control\", \"sensor\"]\n",
     ["[[channel]] #2 between: 'control' and 'sensor' already share channel #1"]),
    (GOOD.replace("role = \"control\"\n", "") + "[[channel]]\nbetween = [\"sensor\", "
     "\"control\"]\n", ["channels are set up and watched by the control partition"]),
])
def test_each_mistake_gets_a_precise_message(text, expected):
    problems = error_of(text)
    joined = "\n".join(problems)
    for piece in expected:
        assert piece in joined, joined


def test_missing_and_wrong_images(tmp_path):
    problems = error_of(GOOD.replace("harts = [1]", "harts = [1]\nimage = \"nowhere.elf\""),
                        tmp_path)
    assert "image 'nowhere.elf': no such file" in problems[0]
    problems = error_of(GOOD.replace("harts = [1]", "harts = [1]\nimage = \"guests/nope\""),
                        tmp_path)
    assert "guests/hello" in problems[0] and "built-in guests" in problems[0]
    (tmp_path / "text.elf").write_text("not an elf")
    problems = error_of(GOOD.replace("harts = [1]", "harts = [1]\nimage = \"text.elf\""),
                        tmp_path)
    assert "image 'text.elf': not an ELF file" in problems[0]


def _elf(tmp_path, origin, pad=0):
    src = tmp_path / f"g{origin:x}_{pad}.S"
    src.write_text(f".globl _start\n_start: j _start\n.fill {pad // 4 + 1}, 4, 0\n")
    ld = tmp_path / f"g{origin:x}.ld"
    ld.write_text(f"SECTIONS {{ . = 0x{origin:x}; .text : {{ *(.text) }} }}\n")
    import subprocess
    import sys
    elf = tmp_path / f"g{origin:x}_{pad}.elf"
    subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target",
                    "riscv32-freestanding-none", "-nostdlib", "-T", str(ld), str(src), "-o",
                    str(elf)], check=True)
    return elf


def test_image_linked_elsewhere_or_too_large(tmp_path):
    low = _elf(tmp_path, 0x4000_0000)
    problems = error_of(GOOD.replace("harts = [1]", f"harts = [1]\nimage = \"{low.name}\""),
                        tmp_path)
    assert "is linked at 0x40000000; guest RAM starts at 0x80000000" in problems[0]
    big = _elf(tmp_path, 0x8000_0000, pad=60 << 10)
    problems = error_of(GOOD.replace("harts = [1]", f"harts = [1]\nimage = \"{big.name}\""),
                        tmp_path)
    assert "needs 61448 bytes but the guest's RAM is 32768 (64K less 32K for the VMM)" \
        in problems[0]
    fits = _elf(tmp_path, 0x8000_0000, pad=1024)
    layout = parse_layout(GOOD.replace("harts = [1]", f"harts = [1]\nimage = \"{fits.name}\""),
                          tmp_path / "ok.toml")
    assert plan_layout(layout).partitions[1].image == str(fits)


def test_a_real_guest_image_is_accepted(tmp_path):
    src = tmp_path / "guest.c"
    src.write_text("int main(void) { return 0; }\n")
    elf = build_program([src], tmp_path, ram_size=48 << 10)
    layout = parse_layout(GOOD.replace("harts = [1]", f"harts = [1]\nimage = \"{elf}\""),
                          tmp_path / "ok.toml")
    assert layout.partition[1].image == str(elf)


def test_defaults_are_filled():
    layout = parse_layout("[[partition]]\nname = \"a\"\nharts = [0]\nram = \"64K\"\n")
    assert (layout.soc.harts, layout.soc.ram, layout.soc.clock) == (4, 512 << 10, 50_000_000)
    plan = plan_layout(layout)
    part = plan.partitions[0]
    assert (part.role, part.console, part.image, part.on_fault) == \
        ("guest", "none", "guests/hello", "stop")
    assert plan.parked_harts == [1, 2, 3]


def test_plan_places_aligned_disjoint_regions():
    plan = plan_layout(load_layout("examples/quad.toml"))
    regions = [(p.ram_base, p.ram_size) for p in plan.partitions]
    regions += [(p.console_ring, 4096) for p in plan.partitions if p.console_ring]
    regions += [(c.base, c.size) for c in plan.channels]
    _assert_disjoint_aligned(regions, plan.soc.ram)


def _parts(*sizes, ram="512K", pairs=()):
    text = f"[soc]\nharts = {len(sizes)}\nram = \"{ram}\"\n"
    for i, size in enumerate(sizes):
        text += f"[[partition]]\nname = \"p{i}\"\nharts = [{i}]\nram = \"{size}\"\n"
        if i == 0:
            text += "role = \"control\"\ndevices = [\"uart0\"]\n"
    for a, b in pairs:
        text += f"[[channel]]\nbetween = [\"p{a}\", \"p{b}\"]\n"
    return parse_layout(text)


@pytest.mark.parametrize("sizes, ram, banks", [
    (["64K"], "512K", 1),                  # one partition: one bank, however much RAM
    (["64K", "64K"], "512K", 2),
    (["64K"] * 3, "512K", 4),              # banks come in powers of two
    (["64K"] * 4, "512K", 4),              # examples/quad.toml
    (["256K", "64K"], "512K", 2),
    (["256K", "64K", "64K"], "512K", 4),   # 128K banks: 2 for the big one, 1 each
    (["64K"] * 8, "1M", 8),
])
def test_the_fewest_banks_give_each_partition_its_own(sizes, ram, banks):
    from zerovisor.plan import allocate, bank_count
    layout = _parts(*sizes, ram=ram)
    assert bank_count(layout) == banks
    bank = layout.soc.ram // banks
    alloc = allocate(layout, [4096] * len(sizes))
    _assert_no_bank_shared([(base, layout.partition[i].ram)
                            for i, base in alloc.partitions.items()], bank)
    assert alloc.used <= layout.soc.ram


def _assert_no_bank_shared(regions, bank):
    """No two of the ``(base, size)`` partition regions touch one bank."""
    owners = {}
    for i, (base, size) in enumerate(regions):
        for b in range((base - 0x8000_0000) // bank, (base - 0x8000_0000 + size - 1) // bank + 1):
            assert owners.setdefault(b, i) == i


def test_more_banks_when_the_regions_outnumber_their_checker_entries():
    # Four partitions want four banks, whose checkers hold 16 entries. Partitions, console
    # rings and image slices take 11, so five channels fit; a sixth needs eight banks.
    from zerovisor.plan import allocate, bank_count
    pairs = [(1, 2), (1, 3), (2, 3), (0, 1), (0, 2), (0, 3)]
    assert bank_count(_parts(*["64K"] * 4, pairs=pairs[:5])) == 4
    layout = _parts(*["64K"] * 4, pairs=pairs)
    assert bank_count(layout) == 8
    assert allocate(layout, [4096] * 4).used <= layout.soc.ram


def _assert_disjoint_aligned(regions, ram):
    regions.sort()
    for base, size in regions:
        assert base % size == 0 and 0x8000_0000 <= base and base + size <= 0x8000_0000 + ram
    for (b0, s0), (b1, _) in zip(regions, regions[1:]):
        assert b0 + s0 <= b1


def test_header_and_blob_carry_the_same_table(tmp_path):
    plan = plan_layout(load_layout("examples/quad.toml"))
    parts, chans, maps = read_partition_blob(partition_blob(plan))
    assert [p["hart_mask"] for p in parts] == [1, 2, 4, 8]
    assert [p["ram_base"] for p in parts] == [p.ram_base for p in plan.partitions]
    assert chans == [{"base": plan.channels[0].base, "size": 4096, "part_a": 1, "part_b": 0}]
    assert {(m["partition"], m["channel"]) for m in maps} == {(0, 0), (1, 0)}
    header = partition_header(plan)
    assert "#define ZV_PARTITIONS 4" in header
    assert f".ram_base = 0x{plan.partitions[3].ram_base:x}" in header
    # the header compiles as C11 with the firmware's flags
    src = tmp_path / "use.c"
    (tmp_path / "zv_partitions.h").write_text(header)
    src.write_text('#include "zv.h"\n#include "zv_partitions.h"\n'
                   'int main(void) { return (int)(zv_partitions[1].hart_mask != 2u); }\n')
    build_program([src], tmp_path / "out", include_dirs=[tmp_path])


def test_device_trees_compile_to_dtb_and_describe_the_guest():
    import fdt
    plan = plan_layout(load_layout("examples/smp.toml"))
    compute = plan.partitions[1]
    tree = fdt.parse_dts(device_tree(plan, compute))
    assert tree.to_dtb(version=17)[:4] == b"\xd0\x0d\xfe\xed"
    memory = tree.get_node("memory@80000000")
    assert list(memory.get_property("reg").data) == [0, 0x8000_0000, 0, (256 - 32) << 10]
    cpus = [n.name for n in tree.get_node("cpus").nodes]
    assert cpus == ["cpu@0", "cpu@1"]
    assert [n.name for n in tree.get_node("soc").nodes] == ["serial@10001000"]
    # its console is shared (served by the control partition through the SBI)
    assert tree.get_node("chosen").get_property("bootargs").value == "console=hvc0 earlycon=sbi"
    single = plan_layout(load_layout("examples/single.toml"))
    tree = fdt.parse_dts(device_tree(single, single.partitions[0]))
    assert tree.get_node("chosen").get_property("stdout-path").value == "/soc/serial@10000000"


def test_write_outputs_writes_every_file(tmp_path):
    plan = plan_layout(load_layout("examples/channel.toml"))
    names = sorted(p.name for p in write_outputs(plan, tmp_path))
    assert names == ["consumer.dts", "control.dts", "producer.dts", "soc.json",
                     "zv_partitions.bin", "zv_partitions.h"]
    assert json.loads((tmp_path / "soc.json").read_text())["ram_size"] == 512 << 10


def test_check_command_shows_examples_and_rejects_bad_files(tmp_path, zerovisor):
    import glob
    run = zerovisor("check", *sorted(glob.glob("examples/*.toml")))
    assert run.returncode == 0, run.stderr
    for name in ("control", "sensor", "producer", "compute", "solo"):
        assert name in run.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace("harts = [1]", "harts = [7]"))
    run = zerovisor("check", bad)
    assert run.returncode == 2
    assert f"{bad}:14: [[partition]] #2 \"sensor\" harts: hart 7 is beyond" in run.stderr
    assert "Traceback" not in run.stderr
    run = zerovisor("check", tmp_path / "absent.toml")
    assert run.returncode == 2 and "no such layout file" in run.stderr


def test_schema_command_describes_every_table(zerovisor):
    run = zerovisor("schema")
    schema = json.loads(run.stdout)
    assert set(schema["properties"]) == {"soc", "partition", "channel"}
    assert "Partition" in schema["$defs"]
    assert "restart_limit" in schema["$defs"]["Partition"]["properties"]


def test_readme_documents_every_key():
    from pathlib import Path

    from zerovisor.layout import Channel, Partition, Soc
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for model in (Soc, Partition, Channel):
        for key in model.model_fields:
            assert f"| `{key}` |" in readme, f"README lacks the layout key {key!r}"


@pytest.mark.parametrize("example", ["quad", "single", "channel", "smp"])
def test_the_soc_takes_the_parameters_a_layout_generates(example):
    from amaranth.hdl import Fragment

    from zerovisor.generate import soc_params
    from zerovisor.plan import plan_layout
    from zerovisor.rtl.soc import SoC
    plan = plan_layout(load_layout(f"examples/{example}.toml"))
    params = soc_params(plan)
    _assert_no_bank_shared([(p.ram_base, p.ram_size) for p in plan.partitions],
                           plan.soc.ram // params["banks"])
    Fragment.get(SoC(**params), None)
