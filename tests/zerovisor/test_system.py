"""The whole system as Python builds it, checked without a simulator: the boot firmware's
tables, the checkers' entries, the G-stage tables and the errors a user can hit."""

from pathlib import Path

import pytest

from zerovisor.firmware.abi import VMM, VMM_MAGIC
from zerovisor.layout import VMM_RESERVE, LayoutError, load_layout, parse_layout
from zerovisor.plan import plan_layout
from zerovisor.rtl.memmap import RAM_BASE, ROM_BASE, ROM_SIZE, checker_entries
from zerovisor.system import build_system, checker_grants, gstage_tables

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def quad(tmp_path_factory):
    return build_system(plan_layout(load_layout(EXAMPLES / "quad.toml")),
                        tmp_path_factory.mktemp("quad"))


def walk(root, leaves, gpa):
    """Translate ``gpa`` through tables as gstage_tables builds them (the reserve at 0)."""
    pte = root[gpa >> 22]
    if not pte & 1:
        return None
    if pte & 0xE:                                   # a superpage
        return ((pte >> 10) << 12) | (gpa & 0x3FFFFF), pte & 0xFF
    table = dict(leaves)[(pte >> 10) << 12]
    leaf = table[(gpa >> 12) & 0x3FF]
    if not leaf & 1:
        return None
    return ((leaf >> 10) << 12) | (gpa & 0xFFF), leaf & 0xFF


def test_gstage_tables_map_exactly_what_they_are_given():
    maps = [(0x8000_0000, 0x8003_0000, 0x8000, 7), (0x1000_0000, 0x1000_0000, 0x1000, 3),
            (0x2000_0000, 0x8006_0000, 0x2000, 3)]
    root, leaves = gstage_tables(maps, 0x8007_8000)
    assert len(root) == 1024 and len(leaves) == 3
    assert walk(root, leaves, 0x8000_1234) == (0x8003_1234, 0xDF)    # V R W X U A D
    assert walk(root, leaves, 0x8000_7FFC)[0] == 0x8003_7FFC
    assert walk(root, leaves, 0x8000_8000) is None                    # past its RAM
    assert walk(root, leaves, 0x1000_0008) == (0x1000_0008, 0xD7)    # no X on a device
    assert walk(root, leaves, 0x1000_1000) is None                    # the next UART
    assert walk(root, leaves, 0x2000_1FFF)[0] == 0x8006_1FFF
    assert walk(root, leaves, 0x0200_0000) is None
    assert [a for a, _ in leaves] == [0x8007_c000, 0x8007_d000, 0x8007_e000]


def test_a_whole_aligned_4m_window_becomes_a_superpage():
    root, leaves = gstage_tables([(0x8000_0000, 0x8040_0000, 0x40_0000, 7)], 0x8100_0000)
    assert leaves == []
    assert walk(root, leaves, 0x8012_3456) == (0x8052_3456, 0xDF)


def test_quad_builds_a_rom_and_slices(quad):
    assert len(quad.rom) == ROM_SIZE // 4
    assert quad.rom[0] != 0                               # code at the reset vector
    assert quad.rom_elf.exists()
    assert quad.params == {"harts": 4, "banks": 4, "uarts": 1, "ram_size": 512 << 10,
                           "clock_hz": 50_000_000, "pmp_entries": 1,
                           # each partition's hart at home in its bank (a board's arbiters)
                           "bank_harts": [[0], [1], [2], [3]]}
    for part in quad.partitions:
        data = quad.ram[part.slice_base]
        assert len(data) == part.slice_size and part.slice_base % part.slice_size == 0
        assert data.startswith(part.image[:64])
        # the VMM record sits in the partition's reserve, at the top of its RAM
        assert part.reserve == part.plan.ram_base + part.plan.ram_size - VMM_RESERVE
        assert part.reserve < part.vmm_addr < part.reserve + VMM_RESERVE
    assert ROM_BASE == 0x4000


def test_vmm_records_describe_each_partition(quad):
    import struct
    for part in quad.partitions:
        base = part.slice_base
        slice_bytes = quad.ram[base]
        magic = struct.pack("<I", VMM_MAGIC)
        at = slice_bytes.index(magic)
        words = struct.unpack(f"<{VMM.size // 4}I", slice_bytes[at:at + VMM.size])
        record = {name: words[VMM.offsets[name] // 4] for name, _, _ in VMM.fields}
        assert record["pid"] == part.plan.pid
        assert record["guest_base"] == part.plan.ram_base
        assert record["guest_size"] == part.plan.ram_size - VMM_RESERVE
        assert record["hgatp"] == (1 << 31) | (part.reserve >> 12)
        assert record["console"] == (2 if part.plan.role == "control" else 1)


def test_every_partition_reaches_its_own_ram_and_no_other(quad):
    plan = quad.plan
    grants = checker_grants(plan, quad.partitions, quad.params["banks"])
    for part in quad.partitions:
        me = 1 << part.plan.pid
        for target, entries in grants.items():
            for base, size, perm, mask in entries:
                assert base % size == 0, (target, hex(base), size)
                if mask & me and target.startswith("RAM"):
                    inside = [p for p in quad.partitions
                              if p.plan.ram_base <= base < p.plan.ram_base + p.plan.ram_size]
                    # another partition's RAM is never granted to this one
                    assert not inside or inside[0] is part, (target, hex(base))
    # every checker holds its grants (4 entries a bank; 9, 4 and 8 for 4 harts' CLINT,
    # PLIC and doorbells), and the fetch ports grant X only
    for target, entries in grants.items():
        assert len(entries) <= checker_entries(target, 4)
        if target.startswith("RAM"):
            assert len(entries) <= 4
        if target.endswith("FETCH"):
            assert all(perm == 4 for _, _, perm, _ in entries)


def test_grants_beyond_a_checkers_entries_are_refused_before_anything_runs(tmp_path,
                                                                           monkeypatch):
    # layouts cannot get there (banks and device checkers are sized to fit any); this is
    # the firmware builder's guard, with the SoC's checkers made smaller than the grants
    import zerovisor.system as system_module
    monkeypatch.setattr(system_module, "checker_entries", lambda target, harts: 1)
    with pytest.raises(LayoutError) as err:
        build_system(plan_layout(load_layout("examples/quad.toml")), tmp_path)
    assert ("the RAM0_DATA checker needs 3 entries but holds 1: 0x80000000+64K"
            in str(err.value))


def test_the_uart_belongs_to_the_control_partition_only(quad):
    grants = checker_grants(quad.plan, quad.partitions, quad.params["banks"])
    assert grants["UART0"] == [(0x1000_0000, 0x1000, 3, 1)]


LAYOUT = """
[soc]
harts = 2
ram = "{ram}"

[[partition]]
name = "a"
harts = [0]
ram = "64K"
devices = ["uart0"]
image = "{image}"

[[partition]]
name = "b"
harts = [1]
ram = "64K"
"""


def test_images_that_leave_no_room_for_their_slices_are_refused(tmp_path):
    plan = plan_layout(parse_layout(LAYOUT.format(ram="128K", image="guests/hello"),
                                    tmp_path / "tight.toml"))
    with pytest.raises(LayoutError) as err:
        build_system(plan, tmp_path / "out")
    assert "image slices need" in str(err.value) and "soc.ram is 128K" in str(err.value)


def test_a_guest_image_too_big_for_its_ram_with_its_device_tree(tmp_path):
    from zerovisor.firmware.build import build_program
    src = tmp_path / "big.c"
    src.write_text("static volatile char pad[28000] = {1};\n"
                   "int main(void) { return pad[0]; }\n")
    elf = build_program([src], tmp_path / "big", ram_size=512 << 10)
    plan = plan_layout(parse_layout(LAYOUT.format(ram="512K", image=elf),
                                    tmp_path / "big.toml"))
    with pytest.raises(LayoutError) as err:
        build_system(plan, tmp_path / "out")
    assert "partition 'a'" in str(err.value) and "do not fit its guest RAM" in str(err.value)


def test_boot_tables_lock_the_control_block_last(quad):
    text = (quad.rom_elf.parent / "zv_boot_tables.S").read_text()
    writes = text[text.index("zv_writes:"):text.index("zv_harts:")].splitlines()[1:-1]
    pairs = [tuple(int(x, 16) for x in line.split(".word")[1].split(",")) for line in writes]
    locks = [a for a, v in pairs if (a & 0x1FF) == 0 and 0x1100_0000 <= a < 0x1100_4000]
    assert locks[-1] == 0x1100_0000 + 0x200 * 13           # PARTCTL's slot with 4 banks
    # the other harts are woken before any lock
    msips = [i for i, (a, _) in enumerate(pairs) if 0x0200_0000 <= a < 0x0200_0020]
    first_lock = next(i for i, (a, v) in enumerate(pairs) if a in locks)
    assert msips and max(msips) < first_lock
    assert RAM_BASE <= min(p.slice_base for p in quad.partitions)


def test_sim_command_reports_a_bad_layout(tmp_path, zerovisor):
    bad = tmp_path / "bad.toml"
    bad.write_text("[soc]\nharts = 2\n[[partition]]\nname = \"a\"\nharts = [5]\nram = \"64K\"\n")
    run = zerovisor("sim", bad, "--max-cycles", "10")
    assert run.returncode == 2
    assert "hart 5 is beyond soc.harts = 2" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("args, message", [
    (["--trace-from", "10"], "needs a waveform file (--trace FILE)"),
    (["--trace", "w.vcd", "--trace-from", "10", "--trace-to", "5"], "ends (cycle 5) before"),
    (["--trace", "w.txt"], "must end in .vcd or .fst"),
])
def test_sim_command_refuses_a_bad_trace_request_before_building_anything(tmp_path,
                                                                          zerovisor, args,
                                                                          message):
    out = tmp_path / "system"
    run = zerovisor("sim", EXAMPLES / "quad.toml", "--out", out, *args)
    assert run.returncode == 1
    assert message in run.stderr and "Traceback" not in run.stderr
    assert not out.exists()          # no guest was built, no model compiled


def test_a_guest_linked_above_the_start_of_its_ram_is_copied_where_it_belongs(tmp_path):
    plan = plan_layout(load_layout(EXAMPLES / "portable.toml"))
    system = build_system(plan, tmp_path / "portable")
    part = system.partitions[1]
    assert part.entry == 0x8020_0000 and part.image_offset == 0x20_0000
    assert len(part.image) < 8192                        # not 2 MiB of leading zeros
    text = (system.rom_elf.parent / "zv_boot_tables.S").read_text()
    assert f"0x{part.plan.ram_base + 0x20_0000:08x}, 0x{part.slice_base:08x}" in text


def test_a_guest_partitions_device_interrupts_are_routed_to_its_guest_contexts(tmp_path):
    """smp.toml: the compute partition (harts 1 and 2) owns UART1 (source 11); the control
    partition (hart 0) polls UART0, so that source stays unrouted, and takes the checkers'
    violations (source 16)."""
    from zerovisor.system import plic_context_page, plic_writes
    system = build_system(plan_layout(load_layout(EXAMPLES / "smp.toml")), tmp_path / "s")
    plic = 0x0c00_0000
    assert plic_writes(system.plan) == [
        (plic + 4 * 11, 1),                                  # priority of source 11
        (plic + 4 * 16, 1),                                  # priority of source 16
        (plic + 0x2000 + 0x80 * 2, 1 << 16),                 # hart 0's guest context
        (plic + 0x2000 + 0x80 * 6, 1 << 11),                 # hart 1's guest context
        (plic + 0x2000 + 0x80 * 10, 1 << 11),                # hart 2's guest context
    ]
    grants = checker_grants(system.plan, system.partitions, system.params["banks"])
    compute = next(p for p in system.partitions if p.plan.name == "compute")
    control = next(p for p in system.partitions if p.plan.role == "control")
    assert grants["PLIC"] == [(plic_context_page(system.plan, 0), 0x1000, 3,
                               1 << control.plan.pid)] + [
        (plic_context_page(system.plan, h), 0x1000, 3, 1 << compute.plan.pid)
        for h in (1, 2)]
    # the guest sees vCPU i's page where QEMU virt puts hart i's S-mode context
    root, leaves = gstage_tables(compute.mappings, 0)
    for vcpu, hart in enumerate((1, 2)):
        gpa = plic + 0x20_0000 + 0x1000 * (2 * vcpu + 1)
        assert walk(root, leaves, gpa)[0] == plic_context_page(system.plan, hart)
    assert walk(root, leaves, plic) is None                  # priorities: not its own


def test_the_control_partition_takes_the_violation_interrupt(quad):
    """quad.toml: no guest owns a device; the checkers' violations (source 16) go to the
    control partition's guest context, which its G-stage shows where it is, within one
    superpage (no room for another leaf table in its reserve)."""
    from zerovisor.system import plic_context_page, plic_writes
    plic = 0x0c00_0000
    assert plic_writes(quad.plan) == [(plic + 4 * 16, 1), (plic + 0x2000 + 0x80 * 2, 1 << 16)]
    control = quad.partitions[0]
    page = plic_context_page(quad.plan, 0)
    grants = checker_grants(quad.plan, quad.partitions, quad.params["banks"])
    assert grants["PLIC"] == [(page, 0x1000, 3, 1 << control.plan.pid)]
    root, leaves = gstage_tables(control.mappings, 0)
    assert walk(root, leaves, page)[0] == page
    for guest in quad.partitions[1:]:
        root, leaves = gstage_tables(guest.mappings, 0)
        assert walk(root, leaves, page) is None



@pytest.mark.parametrize("layout, homes", [
    ("smp.toml", [[1, 2], [0]]),            # the two-hart partition's bank, the control's
    ("quad.toml", [[0], [1], [2], [3]]),
])
def test_a_partitions_harts_are_at_home_in_the_banks_its_memory_is_in(layout, homes):
    """soc_params' bank_harts: a board's RAM arbiters serve these harts without waiting on
    the others."""
    from zerovisor.generate import soc_params
    assert soc_params(plan_layout(load_layout(EXAMPLES / layout)))["bank_harts"] == homes


def test_a_partition_larger_than_a_bank_is_at_home_in_each_bank_it_spans(tmp_path):
    from zerovisor.generate import soc_params
    text = """
[soc]
harts = 3
ram = "512K"
[[partition]]
name = "big"
harts = [0]
ram = "256K"
[[partition]]
name = "small"
harts = [1]
ram = "64K"
[[partition]]
name = "other"
harts = [2]
ram = "64K"
"""
    params = soc_params(plan_layout(parse_layout(text, tmp_path / "big.toml")))
    bank = params["ram_size"] // params["banks"]
    assert bank < 256 << 10
    assert params["bank_harts"].count([0]) == (256 << 10) // bank
    assert [1] in params["bank_harts"] and [2] in params["bank_harts"]
