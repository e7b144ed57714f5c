"""The data the boot firmware and the VMM read, described once.

Python fills these structures from a layout; :func:`abi_header` writes the matching C
declarations. Every field is a 32-bit word, so the C layout is the Python order.

Each partition's VMM reserve (the top ``VMM_RESERVE`` bytes of its RAM, out of the guest's
reach) holds, from its base:

- ``+0x0000`` the G-stage root table: Sv32x4's root is 16 KiB and 16 KiB-aligned; only its
  first 4 KiB (guest-physical addresses below 4 GiB) is ever non-zero. The other 12 KiB must
  stay zero, or a guest whose own page tables make 34-bit guest-physical addresses could
  reach through them.
- ``+0x4000`` the G-stage leaf tables, 4 KiB each;
- then the :data:`VMM` record, then one :data:`VCPU` record and stack per hart.
"""

__all__ = ["Struct", "VMM", "VCPU", "RING", "abi_header", "SBI_IMPL_ID", "ZV_EXT",
           "ROOT_SIZE", "LEAF_BASE", "VCPU_SIZE", "MAX_CHANNELS", "RING_MAGIC", "VMM_MAGIC",
           "RING_DATA", "STATE", "CHAN_KIND", "CMD", "CAUSE_HANG"]

ROOT_SIZE = 0x4000
LEAF_BASE = 0x4000
VCPU_SIZE = 0x400          # record + stack, per hart
MAX_CHANNELS = 8
VMM_MAGIC = 0x4D4D565A     # "ZVMM"
RING_MAGIC = 0x52435A56    # "VZCR"
RING_DATA = 256            # bytes of header before a console ring's data
SBI_IMPL_ID = 0x5A56       # "ZV": not in the SBI registry of implementation IDs
ZV_EXT = 0x0A000000 | SBI_IMPL_ID   # firmware-specific extension space, our ID
STATE = {"running": 1, "stopped": 2, "faulted": 3, "restarting": 4}
CMD = {"stop": 1, "restart": 2}
CAUSE_HANG = 0x100         # stop_cause of a guest the watchdog found hung
CHAN_KIND = {"channel": 0, "ring": 1}


class Struct:
    """A C structure of 32-bit words; ``fields`` are ``(name, count, doc)``."""

    def __init__(self, name, doc, fields):
        self.name = name
        self.doc = doc
        self.fields = fields
        self.offsets = {}
        offset = 0
        for fname, count, _ in fields:
            self.offsets[fname] = offset
            offset += 4 * count
        self.size = offset

    def pack(self, values):
        """Words of the structure: ``values`` maps field names to ints or lists; missing
        fields are zero."""
        words = []
        for fname, count, _ in self.fields:
            value = values.get(fname, 0)
            items = list(value) if isinstance(value, (list, tuple)) else [value]
            if len(items) > count:
                raise ValueError(f"{self.name}.{fname}: {len(items)} values for {count}")
            words += [v & 0xFFFF_FFFF for v in items] + [0] * (count - len(items))
        return words

    def c(self):
        lines = [f"/* {self.doc} */", f"struct {self.name} {{"]
        for fname, count, doc in self.fields:
            arr = f"[{count}]" if count > 1 else ""
            lines.append(f"    volatile uint32_t {fname}{arr};  /* {doc} */")
        lines.append("};")
        lines.append(f"_Static_assert(sizeof(struct {self.name}) == {self.size}, "
                     f"\"{self.name} as Python packs it\");")
        return "\n".join(lines)


VMM = Struct("zv_vmm", "One partition, as its VMM sees it (in the VMM reserve)", [
    ("magic", 1, "VMM_MAGIC"),
    ("pid", 1, "partition ID"),
    ("nharts", 1, "harts (vCPUs) of the partition"),
    ("vcpu", 8, "physical address of each vCPU record, in vCPU order"),
    ("name", 4, "the partition's name, NUL-padded"),
    ("guest_base", 1, "physical address of guest-physical 0x80000000"),
    ("guest_size", 1, "bytes of guest RAM"),
    ("entry", 1, "guest entry point (guest-physical)"),
    ("fdt", 1, "guest-physical address of its device tree"),
    ("hgatp", 1, "the G-stage root, as hgatp holds it"),
    ("console", 1, "0 none, 1 shared (ring), 2 a UART of its own"),
    ("console_addr", 1, "the UART's base, or the ring's physical address"),
    ("control_bell", 1, "physical address of the control partition's ring page, or 0"),
    ("own_bell", 1, "physical address of its own doorbell's ack page"),
    ("image_src", 1, "pristine image (physical) for a reboot"),
    ("image_offset", 1, "where the image starts in guest RAM"),
    ("image_size", 1, "bytes of the image file"),
    ("image_mem", 1, "bytes the image occupies with its bss"),
    ("dtb_src", 1, "pristine device tree (physical)"),
    ("dtb_size", 1, "bytes of device tree"),
    ("nchan", 1, "channels (console rings included, for the control partition)"),
    ("chan_gpa", MAX_CHANNELS, "guest-physical address of each channel"),
    ("chan_size", MAX_CHANNELS, "bytes of each channel"),
    ("chan_bell", MAX_CHANNELS, "physical address of the peer's ring page"),
    ("chan_kind", MAX_CHANNELS, "0 a channel, 1 a console ring"),
    ("chan_peer", MAX_CHANNELS, "the partition ID at the other end"),
    # run-time state, zero at boot
    ("state", 1, "STATE_*"),
    ("boots", 1, "times the guest was started"),
    ("stop_cause", 1, "scause that stopped it"),
    ("stop_epc", 1, "sepc of that trap"),
    ("stop_tval", 1, "stval of that trap"),
    ("drops", 1, "console bytes dropped because the ring was full"),
    ("channel", 1, "physical address of its channel to the control partition, or 0"),
    ("tick", 1, "timebase ticks between heartbeats"),
    ("watchdog", 1, "heartbeats with interrupts off and no SBI call make a hang; 0: off"),
    ("slots", 1, "checkers in the partition control block"),
    ("quiet", 1, "heartbeats since the guest last had interrupts on or called"),
    ("lock", 1, "serialises this partition's harts in the VMM"),
    ("mid_line", 1, "a UART console is in the middle of a line"),
])

VCPU = Struct("zv_vcpu", "One hart of a partition (in the VMM reserve)", [
    ("regs", 32, "guest x0-x31 while the VMM runs"),
    ("vmm", 1, "physical address of its partition's zv_vmm"),
    ("index", 1, "vCPU number, the guest's hart ID"),
    ("hart", 1, "physical hart ID"),
    ("stack", 1, "top of its VMM stack"),
    ("msip", 1, "address of its CLINT msip word"),
    ("m_save", 4, "the M-mode shim's scratch"),
    ("plic", 1, "guest-physical address of its PLIC context page (threshold, claim), or 0"),
    # run-time state
    ("hsm", 1, "SBI HSM state"),
    ("start_addr", 1, "HSM start address"),
    ("opaque", 1, "HSM start argument"),
    ("pending", 1, "requests from other harts: PEND_*"),
    ("fresh", 1, "regs hold a new context: restore the callee-saved registers too"),
])

RING = Struct("zv_ring", "A guest partition's channel to the control partition: its status "
              "and commands, its console input, then its console output ring", [
    ("magic", 1, "RING_MAGIC"),
    ("head", 1, "console bytes ever written (by the partition's VMM)"),
    ("tail", 1, "console bytes ever read (by the control partition)"),
    ("drops", 1, "console bytes dropped because the ring was full"),
    ("name", 4, "the partition's name"),
    ("pid", 1, "the partition's ID"),
    ("state", 1, "STATE_* (VMM)"),
    ("boots", 1, "times its guest was started (VMM)"),
    ("heartbeat", 1, "VMM timer ticks (VMM)"),
    ("stop_cause", 1, "scause of the fault that stopped it (VMM)"),
    ("stop_epc", 1, "sepc of that trap (VMM)"),
    ("stop_tval", 1, "stval of that trap (VMM)"),
    ("on_fault", 1, "its policy: 0 stop, 1 restart, 2 halt the system"),
    ("restart_limit", 1, "restarts before it stays stopped"),
    ("cmd", 1, "CMD_* (control partition)"),
    ("cmd_seq", 1, "bumped with each command (control partition)"),
    ("cmd_ack", 1, "cmd_seq of the last command carried out (VMM)"),
    ("in_head", 1, "console input bytes ever written (control partition)"),
    ("in_tail", 1, "console input bytes ever read (VMM)"),
    ("stop_hart", 1, "vCPU that stopped it (VMM)"),
    ("harts", 1, "bit h: physical hart h is one of its vCPUs"),
    ("ms", 1, "timebase ticks per millisecond"),
    ("started", 1, "time (low word) when its guest last started (VMM)"),
    ("pad", 22, "reserved"),
    ("in_data", 16, "console input, 64 bytes"),
])
assert RING.size == RING_DATA


def abi_header():
    lines = [
        "/* Generated by zerovisor (firmware/abi.py): do not edit. */",
        "#ifndef ZV_ABI_H",
        "#define ZV_ABI_H",
        "#define ZV_ROOT_SIZE 0x%x" % ROOT_SIZE,
        "#define ZV_VCPU_SIZE 0x%x" % VCPU_SIZE,
        "#define ZV_MAX_CHANNELS %d" % MAX_CHANNELS,
        "#define ZV_VMM_MAGIC 0x%08xu" % VMM_MAGIC,
        "#define ZV_RING_MAGIC 0x%08xu" % RING_MAGIC,
        "#define ZV_RING_DATA %d" % RING_DATA,
        "#define ZV_SBI_IMPL_ID 0x%x" % SBI_IMPL_ID,
        "#define ZV_EXT 0x%08x" % ZV_EXT,
        *("#define ZV_STATE_%s %d" % (k.upper(), v) for k, v in STATE.items()),
        *("#define ZV_CHAN_%s %d" % (k.upper(), v) for k, v in CHAN_KIND.items()),
        *("#define ZV_CMD_%s %d" % (k.upper(), v) for k, v in CMD.items()),
        "#define ZV_CAUSE_HANG 0x%x" % CAUSE_HANG,
        "#define ZV_VCPU_REGS %d" % VCPU.offsets["regs"],
        "#define ZV_VCPU_STACK %d" % VCPU.offsets["stack"],
        "#define ZV_VCPU_MSAVE %d" % VCPU.offsets["m_save"],
        "#define ZV_VCPU_FRESH %d" % VCPU.offsets["fresh"],
        "#ifndef __ASSEMBLER__",
        "#include <stdint.h>",
        VMM.c(), VCPU.c(), RING.c(),
        "#endif",
        "#endif",
        "",
    ]
    return "\n".join(lines)
