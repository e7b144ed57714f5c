"""A whole system from a layout: the boot ROM (boot firmware, VMM and the layout's tables)
and the RAM image the boot firmware copies from.

Everything the boot firmware does is decided here, in Python, and handed to it as three
lists: bytes to copy, words to write (every checker entry, then the locks) and, per hart,
its partition register and vCPU record. The firmware walks them; the policy lives in one
place, next to the layout it comes from, where it can be tested without a simulator.

Each partition gets an *image slice*: one aligned region of RAM holding its guest image,
device tree and VMM records as built, readable by that partition only. The boot firmware
copies from it, and a rebooting partition reloads its guest from it.
"""

import struct
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildError
from .firmware.abi import (
    CHAN_KIND,
    LEAF_BASE,
    MAX_CHANNELS,
    RING,
    RING_MAGIC,
    ROOT_SIZE,
    VCPU,
    VCPU_SIZE,
    VMM,
    VMM_MAGIC,
    abi_header,
)
from .firmware.build import CFLAGS, FIRMWARE_DIR, zig
from .generate import ON_FAULT, device_tree, soc_params
from .layout import (
    CHANNEL_GPA_BASE,
    CONSOLE_RING_SIZE,
    GUEST_RAM_BASE,
    VMM_RESERVE,
    LayoutError,
)
from .plan import allocate, spanned_banks
from .rtl.export import c_header
from .rtl.memmap import (
    CHECKER_SLOT,
    RAM_BASE,
    ROM_BASE,
    ROM_SIZE,
    checked_targets,
    checker_entries,
    memory_map,
)
from .units import format_size

__all__ = ["System", "build_system", "build_guest", "gstage_tables", "checker_grants"]

PAGE = 4096
CONTROL_RINGS_GPA = CHANNEL_GPA_BASE + 0x20_0000   # the control partition sees the rings here
R, W, X = 1, 2, 4
PTE_V, PTE_R, PTE_W, PTE_X, PTE_U, PTE_A, PTE_D = 1, 2, 4, 8, 16, 64, 128
LOCK_SLOT = "PARTCTL"
HEARTBEAT_HZ = 1000        # each VMM's heartbeat: its partition's vCPU 0 timer, 1 kHz


@dataclass
class Partition:
    """What the system builder knows of one partition."""
    plan: object                       # the PartitionPlan
    image: bytes = b""                 # the guest's bytes from image_offset
    image_offset: int = 0              # where they start in guest RAM
    image_mem: int = 0                 # bytes with bss
    entry: int = GUEST_RAM_BASE
    dtb: bytes = b""
    slice_base: int = 0
    slice_size: int = 0
    mappings: list = field(default_factory=list)   # (gpa, phys, size, perm)
    vmm_addr: int = 0                  # physical address of its zv_vmm record
    chans: list = field(default_factory=list)      # dicts for the VMM record

    @property
    def reserve(self):
        return self.plan.ram_base + self.plan.ram_size - VMM_RESERVE

    @property
    def fdt_gpa(self):
        return GUEST_RAM_BASE + self.plan.guest_ram_size - _align(len(self.dtb), PAGE)


@dataclass
class System:
    """A built system: ROM words, RAM contents and what the simulator needs to know."""
    plan: object
    params: dict                       # the SoC's parameters
    rom: list                          # words from ROM_BASE
    ram: dict                          # physical address -> bytes, the image slices
    partitions: list
    rom_elf: Path
    summary: str
    rom_used: int = 0                  # bytes of the ROM image, from ROM_BASE

    def ram_regions(self):
        """``(address, bytes)`` of every region the layout places in RAM: partitions,
        console rings, channels and image slices."""
        regions = [(p.plan.ram_base, p.plan.ram_size) for p in self.partitions]
        regions += [(p.plan.console_ring, CONSOLE_RING_SIZE) for p in self.partitions
                    if p.plan.console_ring is not None]
        regions += [(c.base, c.size) for c in self.plan.channels]
        regions += [(p.slice_base, p.slice_size) for p in self.partitions]
        return regions

    def ram_built(self):
        """Bytes of each RAM bank a board builds: up to the end of the highest region in
        it. Nothing else is ever reached (the partition checkers grant nothing more), so
        the rest of the bank is not built (it answers a bus error)."""
        banks = self.params["banks"]
        bank = self.params["ram_size"] // banks
        built = [0] * banks
        for base, size in self.ram_regions():
            offset = base - RAM_BASE
            for b in spanned_banks(offset, size, bank):
                built[b] = max(built[b], min(offset + size - b * bank, bank))
        return built

    def ram_words(self):
        """Every RAM word from ``0x8000_0000``, as a board preloads them."""
        words = [0] * (self.params["ram_size"] // 4)
        for base, data in self.ram.items():
            first = (base - RAM_BASE) // 4
            words[first:first + len(data) // 4] = struct.unpack(f"<{len(data) // 4}I", data)
        return words


def _align(n, a):
    return (n + a - 1) // a * a


def _pow2_at_least(n):
    size = PAGE
    while size < n:
        size *= 2
    return size


# ---- building the pieces ----------------------------------------------------------------

GUEST_LIB = FIRMWARE_DIR / "guests" / "lib"
GUEST_EXTRA = {"compute": ["kernels.c"]}     # library files a built-in guest also needs
# Where a built-in guest is linked, if not at the start of guest RAM: "portable" is built
# the way QEMU virt's firmware (OpenSBI) expects an S-mode payload, 2 MiB up.
GUEST_LINK = {"portable": 0x8020_0000}


def build_guest(name, out_dir, include_dirs=()):
    """Build the built-in guest ``firmware/guests/NAME.c`` into ``out_dir/NAME.elf``;
    ``include_dirs`` are searched first for its headers (the audit's generated target
    table)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    elf = out_dir / f"{name}.elf"
    script = out_dir / f"{name}.ld"
    script.write_text((GUEST_LIB / "guest.ld").read_text().replace(
        "ORIGIN = 0x80000000", f"ORIGIN = 0x{GUEST_LINK.get(name, GUEST_RAM_BASE):08x}"))
    zig("cc", *CFLAGS, *(f"-I{d}" for d in include_dirs), f"-I{GUEST_LIB}", "-T", script,
        GUEST_LIB / "crt0.S", GUEST_LIB / "sbi.c", FIRMWARE_DIR / "guests" / f"{name}.c",
        *(GUEST_LIB / extra for extra in GUEST_EXTRA.get(name, ())), "-o", elf)
    return elf


def _load_image(part, path):
    from .sim.elf import read_program
    program = read_program(path, ram_base=GUEST_RAM_BASE, ram_size=part.plan.guest_ram_size)
    start = min(addr for addr, _ in program.segments) & ~3
    end = max(addr + len(data) for addr, data in program.segments)
    image = bytearray(end - start)
    for addr, data in program.segments:
        image[addr - start:addr - start + len(data)] = data
    part.image_offset = start - GUEST_RAM_BASE
    part.image_mem = _align(len(image), 4)
    part.image = bytes(image).rstrip(b"\0")
    part.image += bytes(_align(len(part.image), 4) - len(part.image))
    part.entry = program.entry


def _dtb(plan, part):
    import fdt
    return fdt.parse_dts(device_tree(plan, part.plan)).to_dtb(version=17)


# ---- the G-stage tables ------------------------------------------------------------------

def gstage_tables(mappings, reserve):
    """Sv32x4 tables for ``mappings`` (``(gpa, phys, size, perm[, widen])``, page-aligned),
    with the root at ``reserve`` and leaf tables from ``reserve + LEAF_BASE``. An identity
    mapping marked ``widen`` may map its whole 4 MiB window as a superpage, when nothing
    else shares the window.

    Returns ``(root_words, leaves)``: the root's first 1024 entries (the rest stay zero)
    and a list of ``(address, words)``. A 4 MiB window mapped whole to an aligned 4 MiB of
    physical memory becomes one superpage; any other window gets a leaf table."""
    flags = {R: PTE_R, W: PTE_W, X: PTE_X}
    windows = {}
    whole = {}
    for gpa, phys, size, perm, *widen in mappings:
        if widen and widen[0] and gpa == phys:
            # a device window the partition may see whole (the checkers still decide)
            whole[gpa >> 22] = PTE_V | PTE_U | PTE_A | PTE_D | sum(
                f for p, f in flags.items() if perm & p) | ((gpa >> 22) << 20)
            continue
        pte_flags = PTE_V | PTE_U | PTE_A | PTE_D | sum(f for p, f in flags.items() if perm & p)
        for off in range(0, size, PAGE):
            g = gpa + off
            windows.setdefault(g >> 22, {})[(g >> 12) & 0x3FF] = ((phys + off) >> 12 << 10) \
                | pte_flags
    root = [0] * 1024
    for window, pte in whole.items():
        if window not in windows:
            root[window] = pte
    leaves = []
    for window, pages in sorted(windows.items()):
        first = pages.get(0)
        if (len(pages) == 1024 and first is not None and (first >> 10) % 1024 == 0
                and all(pages[i] == first + (i << 10) for i in range(1024))):
            root[window] = first                       # a superpage
            continue
        address = reserve + LEAF_BASE + PAGE * len(leaves)
        words = [pages.get(i, 0) for i in range(1024)]
        leaves.append((address, words))
        root[window] = (address >> 12 << 10) | PTE_V
    return root, leaves


# ---- the checkers -----------------------------------------------------------------------

def checker_grants(plan, parts, banks):
    """Every checker's entries: ``{target: [(base, size, perm, pid mask)]}``."""
    grants = {t: [] for t in checked_targets(banks, plan.soc.uarts)}
    bank_size = plan.soc.ram // banks
    control = next((p.plan.pid for p in parts if p.plan.role == "control"), None)
    everyone = sum(1 << p.plan.pid for p in parts)

    def ram_grant(base, size, perm, mask, port="DATA"):
        first = (base - RAM_BASE) // bank_size
        last = (base + size - 1 - RAM_BASE) // bank_size
        for b in range(first, last + 1):
            name = f"RAM{b}_{port}" if banks > 1 else f"RAM_{port}"
            grants[name].append((base, size, perm, mask))

    for p in parts:
        me = 1 << p.plan.pid
        ram_grant(p.plan.ram_base, p.plan.ram_size, R | W, me)
        ram_grant(p.plan.ram_base, p.plan.ram_size, X, me, "FETCH")
        ram_grant(p.slice_base, p.slice_size, R, me)
        if p.plan.console_ring is not None:
            ram_grant(p.plan.console_ring, CONSOLE_RING_SIZE, R | W,
                      me | (1 << control))
        for dev in p.plan.devices:
            grants[dev.upper()].append((_device_base(plan, dev), 0x1000, R | W, me))
        for hart in p.plan.harts:
            grants["CLINT"].append((_region(plan, "CLINT").base + 4 * hart, 4, R | W, me))
        if _routed(plan, p.plan):
            for hart in p.plan.harts:
                grants["PLIC"].append((plic_context_page(plan, hart), PAGE, R | W, me))
        grants["DOORBELL"].append((_doorbell(plan, "ACK", p.plan.pid), PAGE, R | W, me))
    for c in plan.channels:
        a, b = (next(p.plan.pid for p in parts if p.plan.name == end) for end in c.ends)
        ram_grant(c.base, c.size, R | W, (1 << a) | (1 << b))
    # Who may ring whom: a partition's channel peers, and every shared-console guest the
    # control partition.
    ringers = {}
    for c in plan.channels:
        a, b = (next(p.plan.pid for p in parts if p.plan.name == end) for end in c.ends)
        ringers[a] = ringers.get(a, 0) | (1 << b)
        ringers[b] = ringers.get(b, 0) | (1 << a)
    for p in parts:
        if p.plan.console_ring is not None:
            ringers[control] = ringers.get(control, 0) | (1 << p.plan.pid)
    for pid, mask in sorted(ringers.items()):
        grants["DOORBELL"].append((_doorbell(plan, "RING", pid), PAGE, W, mask))
    partctl = _region(plan, "PARTCTL").base
    lock_slot = checked_targets(banks, plan.soc.uarts).index(LOCK_SLOT)
    grants[LOCK_SLOT].append((partctl + CHECKER_SLOT * lock_slot, 4, R, everyone))
    if control is not None:
        grants[LOCK_SLOT].append((partctl, _region(plan, "PARTCTL").size, R | W,
                                  1 << control))
        grants["FINISHER"].append((_region(plan, "FINISHER").base, PAGE, R | W,
                                   1 << control))
    elif len(parts) == 1:
        grants["FINISHER"].append((_region(plan, "FINISHER").base, PAGE, R | W, everyone))
    return grants


def _regions(plan):
    return {r.name: r for r in memory_map(ram_size=plan.soc.ram, uarts=plan.soc.uarts)}


def _region(plan, name):
    return _regions(plan)[name]


def _device_base(plan, dev):
    return _region(plan, dev.upper()).base


def _doorbell(plan, kind, pid):
    from .rtl.periph.doorbell import DOORBELL_REGS
    return _region(plan, "DOORBELL").base + DOORBELL_REGS.offset(kind) + 0x1000 * pid


# ---- the PLIC -----------------------------------------------------------------------------

def plic_routes(plan):
    """``{source: [contexts]}``: each device a guest partition owns interrupts the guest
    context of every hart of that partition (so its guest, with no VMM on the path), and
    the checkers' violations interrupt the control partition's guest (its health
    monitor)."""
    from .rtl.memmap import IRQS
    from .rtl.periph.plic import context
    routes = {}
    for p in plan.partitions:
        if p.role == "control":
            routes[IRQS["VIOLATION"]] = [context(h, "guest") for h in p.harts]
        elif _routed(plan, p):
            for dev in p.devices:
                if dev.upper() in IRQS:
                    routes[IRQS[dev.upper()]] = [context(h, "guest") for h in p.harts]
    return routes


def _routed(plan, p):
    """Whether partition ``p``'s guest takes interrupts from the PLIC (and so sees its
    context pages): the control partition (violations), and a guest partition owning a
    device with an interrupt. The control partition polls its own UART."""
    from .rtl.memmap import IRQS
    return p.role == "control" or any(dev.upper() in IRQS for dev in p.devices)


def plic_writes(plan):
    """The boot firmware's PLIC writes: priority 1 for every routed source, and each
    context's enables. Nothing else may write these registers after the lock (no
    partition is granted the priority or enable pages)."""
    from .rtl.periph.plic import PLIC_REGS
    base = _region(plan, "PLIC").base
    writes, enables = [], {}
    for source, contexts in sorted(plic_routes(plan).items()):
        writes.append((base + PLIC_REGS.offset("PRIORITY") + 4 * source, 1))
        for c in contexts:
            enables[c] = enables.get(c, 0) | 1 << source
    writes += [(base + PLIC_REGS.offset("ENABLE") + 0x80 * c, mask)
               for c, mask in sorted(enables.items())]
    return writes


def plic_context_page(plan, hart):
    """Physical page of ``hart``'s guest context: its threshold and claim/complete."""
    from .rtl.periph.plic import PLIC_REGS, context
    return _region(plan, "PLIC").base + PLIC_REGS.offset("THRESHOLD") + \
        0x1000 * context(hart, "guest")


def guest_plic_page(plan, vcpu):
    """Where a guest finds vCPU ``vcpu``'s context page: QEMU ``virt``'s numbering, the
    S-mode context of hart ``vcpu`` (context ``2 vcpu + 1``)."""
    from .rtl.periph.plic import PLIC_REGS
    return _region(plan, "PLIC").base + PLIC_REGS.offset("THRESHOLD") + \
        0x1000 * (2 * vcpu + 1)


def _checker_writes(plan, grants, banks):
    """The boot firmware's write list: every entry, the other harts' wake-up (msip), then
    every lock (the control block's own last: the other harts wait for it)."""
    from .rtl.partition.checker import ENTRY_BASE, ENTRY_STRIDE
    partctl = _region(plan, "PARTCTL").base
    targets = checked_targets(banks, plan.soc.uarts)
    writes, problems = [], []
    for t, target in enumerate(targets):
        entries = grants[target]
        if len(entries) > checker_entries(target, plan.soc.harts):
            problems.append(f"the {target} checker needs {len(entries)} entries but holds "
                            f"{checker_entries(target, plan.soc.harts)}: " + ", ".join(
                                f"0x{b:08x}+{format_size(s)}" for b, s, _, _ in entries))
        slot = partctl + CHECKER_SLOT * t
        for n, (base, size, perm, mask) in enumerate(entries):
            at = slot + ENTRY_BASE + ENTRY_STRIDE * n
            writes += [(at, base), (at + 4, (~(size - 1)) & 0xFFFF_FFFF),
                       (at + 8, perm | (mask << 8))]
    if problems:
        raise LayoutError([f"{plan.source or 'layout'}: {p}" for p in problems])
    writes += plic_writes(plan)
    clint = _region(plan, "CLINT").base
    writes += [(clint + 4 * h, 1) for p in plan.partitions for h in p.harts if h != 0]
    lock_last = sorted(range(len(targets)), key=lambda t: targets[t] == LOCK_SLOT)
    writes += [(partctl + CHECKER_SLOT * t, 1) for t in lock_last]
    return writes


# ---- the system --------------------------------------------------------------------------

def _partition_name(name):
    raw = name.encode()[:16]
    return list(struct.unpack("<4I", raw + bytes(16 - len(raw))))


def build_system(plan, out_dir, progress=None, *, attack=None):
    """Build everything a layout needs into ``out_dir``; returns a :class:`System`.

    ``attack`` is for the isolation audit only (:mod:`zerovisor.audit`): a folder holding
    the attack guest's target table; the VMM is then the deliberately buggy build.

    Raises :class:`LayoutError` when the built images do not fit or a checker runs out of
    entries, and :class:`BuildError` when a program does not compile."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda text: None)
    parts = [Partition(plan=p) for p in plan.partitions]
    built = {}
    for part in parts:
        image = part.plan.image
        if image.startswith("guests/"):
            name = image.removeprefix("guests/")
            if name not in built:
                say(f"building guest {name}")
                built[name] = build_guest(name, out_dir / "guests",
                                          () if attack is None else (attack,))
            path = built[name]
        else:
            path = Path(image)
        _load_image(part, path)
        part.dtb = _dtb(plan, part)
        if (part.image_offset + part.image_mem
                > part.plan.guest_ram_size - _align(len(part.dtb), PAGE)):
            raise LayoutError([(f"{plan.source or 'layout'}: partition {part.plan.name!r}: "
                                f"its image ({part.image_mem} bytes with bss) and device "
                                f"tree ({len(part.dtb)} bytes, at the top of guest RAM) do "
                                f"not fit its guest RAM ({part.plan.guest_ram_size} bytes): "
                                f"raise its ram")])

    # Place the image slices with everything else; the rings and channels may move.
    _map_partitions(plan, parts)
    for part in parts:
        part.slice_size = _pow2_at_least(_slice_layout(part)[1])
    alloc = allocate(plan.layout, [p.slice_size for p in parts])
    if alloc.used > plan.soc.ram:
        raise LayoutError([(f"{plan.source or 'layout'}: partitions, console rings, channels "
                           f"and image slices need {format_size(alloc.used)} but soc.ram is "
                           f"{format_size(plan.soc.ram)}: raise soc.ram")])
    for i, part in enumerate(parts):
        part.slice_base = alloc.slices[i]
        if part.plan.console_ring is not None:
            part.plan.console_ring = alloc.rings[i]
        assert part.plan.ram_base == alloc.partitions[i]
    for chan in plan.channels:
        chan.base = alloc.channels[chan.index]
    _map_partitions(plan, parts)
    params = soc_params(plan)
    banks = params["banks"]
    grants = checker_grants(plan, parts, banks)
    writes = _checker_writes(plan, grants, banks)

    ram, copies, harts = {}, [], [(0, 0)] * plan.soc.harts
    for part in parts:
        _build_partition(plan, part, ram, copies, harts, banks)
    summary = _summary(plan, parts)
    rom_elf = _build_rom(plan, out_dir, summary, copies, writes, harts, banks,
                         defines=() if attack is None else ("ZV_ATTACK",))
    from .sim.elf import read_program
    rom_prog = read_program(rom_elf, ram_base=ROM_BASE, ram_size=ROM_SIZE)
    rom = bytearray(ROM_SIZE)
    for addr, data in rom_prog.segments:
        rom[addr - ROM_BASE:addr - ROM_BASE + len(data)] = data
    words = list(struct.unpack(f"<{ROM_SIZE // 4}I", bytes(rom)))
    rom_used = max(addr + len(data) for addr, data in rom_prog.segments) - ROM_BASE
    return System(plan=plan, params=params, rom=words, ram=ram, partitions=parts,
                  rom_elf=rom_elf, summary=summary, rom_used=rom_used)


def _map_partitions(plan, parts):
    """Each partition's guest-physical map and channel list."""
    index = {p.plan.name: p for p in parts}
    chans = {c.index: c for c in plan.channels}
    control = next((p for p in parts if p.plan.role == "control"), None)
    for part in parts:
        p = part.plan
        part.chans = []
        part.mappings = [(GUEST_RAM_BASE, p.ram_base, p.guest_ram_size, R | W | X)]
        for dev in p.devices:
            base = _device_base(plan, dev)
            part.mappings.append((base, base, PAGE, R | W))
        if _routed(plan, p) and p.role == "control":
            # its own guest: the context pages where they are, in one superpage (its
            # reserve has no room for one more leaf table); the checker grants the pages
            for hart in p.harts:
                page = plic_context_page(plan, hart)
                part.mappings.append((page, page, PAGE, R | W, True))
        elif _routed(plan, p):
            for vcpu, hart in enumerate(p.harts):
                part.mappings.append((guest_plic_page(plan, vcpu),
                                      plic_context_page(plan, hart), PAGE, R | W))
        for c, gpa in p.channels:
            chan = chans[c]
            peer = index[chan.ends[1] if chan.ends[0] == p.name else chan.ends[0]]
            part.mappings.append((gpa, chan.base, chan.size, R | W))
            part.chans.append({"gpa": gpa, "size": chan.size, "kind": CHAN_KIND["channel"],
                               "peer": peer.plan.pid,
                               "bell": _doorbell(plan, "RING", peer.plan.pid)})
    if control is not None:
        # the control partition also sees the finisher (to halt the system) and the
        # partition control block (the checkers' violation logs)
        for name in ("FINISHER", "PARTCTL"):
            region = _region(plan, name)
            control.mappings.append((region.base, region.base, region.size, R | W, True))
        gpa = CONTROL_RINGS_GPA
        for part in parts:
            if part.plan.console_ring is None:
                continue
            control.mappings.append((gpa, part.plan.console_ring, CONSOLE_RING_SIZE, R | W))
            control.chans.append({"gpa": gpa, "size": CONSOLE_RING_SIZE,
                                  "kind": CHAN_KIND["ring"], "peer": part.plan.pid,
                                  "bell": _doorbell(plan, "RING", part.plan.pid)})
            gpa += CONSOLE_RING_SIZE
    for part in parts:
        if len(part.chans) > MAX_CHANNELS:
            raise LayoutError([(f"{plan.source or 'layout'}: partition {part.plan.name!r} "
                               f"has {len(part.chans)} channels and console rings; the VMM "
                               f"serves at most {MAX_CHANNELS}")])


def _slice_layout(part):
    """Offsets in the slice: image, device tree, ring header, VMM and vCPU records, root,
    leaf tables. Returns (offsets, size)."""
    nharts = len(part.plan.harts)
    offsets = {}
    at = 0
    for name, size in (("image", len(part.image)), ("dtb", _align(len(part.dtb), 4)),
                       ("ring", RING.size), ("vmm", VMM.size),
                       ("vcpus", VCPU.size * nharts), ("root", PAGE),
                       ("leaves", PAGE * len(gstage_tables(part.mappings, 0)[1]))):
        at = _align(at, PAGE if name in ("root", "leaves") else 4)
        offsets[name] = at
        at += size
    return offsets, at


def _build_partition(plan, part, ram, copies, harts, banks):
    p = part.plan
    reserve = part.reserve
    root, leaves = gstage_tables(part.mappings, reserve)
    vmm_at = part.vmm_addr = reserve + LEAF_BASE + PAGE * len(leaves)
    vcpu_at = _align(vmm_at + VMM.size, 16)
    end = vcpu_at + VCPU_SIZE * len(p.harts)
    if end > reserve + VMM_RESERVE:
        raise LayoutError([(f"{plan.source or 'layout'}: partition {p.name!r}: its "
                           f"{len(leaves)} G-stage tables and {len(p.harts)} vCPUs need "
                           f"{end - reserve} bytes of the {VMM_RESERVE}-byte VMM reserve")])
    vcpus = [vcpu_at + VCPU_SIZE * i for i in range(len(p.harts))]
    clint = _region(plan, "CLINT").base
    console_kind = {"none": 0, "shared": 1}.get(p.console, 2)
    if console_kind == 2:
        console_addr = _device_base(plan, p.console)
    elif console_kind == 1:
        console_addr = p.console_ring
    else:
        console_addr = 0
    control = next((q for q in plan.partitions if q.role == "control"), None)
    offsets, _ = _slice_layout(part)
    base = part.slice_base
    vmm = VMM.pack({
        "magic": VMM_MAGIC, "pid": p.pid, "nharts": len(p.harts), "vcpu": vcpus,
        "name": _partition_name(p.name), "guest_base": p.ram_base,
        "guest_size": p.guest_ram_size, "entry": part.entry, "fdt": part.fdt_gpa,
        "hgatp": (1 << 31) | (reserve >> 12), "console": console_kind,
        "console_addr": console_addr,
        "control_bell": _doorbell(plan, "RING", control.pid) if control and console_kind == 1
        else 0,
        "own_bell": _doorbell(plan, "ACK", p.pid),
        "image_src": base + offsets["image"], "image_size": len(part.image),
        "image_offset": part.image_offset,
        "image_mem": part.image_mem, "dtb_src": base + offsets["dtb"],
        "dtb_size": _align(len(part.dtb), 4), "nchan": len(part.chans),
        "chan_gpa": [c["gpa"] for c in part.chans],
        "chan_size": [c["size"] for c in part.chans],
        "chan_bell": [c["bell"] for c in part.chans],
        "chan_kind": [c["kind"] for c in part.chans],
        "chan_peer": [c["peer"] for c in part.chans],
        "channel": p.console_ring or 0,
        "tick": plan.soc.clock // HEARTBEAT_HZ,
        "watchdog": -(-p.watchdog * HEARTBEAT_HZ // 1_000_000),
        "slots": len(checked_targets(banks, plan.soc.uarts)),
    })
    vcpu_words = []
    for i, hart in enumerate(p.harts):
        plic = 0
        if _routed(plan, p):
            plic = plic_context_page(plan, hart) if p.role == "control" \
                else guest_plic_page(plan, i)
        vcpu_words += VCPU.pack({"vmm": vmm_at, "index": i, "hart": hart,
                                 "stack": vcpus[i] + VCPU_SIZE, "msip": clint + 4 * hart,
                                 "hsm": 1, "plic": plic})
        harts[hart] = (p.pid, vcpus[i])

    def words(ws):
        return struct.pack(f"<{len(ws)}I", *ws)

    ring = words(RING.pack({"magic": RING_MAGIC, "name": _partition_name(p.name),
                            "pid": p.pid, "on_fault": ON_FAULT[p.on_fault],
                            "restart_limit": p.restart_limit,
                            "harts": sum(1 << h for h in p.harts),
                            "ms": plan.soc.clock // 1000}))
    dtb = part.dtb + bytes(_align(len(part.dtb), 4) - len(part.dtb))
    pieces = {"image": part.image, "dtb": dtb, "ring": ring, "vmm": words(vmm),
              "vcpus": words(vcpu_words), "root": words(root)}
    slice_bytes = bytearray(part.slice_size)
    for name, data in pieces.items():
        slice_bytes[offsets[name]:offsets[name] + len(data)] = data
    for n, (_, leaf) in enumerate(leaves):
        at = offsets["leaves"] + PAGE * n
        slice_bytes[at:at + PAGE] = words(leaf)
    ram[base] = bytes(slice_bytes)

    src = {name: base + off for name, off in offsets.items()}
    plan_copies = [(reserve + PAGE, 0, ROOT_SIZE - PAGE),          # the root's tail: zero
                   (reserve, src["root"], PAGE)]
    plan_copies += [(address, src["leaves"] + PAGE * n, PAGE)
                    for n, (address, _) in enumerate(leaves)]
    plan_copies.append((vmm_at, src["vmm"], VMM.size))
    plan_copies += [(vcpus[i], src["vcpus"] + VCPU.size * i, VCPU.size)
                    for i in range(len(p.harts))]
    image_at = p.ram_base + part.image_offset
    plan_copies.append((image_at, src["image"], len(part.image)))
    plan_copies.append((image_at + len(part.image), 0, part.image_mem - len(part.image)))
    plan_copies.append((p.ram_base + part.fdt_gpa - GUEST_RAM_BASE, src["dtb"], len(dtb)))
    if p.console_ring is not None:
        plan_copies += [(p.console_ring, 0, CONSOLE_RING_SIZE),
                        (p.console_ring, src["ring"], RING.size)]
    copies += [c for c in plan_copies if c[2] > 0]


def _summary(plan, parts):
    lines = [(f"zerovisor: {len(parts)} partition(s) on {plan.soc.harts} hart(s), "
             f"{format_size(plan.soc.ram)} RAM")]
    for part in parts:
        p = part.plan
        lines.append(
            f"zerovisor: [{p.pid}] {p.name} ({p.role}) harts {','.join(map(str, p.harts))}"
            f" RAM 0x{p.ram_base:08x}+{format_size(p.ram_size)}"
            f" devices {','.join(p.devices) or '-'} console {p.console}"
            f" image {Path(p.image).name}")
    if plan.parked_harts:
        lines.append(f"zerovisor: harts {','.join(map(str, plan.parked_harts))} parked")
    lines.append("zerovisor: checkers locked, starting partitions")
    return "\n".join(lines) + "\n"


def _asm_string(text):
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\{ord(c):03o}"
                         for c in text) + '"'


def _build_rom(plan, out_dir, summary, copies, writes, harts, banks, defines=()):
    gen = out_dir / "rom"
    gen.mkdir(exist_ok=True)
    (gen / "zerovisor_soc.h").write_text(c_header(ram_size=plan.soc.ram, banks=banks,
                                                  uarts=plan.soc.uarts))
    (gen / "zv_abi.h").write_text(abi_header())
    lines = ["/* Generated by zerovisor from the layout: do not edit. */",
             "    .section .rodata.tables", "    .balign 4", "zv_copies:"]
    lines += [f"    .word 0x{d:08x}, 0x{s:08x}, 0x{n:x}" for d, s, n in copies]
    lines += ["    .word 0, 0, 0", "zv_writes:"]
    lines += [f"    .word 0x{a:08x}, 0x{v:08x}" for a, v in writes]
    lines += ["    .word 0, 0", "zv_harts:"]
    lines += [f"    .word 0x{pid:x}, 0x{vcpu:08x}" for pid, vcpu in harts]
    lines += ["zv_summary:", f"    .asciz {_asm_string(summary)}", ""]
    (gen / "zv_boot_tables.S").write_text("\n".join(lines))
    (gen / "rom.ld").write_text(f"""/* Generated by zerovisor: the boot ROM. */
OUTPUT_ARCH(riscv)
ENTRY(_start)
MEMORY {{ ROM (rx) : ORIGIN = 0x{ROM_BASE:08x}, LENGTH = 0x{ROM_SIZE:x} }}
SECTIONS {{
  .text : {{ KEEP(*(.text.init)) *(.text .text.*) }} > ROM
  .rodata : {{ *(.rodata .rodata.* .srodata .srodata.*) }} > ROM
  .data : {{ *(.data .data.* .sdata .sdata.* .bss .bss.* .sbss .sbss.* COMMON) }} > ROM
  ASSERT(SIZEOF(.data) == 0, "the boot ROM cannot hold writable data")
  /DISCARD/ : {{ *(.comment) *(.riscv.attributes) }}
}}
""")
    elf = gen / "rom.elf"
    flags = [f for f in CFLAGS if f != "-O2"] + ["-Os", "-mcmodel=medlow",
                                                "-fno-asynchronous-unwind-tables"]
    try:
        zig("cc", *flags, *(f"-D{d}" for d in defines), f"-I{gen}", "-T", gen / "rom.ld",
            FIRMWARE_DIR / "boot" / "boot.S", FIRMWARE_DIR / "vmm" / "entry.S",
            FIRMWARE_DIR / "vmm" / "vmm.c", "-o", elf)
    except BuildError as exc:
        if "will not fit" in str(exc) or "overflowed" in str(exc):
            raise LayoutError([(f"{plan.source or 'layout'}: the boot ROM's tables do not fit "
                               f"its {ROM_SIZE // 1024}K: {exc}")]) from None
        raise
    return elf
