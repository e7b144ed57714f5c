"""An RV32IMA_Zicsr_Zifencei core with M, S and U modes, Sv32 and (by default) the
hypervisor extension with Sstc: an in-order pipeline of four stages, two of them fetch.

- **F** presents the next fetch address to the instruction bus (with ``late_mem``, a
  cycle later from registers); block RAM answers in the next cycle (**F2**), and the
  answer is registered in the fetch queue.
  The fetch is checked by PMP and by the physical memory attributes (PMA: which
  addresses hold memory that can be executed) before it is issued.
- **E** decodes the oldest instruction of the fetch queue, reads the register file
  (asynchronously, with a bypass from W for every result but load data), executes,
  resolves branches, accesses CSRs, decides traps and interrupts and issues the data
  access. Every exception is decided here, with PMP and PMA checks on the data address,
  so nothing younger has had an effect when a trap is taken. Memory (RAM, boot ROM) is
  accessed on the data bus in the same cycle; a device register (an I/O region of the
  PMA) a cycle later, on the I/O bus, from a register: E holds the instruction for that
  cycle, and the whole device side of the SoC (decoders, arbiters, partition checkers,
  the devices' registers) is off E's path from the instruction word to the bus. With
  ``late_mem`` (what a board build makes) memory is reached the same way, a cycle later
  from registers (see the parameter).
- **W** receives load data (one cycle after the request), writes the register file (with
  ``late_mem`` a cycle later, from registers) and reports the retired instruction on the
  ``rvfi`` port.

E starts from registers: neither the block RAM's answer nor anything E decides is on the
path to the next fetch request, which depends on the fetch queue's fill alone. Fetching
runs up to two instructions ahead of E, so it fetches down paths not taken (never beyond
the page of an instruction that executes, nor past a fetch that faulted: see the F and E
hand-over). A JAL or a backward branch is predicted taken as it arrives from the bus
(fetching goes on at its target) and costs one bubble when it is taken; a JALR, a taken
forward branch, a wrongly predicted branch, MRET or FENCE.I redirects fetching from E
and costs two, a trap three (it is taken the cycle after it is decided, from registers,
which keeps the trap vector off E's longest path). An instruction that reads the register
a load in W writes waits one cycle (load data is not bypassed: it arrives late in the
cycle). Multiplication is pipelined (the product is registered between E and W, then
bypassed) and costs nothing extra; division takes 34 cycles in E; an AMO reads, then
writes, in two. Functional units live in their own modules: :class:`~.decoder.Decoder`,
:class:`~.alu.ALU`, :class:`~.muldiv.MulDiv`, :class:`~.csr.CSRFile`,
:class:`~.pmp.PmpChecker`, :class:`~.mmu.Mmu`.

Address translation looks fetches up in the instruction TLB in F and data addresses in the
data TLB in E. A miss stops the pipeline while the walker reads the page tables over the
data bus: a fetch miss waits until E and W are empty, a data miss holds its instruction in
E. A walk that faults hands its fault to the instruction that asked, which traps in E.
"""

from amaranth import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out

from ..bus import PID_WIDTH, BusSignature, window_hits
from .alu import ALU, AmoALU, compare
from .csr import CSRFile
from .decoder import Decoder, Predecoded, predecode
from .isa import Cause, Funct3, Priv
from .lsu import LoadPick, load_pick, load_result, store_lanes
from .mmu import Access, Fault, Mmu
from .muldiv import MulDiv
from .pma import Pma, pma_allows, pma_routes_io
from .pmp import PMP_ENTRIES, PmpChecker, check_pmp_entries
from .rvfi import RVFISignature

__all__ = ["Core", "Pma"]

QUEUE_DEPTH = 3   # fetched instructions held for E: its own and two behind it

# A fetched instruction, or a fetch that faulted, and whether fetching went on at the
# target of its jump or branch (a static prediction, see the F and E hand-over). The words
# come first, on word boundaries: Verilator then reads a field as a word instead of shifting
# two together (this, with the same in the other layouts of an array or a wide port, made
# the 4-hart model 5 to 7 % faster).
# Beside it, the few bits of its decode that E's data address and translation need
# (:data:`~.decoder.Predecoded`), decoded as it arrives. A fault's kind and address are
# not in the queue: fetching stops at a fault until a redirect empties the queue, so the
# queue holds at most one, and its details wait beside it (see ``qfault_code``).
Fetched = data.StructLayout({"insn": 32, "pc": 32, "valid": 1, "fault": 1,
                             "predicted": 1, **Predecoded})
# A fetch on its way to the bus (late_mem) or to its answer: its address, or its fault's
# kind (mmu.Fault) and the guest-physical address of a guest-page fault.
FetchRequest = data.StructLayout({"pc": 32, "gpa": 32, "valid": 1, "fault": 1, "code": 2})


def crosses_page(m, pc, offset):
    """Whether ``pc + offset`` is on another 4 KiB page than ``pc``: from the carry out of
    the low twelve bits and the offset's upper twenty, not from the sum's upper bits
    compared with ``pc``'s (a 32-bit carry chain and a 20-bit comparison after it, on the
    path from the block RAM's answer to a predicted jump's next fetch). The upper bits
    stay unless they are +0 with no carry, or -1 with one."""
    low = Signal(13)
    m.d.comb += low.eq(pc[0:12] + offset[0:12])
    high = offset[12:32]
    return ~(((high == 0) & ~low[12]) | ((high == (1 << 20) - 1) & low[12]))


def sum_equals(m, a, b, c, low):
    """Whether ``(a + b)[low:]`` equals ``c`` (as wide as those bits) without the sum's carry
    chain: in a sum that equals ``c``, bit ``i - 1`` sends bit ``i`` the carry ``a & b |
    (a | b) & ~c`` of its own bits, and bit ``i`` is ``a ^ b ^ carry``; so the sum equals
    ``c`` exactly when every bit's ``a ^ b ^ c`` is the carry its neighbour below implies
    (into bit ``low``, the low bits' own carry out). Each bit looks at two positions and
    the comparison is an AND of them, with no carry chain in front of it."""
    width = len(c)
    low_sum = Signal(low + 1)
    m.d.comb += low_sum.eq(a[:low] + b[:low])
    hi_a, hi_b = a[low:low + width], b[low:low + width]
    implied = Cat(low_sum[low], ((hi_a & hi_b) | ((hi_a | hi_b) & ~c))[:width - 1])
    return (hi_a ^ hi_b ^ c) == implied


class Core(wiring.Component):
    """One hart.

    Parameters
    ----------
    hartid : int
        Value of ``mhartid``.
    reset_addr : int
        Address of the first instruction fetched after reset.
    pma : list of :class:`Pma` or None
        The physical memory attributes; ``None`` allows everything everywhere.
    hext : bool
        Implement the hypervisor extension (``False`` measures what it costs).
    late_mem : bool
        Make every data access as a device access is made: E translates the address and
        registers the request, then holds its instruction while the bus carries it from
        those registers a cycle later, checked by PMP and PMA on the way (a refused one is
        withdrawn in its cycle, the bus's ``abort``, so the checks run beside the
        arbiters' choice rather than in front of it; its instruction finishes all the same
        and faults in W, as one the bus refuses does). A misaligned
        access or a page fault is registered too and taken a cycle later; an AMO's write
        follows its read from the registers, an SC's only while its reservation holds. A
        load or store costs a cycle more; what E finishes depends on registers and the
        instruction's kind, and the address adder and data TLB end at registers instead
        of going on through PMP, the bus, its arbiters and the partition checkers to the
        block RAM's write enable. A translated access costs one more again: its address
        is registered and looked up in the data TLB in the next cycle (the translate
        step, ``xl``), so that the adder and the TLB are in different cycles. Fetches
        too leave from registers: F translates and checks the fetch address and
        registers the request, which goes to the bus a cycle
        later, so that the instruction TLB
        and PMP end at registers instead of going on through the fetch arbiter and the
        partition checker; and the answer is registered as it arrives, so that the block
        RAM's answer ends at a register before the prediction and predecoding look at it
        (the fetch queue holds two more); every redirect costs two cycles more. And a
        redirect E decides is registered and made the next cycle (E starts nothing in
        it), so that the branch
        comparison ends at a register instead of every fetch register's enable: a
        redirect from E (a JALR, a wrongly predicted branch, an xRET, a fence) costs one
        more again. A CSR instruction waits a cycle in E for the CSR file to answer from
        registers (:class:`~.csr.CSRFile`'s ``late_csr``). W's result, load data
        included, is registered and written into the register file a cycle later, E
        taking it from those registers meanwhile (no cycle lost), so that the bus's answer
        ends at a register. The FPGA builds' option.
    pmp_entries : int
        PMP entries, 0 to 16 (see :mod:`.pmp`).
    windows : dict or None
        With ``late_mem``: the windows of the decoders on the data bus and the I/O bus,
        ``{"dbus": [(base, size), ...], "iobus": [...]}`` in bytes. The core then
        registers, with each request, which window its address falls in, and says so on
        ``dbus_hit`` and ``iobus_hit`` (for a decoder made ``hinted``; see
        :func:`~rtl.bus.window_hits`): the address comparison is then off the path from
        the request registers through the decoders' ``stall`` into E's finishing.
    fault : str or None
        Test-only: ``"xor"`` makes every register-register XOR return its result with bit 0
        flipped, so that tests can show the lockstep checker catching a wrong core.
    """

    def __init__(self, *, hartid=0, reset_addr=0x1000, pma=None, hext=True, late_mem=False,
                 pmp_entries=PMP_ENTRIES, windows=None, fault=None):
        if not isinstance(reset_addr, int) or reset_addr % 4 or not 0 <= reset_addr < 2**32:
            raise ValueError(f"reset_addr must be a word-aligned 32-bit address, "
                             f"not {reset_addr!r}")
        if fault not in (None, "xor"):
            raise ValueError(f"fault must be None or \"xor\", not {fault!r}")
        self.hartid = hartid
        self.reset_addr = reset_addr
        self.pma = pma if pma is not None else [Pma(0, 2**32, execute=True)]
        self.hext = bool(hext)
        self.late_mem = bool(late_mem)
        self.pmp_entries = check_pmp_entries(pmp_entries)
        self.fault = fault
        ports = {
            "ibus": Out(BusSignature()), "dbus": Out(BusSignature()),
            "iobus": Out(BusSignature()),
            "msip": In(1), "mtip": In(1), "meip": In(1), "seip": In(1), "sgeip": In(1),
            "mtime": In(64), "mtime_next": In(64),
            "rvfi": Out(RVFISignature()),
            # the partition register: the ID on every bus request, and whether it is locked
            "pid": Out(PID_WIDTH), "pid_locked": Out(1),
            # LR/SC across harts: this hart's reservation, and a store by another hart to it
            "resv_valid": Out(1), "resv_addr": Out(30), "resv_kill": In(1),
            # what the hart is doing, for timelines: privilege (1:0), V (2), asleep in WFI (3)
            "state": Out(4),
        }
        self.windows = None
        if windows is not None:
            if not self.late_mem:
                raise ValueError("windows (the buses' hits from registers) needs late_mem")
            self.windows = {bus: list(windows[bus]) for bus in ("dbus", "iobus")}
            ports |= {f"{bus}_hit": Out(len(w)) for bus, w in self.windows.items()}
        super().__init__(wiring.Signature(ports))

    def elaborate(self, platform):
        m = Module()
        m.submodules.dec = dec = Decoder(hext=self.hext)
        m.submodules.alu = alu = ALU()
        m.submodules.muldiv = muldiv = MulDiv(late=self.late_mem)
        m.submodules.amo = amo = AmoALU()
        m.submodules.csr = csr = CSRFile(hartid=self.hartid, hext=self.hext,
                                         pmp_entries=self.pmp_entries,
                                         late_irq=self.late_mem, late_csr=self.late_mem)
        m.submodules.mmu = mmu = Mmu(registered_pte=self.late_mem,
                                     windows=self.windows["dbus"] if self.windows else ())
        m.submodules.pmp_i = pmp_i = PmpChecker(self.pmp_entries)
        m.submodules.pmp_d = pmp_d = PmpChecker(self.pmp_entries)
        m.submodules.regs = regs = memory.Memory(shape=32, depth=32, init=[])
        rp1 = regs.read_port(domain="comb")
        rp2 = regs.read_port(domain="comb")
        wp = regs.write_port()
        ibus, dbus, iobus, rvfi = self.ibus, self.dbus, self.iobus, self.rvfi

        m.d.comb += [
            csr.msip.eq(self.msip), csr.mtip.eq(self.mtip), csr.meip.eq(self.meip),
            csr.seip.eq(self.seip), csr.sgeip.eq(self.sgeip),
            csr.mtime.eq(self.mtime), csr.mtime_next.eq(self.mtime_next),
            pmp_i.pmp.eq(csr.pmp), pmp_d.pmp.eq(csr.pmp),
            mmu.status.eq(csr.status),
        ]
        priv = csr.priv

        # --- F: fetch --------------------------------------------------------------------
        fetch_pc = Signal(32, init=self.reset_addr)
        f_pc = Signal(32)          # where F fetches this cycle: fetch_pc, or a guess's target
        pend = Signal()            # a fetch answer (or a fetch fault) arrives this cycle
        pend_pc = Signal(32)
        pend_fault = Signal()
        # A fetch fault's kind (mmu.Fault) and guest-physical address, beside pend
        pend_code = Signal(2)
        pend_gpa = Signal(32)
        # The fetch queue: fetched instructions, registered as they arrive: E's own
        # (``head``) and those behind it, oldest first, in a ring (``ring``: ``waiting``
        # of them from ``ring_rd`` on). Only a redirect empties it.
        # With late_mem a fetch leaves for the bus a cycle after F translated and checked it
        # (see the F and E hand-over), and its answer is registered before anything looks
        # at it, so the queue holds two more.
        late = self.late_mem
        depth = QUEUE_DEPTH + 2 * late
        head = Signal(Fetched, name="queue0")
        ring = Array(Signal(Fetched.size, name=f"ring{i}") for i in range(depth - 1))
        ring_rd = Signal(range(depth - 1))
        waiting = Signal(range(depth))
        qfault_code = Signal(2)    # the fault in the queue (there is one at most): its kind
        qfault_gpa = Signal(32)    # ... and guest-physical address
        # A fetch walk's fault, waiting to be handed to E as a faulting fetch
        ifault = Signal()
        ifault_code = Signal(2)
        ifault_gpa = Signal(32)

        m.d.comb += [
            mmu.i_vaddr.eq(f_pc), mmu.i_ctx.kind.eq(Access.FETCH),
            mmu.i_ctx.user.eq(priv == Priv.U), mmu.i_ctx.virt.eq(csr.virt),
            mmu.i_ctx.machine.eq(priv == Priv.M),
        ]
        fetch_paddr = Mux(mmu.i_on, mmu.i_paddr, f_pc)
        fetch_ready = ~mmu.i_on | mmu.i_hit          # the translation is at hand
        fetch_tlb_fault = mmu.i_on & (mmu.i_fault != Fault.NONE)
        m.d.comb += [
            pmp_i.addr.eq(fetch_paddr), pmp_i.priv.eq(priv), pmp_i.need.eq(0b100),
            ibus.sel.eq(0b1111), ibus.fetch.eq(1),
            ibus.pid.eq(csr.pid), dbus.pid.eq(csr.pid), iobus.pid.eq(csr.pid),
            self.pid.eq(csr.pid), self.pid_locked.eq(csr.pid_locked),
            ibus.hart.eq(self.hartid), dbus.hart.eq(self.hartid),
            iobus.hart.eq(self.hartid),
        ]
        fetch_ok = pmp_i.allow & pma_allows(fetch_paddr, self.pma, "execute") \
            & ~fetch_tlb_fault

        # --- E: the instruction and its operands ----------------------------------------
        e_valid = head.valid
        e_insn = head.insn
        e_pc = head.pc
        e_fetch_fault = head.fault
        e_fetch_code = qfault_code
        e_fetch_gpa = qfault_gpa
        m.d.comb += [
            dec.insn.eq(e_insn), dec.priv.eq(priv), dec.virt.eq(csr.virt),
            dec.status.eq(csr.status),
            dec.csr_illegal.eq(csr.illegal), dec.csr_virtual.eq(csr.virtual),
            csr.addr.eq(e_insn[20:32]), csr.writes.eq(dec.csr_writes),
            rp1.addr.eq(dec.rs1), rp2.addr.eq(dec.rs2),
        ]

        # W's registers, declared here for the bypass into E.
        w_valid = Signal()
        w_rd = Signal(5)
        w_writes = Signal()
        w_value = Signal(32)
        w_load = Signal()
        w_mul = Signal()           # the result is the multiplier's, registered E -> W
        w_mem = Signal()           # W's data access is answered this cycle
        w_io = Signal()            # ... on the I/O bus
        w_pc = Signal(32)
        w_pick = Signal(LoadPick)  # where the bytes of W's value come from (a load's or not)
        w_addr = Signal(32)
        w_paddr = Signal(32)
        w_result = Signal(32)
        w_computed = Mux(w_mul, muldiv.mul_result, w_value)

        # W's result is bypassed into E unless it is load data, which arrives from the bus
        # late in the cycle: an instruction that names the register a load in W writes
        # waits a cycle in E (`load_use`) and reads it from the register file. Whether W
        # writes the register a field of E's instruction names (``w_hits``) is decided as
        # the instruction enters E, beside the one leaving for W (see the queue), so that
        # E's operands start from a register's choice instead of a comparison.
        w_hits = Signal(2)       # W writes E's rs1 field's register, rs2's
        r1 = Signal(32)
        r2 = Signal(32)
        # late_mem: the register file is written a cycle after W, from registers (``x_*``):
        # W's result, load data included, ends at a register instead of going on into the
        # register file's write port, and whether it is written (a bus error stops a load's
        # write) is not on the path into its write enable. E takes the value the register
        # file does not hold yet from those registers (``x_hits``, decided as ``w_hits`` is),
        # W's first: no instruction waits longer than before.
        if late:
            x_en = Signal()
            x_rd = Signal(5)
            x_value = Signal(32)
            x_hits = Signal(2)   # X writes E's rs1 field's register, rs2's
            rd1 = Mux(x_hits[0], x_value, rp1.data)
            rd2 = Mux(x_hits[1], x_value, rp2.data)
        else:
            rd1, rd2 = rp1.data, rp2.data
        # late_mem: a product is not bypassed from W either: it is worked out in W's cycle
        # from the factors E registered (MulDiv's ``late``), so an instruction that reads
        # it waits a cycle as for load data and takes it from X
        w_bypassed = w_value if late else w_computed
        m.d.comb += [r1.eq(Mux(w_hits[0], w_bypassed, rd1)),
                     r2.eq(Mux(w_hits[1], w_bypassed, rd2))]

        # (the register fields of instructions that read them: elsewhere the same bits are
        # an immediate, and matching them would stall for nothing)
        reads_rs1 = ~(dec.lui | dec.auipc | dec.jal)
        reads_rs2 = dec.branch | dec.store | dec.op | dec.muldiv | dec.amo | dec.hsv
        load_use = ((w_load | w_mul) if late else w_load) \
            & ((w_hits[0] & reads_rs1) | (w_hits[1] & reads_rs2))

        # --- E: execution units ----------------------------------------------------------
        m.d.comb += [
            alu.a.eq(r1),
            alu.b.eq(Mux(dec.op | dec.branch, r2, dec.imm_i)),
            alu.op.eq(dec.f3),
            alu.alt.eq(dec.alu_alt),
            muldiv.op.eq(dec.f3), muldiv.a.eq(r1), muldiv.b.eq(r2),
        ]
        # A branch compares its operands with a comparator of its own, not the ALU's: the
        # ALU's second operand is a choice between rs2 and the immediate made by the
        # decoder, a level of logic (and the decoder behind it) on the path from the
        # register file through the comparison into E's redirect.
        cond = Signal()         # a branch's condition holds
        br_eq, br_lt, br_ltu = compare(r1, r2)
        with m.Switch(dec.f3):
            with m.Case(Funct3.BEQ):
                m.d.comb += cond.eq(br_eq)
            with m.Case(Funct3.BNE):
                m.d.comb += cond.eq(~br_eq)
            with m.Case(Funct3.BLT):
                m.d.comb += cond.eq(br_lt)
            with m.Case(Funct3.BGE):
                m.d.comb += cond.eq(~br_lt)
            with m.Case(Funct3.BLTU):
                m.d.comb += cond.eq(br_ltu)
            with m.Case(Funct3.BGEU):
                m.d.comb += cond.eq(~br_ltu)
        target = Signal(32)
        jumps = Signal()
        with m.If(dec.jal):
            m.d.comb += [target.eq(e_pc + dec.imm_j), jumps.eq(1)]
        with m.Elif(dec.jalr):
            m.d.comb += [target.eq((r1 + dec.imm_i) & ~1), jumps.eq(1)]
        with m.Else():
            m.d.comb += [target.eq(e_pc + dec.imm_b), jumps.eq(dec.branch & cond)]
        pc4 = e_pc + 4
        # A jump's target's bit 1 worked out from the two low bits of the sum's operands,
        # not taken from the adders, so that the trap and the chain of E's decisions
        # behind it do not wait on a carry chain
        target_misaligned = Mux(dec.jalr, (r1[0:2] + dec.imm_i[0:2])[1],
                                (e_pc[0:2] + dec.imm_j[0:2])[1])

        # Data access: address, translation, lanes, alignment, permissions. HLV and HSV are
        # loads and stores made as if V=1 at the privilege hstatus.SPVP names.
        is_load = dec.load | dec.hlv
        is_store = dec.store | dec.hsv
        is_mem = is_load | is_store | dec.amo
        # (the offset, the kind and HLV/HSV-ness from the queue's predecoded bits, which
        # agree with the decoder's for these instructions: the address adder and the data
        # TLB then start from registers and the register file, not from the decoder)
        is_write = head.write
        is_read = is_load | (dec.amo & ~dec.sc)
        daddr = Signal(32)
        offset = Mux(head.off_zero, 0, Mux(head.off_s, dec.imm_s, dec.imm_i))
        m.d.comb += daddr.eq(r1 + offset)
        # late_mem: an access that is translated is looked up in the data TLB a cycle after
        # E computed its address (``xl``, the translate step), from a register: the address
        # adder and the TLB are in different cycles. (The address is the same in every
        # cycle the instruction spends in E: its operands do not change meanwhile.)
        xl = Signal()
        xl_va = Signal(32)
        hlsv = head.hlsv if self.hext else Const(0, 1)
        d_priv = Signal(Priv)
        d_virt = Signal()
        m.d.comb += [
            d_priv.eq(Mux(hlsv, Mux(csr.status.spvp, Priv.S, Priv.U), csr.data_priv)),
            d_virt.eq(hlsv | csr.data_virt),
            mmu.d_vaddr.eq(xl_va if self.late_mem else daddr),
            mmu.d_ctx.kind.eq(Mux(is_write, Access.STORE, Access.LOAD)),
            mmu.d_ctx.hlvx.eq(head.hlvx if self.hext else 0),
            mmu.d_ctx.user.eq(d_priv == Priv.U),
            mmu.d_ctx.virt.eq(d_virt), mmu.d_ctx.machine.eq(d_priv == Priv.M),
        ]
        d_paddr = Signal(32)
        m.d.comb += d_paddr.eq(Mux(mmu.d_on, mmu.d_paddr, daddr))
        size = dec.mem_f3[0:2]
        misaligned, lanes, store_data = store_lanes(size, daddr, r2)
        # While the walker runs, pmp_d checks its page-table reads (S-level, implicit).
        with m.If(mmu.busy):
            m.d.comb += [pmp_d.addr.eq(mmu.bus_adr), pmp_d.priv.eq(Priv.S),
                         pmp_d.need.eq(0b001)]
        # (late_mem: the address E registered last cycle, checked as it goes to the bus,
        # with the access's kind registered beside it, ``io_kind``: E's decoder is then on
        # no path into the checks, the bus's ``abort`` and the other harts' reservations)
        checked = Signal(32)
        io_kind = Signal(3)
        if late:
            c_read, c_write, c_amo = io_kind
        else:
            c_read, c_write, c_amo = is_read, is_write, dec.amo
        with m.Else():
            m.d.comb += [pmp_d.addr.eq(checked), pmp_d.priv.eq(d_priv),
                         pmp_d.need.eq(Cat(c_read, c_write, Const(0, 1)))]
        # page tables are read from memory only (the walker has the data bus, not the I/O bus)
        walk_read, walk_io = pma_allows(mmu.bus_adr, self.pma, "read", "io")
        m.d.comb += mmu.bus_ok.eq(pmp_d.allow & walk_read & ~walk_io)
        d_read, d_write, d_io = pma_allows(checked, self.pma, "read", "write", "io")
        mem_ok = pmp_d.allow & (~c_read | d_read) & (~c_write | d_write) & ~(c_amo & d_io)
        d_io_now = pma_routes_io(d_paddr, self.pma) if self.late_mem else d_io
        # A data walk's fault, for the instruction in E that asked
        dfault = Signal()
        dfault_code = Signal(2)
        dfault_gpa = Signal(32)
        d_tlb_fault = mmu.d_on & (mmu.d_fault != Fault.NONE)
        d_code = Mux(dfault, dfault_code, mmu.d_fault)
        d_gpa = Mux(dfault, dfault_gpa, mmu.d_gpa)

        # CSR instructions' new value.
        csr_src = Mux(dec.f3[2], dec.rs1, r1)
        with m.Switch(dec.f3[0:2]):
            with m.Case(1):
                m.d.comb += csr.wdata.eq(csr_src)
            with m.Case(2):
                m.d.comb += csr.wdata.eq(csr.rdata | csr_src)
            with m.Case(3):
                m.d.comb += csr.wdata.eq(csr.rdata & ~csr_src)

        # AMO arithmetic on the word read in the AMO's first cycle.
        # (late_mem: from a register, the cycle after the read's answer, into another
        # register, written the cycle after: neither the block RAM's output nor the AMO's
        # adder and comparator are on a path into its input; see amo_calc, amo_hold)
        amo_kept = Signal(32)
        amo_made = Signal(32)
        amo_old = amo_kept if self.late_mem else dbus.dat_r
        amo_new = amo_made if self.late_mem else amo.result
        m.d.comb += [amo.op.eq(e_insn[27:32]), amo.old.eq(amo_old)]

        alu_result = alu.out
        if self.fault == "xor":
            alu_result = alu.out ^ (dec.op & (dec.f3 == Funct3.XOR))

        # --- E: sequencing -------------------------------------------------------------
        md_busy = Signal()       # a division is under way
        amo_read = Signal()      # an AMO's read was issued; its write follows
        # late_mem: the read's answer is registered (amo_kept) and the write made a cycle
        # later, from registers; the arbiters stay reserved meanwhile (the bus's ``lock``
        # raised without a request holds a reservation)
        amo_calc = Signal()      # ... the new word is worked out (into amo_made)
        amo_hold = Signal()      # ... and written
        amo_busy = (amo_read | amo_calc | amo_hold) if self.late_mem else amo_read
        resv_valid = Signal()
        resv_addr = Signal(30)
        intr_seen = Signal()
        order = Signal(64)
        wfi_wait = Signal()
        m.d.comb += self.state.eq(Cat(csr.priv, csr.virt, wfi_wait))
        # A device access, registered in E's first cycle: the I/O bus carries it from the
        # next, while E holds its instruction (nothing can interrupt it there).
        io_wait = Signal()
        io_adr = Signal(30)
        io_we = Signal()
        io_sel = Signal(4)
        io_dat = Signal(32)
        # (late_mem: an AMO's operand is the registered store data, rs2's word for an AMO,
        # aligned as it must be, held while the AMO is under way: the register file and the
        # bypass are not on the path into amo_made)
        m.d.comb += amo.operand.eq(io_dat if late else r2)
        io_ram = Signal()        # late_mem: the registered access is to memory (data bus)
        io_hits = {bus: Signal(len(windows), name=f"io_{bus}_hit")    # ... its windows
                   for bus, windows in (self.windows or {}).items()}
        io_lock = Signal()       # ... an AMO's read, its write follows
        io_sc = Signal()         # ... an SC's write, made only while its reservation holds
        m.d.comb += checked.eq(Cat(Const(0, 2), io_adr) if late else d_paddr)
        # (late_mem: the request goes out before PMP and PMA have their say on it, and is
        # withdrawn in the same cycle if they refuse: ``abort``, see rtl.bus.wishbone. The
        # checks are then beside the arbiters' choice instead of in front of it.)
        refusing = (io_wait & ~mem_ok) if late else Const(0)
        m.d.comb += [iobus.cyc.eq(io_wait & ~io_ram), iobus.abort.eq(~mem_ok if late else 0),
                     iobus.adr.eq(io_adr), iobus.we.eq(io_we),
                     iobus.sel.eq(io_sel), iobus.dat_w.eq(io_dat)]

        e_fin = Signal()         # E's instruction is finished, if its bus request is taken
        e_done = Signal()        # E's instruction leaves E this cycle
        redirect = Signal()      # F fetches anew from redirect_to, the queue empties
        redirect_to = Signal(32)
        e_redirect = Signal()    # E's instruction sends fetching to e_redirect_to
        e_redirect_to = Signal(32)
        e_redirect_seq = Signal()  # ... to the instruction after it instead (pc4)
        br_in_e = Signal(attrs={"keep": 1})  # ... or, E's branch, if its guess was wrong
        # late_mem: E's redirect is registered and made the next cycle, in which E starts
        # nothing (the queue holds what followed the instruction that redirected), so that
        # E's branch decision ends at a register instead of every fetch register's enable.
        redirecting = Signal()
        # What E hands to W when it finishes.
        n_writes = Signal()
        n_value = Signal(32)
        n_load = Signal()
        n_mul = Signal()
        n_mem = Signal()
        n_io = Signal()
        n_next = Signal(32)
        n_trap = Signal()
        n_mem_addr = Signal(32)
        n_mem_rmask = Signal(4)
        n_mem_wmask = Signal(4)
        n_mem_wdata = Signal(32)
        n_mem_rdata = Signal(32)

        def finish(next_pc, *, writes=False):
            m.d.comb += [e_fin.eq(1), n_next.eq(next_pc), n_writes.eq(writes)]

        # A trap is taken the cycle after it is decided. The decision (E's checks, or a
        # bus error answering W) is registered in t_*; from there the CSR file enters the
        # handler and F is redirected to its vector. Nothing is fetched in the deciding
        # cycle and E does nothing in the next, so the trap is as precise as before, one
        # cycle later; the trap vector (delegation, vectored mode) is off the path from
        # E's checks to the next fetch address.
        trapping = Signal()      # a trap is decided this cycle
        t_take = Signal()        # the trap decided last cycle is taken now
        t_bus = Signal()         # ... and it is W's bus error (the instruction retired)
        t_intr = Signal()
        t_cause = Signal(5)
        t_pc = Signal(32)
        t_tval = Signal(32)
        t_gpa = Signal(32)
        t_gva = Signal()
        m.d.sync += t_take.eq(trapping)
        m.d.comb += [
            csr.trap.eq(t_take), csr.trap_intr.eq(t_intr), csr.trap_cause.eq(t_cause),
            csr.trap_pc.eq(t_pc), csr.trap_tval.eq(t_tval), csr.trap_gpa.eq(t_gpa),
            csr.trap_gva.eq(t_gva), csr.unretire.eq(t_take & t_bus),
        ]
        # The t_* registers follow the decision's values every cycle, not only when a trap
        # is decided: they are looked at only as it is taken, the cycle after (so that the
        # decision is the choice of their inputs, not the enable of some 170 flip-flops).
        t_regs = (t_cause, t_intr, t_pc, t_tval, t_gpa, t_gva, t_bus)
        decided = [Signal.like(reg, name=f"d{reg.name[1:]}") for reg in t_regs]
        m.d.sync += [reg.eq(value) for reg, value in zip(t_regs, decided)]

        def decide_trap(cause, tval, pc, *, intr=False, gpa=0, gva=0, bus=False):
            m.d.comb += [trapping.eq(1)] + [value.eq(given) for value, given in
                                            zip(decided, (cause, intr, pc, tval, gpa, gva, bus))]
            m.d.sync += resv_valid.eq(0)

        def trap(cause, tval, *, intr=False, gpa=0, gva=0):
            decide_trap(cause, tval, e_pc, intr=intr, gpa=gpa, gva=gva)
            if intr:
                m.d.sync += intr_seen.eq(1)
            else:
                finish(0)
                m.d.comb += n_trap.eq(1)

        def access(we, sel, data, *, lock=0):
            with m.If(io_wait):
                # the request registered last cycle is on the I/O bus (or, late_mem, the
                # data bus: driven from the registers below, whatever E decides)
                m.d.comb += n_io.eq(~io_ram)
                with m.If(taken):
                    m.d.sync += io_wait.eq(0)
            if not late:
                with m.Else():
                    m.d.comb += [dbus.cyc.eq(1), dbus.adr.eq(d_paddr[2:32]), dbus.we.eq(we),
                                 dbus.lock.eq(lock), dbus.sel.eq(sel), dbus.dat_w.eq(data)]
            m.d.comb += [n_mem.eq(1), n_mem_addr.eq(Cat(Const(0, 2), d_paddr[2:32]))]

        def fault_cause(code, access, page, guest_page):
            return Mux(code == Fault.PAGE, page, Mux(code == Fault.GUEST_PAGE, guest_page,
                                                     access))

        # A data access refused on the bus (by a partition checker) is answered with err
        # while its instruction is in W. E is frozen in that cycle, so the younger
        # instruction has no effect, and the fault is precise.
        w_fault = Signal()
        w_err = Mux(w_io, iobus.err, dbus.err)
        w_dat_r = Mux(w_io, iobus.dat_r, dbus.dat_r)
        # late_mem: an access PMP or PMA refused as it left (withdrawn: nothing answers)
        # faults in W the same way; W's flag is registered as E finishes, io_refused every
        # cycle (for an AMO's read, whose write does not follow)
        io_refused = Signal()
        w_refused = Signal()
        m.d.sync += io_refused.eq(refusing)
        m.d.comb += w_fault.eq(w_valid & ((w_mem & w_err) | w_refused))
        # An arbiter may refuse E's request this cycle: then E has done nothing and tries
        # again (every state change of a bus-using instruction below waits for `taken`).
        # (a withdrawn request is not waited for: E takes its access fault at once; late_mem:
        # one PMP or PMA withdraws waits for the bus as any other does, the arbiters weighing
        # it alike, and E finishes it once taken, W faulting, so that the checks are on no
        # path to E's finishing)
        d_stall = Signal()
        # (late_mem: the walker's stalls are not told apart: E neither finishes nor has a
        # request waiting while the walker runs, so that its state is not on this path)
        walker_off = Const(1) if late else ~mmu.busy
        m.d.comb += d_stall.eq((dbus.cyc & (late | ~dbus.abort) & dbus.stall & walker_off)
                               | (iobus.cyc & (late | ~iobus.abort) & iobus.stall))
        taken = ~d_stall

        # late_mem: a data access's fault, registered, taken the next cycle
        lf_pending = Signal()
        lf_cause = Signal(5)
        lf_tval = Signal(32)
        lf_gpa = Signal(32)
        lf_gva = Signal()
        # A branch whose target may be misaligned waits a cycle in E (see the branches),
        # so that the comparison is not on the path to E's finishing, retiring or trapping.
        bm_wait = Signal()
        bm_taken = Signal()
        with m.If(t_take):
            m.d.sync += bm_wait.eq(0)
        csr_ready = Signal()     # late_mem: the CSR file's answer is E's instruction's
        with m.If(csr_ready):
            m.d.sync += csr_ready.eq(0)
        first = ~md_busy & ~amo_busy & ~wfi_wait & ~io_wait & ~lf_pending & ~bm_wait
        if late:
            first &= ~xl
        # An SC writes while its reservation holds (late_mem: checked from the registers as
        # the write waits to be made, see the data bus's abort; the address compared as the
        # access is registered, io_resv: the reserved address changes only as an LR is made,
        # while no access is registered)
        io_resv = Signal()
        sc_holds = (resv_valid & ~self.resv_kill
                    & (io_resv if late else (resv_addr == d_paddr[2:32])))
        # Another hart's store to the reserved word, taken last cycle, ends the reservation
        # (before an LR taken in this cycle makes a new one: the LR read the stored word).
        with m.If(self.resv_kill):
            m.d.sync += resv_valid.eq(0)
        virt = csr.virt

        # A misaligned access, or one whose translation faulted (a walk's fault, or the
        # TLB's for this access): its cause and guest-physical address.
        mem_faults = misaligned | dfault | d_tlb_fault
        mf_cause = Mux(misaligned,
                       Mux(is_write, Cause.STORE_MISALIGNED, Cause.LOAD_MISALIGNED),
                       Mux(is_write,
                           fault_cause(d_code, Cause.STORE_ACCESS, Cause.STORE_PAGE,
                                       Cause.STORE_GUEST_PAGE),
                           fault_cause(d_code, Cause.LOAD_ACCESS, Cause.LOAD_PAGE,
                                       Cause.LOAD_GUEST_PAGE)))
        mf_gpa = Mux(~misaligned & (d_code == Fault.GUEST_PAGE), d_gpa, 0)
        if late:
            # late_mem: the fault is registered and taken next cycle, so that E's finishing
            # is not at the end of the address adder and the data TLB. The registers follow
            # E's access whenever none is pending: only lf_pending waits on E's decision.
            with m.If(~lf_pending):
                m.d.sync += [lf_cause.eq(mf_cause), lf_tval.eq(daddr), lf_gpa.eq(mf_gpa),
                             lf_gva.eq(d_virt)]

        def mem_fault():
            if late:
                m.d.sync += [lf_pending.eq(1), xl.eq(0)]
            else:
                trap(mf_cause, daddr, gpa=mf_gpa, gva=d_virt)

        def access_fault():
            """PMP or PMA refused the data access."""
            trap(Mux(is_write, Cause.STORE_ACCESS, Cause.LOAD_ACCESS), daddr, gva=d_virt)

        def memory_ops():
            with m.If(dec.sc):
                with m.If(taken):
                    m.d.sync += resv_valid.eq(0)
                with m.If(sc_holds):
                    access(1, 0b1111, r2)
                    m.d.comb += [n_mem_wmask.eq(0b1111), n_mem_wdata.eq(r2)]
                    finish(pc4, writes=True)
                with m.Else():
                    if late:   # the reservation was lost: withdrawn (the data bus's abort)
                        with m.If(taken):
                            m.d.sync += io_wait.eq(0)
                    finish(pc4, writes=True)
            with m.Elif(dec.lr):
                access(0, 0b1111, 0)
                with m.If(taken):
                    m.d.sync += [resv_valid.eq(1),
                                 resv_addr.eq(io_adr if late else d_paddr[2:32])]
                m.d.comb += [n_load.eq(1), n_mem_rmask.eq(0b1111)]
                finish(pc4, writes=True)
            with m.Elif(dec.amo):
                with m.If(~amo_busy):
                    access(0, 0b1111, 0, lock=1)   # the write follows, unseparated
                    with m.If(taken):
                        m.d.sync += amo_read.eq(1)
                with m.Elif(amo_read & (dbus.err | io_refused if late else dbus.err)):
                    m.d.sync += amo_read.eq(0)
                    trap(Cause.STORE_ACCESS, daddr, gva=d_virt)
                if late:
                    with m.Elif(amo_read):
                        m.d.sync += [amo_read.eq(0), amo_calc.eq(1), amo_kept.eq(dbus.dat_r)]
                    with m.Elif(amo_calc):
                        m.d.sync += [amo_calc.eq(0), amo_hold.eq(1), amo_made.eq(amo.result)]
                with m.Else():
                    access(1, 0b1111, amo_new)
                    with m.If(taken):
                        m.d.sync += [amo_read.eq(0), amo_hold.eq(0)]
                    m.d.comb += [n_mem_rmask.eq(0b1111), n_mem_wmask.eq(0b1111),
                                 n_mem_wdata.eq(amo_new), n_mem_rdata.eq(amo_old)]
                    finish(pc4, writes=True)
            with m.Elif(is_load):
                access(0, lanes, 0)
                m.d.comb += [n_load.eq(1), n_mem_rmask.eq(lanes)]
                finish(pc4, writes=True)
            with m.Else():
                access(1, lanes, store_data)
                m.d.comb += [n_mem_wmask.eq(lanes), n_mem_wdata.eq(store_data)]
                finish(pc4)

        def data_access():
            """A load, store or AMO in E: its checks, then its access. With late_mem every
            access is registered after the checks and made from the registers next cycle,
            when E goes straight to it; what E finishes then depends on registers and the
            instruction's kind only."""
            def tlb_miss():
                # E waits while the walker fills the TLB (or finds a fault)
                m.d.comb += [mmu.walk.eq(~mmu.busy), mmu.walk_fetch.eq(0)]

            with m.If(lf_pending if late else 0):
                m.d.sync += lf_pending.eq(0)
                trap(lf_cause, lf_tval, gpa=lf_gpa, gva=lf_gva)
            with m.Elif((io_wait | amo_busy) if late else 0):
                # Refused by PMP or PMA as it leaves, the access is withdrawn and the
                # instruction finishes all the same: W takes its access fault as it takes
                # a bus error's (an AMO's read, in its next cycle), so that PMP is not on
                # the path to E's finishing (see io_refused)
                memory_ops()
            if late:
                # late_mem: every data access goes to the bus from registers next cycle.
                # In its first cycle a translated one is sent to the translate step (looked
                # up next cycle, from xl_va) and an untranslated one is checked. The
                # translate step looks at the TLB's answer alone: the alignment was settled
                # in the first cycle (the address is the same in both), so the address
                # adder is on no path into the walker. (io_wait and amo_busy are clear
                # below: the branch above takes them.)
                with m.Elif(~xl):
                    with m.If(mmu.d_on & ~misaligned):
                        m.d.sync += xl.eq(1)
                    with m.Elif(mem_faults):
                        mem_fault()
                    with m.Else():
                        m.d.sync += io_wait.eq(1)
                with m.Else():
                    with m.If(dfault | d_tlb_fault):
                        mem_fault()
                    with m.Elif(mmu.d_on & ~mmu.d_hit):
                        tlb_miss()
                    with m.Else():
                        m.d.sync += [io_wait.eq(1), xl.eq(0)]
            else:
                with m.Elif(mem_faults):
                    mem_fault()
                with m.Elif(mmu.d_on & ~mmu.d_hit):
                    tlb_miss()
                with m.Elif(~mem_ok):
                    access_fault()
                with m.Elif(d_io & ~io_wait & ~amo_busy):
                    # a device access, checked: the I/O bus takes it from a register next
                    # cycle (an AMO to a device is refused by the check above)
                    m.d.sync += io_wait.eq(1)
                with m.Else():
                    memory_ops()

        # The access's registers follow E's whenever they are free (no access waits in them,
        # no AMO's write is to follow): only io_wait waits on E's decision.
        if late:
            with m.If(~xl & ~io_wait & ~amo_busy):
                m.d.sync += xl_va.eq(daddr)
            with m.If(t_take):
                m.d.sync += xl.eq(0)
        if late:
            # (the reserved word compared with an untranslated address as a sum, not after
            # the address adder: see sum_equals)
            resv_now = Mux(mmu.d_on, resv_addr == mmu.d_paddr[2:32],
                           sum_equals(m, r1, offset, resv_addr, 2))
        with m.If(~io_wait & ~amo_busy):
            m.d.sync += [io_adr.eq(d_paddr[2:32]), io_we.eq(is_write & ~(dec.amo & ~dec.sc)),
                         io_sel.eq(lanes), io_dat.eq(store_data)]
            if late:
                m.d.sync += [io_ram.eq(~d_io_now), io_lock.eq(dec.amo & ~dec.sc & ~dec.lr),
                             io_kind.eq(Cat(is_read, is_write, dec.amo)),
                             io_sc.eq(dec.sc), io_resv.eq(resv_now)]
                if self.windows:
                    # which decoder window the access goes to, on either bus
                    m.d.sync += [io_hits[bus].eq(window_hits(d_paddr[2:32], windows))
                                 for bus, windows in self.windows.items()]

        # E's instruction empties the TLBs (SFENCE.VMA, HFENCE, a write of an address
        # translation CSR). late_mem: a cycle later, from a register, so that E's decision
        # ends there instead of at every TLB entry's valid bit. Nothing looks a translation
        # up in that cycle but a fetch that went on after a CSR write, which the privileged
        # specification lets use either translation until an SFENCE.VMA (writing satp
        # implies no invalidation of address-translation caches: the supervisor chapter's
        # `satp` section); a fence redirects (nothing is fetched while a late redirect is
        # made) and a data access is looked up a cycle after it enters E (``xl``).
        e_flush = Signal()
        if late:
            flushing = Signal()
            m.d.sync += flushing.eq(e_flush)
            m.d.comb += mmu.flush.eq(flushing)
        else:
            m.d.comb += mmu.flush.eq(e_flush)

        # Where a redirect of E's instruction goes, from its decoding alone (the chain
        # below decides only whether it redirects): neither a branch's condition nor the
        # chain's other conditions are on the path of its 32 bits.
        m.d.comb += e_redirect_to.eq(Mux(dec.mret, csr.mepc,
                                         Mux(dec.sret, csr.sret_pc, target)))

        # (csr.irq_settling, late_mem: for a cycle after the mode or a CSR changed, until
        # the registered interrupt decision has seen it)
        with m.If(e_valid & ~w_fault & ~t_take & ~csr.irq_settling & ~redirecting):
            with m.If(csr.irq_take & first & ~dec.wfi & ~mmu.busy):
                trap(csr.irq_cause, 0, intr=True)
            with m.Elif(load_use):
                pass                         # W writes the register this one reads
            with m.Elif(first & e_fetch_fault):
                trap(fault_cause(e_fetch_code, Cause.INSN_ACCESS, Cause.INSN_PAGE,
                                 Cause.INSN_GUEST_PAGE),
                     e_pc, gpa=Mux(e_fetch_code == Fault.GUEST_PAGE, e_fetch_gpa, 0), gva=virt)
            with m.Elif(dec.csr & ~csr_ready if late else 0):
                # late_mem: the CSR file answers from registers a cycle after it sees the
                # address (its late_csr): E holds the instruction for that cycle first
                m.d.sync += csr_ready.eq(1)
            with m.Elif(first & ~dec.legal):
                trap(Cause.ILLEGAL_INSN, e_insn)
            with m.Elif(first & dec.virtual):
                trap(Cause.VIRTUAL_INSN, e_insn)
            with m.Elif(dec.ecall):
                # U 8, HS 9, VS 10, M 11 (VU is U)
                trap(Cause.ECALL_U + priv.as_value() + (virt & (priv == Priv.S)), 0)
            with m.Elif(dec.ebreak):
                trap(Cause.BREAKPOINT, e_pc, gva=virt)
            with m.Elif((dec.jal | dec.jalr) & target_misaligned):
                trap(Cause.INSN_MISALIGNED, target, gva=virt)
            with m.Elif(is_mem):
                data_access()
            with m.Elif(dec.muldiv & ~dec.f3[2]):
                # Multiplications are pipelined: the product is registered as the
                # instruction moves to W, which takes its result from there.
                m.d.comb += [muldiv.start.eq(1), n_mul.eq(1)]
                finish(pc4, writes=True)
            with m.Elif(dec.muldiv):
                with m.If(~md_busy):
                    m.d.comb += muldiv.start.eq(1)
                    m.d.sync += md_busy.eq(1)
                with m.Elif(muldiv.done):
                    m.d.sync += md_busy.eq(0)
                    finish(pc4, writes=True)
            with m.Elif(dec.csr):
                m.d.comb += [csr.write.eq(dec.csr_writes), e_flush.eq(csr.flush_tlb)]
                finish(pc4, writes=True)
            with m.Elif(dec.mret):
                m.d.comb += [csr.mret.eq(1), e_redirect.eq(1)]
                m.d.sync += resv_valid.eq(0)
                finish(csr.mepc)
            with m.Elif(dec.sret):
                m.d.comb += [csr.sret.eq(1), e_redirect.eq(1)]
                m.d.sync += resv_valid.eq(0)
                finish(csr.sret_pc)
            with m.Elif(dec.sfence):
                # SFENCE.VMA, HFENCE.VVMA/GVMA: empty the TLBs and fetch anew
                m.d.comb += [e_flush.eq(1), e_redirect.eq(1), e_redirect_seq.eq(1)]
                finish(pc4)
            with m.Elif(dec.wfi):
                with m.If(csr.irq_wake):
                    m.d.sync += wfi_wait.eq(0)
                    finish(pc4)
                with m.Else():
                    m.d.sync += wfi_wait.eq(1)
            with m.Elif(dec.fence_i):
                m.d.comb += [e_redirect.eq(1), e_redirect_seq.eq(1)]
                finish(pc4)
            with m.Elif(dec.branch & dec.imm_b[1] & ~bm_wait):
                # a branch whose target, if taken, is not word-aligned (E's pc always is):
                # its condition is registered and it traps or finishes next cycle
                m.d.sync += [bm_wait.eq(1), bm_taken.eq(cond)]
            with m.Elif(bm_wait & bm_taken):
                m.d.sync += bm_wait.eq(0)
                trap(Cause.INSN_MISALIGNED, target, gva=virt)
            with m.Elif(dec.branch | dec.fence):
                m.d.sync += bm_wait.eq(0)
                # fetching went on at the target if the branch was predicted taken; a
                # branch's redirect when it was not is made below, from br_in_e
                next_pc = Mux(jumps, target, pc4)
                m.d.comb += [br_in_e.eq(dec.branch), e_redirect_seq.eq(~jumps)]
                with m.If(~dec.branch & (jumps != head.predicted)):
                    m.d.comb += e_redirect.eq(1)
                finish(next_pc)
            with m.Else():
                with m.If(jumps & ~head.predicted):
                    m.d.comb += e_redirect.eq(1)
                finish(Mux(jumps, target, pc4), writes=dec.writes_rd)

        # The result E's instruction writes, if it writes one, from its kind alone (not from
        # the chain above, which decides only whether it finishes and writes): the ALU's,
        # chosen last (its adder's carry is the latest input), else a CSR's old value, an
        # SC's 0 or 1, an AMO's old word, a division's quotient or remainder (a
        # multiplication's product is taken in W), LUI's or AUIPC's, or a jump's link. W's
        # register follows it every cycle: W's value is used only in the cycle after E
        # finished its instruction (the bypass and the register file's write).
        uses_alu = ~(dec.csr | dec.amo | dec.muldiv | dec.lui | dec.auipc | dec.jal | dec.jalr)
        other = Mux(dec.csr, csr.rdata,
                    Mux(dec.sc, ~sc_holds,
                        Mux(dec.amo, amo_old,
                            Mux(dec.muldiv, muldiv.div_result,
                                Mux(dec.lui, dec.imm_u,
                                    Mux(dec.auipc, e_pc + dec.imm_u, pc4))))))
        m.d.comb += n_value.eq(Mux(uses_alu, alu_result, other))
        m.d.sync += w_value.eq(n_value)
        m.d.comb += e_done.eq(e_fin & taken)
        retire_e = e_done & ~n_trap
        m.d.comb += csr.retire.eq(retire_e)

        w_store = Signal()
        w_virt = Signal()
        with m.If(w_fault):
            decide_trap(Mux(w_store, Cause.STORE_ACCESS, Cause.LOAD_ACCESS), w_addr, w_pc,
                        gva=w_virt, bus=True)
        # A branch redirects when its condition is not what was predicted. The
        # condition comes last, out of the comparator's carry chains: every other input
        # (the chain above reaching the branch, its funct3, the prediction) is folded into
        # one select per comparison result, each kept (yosys's ABC sees a carry chain's
        # output as arriving first, and put the condition at the bottom of seven LUTs).
        f3, guess = dec.f3, head.predicted
        redirect_if = {}
        for name, yes, no in (("eq", Funct3.BEQ, Funct3.BNE), ("lt", Funct3.BLT, Funct3.BGE),
                              ("ltu", Funct3.BLTU, Funct3.BGEU)):
            for holds, when in ((1, (f3 == yes) & ~guess | (f3 == no) & guess),
                                (0, (f3 == yes) & guess | (f3 == no) & ~guess)):
                select = Signal(name=f"redirect_if_{name}_{holds}", attrs={"keep": 1})
                m.d.comb += select.eq(br_in_e & when)
                redirect_if[name, holds] = select
        results = {"eq": br_eq, "lt": br_lt, "ltu": br_ltu}
        e_redirect_any = e_redirect | Cat(
            select & (results[name] if holds else ~results[name])
            for (name, holds), select in redirect_if.items()).any()
        if late:
            # (the targets are registered whatever E does: only the valid bit and the
            # choice between the target and the next instruction look at a branch's
            # condition)
            redirecting_to = Signal(32)
            redirecting_pc4 = Signal(32)
            redirecting_seq = Signal()
            m.d.sync += [redirecting.eq(e_redirect_any), redirecting_to.eq(e_redirect_to),
                         redirecting_pc4.eq(pc4), redirecting_seq.eq(e_redirect_seq)]
            m.d.comb += [redirect.eq(redirecting),
                         redirect_to.eq(Mux(redirecting_seq, redirecting_pc4, redirecting_to))]
        else:
            m.d.comb += [redirect.eq(e_redirect_any),
                         redirect_to.eq(Mux(e_redirect_seq, pc4, e_redirect_to))]
        with m.If(t_take):
            m.d.comb += [redirect.eq(1), redirect_to.eq(csr.trap_vector)]

        # --- F and E hand-over -----------------------------------------------------------
        # Fetching runs up to two instructions ahead of E and does not look at E: a fetch
        # is issued whenever the queue will have room for its answer, even in the cycle E
        # redirects (the answer is then dropped). Neither the block RAM's answer nor E's
        # decisions are on the path to the next fetch request. A fetch that would start a
        # new 4 KiB page waits until everything older has left E, so that a fetch down a
        # path not taken never leaves the page of an instruction that is executed: the
        # partition checkers (which log every refused access) never see one that a
        # program did not ask for; nor does fetching go on past a fetch that faulted (on
        # the bus: a checker refused it) until a redirect. A fetch whose translation
        # misses waits until E and W are empty, then walks. A fetch an arbiter does not
        # take this cycle is asked again.
        # With late_mem the request F makes is registered (``req``) and goes to the bus from
        # the registers in the next cycle, so the instruction TLB and PMP end at registers
        # instead of going on through the bus, the fetch arbiter and the partition checker:
        # every redirect costs a cycle more, and ``req`` counts as in flight.
        if late:
            req = Signal(FetchRequest)  # its pc is the physical address
            req_vpc = Signal(32)       # the fetch's own (virtual) address
        req_valid = req.valid if late else Const(0, 1)
        req_fault = req.fault if late else Const(0, 1)
        # With late_mem the answer is registered as it arrives (``got``), and predicted,
        # predecoded and queued from those registers in the next cycle: the block RAM's
        # answer, which crosses the device from a bank to a hart (the four-hart SoC's
        # critical path: 10 of its 24 ns were the two wires from a bank to another hart),
        # ends there. Every redirect and every guessed jump costs a cycle more. Whether a
        # fetch faulted on the bus is still seen as it is answered (``fetch_faults``):
        # nothing goes to the bus after it.
        if late:
            got = Signal()             # a fetch's answer (or fault), registered
            got_word = Signal(32)
            got_err = Signal()
            got_pc = Signal(32)
            got_fault = Signal()       # ... faulted before the bus (pend_fault)
            got_code = Signal(2)
            got_gpa = Signal(32)
            m.d.sync += [got_word.eq(ibus.dat_r), got_err.eq(ibus.err), got_pc.eq(pend_pc),
                         got_fault.eq(pend_fault), got_code.eq(pend_code),
                         got_gpa.eq(pend_gpa)]
            a_valid, word, a_pc = got, got_word, got_pc
            a_pfault, a_code, a_gpa = got_fault, got_code, got_gpa
            answer_fault = got_fault | got_err     # the arriving fetch faulted
        else:
            a_valid, word, a_pc = pend, ibus.dat_r, pend_pc
            a_pfault, a_code, a_gpa = pend_fault, pend_code, pend_gpa
            answer_fault = pend_fault | ibus.err
        in_flight = Signal(range(depth + 3))
        m.d.comb += in_flight.eq(head.valid + waiting + pend + req_valid
                                 + (got if late else 0))
        # Static prediction: a JAL or a backward branch arriving from the bus sends
        # fetching to its target at once (the sequential fetch issued meanwhile is
        # dropped), so that when E finds it taken, as loops mostly are, it costs one
        # bubble instead of two; E redirects when the guess was wrong. A target on
        # another page waits like a sequential fetch into a new page.
        is_jal = word[0:7] == 0b1101111
        is_branch = word[0:7] == 0b1100011
        # (both kinds' targets are summed and one chosen after the sums, so that telling a
        # JAL from a branch is beside the adders, not in front of them: they start from the
        # block RAM's answer)
        j_imm = Cat(Const(0, 1), word[21:31], word[20], word[12:20], word[31].replicate(12))
        b_imm = Cat(Const(0, 1), word[8:12], word[25:31], word[7], word[31].replicate(20))
        guess_target = Signal(32)
        m.d.comb += guess_target.eq(Mux(is_jal, a_pc + j_imm, a_pc + b_imm))
        guess_far = Mux(is_jal, crosses_page(m, a_pc, j_imm),
                        crosses_page(m, a_pc, b_imm))
        guess = Signal()
        m.d.comb += guess.eq(a_valid & ~answer_fault & (is_jal | (is_branch & word[31]))
                             & ~Mux(is_jal, j_imm[1], b_imm[1]))
        far = Signal()             # fetching continues on another page: wait as for one
        if late:
            # The guess is registered with its target, and F fetches from the target in
            # the next cycle as though fetch_pc held it (which it then does, unless F
            # steps past it): the same cycles as writing fetch_pc at once, but the block
            # RAM's answer ends at three registers instead of being the select of
            # fetch_pc's 32 multiplexers. (a redirect in the guess's cycle wins over it)
            guessed = Signal()
            guessed_to = Signal(32)
            guessed_new = Signal()     # the target starts a page or is on another one
            m.d.sync += [guessed.eq(guess & ~redirect), guessed_to.eq(guess_target),
                         guessed_new.eq(guess_far | (guess_target[2:12] == 0))]
            m.d.comb += f_pc.eq(Mux(guessed, guessed_to, fetch_pc))
            new_page = Mux(guessed, guessed_new, (fetch_pc[2:12] == 0) | far)
        else:
            m.d.comb += f_pc.eq(fetch_pc)
            new_page = (fetch_pc[2:12] == 0) | far
        stopped = Signal()         # a fetch faulted; nothing more until a redirect
        fetch_faults = pend & (pend_fault | ibus.err)   # the fetch answered now faulted
        with m.If(redirect):
            m.d.sync += stopped.eq(0)
        with m.Elif(fetch_faults & ~guess):    # (late_mem: not behind a guessed jump)
            m.d.sync += stopped.eq(1)
        # (nor in a cycle that redirects: late_mem's registered redirect follows an
        # instruction that has left E, and the queue may be empty while fetch_pc, not yet
        # redirected, is at a new page down the path not taken; likewise a trap's)
        issue = (in_flight < depth) & ~(new_page & (in_flight != 0)) \
            & ~fetch_faults & ~stopped & ~(req_valid & req_fault) \
            & ~(redirecting | t_take)
        fetch_req = Signal()
        m.d.comb += fetch_req.eq(issue & ~ifault & fetch_ready)
        made = Signal(FetchRequest)    # the request F makes: its physical address, or a fault
        with m.If(ifault):             # a fetch walk's fault, handed on without a bus access
            m.d.comb += [made.fault.eq(1), made.code.eq(ifault_code), made.gpa.eq(ifault_gpa)]
        with m.Else():
            m.d.comb += [made.pc.eq(fetch_paddr), made.fault.eq(~fetch_ok),
                         made.code.eq(Mux(fetch_tlb_fault, mmu.i_fault, Fault.ACCESS)),
                         made.gpa.eq(mmu.i_gpa)]
        m.d.comb += made.valid.eq(1)
        if late:
            # nothing goes to the bus past a fetch that faulted: the request is withdrawn in
            # its cycle (``abort``, which arbiters and checkers look at only as they pass a
            # request on or log it: the faulting answer is not on the path of their choice
            # and address comparisons) and dropped
            m.d.comb += [ibus.cyc.eq(req.valid & ~req.fault), ibus.abort.eq(fetch_faults),
                         ibus.adr.eq(req.pc[2:32])]
            # the bus took it, or a fault
            leaves = req.valid & ~(ibus.cyc & ~ibus.abort & ibus.stall)
            taken = ~req.valid | leaves                        # room for F's next request
            stepped = taken & (issue & ifault | fetch_req)     # F's request registered
            # (the request's fields follow F's whenever it steps; only valid looks at a
            # redirect, which keeps E's branch decision off the fields' enables)
            with m.If(stepped):
                m.d.sync += [req.eq(made), req_vpc.eq(f_pc)]
            with m.If(redirect | guess | fetch_faults):
                m.d.sync += req.valid.eq(0)
            with m.Elif(~stepped & leaves):
                m.d.sync += req.valid.eq(0)
            arrives, arrives_pc = req, req_vpc
        else:
            m.d.comb += [ibus.cyc.eq(fetch_req & fetch_ok), ibus.adr.eq(fetch_paddr[2:32])]
            taken = 1
            leaves = stepped = (issue & ifault) | (fetch_req & ~(ibus.cyc & ibus.stall))
            arrives, arrives_pc = made, f_pc
        # the request that left for the bus (or faulted) is answered in the next cycle
        m.d.sync += pend.eq(leaves & ~(redirect | guess | fetch_faults))
        if late:
            m.d.sync += got.eq(pend & ~(redirect | guess))
        with m.If(leaves):
            m.d.sync += [pend_pc.eq(arrives_pc), pend_fault.eq(arrives.fault),
                         pend_code.eq(arrives.code), pend_gpa.eq(arrives.gpa)]
        with m.If(redirect):
            m.d.sync += [fetch_pc.eq(redirect_to), far.eq(0)]
        if late:
            with m.Elif(stepped):
                m.d.sync += [fetch_pc.eq(f_pc + 4), far.eq(0)]
            with m.Elif(guessed):
                m.d.sync += [fetch_pc.eq(guessed_to), far.eq(guessed_new)]
        else:
            with m.Elif(guess):
                m.d.sync += [fetch_pc.eq(guess_target), far.eq(guess_far)]
            with m.Elif(stepped):
                m.d.sync += [fetch_pc.eq(fetch_pc + 4), far.eq(0)]
        # A fetch walk starts with nothing in flight, so no answer arrives to be guessed
        # from, and not while a walk's fault waits to be handed on (which steps F): neither
        # the block RAM's answer nor the guess is on the path to the walker's registers.
        # (nor while a trap is decided: with nothing in flight, E is empty, and with W
        # empty there is no bus error, so none is; the chain of E's decisions is then not
        # on the path to the walker's state)
        with m.If(issue & ~fetch_ready & ~ifault & (in_flight == 0) & ~w_valid & ~mmu.busy
                  & ~redirect):
            m.d.comb += [mmu.walk.eq(1), mmu.walk_fetch.eq(1)]
        # The queue: E's finished instruction leaves, and the oldest waiting one (else the
        # answer arriving) enters E; the answer arriving joins the ring otherwise; a
        # redirect empties it (dropping an answer on the way: only the counts look at a
        # redirect, so that E's branch decision does not reach the enables of every
        # entry's fields). The ring's entries are written at their place as answers
        # arrive and never move, so that E's finishing enables E's own entry alone, not
        # every entry's fields (a board build's path: E's finishing into some 440 enables).
        arriving = Signal(Fetched)
        m.d.comb += [
            arriving.valid.eq(a_valid), arriving.insn.eq(word), arriving.pc.eq(a_pc),
            arriving.fault.eq(answer_fault),
            arriving.predicted.eq(guess),
        ]
        with m.If(a_valid & answer_fault):
            m.d.sync += [qfault_code.eq(Mux(a_pfault, a_code, Fault.ACCESS)),
                         qfault_gpa.eq(a_gpa)]
        m.d.comb += [getattr(arriving, k).eq(v) for k, v in predecode(word).items()]
        oldest = Fetched(ring[ring_rd])
        refill = ~head.valid | e_done       # E's entry takes the next instruction
        from_ring = refill & (waiting != 0)
        to_ring = a_valid & ~(refill & (waiting == 0))
        with m.If(refill):
            m.d.sync += head.eq(Mux(waiting != 0, oldest, arriving))
        ring_wr = Signal.like(ring_rd)
        m.d.comb += ring_wr.eq(Mux(ring_rd + waiting >= depth - 1,
                                   ring_rd + waiting - (depth - 1), ring_rd + waiting))
        with m.If(a_valid):
            m.d.sync += ring[ring_wr].eq(arriving.as_value())
        with m.If(from_ring):
            m.d.sync += ring_rd.eq(Mux(ring_rd == depth - 2, 0, ring_rd + 1))
        m.d.sync += waiting.eq(waiting + to_ring - from_ring)
        # The bypass's choice for the instruction entering E (see w_hits): the one that
        # follows in the queue, else the one arriving, reads what E's finishing instruction
        # writes. (An instruction that stays in E has no W to bypass from next cycle.)
        entering = Mux(waiting != 0, oldest.insn, word)
        writer = dec.rd
        m.d.sync += w_hits.eq(Cat(
            (e_done & n_writes & ~n_trap & (writer != 0)
             & (writer == field)) for field in (entering[15:20], entering[20:25])))
        if late:
            # X's instruction next cycle is W's now; E's is the one entering, the one E
            # holds, or the answer arriving into an empty queue. (W's bus error is not
            # looked at: it traps, and E's instruction never runs.)
            e_next = Mux(e_done, entering, Mux(head.valid, head.insn, word))
            m.d.sync += x_hits.eq(Cat(
                (w_valid & w_writes & (w_rd != 0) & (w_rd == field))
                for field in (e_next[15:20], e_next[20:25])))
        with m.If(redirect):
            m.d.sync += [head.valid.eq(0), waiting.eq(0)]

        # Walk results: a fault goes to the fetch or the instruction in E that asked.
        walk_fetch = Signal()
        with m.If(mmu.walk):
            m.d.sync += walk_fetch.eq(mmu.walk_fetch)
        walk_fault = mmu.done & (mmu.fault != Fault.NONE)
        with m.If(walk_fault & walk_fetch):
            m.d.sync += [ifault.eq(1), ifault_code.eq(mmu.fault), ifault_gpa.eq(mmu.fault_gpa)]
        # (a fetch walk's fault is set with nothing in flight and F stopped, so no guess is
        # made while it waits: the answer is not on the path to its enable)
        with m.Elif(redirect | (issue & ifault & taken)):
            m.d.sync += ifault.eq(0)
        with m.If(walk_fault & ~walk_fetch):
            m.d.sync += [dfault.eq(1), dfault_code.eq(mmu.fault), dfault_gpa.eq(mmu.fault_gpa)]
        with m.Elif(e_done | redirect):
            m.d.sync += dfault.eq(0)

        if late:
            # The data bus from registers: the access E registered last cycle, or an AMO's
            # write, which follows its read three cycles later (the arbiter stays locked
            # for it) with the new word worked out from the registered answer into a
            # register; not after a refused read. (while the answer and the new word are
            # registered, amo_read and amo_calc, the lock is raised without a request: the
            # reservation holds) An SC whose reservation was lost meanwhile is withdrawn
            # (``abort``) like a refused access, so that the reservation, which another
            # hart's store kills, is not on the path into the arbiters' choice; E finishes
            # it once the arbiter has taken it, writing nothing and no fault.
            amo_write = amo_hold
            issue_ram = io_wait & io_ram
            m.d.comb += [dbus.cyc.eq(issue_ram | amo_write), dbus.adr.eq(io_adr),
                         dbus.abort.eq(issue_ram & (~mem_ok | (io_sc & ~sc_holds))),
                         dbus.we.eq(io_we | amo_write),
                         dbus.lock.eq((io_lock & issue_ram)
                                      | (amo_read & ~dbus.err & ~io_refused)
                                      | amo_calc),
                         dbus.sel.eq(Mux(amo_write, 0b1111, io_sel)),
                         dbus.dat_w.eq(Mux(amo_write, amo_new, io_dat))]

        # The walker has the data bus while it runs (E is held or empty then); the bus is
        # switched to it while it reads, from its request register (``bus_cyc``): E has
        # no request on the bus in its other cycles either.
        with m.If(mmu.bus_cyc):
            m.d.comb += [dbus.cyc.eq(mmu.bus_cyc), dbus.adr.eq(mmu.bus_adr[2:32]),
                         dbus.sel.eq(0b1111), dbus.we.eq(0), dbus.abort.eq(mmu.bus_abort)]
        m.d.comb += [mmu.bus_dat_r.eq(dbus.dat_r), mmu.bus_err.eq(dbus.err),
                     mmu.bus_stall.eq(dbus.stall)]
        if self.windows:
            m.d.comb += [self.dbus_hit.eq(Mux(mmu.bus_cyc, mmu.bus_hit, io_hits["dbus"])),
                         self.iobus_hit.eq(io_hits["iobus"])]
        m.d.comb += [self.resv_valid.eq(resv_valid), self.resv_addr.eq(resv_addr)]

        # --- W: write back and retire ---------------------------------------------------
        w_insn = Signal(32)
        w_next = Signal(32)
        w_trap = Signal()
        w_intr = Signal()
        w_mode = Signal(Priv)
        w_rs1 = Signal(5)
        w_rs2 = Signal(5)
        w_rs1_data = Signal(32)
        w_rs2_data = Signal(32)
        w_rmask = Signal(4)
        w_wmask = Signal(4)
        w_wdata = Signal(32)
        w_rdata = Signal(32)
        m.d.sync += w_valid.eq(e_done)
        # W's registers that are looked at only in W's cycle (while w_valid) follow E's
        # every cycle, so that E's finishing is not their enable (it enables E's fetch
        # queue entry too); the rest hold what they report (RVFI, and the trap a bus
        # error answering W takes a cycle later).
        m.d.sync += [
            w_rd.eq(dec.rd), w_writes.eq(n_writes & ~n_trap),
            w_load.eq(n_load), w_mul.eq(n_mul), w_io.eq(n_io),
            *(getattr(w_pick, k).eq(v)
              for k, v in load_pick(n_load, dec.mem_f3, daddr).items()),
            w_mem.eq(n_mem), w_store.eq(is_write), w_addr.eq(daddr), w_virt.eq(d_virt),
            w_refused.eq(refusing),
        ]
        with m.If(e_done):
            m.d.sync += [
                w_paddr.eq(d_paddr),
                w_insn.eq(e_insn), w_pc.eq(e_pc), w_next.eq(n_next), w_trap.eq(n_trap),
                w_intr.eq(intr_seen), w_mode.eq(priv),
                w_rs1.eq(dec.rs1), w_rs2.eq(dec.rs2), w_rs1_data.eq(r1), w_rs2_data.eq(r2),
                w_rmask.eq(n_mem_rmask), w_wmask.eq(n_mem_wmask), w_wdata.eq(n_mem_wdata),
                w_rdata.eq(n_mem_rdata), intr_seen.eq(0),
                order.eq(order + 1),
            ]

        m.d.comb += w_result.eq(load_result(w_load, w_pick, w_dat_r, w_computed))

        writes = w_valid & w_writes & (w_rd != 0) & ~w_fault
        if late:
            m.d.sync += [x_en.eq(writes), x_rd.eq(w_rd), x_value.eq(w_result)]
            m.d.comb += [wp.addr.eq(x_rd), wp.data.eq(x_value), wp.en.eq(x_en)]
        else:
            m.d.comb += [wp.addr.eq(w_rd), wp.data.eq(w_result), wp.en.eq(writes)]
        m.d.comb += [
            rvfi.valid.eq((w_valid & ~w_fault) | (t_take & t_bus)),
            rvfi.order.eq(order - 1),
            rvfi.insn.eq(w_insn),
            rvfi.trap.eq(w_trap | (t_take & t_bus)),
            rvfi.intr.eq(w_intr),
            rvfi.mode.eq(w_mode),
            rvfi.pc_rdata.eq(w_pc),
            rvfi.pc_wdata.eq(Mux(t_take, csr.trap_vector, w_next)),
            rvfi.rs1_addr.eq(w_rs1),
            rvfi.rs2_addr.eq(w_rs2),
            rvfi.rs1_rdata.eq(w_rs1_data),
            rvfi.rs2_rdata.eq(w_rs2_data),
            rvfi.rd_addr.eq(Mux(writes, w_rd, 0)),
            rvfi.rd_wdata.eq(Mux(writes, w_result, 0)),
            rvfi.mem_addr.eq(Cat(Const(0, 2), w_paddr[2:32])),
            rvfi.mem_rmask.eq(w_rmask),
            rvfi.mem_wmask.eq(w_wmask),
            rvfi.mem_rdata.eq(Mux(w_load, w_dat_r, w_rdata)),
            rvfi.mem_wdata.eq(w_wdata),
        ]
        return m
