"""The CSRs of one hart: privilege and virtualization state, trap entry and return,
interrupt selection, counters, timers (Sstc) and the translation registers.

The core asks for one CSR access per instruction (``addr``, ``writes``, then ``write`` with
the new value), reports traps (``trap``) and returns (``mret``, ``sret``), and reads the
resulting mode, trap vector and pending interrupt. The hart has M, S and U modes and, with
``hext``, the hypervisor extension: the virtualization bit V, so HS, VS and VU modes, the
hypervisor and virtual-supervisor CSRs, and VS-level interrupts. Every field follows the
WARL rules of the privileged spec (chapters "Machine-Level ISA", "Supervisor-Level ISA",
"Hypervisor Extension"; sections cited where a rule is subtle).

Choices the spec leaves to us: ASIDLEN = VMIDLEN = 0; GEILEN = 1 (``hgeip`` bit 1 comes
from the interrupt controller's guest context); ``mtinst``/``htinst`` are written with 0 on
traps (allowed for every cause); ``time`` is the CLINT's ``mtime``. Sstc's ``stimecmp`` and
``vstimecmp`` raise their pending bits in the cycle ``time`` reaches them, as the CLINT's
``mtip`` does for ``mtimecmp``: the registered comparisons look at the time the next cycle
shows (``mtime_next``).
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..bus import PID_WIDTH
from ..partition.register import PartitionRegister
from .isa import Csr, Irq, Priv, misa
from .pmp import MAX_PMP_ENTRIES, PMP_ENTRIES, PmpMode, check_pmp_entries, pmp_entry_layout

__all__ = ["CSRFile", "StatusLayout", "Target", "VS_ALIASED"]


class Target:
    """Where a trap goes."""
    M, HS, VS = 0, 1, 2


def _bits(*positions):
    return sum(1 << p for p in positions)


S_IRQS = _bits(Irq.SSI, Irq.STI, Irq.SEI)             # mideleg's writable bits
VS_IRQS = _bits(Irq.VSSI, Irq.VSTI, Irq.VSEI)         # hideleg's writable bits
M_IRQS = _bits(Irq.MSI, Irq.MTI, Irq.MEI)
H_IRQS = VS_IRQS | _bits(Irq.SGEI)                    # hip/hie bits
MEDELEG_MASK = 0x7FF & ~_bits(11) | _bits(12, 13, 15)
HEDELEG_MASK = 0x1FF | _bits(12, 13, 15, 18, 19)   # 18, 19 never occur here, but must be writable
MEDELEG_H = _bits(10, 20, 21, 22, 23)                 # delegable only with H

# S-level CSRs that name their VS-level twin when V=1 (hypervisor chapter, "Hypervisor and
# Virtual Supervisor CSRs"): the twin's number is the S number + 0x100.
VS_ALIASED = (Csr.SSTATUS, Csr.SIE, Csr.STVEC, Csr.SSCRATCH, Csr.SEPC, Csr.SCAUSE,
              Csr.STVAL, Csr.SIP, Csr.SATP, Csr.STIMECMP, Csr.STIMECMPH)

# Fields of mstatus (RV32 low half)
SIE, MIE, SPIE, MPIE, SPP, MPP, MPRV, SUM, MXR, TVM, TW, TSR = (
    1, 3, 5, 7, 8, 11, 17, 18, 19, 20, 21, 22)
# Fields of hstatus
GVA, SPV, SPVP, HU, VGEIN, VTVM, VTW, VTSR = 6, 7, 8, 9, 12, 20, 21, 22

# translation registers: MODE in bit 31, ASID/VMID (read-only zero), PPN in bits 21:0
ATP_WRITABLE = (1 << 31) | ((1 << 22) - 1)
HGATP_WRITABLE = (1 << 31) | ((1 << 22) - 4)    # PPN[1:0] read-only zero (16 KiB root)


# The state that decode and address translation need, exported as one port (the words
# first: see the word alignment in core.py's Fetched).
StatusLayout = data.StructLayout({
    "satp": 32, "vsatp": 32, "hgatp": 32,
    "tw": 1, "tvm": 1, "tsr": 1, "vtw": 1, "vtvm": 1, "vtsr": 1, "hu": 1, "spvp": 1,
    "sum": 1, "mxr": 1, "vs_sum": 1, "vs_mxr": 1,
})


class CSRFile(wiring.Component):
    """The CSRs of one hart.

    Parameters
    ----------
    hartid : int
        Value of ``mhartid``.
    hext : bool
        Implement the hypervisor extension.
    pmp_entries : int
        PMP entries, 0 to 16 (see :mod:`.pmp`); the CSRs of the others read zero.
    late_irq : bool
        Decide interrupts a cycle later, from registers (what a board build makes, with the
        core's ``late_mem``): ``irq_take``, ``irq_cause`` and ``irq_wake`` say what the
        interrupt logic found last cycle, so that the pending lines, the enables and the
        delegation are not on the path into the core's trap decision. An interrupt is then
        taken a cycle later. The spec has the conditions evaluated immediately after an
        xRET or a write to a CSR they depend on (privileged spec, "Machine Interrupt
        Registers"), so for the cycle after a CSR write, a trap or an xRET (the only ways
        the mode and those CSRs change) ``irq_settling`` tells the core to start nothing:
        the next instruction starts once the decision has seen the change. (The lines
        from the devices may change at any time anyway.)
    late_csr : bool
        Answer a CSR access a cycle later, from registers (with the core's ``late_mem``):
        ``rdata``, ``illegal`` and ``virtual`` say what the CSR address the core presented
        last cycle reads and whether it may be accessed, and ``write`` writes the CSR of
        that address. The core holds a CSR instruction in E for a cycle before it uses
        them (the address is the same in both), so that the address decoder and the access
        checks are not on the path into its trap decision and the CSRs' write enables.
    """

    def __init__(self, *, hartid=0, hext=True, pmp_entries=PMP_ENTRIES, late_irq=False,
                 late_csr=False):
        if not isinstance(hartid, int) or hartid < 0:
            raise ValueError(f"hartid must be a non-negative integer, not {hartid!r}")
        self.hartid = hartid
        self.late_irq = bool(late_irq)
        self.late_csr = bool(late_csr)
        self.hext = bool(hext)
        self.pmp_entries = check_pmp_entries(pmp_entries)
        super().__init__({
            # access by the executing instruction
            "addr": In(12),
            "writes": In(1),
            "write": In(1),
            "wdata": In(32),
            "rdata": Out(32),
            "illegal": Out(1),
            "virtual": Out(1),        # the access raises a virtual-instruction exception
            # privilege state
            "priv": Out(Priv, init=Priv.M),
            "virt": Out(1),
            "data_priv": Out(Priv),   # the mode loads and stores run at (MPRV)
            "data_virt": Out(1),
            "status": Out(StatusLayout),
            # traps
            "trap": In(1),
            "trap_intr": In(1),
            "trap_cause": In(5),
            "trap_pc": In(32),
            "trap_tval": In(32),
            "trap_gpa": In(32),       # guest-physical address >> 2, for htval/mtval2
            "trap_gva": In(1),        # tval holds a guest virtual address
            "trap_vector": Out(32),
            "mret": In(1),
            "sret": In(1),
            "mepc": Out(32),
            "sret_pc": Out(32),
            # interrupts
            "msip": In(1),
            "mtip": In(1),
            "meip": In(1),
            "seip": In(1),
            "sgeip": In(1),           # guest external interrupt 1 (hgeip bit 1)
            "irq_take": Out(1),
            "irq_cause": Out(5),
            "irq_wake": Out(1),
            "irq_settling": Out(1),     # late_irq: see the parameter
            # counters
            "mtime": In(64),
            "mtime_next": In(64),       # what mtime holds next cycle (the CLINT's)
            "retire": In(1),
            "unretire": In(1),
            "pmp": Out(data.ArrayLayout(pmp_entry_layout, self.pmp_entries)),
            "pid": Out(PID_WIDTH),
            "pid_locked": Out(1),
            # a write to satp, vsatp or hgatp: translations cached under the old value go
            "flush_tlb": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        hext = self.hext
        m.submodules.partition = partition = PartitionRegister()
        waddr = Signal(12)           # the address a write goes to (see late_csr)
        m.d.comb += [
            partition.write.eq(self.write & (waddr == Csr.MPARTITION)),
            partition.wdata.eq(self.wdata),
            self.pid.eq(partition.pid),
            self.pid_locked.eq(partition.locked),
        ]
        priv, virt = self.priv, self.virt

        # --- state -------------------------------------------------------------------------
        def reg(name, width=32, init=0):
            return Signal(width, name=name, init=init)

        mstatus = reg("mstatus")          # only the fields the write masks let through
        mpv = reg("mpv", 1)
        mgva = reg("mgva", 1)
        medeleg, mideleg_w, mie = reg("medeleg"), reg("mideleg_w"), reg("mie")
        mip_w = reg("mip_w")              # software-writable pending bits: SSIP, STIP, SEIP
        mtvec, mscratch, mepc, mcause = reg("mtvec"), reg("mscratch"), reg("mepc"), reg("mcause")
        mtval, mtval2, mtinst = reg("mtval"), reg("mtval2"), reg("mtinst")
        mcounteren, mcountinhibit = reg("mcounteren"), reg("mcountinhibit")
        menvcfg_stce = reg("menvcfg_stce", 1)
        mcycle, minstret = reg("mcycle", 64), reg("minstret", 64)
        stvec, sscratch, sepc, scause = reg("stvec"), reg("sscratch"), reg("sepc"), reg("scause")
        stval, satp, scounteren = reg("stval"), reg("satp"), reg("scounteren")
        stimecmp = reg("stimecmp", 64, init=2**64 - 1)
        hstatus, hedeleg, hideleg = reg("hstatus"), reg("hedeleg"), reg("hideleg")
        hvip, hgeie, hcounteren = reg("hvip"), reg("hgeie"), reg("hcounteren")
        henvcfg_stce = reg("henvcfg_stce", 1)
        htval, htinst, hgatp = reg("htval"), reg("htinst"), reg("hgatp")
        htimedelta = reg("htimedelta", 64)
        vsstatus, vstvec, vsscratch = reg("vsstatus"), reg("vstvec"), reg("vsscratch")
        vsepc, vscause, vstval, vsatp = reg("vsepc"), reg("vscause"), reg("vstval"), reg("vsatp")
        vstimecmp = reg("vstimecmp", 64, init=2**64 - 1)

        counted = Signal()               # an instruction that retired is counted now
        instret = Signal(64)             # minstret as a CSR instruction in E reads it
        writes_instret = self.write & ((waddr == Csr.MINSTRET) | (waddr == Csr.MINSTRETH))
        if self.late_csr:
            m.d.sync += counted.eq(self.retire & ~writes_instret)
            m.d.comb += instret.eq(Mux(counted & ~mcountinhibit[2], minstret + 1, minstret))
        else:
            m.d.comb += [counted.eq(self.retire & ~writes_instret), instret.eq(minstret)]

        mpp = mstatus[MPP:MPP + 2]
        time = self.mtime
        vtime = Signal(64)
        m.d.comb += vtime.eq(time + htimedelta)

        # Sstc: the comparisons are registered (a write of a compare value, of htimedelta or
        # of mtime shows one cycle later) and made with next cycle's time, so that a pending
        # bit rises in the cycle time reaches the deadline, as the CLINT's combinational
        # mtip does: a guest's timer interrupt comes as early as a bare-metal one.
        stip_timer, vstip_timer = Signal(), Signal()
        m.d.sync += [stip_timer.eq(self.mtime_next >= stimecmp),
                     vstip_timer.eq(self.mtime_next + htimedelta >= vstimecmp)]
        stce = menvcfg_stce
        hstce = henvcfg_stce & menvcfg_stce

        hgeip = Cat(Const(0, 1), self.sgeip, Const(0, 30)) if hext else Const(0, 32)
        vgein = hstatus[VGEIN:VGEIN + 6]
        mideleg = mideleg_w | (H_IRQS if hext else 0)
        mip = Cat(
            Const(0, 1), mip_w[Irq.SSI], hvip[Irq.VSSI], self.msip,
            Const(0, 1), Mux(stce, stip_timer, mip_w[Irq.STI]),
            hvip[Irq.VSTI] | (hstce & vstip_timer), self.mtip,
            Const(0, 1), mip_w[Irq.SEI] | self.seip,
            hvip[Irq.VSEI] | ((vgein != 0) & (hgeip.bit_select(vgein[:5], 1))), self.meip,
            (hgeip & hgeie) != 0, Const(0, 19))
        if not hext:
            mip = mip & ~H_IRQS

        mstatus_r = mstatus
        sstatus_mask = _bits(SIE, SPIE, SPP, SUM, MXR)
        vsip = Cat(Const(0, 1), (mip & hideleg)[Irq.VSSI], Const(0, 3), (mip & hideleg)[Irq.VSTI],
                   Const(0, 3), (mip & hideleg)[Irq.VSEI], Const(0, 22))
        vsie = Cat(Const(0, 1), (mie & hideleg)[Irq.VSSI], Const(0, 3), (mie & hideleg)[Irq.VSTI],
                   Const(0, 3), (mie & hideleg)[Irq.VSEI], Const(0, 22))

        # --- reads -------------------------------------------------------------------------
        # address -> value; an address missing here does not exist (illegal). With V=1 the
        # S-level names in VS_ALIASED reach their VS twins (eaddr).
        table = {
            Csr.MSTATUS: mstatus_r, Csr.MISA: Const(misa(hext=hext), 32), Csr.MIE: mie,
            Csr.MEDELEG: medeleg, Csr.MIDELEG: mideleg,
            Csr.MTVEC: mtvec, Csr.MCOUNTEREN: mcounteren, Csr.MENVCFG: 0,
            Csr.MSTATUSH: Cat(Const(0, 6), mgva, mpv) if hext else 0,
            Csr.MENVCFGH: Cat(Const(0, 31), menvcfg_stce), Csr.MCOUNTINHIBIT: mcountinhibit,
            Csr.MSCRATCH: mscratch, Csr.MEPC: mepc, Csr.MCAUSE: mcause, Csr.MTVAL: mtval,
            Csr.MIP: mip,
            Csr.MCYCLE: mcycle[:32], Csr.MCYCLEH: mcycle[32:],
            Csr.MINSTRET: instret[:32], Csr.MINSTRETH: instret[32:],
            Csr.CYCLE: mcycle[:32], Csr.CYCLEH: mcycle[32:],
            Csr.TIME: Mux(virt, vtime[:32], time[:32]),
            Csr.TIMEH: Mux(virt, vtime[32:], time[32:]),
            Csr.INSTRET: instret[:32], Csr.INSTRETH: instret[32:],
            Csr.MVENDORID: 0, Csr.MARCHID: 0, Csr.MIMPID: 0,
            Csr.MHARTID: self.hartid, Csr.MCONFIGPTR: 0,
            Csr.MPARTITION: partition.value,
            Csr.SSTATUS: mstatus & sstatus_mask, Csr.SIE: mie & mideleg & S_IRQS,
            Csr.STVEC: stvec, Csr.SCOUNTEREN: scounteren, Csr.SENVCFG: 0,
            Csr.SSCRATCH: sscratch, Csr.SEPC: sepc, Csr.SCAUSE: scause, Csr.STVAL: stval,
            Csr.SIP: mip & mideleg & S_IRQS, Csr.SATP: satp,
            Csr.STIMECMP: stimecmp[:32], Csr.STIMECMPH: stimecmp[32:],
        }
        if hext:
            table.update({
                Csr.MTVAL2: mtval2, Csr.MTINST: mtinst,
                Csr.HSTATUS: hstatus, Csr.HEDELEG: hedeleg, Csr.HEDELEGH: 0,
                Csr.HIDELEG: hideleg, Csr.HIE: mie & H_IRQS, Csr.HIP: mip & H_IRQS,
                Csr.HVIP: hvip, Csr.HGEIE: hgeie, Csr.HGEIP: hgeip,
                Csr.HCOUNTEREN: hcounteren, Csr.HENVCFG: 0,
                Csr.HENVCFGH: Cat(Const(0, 31), henvcfg_stce),
                Csr.HTIMEDELTA: htimedelta[:32], Csr.HTIMEDELTAH: htimedelta[32:],
                Csr.HTVAL: htval, Csr.HTINST: htinst, Csr.HGATP: hgatp,
                Csr.VSSTATUS: vsstatus, Csr.VSIE: vsie, Csr.VSTVEC: vstvec,
                Csr.VSSCRATCH: vsscratch, Csr.VSEPC: vsepc, Csr.VSCAUSE: vscause,
                Csr.VSTVAL: vstval, Csr.VSIP: vsip, Csr.VSATP: vsatp,
                Csr.VSTIMECMP: vstimecmp[:32], Csr.VSTIMECMPH: vstimecmp[32:],
            })
        # hpm counters and events (numbers 3 to 31 of each kind) exist and read zero. They
        # are matched by pattern after every named CSR, not as 145 cases: the simulator
        # evaluates this decoder in every cycle.
        hpm_groups = (Csr.MHPMEVENT3, Csr.MHPMCOUNTER3, Csr.MHPMCOUNTER3H,
                      Csr.HPMCOUNTER3, Csr.HPMCOUNTER3H)
        hpm_patterns = [format((base - 3) >> 5, "07b") + "-----" for base in hpm_groups]
        hpm_holes = [base - 3 + n for base in hpm_groups for n in range(3)
                     if base - 3 + n not in table]
        entries = self.pmp_entries
        pmpcfg = [Cat(self.pmp[i].cfg.as_value() if i < entries else Const(0, 8)
                      for i in range(4 * k, 4 * k + 4)) for k in range(MAX_PMP_ENTRIES // 4)]
        for k in range(MAX_PMP_ENTRIES // 4):
            table[Csr.PMPCFG0 + k] = pmpcfg[k]
        for i in range(MAX_PMP_ENTRIES):
            table[Csr.PMPADDR0 + i] = self.pmp[i].addr if i < entries else 0

        addr = self.addr
        aliased = Signal()
        if hext:
            m.d.comb += aliased.eq(virt & Cat(addr == a for a in VS_ALIASED).any())
        eaddr = Signal(12)
        m.d.comb += eaddr.eq(Mux(aliased, addr + 0x100, addr))

        exists = Signal()
        rdata = Signal(32)
        with m.Switch(eaddr):
            for a, value in table.items():
                with m.Case(a):
                    m.d.comb += [exists.eq(1), rdata.eq(value)]
            with m.Case(*hpm_holes):
                pass
            with m.Case(*hpm_patterns):
                m.d.comb += exists.eq(1)

        # --- access checks (privileged spec "CSR Field Specifications"; hypervisor chapter,
        # "Synchronous exceptions": the virtual-instruction cases) ---------------------------
        level = addr[8:10]          # 0 U, 1 S, 2 H (HS and VS CSRs), 3 M
        read_only = self.writes & (addr[10:12] == 0b11)
        is_m, is_s, is_u = priv == Priv.M, priv == Priv.S, priv == Priv.U
        counter = (addr[5:12] == (Csr.CYCLE >> 5)) | (addr[5:12] == (Csr.CYCLEH >> 5))
        cbit = addr[0:5]
        timecmp = ((addr == Csr.STIMECMP) | (addr == Csr.STIMECMPH)
                   | (addr == Csr.VSTIMECMP) | (addr == Csr.VSTIMECMPH))
        m_allows = ~counter | mcounteren.bit_select(cbit, 1)
        h_allows = ~counter | hcounteren.bit_select(cbit, 1)
        s_allows = ~counter | scounteren.bit_select(cbit, 1)
        tm_m = mcounteren[1] & stce
        tm_h = hcounteren[1] & henvcfg_stce
        illegal = Signal()
        virtual = Signal()
        missing = ~exists | read_only
        m.d.comb += illegal.eq(missing)
        with m.If(~is_m & ~missing):
            # Checks at M's level first: what M withholds is illegal in every lower mode.
            with m.If((level == 3) | (is_u & ~virt & (level != 0)) | ~m_allows
                      | (timecmp & ~tm_m) | (~virt & is_s & tvm_csr(addr) & mstatus[TVM])):
                m.d.comb += illegal.eq(1)
            with m.Elif(virt & ((level == 2) | (is_u & (level == 1)) | ~h_allows
                                | (is_u & ~s_allows) | (timecmp & ~tm_h)
                                | ((addr == Csr.SATP) & is_s & hstatus[VTVM]))):
                m.d.comb += virtual.eq(1)
            with m.Elif(is_u & ~s_allows):
                m.d.comb += illegal.eq(1)
        if self.late_csr:
            m.d.sync += [self.illegal.eq(illegal), self.virtual.eq(virtual),
                         self.rdata.eq(rdata), waddr.eq(eaddr)]
        else:
            m.d.comb += [self.illegal.eq(illegal), self.virtual.eq(virtual),
                         self.rdata.eq(rdata), waddr.eq(eaddr)]

        # --- counters ----------------------------------------------------------------------
        with m.If(~mcountinhibit[0]):
            m.d.sync += mcycle.eq(mcycle + 1)
        # An instruction that writes minstret or minstreth is not counted: the write is made
        # instead (the Zicsr chapter: the value written is what the next instruction reads).
        # late_csr: an instruction is counted a cycle after it leaves E, from a register, so
        # that E's decision to finish ends there instead of at the 64-bit counter; a read in
        # that cycle (a CSR instruction spends one in E before its answer) sees the count
        # with it (``instret``).
        with m.If(counted & ~mcountinhibit[2]):
            m.d.sync += minstret.eq(minstret + 1)
        with m.Elif(self.unretire & ~mcountinhibit[2]):
            # counted when it left E, it faulted in W after all
            m.d.sync += minstret.eq(minstret - 1)

        # --- writes ------------------------------------------------------------------------
        w = self.wdata

        def masked(old, mask):
            return (old & ~mask) | (w & mask)

        m.d.comb += self.flush_tlb.eq(self.write & (
            (waddr == Csr.SATP) | (waddr == Csr.VSATP) | (waddr == Csr.HGATP)))
        mstatus_mask = _bits(SIE, MIE, SPIE, MPIE, SPP, MPRV, SUM, MXR, TVM, TW, TSR)
        with m.If(self.write):
            with m.Switch(waddr):
                with m.Case(Csr.MSTATUS):
                    m.d.sync += mstatus.eq(masked(mstatus, mstatus_mask))
                    with m.If(w[MPP:MPP + 2] != 2):   # 2 is reserved; M, S and U are legal
                        m.d.sync += mpp.eq(w[MPP:MPP + 2])
                with m.Case(Csr.MSTATUSH):
                    if hext:
                        m.d.sync += [mgva.eq(w[6]), mpv.eq(w[7])]
                with m.Case(Csr.SSTATUS):
                    m.d.sync += mstatus.eq(masked(mstatus, sstatus_mask))
                with m.Case(Csr.VSSTATUS):
                    m.d.sync += vsstatus.eq(w & sstatus_mask)
                with m.Case(Csr.MEDELEG):
                    m.d.sync += medeleg.eq(w & (MEDELEG_MASK | (MEDELEG_H if hext else 0)))
                with m.Case(Csr.MIDELEG):
                    m.d.sync += mideleg_w.eq(w & S_IRQS)
                with m.Case(Csr.MIE):
                    m.d.sync += mie.eq(w & (M_IRQS | S_IRQS | (H_IRQS if hext else 0)))
                with m.Case(Csr.SIE):
                    m.d.sync += mie.eq(masked(mie, mideleg & S_IRQS))
                with m.Case(Csr.HIE):
                    m.d.sync += mie.eq(masked(mie, H_IRQS))
                with m.Case(Csr.VSIE):
                    # vsie's S-level bits 1, 5, 9 are hie's VS bits 2, 6, 10
                    m.d.sync += mie.eq((mie & ~(hideleg & VS_IRQS))
                                       | ((w << 1) & hideleg & VS_IRQS))
                with m.Case(Csr.MIP):
                    m.d.sync += [
                        mip_w.eq(masked(mip_w, _bits(Irq.SSI, Irq.SEI)
                                        | Mux(stce, 0, _bits(Irq.STI)))),
                        hvip[Irq.VSSI].eq(w[Irq.VSSI]),
                    ]
                with m.Case(Csr.SIP):
                    with m.If(mideleg[Irq.SSI]):
                        m.d.sync += mip_w[Irq.SSI].eq(w[Irq.SSI])
                with m.Case(Csr.HIP):
                    m.d.sync += hvip[Irq.VSSI].eq(w[Irq.VSSI])
                with m.Case(Csr.VSIP):
                    with m.If(hideleg[Irq.VSSI]):
                        m.d.sync += hvip[Irq.VSSI].eq(w[Irq.SSI])
                with m.Case(Csr.HVIP):
                    m.d.sync += hvip.eq(w & VS_IRQS)
                with m.Case(Csr.MTVEC):
                    m.d.sync += mtvec.eq(tvec(w))
                with m.Case(Csr.STVEC):
                    m.d.sync += stvec.eq(tvec(w))
                with m.Case(Csr.VSTVEC):
                    m.d.sync += vstvec.eq(tvec(w))
                with m.Case(Csr.MCOUNTEREN):
                    m.d.sync += mcounteren.eq(w)
                with m.Case(Csr.SCOUNTEREN):
                    m.d.sync += scounteren.eq(w)
                with m.Case(Csr.HCOUNTEREN):
                    m.d.sync += hcounteren.eq(w)
                with m.Case(Csr.MCOUNTINHIBIT):
                    m.d.sync += mcountinhibit.eq(w & 0b101)
                with m.Case(Csr.MENVCFGH):
                    m.d.sync += menvcfg_stce.eq(w[31])
                    with m.If(~w[31]):
                        m.d.sync += henvcfg_stce.eq(0)
                with m.Case(Csr.HENVCFGH):
                    m.d.sync += henvcfg_stce.eq(w[31] & menvcfg_stce)
                for a, r in ((Csr.MSCRATCH, mscratch), (Csr.SSCRATCH, sscratch),
                             (Csr.VSSCRATCH, vsscratch), (Csr.MTVAL, mtval),
                             (Csr.STVAL, stval), (Csr.VSTVAL, vstval), (Csr.MCAUSE, mcause),
                             (Csr.SCAUSE, scause), (Csr.VSCAUSE, vscause),
                             (Csr.MTVAL2, mtval2), (Csr.MTINST, mtinst),
                             (Csr.HTVAL, htval), (Csr.HTINST, htinst)):
                    with m.Case(a):
                        m.d.sync += r.eq(w)
                for a, r in ((Csr.MEPC, mepc), (Csr.SEPC, sepc), (Csr.VSEPC, vsepc)):
                    with m.Case(a):
                        m.d.sync += r.eq(Cat(Const(0, 2), w[2:32]))
                for a, r in ((Csr.MCYCLE, mcycle), (Csr.MINSTRET, minstret),
                             (Csr.STIMECMP, stimecmp), (Csr.VSTIMECMP, vstimecmp),
                             (Csr.HTIMEDELTA, htimedelta)):
                    with m.Case(a):
                        m.d.sync += r[:32].eq(w)
                    with m.Case(a + 0x80 if a >= 0xB00 else a + 0x10):
                        m.d.sync += r[32:].eq(w)
                with m.Case(Csr.SATP):
                    m.d.sync += satp.eq(w & ATP_WRITABLE)
                with m.Case(Csr.VSATP):
                    m.d.sync += vsatp.eq(w & ATP_WRITABLE)
                with m.Case(Csr.HGATP):
                    m.d.sync += hgatp.eq(w & HGATP_WRITABLE)
                with m.Case(Csr.HSTATUS):
                    m.d.sync += hstatus.eq(w & _bits(GVA, SPV, SPVP, HU, VTVM, VTW, VTSR))
                    # VGEIN is WARL: 0 and the one guest external interrupt, 1
                    with m.If(w[VGEIN:VGEIN + 6] <= 1):
                        m.d.sync += hstatus[VGEIN].eq(w[VGEIN])
                with m.Case(Csr.HEDELEG):
                    m.d.sync += hedeleg.eq(w & HEDELEG_MASK)
                with m.Case(Csr.HIDELEG):
                    m.d.sync += hideleg.eq(w & VS_IRQS)
                with m.Case(Csr.HGEIE):
                    m.d.sync += hgeie.eq(w & 0b10)
                for k in range((entries + 3) // 4):
                    with m.Case(Csr.PMPCFG0 + k):
                        for j in range(min(4, entries - 4 * k)):
                            self._write_pmpcfg(m, 4 * k + j, w[8 * j:8 * j + 8])
                for i in range(entries):
                    with m.Case(Csr.PMPADDR0 + i):
                        locked = self.pmp[i].cfg.l
                        if i + 1 < entries:
                            nxt = self.pmp[i + 1].cfg
                            locked = locked | (nxt.l & (nxt.a == PmpMode.TOR))
                        with m.If(~locked):
                            m.d.sync += self.pmp[i].addr.eq(w)

        # --- interrupts (privileged spec "Machine Interrupt Registers"; hypervisor chapter,
        # "Hypervisor Interrupt Registers" and "Traps") --------------------------------------
        pending = Signal(32)
        m.d.comb += pending.eq(mip & mie)
        m_pending = pending & ~mideleg
        hs_pending = pending & mideleg & ~hideleg
        vs_pending = pending & mideleg & hideleg
        m_on = ~is_m | mstatus[MIE]
        hs_on = virt | is_u | (is_s & mstatus[SIE])
        vs_on = virt & (is_u | vsstatus[SIE])
        irq_target = Signal(2)
        irq_code = Signal(5)
        taken = Signal()
        for target, mask, on in ((Target.VS, vs_pending, vs_on), (Target.HS, hs_pending, hs_on),
                                 (Target.M, m_pending, m_on)):
            # Later assignments win: the most privileged level is assigned last.
            with m.If(on & (mask != 0)):
                m.d.comb += [taken.eq(1), irq_target.eq(target)]
                for code in reversed(Irq.PRIORITY):
                    with m.If(mask[code]):
                        m.d.comb += irq_code.eq(code)
        if self.late_irq:
            seen_take = Signal()
            seen_code = Signal(5)
            seen_target = Signal(2)
            seen_wake = Signal()
            settling = Signal()      # the mode or a CSR changed at the last edge
            m.d.sync += [seen_take.eq(taken), seen_code.eq(irq_code),
                         seen_target.eq(irq_target), seen_wake.eq(pending != 0),
                         settling.eq(self.write | self.trap | self.mret | self.sret)]
            taken, irq_code, irq_target, wake = seen_take, seen_code, seen_target, seen_wake
            m.d.comb += self.irq_settling.eq(settling)
        else:
            wake = pending != 0
        m.d.comb += [
            self.irq_wake.eq(wake),
            self.irq_take.eq(taken),
            self.irq_cause.eq(irq_code),
        ]

        # --- traps and returns (hypervisor chapter, "Trap Entry" and "Trap Return") ---------
        cause = self.trap_cause
        target = Signal(2)
        # An interrupt is taken the cycle after the core decided it (see core.py), so its
        # target is the one registered then: the pending bits may have changed since, and
        # the interrupt logic stays off the path to the trap vector and the fetch address.
        decided_target = Signal(2)
        m.d.sync += decided_target.eq(irq_target)
        with m.If(self.trap_intr):
            m.d.comb += target.eq(decided_target)
        with m.Elif(~is_m & medeleg.bit_select(cause, 1)):
            m.d.comb += target.eq(Mux(virt & hedeleg.bit_select(cause, 1), Target.VS, Target.HS))
        with m.Else():
            m.d.comb += target.eq(Target.M)
        # VS-level interrupts reach VS-mode as the S-level ones: codes 2, 6, 10 become 1, 5, 9
        written = Signal(5)
        m.d.comb += written.eq(Mux((target == Target.VS) & self.trap_intr, cause - 1, cause))
        vector_base = Mux(target == Target.M, mtvec, Mux(target == Target.HS, stvec, vstvec))
        vectored = (vector_base[0:2] == 1) & self.trap_intr
        m.d.comb += [
            self.trap_vector.eq(Cat(Const(0, 2), vector_base[2:32])
                                + Mux(vectored, written << 2, 0)),
            self.mepc.eq(mepc),
            self.sret_pc.eq(Mux(virt, vsepc, sepc)),
        ]
        mcause_value = Cat(written, Const(0, 26), self.trap_intr)
        with m.If(self.trap):
            with m.Switch(target):
                with m.Case(Target.M):
                    m.d.sync += [
                        mepc.eq(self.trap_pc), mcause.eq(mcause_value), mtval.eq(self.trap_tval),
                        mstatus[MPIE].eq(mstatus[MIE]), mstatus[MIE].eq(0), mpp.eq(priv),
                        priv.eq(Priv.M),
                    ]
                    if hext:
                        m.d.sync += [mtval2.eq(self.trap_gpa), mtinst.eq(0), mpv.eq(virt),
                                     mgva.eq(self.trap_gva), virt.eq(0)]
                with m.Case(Target.HS):
                    m.d.sync += [
                        sepc.eq(self.trap_pc), scause.eq(mcause_value), stval.eq(self.trap_tval),
                        mstatus[SPIE].eq(mstatus[SIE]), mstatus[SIE].eq(0),
                        mstatus[SPP].eq(priv.as_value()[0]), priv.eq(Priv.S),
                    ]
                    if hext:
                        m.d.sync += [htval.eq(self.trap_gpa), htinst.eq(0), virt.eq(0),
                                     hstatus[SPV].eq(virt), hstatus[GVA].eq(self.trap_gva)]
                        with m.If(virt):
                            m.d.sync += hstatus[SPVP].eq(priv.as_value()[0])
                with m.Case(Target.VS):
                    m.d.sync += [
                        vsepc.eq(self.trap_pc), vscause.eq(mcause_value),
                        vstval.eq(self.trap_tval),
                        vsstatus[SPIE].eq(vsstatus[SIE]), vsstatus[SIE].eq(0),
                        vsstatus[SPP].eq(priv.as_value()[0]), priv.eq(Priv.S),
                    ]
        with m.Elif(self.mret):
            m.d.sync += [
                priv.eq(mpp), mstatus[MIE].eq(mstatus[MPIE]), mstatus[MPIE].eq(1),
                mpp.eq(Priv.U),
            ]
            if hext:
                m.d.sync += [virt.eq(mpv & (mpp != Priv.M)), mpv.eq(0)]
            with m.If(mpp != Priv.M):
                m.d.sync += mstatus[MPRV].eq(0)
        with m.Elif(self.sret):
            with m.If(virt):
                m.d.sync += [
                    priv.eq(vsstatus[SPP]), vsstatus[SIE].eq(vsstatus[SPIE]),
                    vsstatus[SPIE].eq(1), vsstatus[SPP].eq(0),
                ]
            with m.Else():
                m.d.sync += [
                    priv.eq(mstatus[SPP]), mstatus[SIE].eq(mstatus[SPIE]),
                    mstatus[SPIE].eq(1), mstatus[SPP].eq(0), mstatus[MPRV].eq(0),
                ]
                if hext:
                    m.d.sync += [virt.eq(hstatus[SPV]), hstatus[SPV].eq(0)]

        # --- what the rest of the core reads ------------------------------------------------
        mprv_on = mstatus[MPRV] & is_m
        m.d.comb += [
            self.data_priv.eq(Mux(mprv_on, mpp, priv)),
            self.data_virt.eq(Mux(mprv_on, mpv & (mpp != Priv.M), virt)),
            self.status.tw.eq(mstatus[TW]), self.status.tvm.eq(mstatus[TVM]),
            self.status.tsr.eq(mstatus[TSR]),
            self.status.sum.eq(mstatus[SUM]), self.status.mxr.eq(mstatus[MXR]),
            self.status.vs_sum.eq(vsstatus[SUM]), self.status.vs_mxr.eq(vsstatus[MXR]),
            self.status.satp.eq(satp), self.status.vsatp.eq(vsatp),
            self.status.hgatp.eq(hgatp),
        ]
        if hext:
            m.d.comb += [
                self.status.vtw.eq(hstatus[VTW]), self.status.vtvm.eq(hstatus[VTVM]),
                self.status.vtsr.eq(hstatus[VTSR]), self.status.hu.eq(hstatus[HU]),
                self.status.spvp.eq(hstatus[SPVP]),
            ]
        return m

    def _write_pmpcfg(self, m, i, byte):
        cfg = self.pmp[i].cfg
        with m.If(~cfg.l):
            # R=0, W=1 is reserved: keep W only with R (WARL).
            m.d.sync += [
                cfg.r.eq(byte[0]), cfg.w.eq(byte[1] & byte[0]), cfg.x.eq(byte[2]),
                cfg.a.eq(byte[3:5]), cfg.l.eq(byte[7]),
            ]


def tvm_csr(addr):
    """The CSRs that ``mstatus.TVM`` takes from HS-mode: ``satp`` and ``hgatp``."""
    return (addr == Csr.SATP) | (addr == Csr.HGATP)


def tvec(w):
    """xtvec: MODE 0 (direct) or 1 (vectored); 2 and 3 are reserved, so bit 1 stays zero."""
    return Cat(w[0], Const(0, 1), w[2:32])
