"""Address translation: Sv32, and with the H extension two-stage translation (VS-stage Sv32,
G-stage Sv32x4), with an instruction TLB, a data TLB and one hardware page-table walker.

Privileged spec, "Sv32: Page-Based 32-bit Virtual-Memory Systems" and hypervisor chapter,
"Two-Stage Address Translation". Choices:

- **A/D bits are not written by hardware** (Svade behaviour, which the spec allows when
  Svadu is absent): a leaf with A=0, or a store to a leaf with D=0, raises a page fault (a
  guest-page fault at the G-stage) and software sets the bits.
- A TLB entry holds a whole translation, both stages combined, tagged with the
  translation regime (V=0: ``satp``; V=1: ``vsatp`` and ``hgatp``) and its leaves'
  permissions, so every hit re-checks the access against the current mode, SUM and MXR.
  No ASIDs or VMIDs are kept: any SFENCE/HFENCE or write to ``satp``/``vsatp``/``hgatp``
  empties both TLBs (a superset of what the fences must do).
- Entries are filled only for walks that succeed; a fault is reported to the walker's
  requester and leaves nothing behind.
- Physical addresses are 34 bits wide; the bus has 32, so an address above 4 GiB (a PTE's
  PPN[1] with bits 11:10 set) is an access fault.
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..bus import window_hits
from .csr import StatusLayout

__all__ = ["Mmu", "Access", "Fault", "tlb_entry_layout"]


class Access:
    """The kind of an access, as translation sees it."""
    FETCH, LOAD, STORE = 0, 1, 2


class Fault:
    """What translation reports: nothing, a page fault, a guest-page fault, an access
    fault. The core turns it into the cause for the access's kind."""
    NONE, PAGE, GUEST_PAGE, ACCESS = 0, 1, 2, 3


Pte = data.StructLayout({
    "v": 1, "r": 1, "w": 1, "x": 1, "u": 1, "g": 1, "a": 1, "d": 1, "rsw": 2,
    "ppn0": 10, "ppn1": 12,
})

# (three whole words, no field across two: see the word alignment in core.py's Fetched)
tlb_entry_layout = data.StructLayout({
    "vpn": 20, "valid": 1, "virt": 1, "super": 1, "_pad0": 9,
    "ppn": 22,       # the (supervisor) physical page
    "s_on": 1, "s_r": 1, "s_w": 1, "s_x": 1, "s_u": 1, "s_d": 1,     # VS-stage (or Sv32)
    "_pad1": 4,
    "gppn": 22,      # the guest-physical page, for htval
    "g_on": 1, "g_r": 1, "g_w": 1, "g_x": 1, "g_d": 1,               # G-stage
    "_pad2": 5,
})

# Who makes an access: its kind, HLVX, the effective mode (M, user, or S) and V.
ContextLayout = data.StructLayout({
    "kind": 2, "hlvx": 1, "user": 1, "virt": 1, "machine": 1,
})


def _allows(ctx, r, w, x, d, mxr):
    """Whether a leaf with these permissions admits the access (Svade: stores need D)."""
    load_ok = Mux(ctx.hlvx, x, r | (x & mxr))
    return Mux(ctx.kind == Access.FETCH, x, Mux(ctx.kind == Access.LOAD, load_ok, w & d))


def _user_ok(ctx, u, sum_):
    """U pages are for U-mode (and S-mode loads and stores with SUM); the rest for S."""
    return Mux(ctx.user, u, ~u | (sum_ & (ctx.kind != Access.FETCH)))


def translation_on(status, ctx):
    """Whether an access in this context goes through translation."""
    return Mux(ctx.virt, status.vsatp[31] | status.hgatp[31], ~ctx.machine & status.satp[31])


class Tlb(wiring.Component):
    """A small fully associative TLB: lookup is combinational, fill and flush take effect
    at the next edge. Round-robin replacement."""

    def __init__(self, entries):
        self.entries = entries
        super().__init__({
            "vaddr": In(32),
            "ctx": In(ContextLayout),
            "status": In(StatusLayout),
            "hit": Out(1),
            "paddr": Out(32),
            "fault": Out(2),
            "gpa": Out(32),
            "fill": In(1),
            "fill_entry": In(tlb_entry_layout),
            "flush": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        table = Signal(data.ArrayLayout(tlb_entry_layout, self.entries))
        victim = Signal(range(self.entries))
        va = self.vaddr
        st, ctx = self.status, self.ctx
        s_mxr = st.mxr | (ctx.virt & st.vs_mxr)
        s_sum = Mux(ctx.virt, st.vs_sum, st.sum)
        hit = Signal()
        e = Signal(tlb_entry_layout)
        fault = Signal(2)
        for i in range(self.entries):
            t = table[i]
            # Whether the entry admits the access depends on the entry and the context, not
            # on the address: it is worked out for every entry beside the address's
            # arrival, and the hit only chooses (the lookup's depth after the address is
            # the tag compare and that choice).
            s_ok = ~t.s_on | (_allows(ctx, t.s_r, t.s_w, t.s_x, t.s_d, s_mxr)
                              & _user_ok(ctx, t.s_u, s_sum))
            g_ok = ~t.g_on | _allows(ctx, t.g_r, t.g_w, t.g_x, t.g_d, st.mxr)
            # (a superpage's bits 21:20 of the page are the entry's too)
            t_fault = Mux(~s_ok, Fault.PAGE, Mux(~g_ok, Fault.GUEST_PAGE,
                                                 Mux(t.ppn[20:22] != 0, Fault.ACCESS,
                                                     Fault.NONE)))
            match = (t.valid & (t.virt == ctx.virt) & (t.vpn[10:20] == va[22:32])
                     & (t.super | (t.vpn[0:10] == va[12:22])))
            with m.If(match):
                m.d.comb += [hit.eq(1), e.eq(t), fault.eq(t_fault)]
        ppn = Mux(e.super, Cat(va[12:22], e.ppn[10:22]), e.ppn)
        gppn = Mux(e.super, Cat(va[12:22], e.gppn[10:22]), e.gppn)
        m.d.comb += [
            self.hit.eq(hit),
            self.paddr.eq(Cat(va[0:12], ppn[0:20])),
            self.gpa.eq(Cat(va[2:12], gppn)),
            self.fault.eq(fault),
        ]
        with m.If(self.flush):
            for i in range(self.entries):
                m.d.sync += table[i].valid.eq(0)
        with m.Elif(self.fill):
            m.d.sync += [table[victim].eq(self.fill_entry), victim.eq(victim + 1)]
        return m


class Mmu(wiring.Component):
    """Both TLBs and the page-table walker.

    The core looks up fetches on ``i_*`` and data accesses on ``d_*`` every cycle. On a
    miss it raises ``walk`` (with ``walk_fetch`` saying which side) at a moment its data bus
    is free, and keeps the bus for the walker (``bus_*``) while ``busy``. The walker asks
    the core whether each table read's address passes PMP and PMA (``bus_ok``), while
    the read is on the bus: a refused one is withdrawn in its cycle (``bus_abort``, the
    bus's ``abort``) and the walk ends in an access fault. ``bus_cyc``, the read's
    request, is a register (set with the table pointer, cleared as the read is taken),
    so that a bus decoder's choice between the walker and the core need not decode the
    walker's state. ``done``
    pulses at the end: either the TLB now holds the translation or ``fault`` says why not
    (``fault_gpa``: the guest-physical address >> 2, for a guest-page fault).

    ``registered_pte``: a table read's answer (the PTE and ``bus_err``) is registered
    before the walker looks at it, a cycle more per level, so that a block RAM's output
    is not on a path through the PTE checks into the walker's and the core's fault
    registers (``late_mem`` harts: with four harts it was the board build's longest path,
    26 of its 29 ns in wires between a RAM bank and a hart).

    ``windows``: the data bus decoder's windows, ``(base, size)`` in bytes; the walker then
    registers, with each table read's address, which of them it falls in (``bus_hit``,
    see :func:`~rtl.bus.window_hits` and the decoder's ``hinted``).
    """

    def __init__(self, *, entries=4, registered_pte=False, windows=()):
        self.entries = entries
        self.registered_pte = bool(registered_pte)
        self.windows = list(windows)
        hits = {"bus_hit": Out(len(self.windows))} if self.windows else {}
        super().__init__(hits | {
            "status": In(StatusLayout),
            "flush": In(1),
            "i_vaddr": In(32), "i_ctx": In(ContextLayout),
            "i_on": Out(1), "i_hit": Out(1), "i_paddr": Out(32), "i_fault": Out(2),
            "i_gpa": Out(32),
            "d_vaddr": In(32), "d_ctx": In(ContextLayout),
            "d_on": Out(1), "d_hit": Out(1), "d_paddr": Out(32), "d_fault": Out(2),
            "d_gpa": Out(32),
            "walk": In(1), "walk_fetch": In(1),
            "busy": Out(1), "done": Out(1), "fault": Out(2), "fault_gpa": Out(32),
            "bus_cyc": Out(1), "bus_abort": Out(1), "bus_adr": Out(32), "bus_ok": In(1),
            "bus_dat_r": In(32), "bus_err": In(1), "bus_stall": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        st = self.status
        m.submodules.itlb = itlb = Tlb(self.entries)
        m.submodules.dtlb = dtlb = Tlb(self.entries)
        for tlb, side in ((itlb, "i"), (dtlb, "d")):
            vaddr, ctx = getattr(self, f"{side}_vaddr"), getattr(self, f"{side}_ctx")
            m.d.comb += [
                getattr(self, f"{side}_on").eq(translation_on(st, ctx)),
                tlb.vaddr.eq(vaddr), tlb.ctx.eq(ctx), tlb.status.eq(st),
                tlb.flush.eq(self.flush),
                getattr(self, f"{side}_hit").eq(tlb.hit),
                getattr(self, f"{side}_paddr").eq(tlb.paddr),
                getattr(self, f"{side}_fault").eq(tlb.fault),
                getattr(self, f"{side}_gpa").eq(tlb.gpa),
            ]

        # --- the walker --------------------------------------------------------------------
        ctx = Signal(ContextLayout)
        va = Signal(32)
        fetch_side = Signal()
        ptr = Signal(34)              # the PTE to read
        ptr_hit = Signal(len(self.windows))    # ... the windows its word address is in
        reading = Signal()            # the read of that PTE is on the bus (the READ states)

        def point(address):
            """Read the PTE at ``address`` (34 bits) next (every READ state is entered
            here)."""
            m.d.sync += [ptr.eq(address), reading.eq(1)]
            if self.windows:
                m.d.sync += ptr_hit.eq(window_hits(address[2:32], self.windows))
        s_level = Signal()
        s_on = Signal()
        s_ppn = Signal(22)
        s_super = Signal()
        s_pte = Signal(Pte)
        g_target = Signal(34)         # the guest-physical address the G-stage translates
        g_after_pte = Signal()        # ... is a VS-level PTE's (else the final address)
        g_level = Signal()
        g_on = Signal()
        g_ppn = Signal(22)
        g_super = Signal()
        g_pte = Signal(Pte)

        pte = Signal(Pte)
        pte_err = Signal()
        answer = [pte.eq(self.bus_dat_r), pte_err.eq(self.bus_err)]
        if self.registered_pte:
            m.d.sync += answer
        else:
            m.d.comb += answer
        is_leaf = pte.r | pte.x
        invalid = ~pte.v | (~pte.r & pte.w)
        s_mxr = st.mxr | (ctx.virt & st.vs_mxr)
        s_sum = Mux(ctx.virt, st.vs_sum, st.sum)
        # G-stage: every access counts as U-mode; reads of VS-level tables as loads.
        g_ctx = Signal(ContextLayout)
        m.d.comb += [g_ctx.eq(ctx), g_ctx.user.eq(1)]
        with m.If(g_after_pte):
            m.d.comb += [g_ctx.kind.eq(Access.LOAD), g_ctx.hlvx.eq(0)]

        def finish(code):
            m.d.comb += [self.done.eq(1), self.fault.eq(code)]
            m.next = "IDLE"

        m.d.comb += [self.fault_gpa.eq(g_target[2:34]), self.bus_adr.eq(ptr[0:32]),
                     self.bus_cyc.eq(reading)]
        if self.windows:
            m.d.comb += self.bus_hit.eq(ptr_hit)

        # While idle the walker keeps both sides' addresses and contexts, every cycle and
        # whatever happens: a walk starts from these registers a cycle after it is asked
        # for, so that the TLBs' miss logic ends at the state register instead of going on
        # into the first PTE's address (a board build's longest path on one hart: E's
        # address adder, the data TLB, the choice to walk, the pointer).
        kept_va = [Signal(32, name=f"kept_va_{s}") for s in "id"]
        kept_ctx = [Signal(ContextLayout, name=f"kept_ctx_{s}") for s in "id"]
        with m.FSM() as fsm:
            with m.State("IDLE"):
                m.d.sync += [kept_va[0].eq(self.i_vaddr), kept_va[1].eq(self.d_vaddr),
                             kept_ctx[0].eq(self.i_ctx), kept_ctx[1].eq(self.d_ctx)]
                with m.If(self.walk):
                    m.d.sync += fetch_side.eq(self.walk_fetch)
                    m.next = "START"
            with m.State("START"):
                side_ctx = Signal(ContextLayout)
                side_va = Signal(32)
                m.d.comb += [side_ctx.eq(Mux(fetch_side, kept_ctx[0], kept_ctx[1])),
                             side_va.eq(Mux(fetch_side, kept_va[0], kept_va[1]))]
                m.d.sync += [ctx.eq(side_ctx), va.eq(side_va),
                             s_level.eq(1), g_on.eq(0), g_super.eq(1)]
                with m.If(~side_ctx.virt):
                    m.d.sync += s_on.eq(1)
                    point(Cat(Const(0, 2), side_va[22:32], st.satp[0:22]))
                    m.next = "S_READ"
                with m.Elif(st.vsatp[31]):
                    m.d.sync += [s_on.eq(1), g_after_pte.eq(1),
                                 g_target.eq(Cat(Const(0, 2), side_va[22:32],
                                                 st.vsatp[0:22]))]
                    m.next = "G_START"
                with m.Else():
                    m.d.sync += [s_on.eq(0), g_after_pte.eq(0), g_target.eq(side_va)]
                    m.next = "G_START"
            with m.State("G_START"):
                with m.If(st.hgatp[31]):
                    m.d.sync += [g_on.eq(1), g_level.eq(1)]
                    point(Cat(Const(0, 2), g_target[22:34], st.hgatp[2:22]))
                    m.next = "G_READ"
                with m.Else():
                    m.d.sync += [g_on.eq(0), g_super.eq(1), g_ppn.eq(g_target[12:34]),
                                 g_pte.eq(0)]
                    m.next = "G_DONE"
            for stage in ("S", "G"):
                with m.State(f"{stage}_READ"):
                    refused = (ptr[32:34] != 0) | ~self.bus_ok
                    m.d.comb += self.bus_abort.eq(refused)
                    with m.If(refused | ~self.bus_stall):
                        m.d.sync += reading.eq(0)
                    with m.If(refused):
                        finish(Fault.ACCESS)
                    with m.Elif(~self.bus_stall):
                        m.next = f"{stage}_WAIT"
            if self.registered_pte:
                # the answer arrives in *_WAIT and is looked at, registered, in *_CHECK
                for stage in ("S", "G"):
                    with m.State(f"{stage}_WAIT"):
                        m.next = f"{stage}_CHECK"
            check = "_CHECK" if self.registered_pte else "_WAIT"
            with m.State("G" + check):
                leaf_ok = (pte.u & pte.a & ~(g_level & (pte.ppn0 != 0))
                           & _allows(g_ctx, pte.r, pte.w, pte.x, pte.d, st.mxr))
                with m.If(pte_err):
                    finish(Fault.ACCESS)
                with m.Elif(invalid | (is_leaf & ~leaf_ok) | (~is_leaf & ~g_level)):
                    finish(Fault.GUEST_PAGE)
                with m.Elif(is_leaf):
                    m.d.sync += [
                        g_ppn.eq(Mux(g_level, Cat(g_target[12:22], pte.ppn1),
                                     Cat(pte.ppn0, pte.ppn1))),
                        g_super.eq(g_level), g_pte.eq(pte),
                    ]
                    m.next = "G_DONE"
                with m.Else():
                    m.d.sync += g_level.eq(0)
                    point(Cat(Const(0, 2), g_target[12:22], pte.ppn0, pte.ppn1))
                    m.next = "G_READ"
            with m.State("G_DONE"):
                with m.If(g_after_pte):
                    point(Cat(g_target[0:12], g_ppn))
                    m.next = "S_READ"
                with m.Else():
                    m.next = "FILL"
            with m.State("S" + check):
                leaf_ok = (pte.a & ~(s_level & (pte.ppn0 != 0))
                           & _allows(ctx, pte.r, pte.w, pte.x, pte.d, s_mxr)
                           & _user_ok(ctx, pte.u, s_sum))
                leaf_ppn = Mux(s_level, Cat(va[12:22], pte.ppn1), Cat(pte.ppn0, pte.ppn1))
                with m.If(pte_err):
                    finish(Fault.ACCESS)
                with m.Elif(invalid | (is_leaf & ~leaf_ok) | (~is_leaf & ~s_level)):
                    finish(Fault.PAGE)
                with m.Elif(is_leaf):
                    m.d.sync += [s_ppn.eq(leaf_ppn), s_super.eq(s_level), s_pte.eq(pte)]
                    with m.If(ctx.virt):
                        m.d.sync += [g_after_pte.eq(0), g_target.eq(Cat(va[0:12], leaf_ppn))]
                        m.next = "G_START"
                    with m.Else():
                        m.d.sync += [g_ppn.eq(leaf_ppn), g_target.eq(Cat(va[0:12], leaf_ppn))]
                        m.next = "FILL"
                with m.Else():
                    m.d.sync += s_level.eq(0)
                    next_ptr = Cat(Const(0, 2), va[12:22], pte.ppn0, pte.ppn1)
                    with m.If(ctx.virt):
                        m.d.sync += [g_after_pte.eq(1), g_target.eq(next_ptr)]
                        m.next = "G_START"
                    with m.Else():
                        point(next_ptr)
                        m.next = "S_READ"
            with m.State("FILL"):
                entry = Signal(tlb_entry_layout)
                m.d.comb += [
                    entry.valid.eq(1), entry.virt.eq(ctx.virt), entry.vpn.eq(va[12:32]),
                    entry.super.eq((s_super | ~s_on) & g_super),
                    entry.ppn.eq(g_ppn), entry.gppn.eq(g_target[12:34]),
                    entry.s_on.eq(s_on), entry.s_r.eq(s_pte.r), entry.s_w.eq(s_pte.w),
                    entry.s_x.eq(s_pte.x), entry.s_u.eq(s_pte.u), entry.s_d.eq(s_pte.d),
                    entry.g_on.eq(g_on), entry.g_r.eq(g_pte.r), entry.g_w.eq(g_pte.w),
                    entry.g_x.eq(g_pte.x), entry.g_d.eq(g_pte.d),
                    itlb.fill_entry.eq(entry), dtlb.fill_entry.eq(entry),
                    itlb.fill.eq(fetch_side), dtlb.fill.eq(~fetch_side),
                ]
                finish(Fault.NONE)
        m.d.comb += self.busy.eq(~fsm.ongoing("IDLE"))
        return m
