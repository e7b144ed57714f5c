"""An RV32IMA_Zicsr_Zifencei core with M and U modes.

Organisation: a multi-cycle sequencer (fetch, execute, memory or M-extension wait) around
functional units in their own modules: :class:`~.alu.ALU`, :class:`~.muldiv.MulDiv`,
:class:`~.csr.CSRFile`, :class:`~.pmp.PmpChecker`. Instruction and data buses are separate
ports, and the register file is block RAM read in the fetch cycle, so that the same units
can later be arranged as an in-order pipeline.
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from ..bus import BusSignature
from .alu import ALU
from .csr import CSRFile
from .isa import EBREAK, ECALL, MRET, WFI, AmoOp, Cause, Funct3, Opcode, Priv
from .muldiv import MulDiv
from .pmp import PmpChecker
from .rvfi import RVFISignature

__all__ = ["Core"]


def _sext(value):
    return Cat(value, value[-1].replicate(32 - len(value)))


class Core(wiring.Component):
    """One hart.

    Parameters
    ----------
    hartid : int
        Value of ``mhartid``.
    reset_addr : int
        Address of the first instruction fetched after reset.
    fault : str or None
        Test-only: ``"xor"`` makes every register-register XOR return its result with bit 0
        flipped, so that tests can show the lockstep checker catching a wrong core.
    """

    ibus: Out(BusSignature())
    dbus: Out(BusSignature())
    msip: In(1)
    mtip: In(1)
    meip: In(1)
    mtime: In(64)
    rvfi: Out(RVFISignature())

    def __init__(self, *, hartid=0, reset_addr=0x1000, fault=None):
        if not isinstance(reset_addr, int) or reset_addr % 4 or not 0 <= reset_addr < 2**32:
            raise ValueError(f"reset_addr must be a word-aligned 32-bit address, "
                             f"not {reset_addr!r}")
        if fault not in (None, "xor"):
            raise ValueError(f"fault must be None or \"xor\", not {fault!r}")
        self.hartid = hartid
        self.reset_addr = reset_addr
        self.fault = fault
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.submodules.alu = alu = ALU()
        m.submodules.muldiv = muldiv = MulDiv()
        m.submodules.csr = csr = CSRFile(hartid=self.hartid)
        m.submodules.pmp_i = pmp_i = PmpChecker()
        m.submodules.pmp_d = pmp_d = PmpChecker()
        m.submodules.regs = regs = memory.Memory(shape=32, depth=32, init=[])
        rp1 = regs.read_port()
        rp2 = regs.read_port()
        wp = regs.write_port()

        m.d.comb += [
            csr.msip.eq(self.msip), csr.mtip.eq(self.mtip), csr.meip.eq(self.meip),
            csr.mtime.eq(self.mtime),
            pmp_i.pmp.eq(csr.pmp), pmp_d.pmp.eq(csr.pmp),
        ]

        # --- architectural and sequencing state -----------------------------------------
        pc = Signal(32, init=self.reset_addr)
        ir = Signal(32)
        fetch_fault = Signal()
        mem_addr = Signal(32)
        mem_wdata = Signal(32)
        mem_sel = Signal(4)
        mem_we = Signal()
        mem_rdata = Signal(32)  # for the trace: what the read phase returned
        amo_old = Signal(32)
        resv_valid = Signal()
        resv_addr = Signal(30)
        order = Signal(64)
        intr_seen = Signal()  # the next retired instruction opens an interrupt handler

        # --- decode --------------------------------------------------------------------
        opcode = ir[2:7]
        rd, f3, rs1, rs2, f7 = ir[7:12], ir[12:15], ir[15:20], ir[20:25], ir[25:32]
        f5 = ir[27:32]
        r1, r2 = rp1.data, rp2.data
        imm_i = _sext(ir[20:32])
        imm_s = _sext(Cat(ir[7:12], ir[25:32]))
        imm_b = _sext(Cat(Const(0, 1), ir[8:12], ir[25:31], ir[7], ir[31]))
        imm_u = Cat(Const(0, 12), ir[12:32])
        imm_j = _sext(Cat(Const(0, 1), ir[21:31], ir[20], ir[12:20], ir[31]))
        pc4 = pc + 4
        priv = csr.priv

        is_ = {op: Signal(name=f"is_{op.name.lower()}") for op in Opcode}
        for op, sig in is_.items():
            m.d.comb += sig.eq((opcode == op.value) & (ir[0:2] == 0b11))
        is_m = is_[Opcode.OP] & (f7 == 0b0000001)
        is_csr = is_[Opcode.SYSTEM] & (f3 != Funct3.PRIV) & (f3 != 4)
        is_lr = is_[Opcode.AMO] & (f5 == AmoOp.LR)
        is_sc = is_[Opcode.AMO] & (f5 == AmoOp.SC)

        # Which instructions exist, given operands and privilege.
        legal = Signal()
        alt_ok = (f3 == Funct3.ADD) | (f3 == Funct3.SR)
        shift_imm_ok = Mux(f3 == Funct3.SLL, f7 == 0,
                           Mux(f3 == Funct3.SR, (f7 == 0) | (f7 == 0b0100000), 1))
        amo_ops = (AmoOp.ADD, AmoOp.SWAP, AmoOp.XOR, AmoOp.OR, AmoOp.AND, AmoOp.MIN,
                   AmoOp.MAX, AmoOp.MINU, AmoOp.MAXU)
        amo_arith = Cat(f5 == op for op in amo_ops).any()
        amo_ok = (f3 == 2) & ((is_lr & (rs2 == 0)) | is_sc | amo_arith)
        csr_writes = (f3 == Funct3.CSRRW) | (f3 == Funct3.CSRRWI) | (rs1 != 0)
        m.d.comb += [
            csr.addr.eq(ir[20:32]),
            csr.writes.eq(csr_writes),
        ]
        m.d.comb += legal.eq(
            is_[Opcode.LUI] | is_[Opcode.AUIPC] | is_[Opcode.JAL]
            | (is_[Opcode.JALR] & (f3 == 0))
            | (is_[Opcode.BRANCH] & (f3 != 2) & (f3 != 3))
            | (is_[Opcode.LOAD] & (f3 != 3) & (f3 < 6))
            | (is_[Opcode.STORE] & (f3 < 3))
            | (is_[Opcode.OP_IMM] & shift_imm_ok)
            | (is_[Opcode.OP] & ((f7 == 0) | (f7 == 1) | ((f7 == 0b0100000) & alt_ok)))
            | (is_[Opcode.MISC_MEM] & (f3 < 2))
            | (is_[Opcode.AMO] & amo_ok)
            | (is_[Opcode.SYSTEM] & ((ir == ECALL) | (ir == EBREAK)
                                     | ((ir == MRET) & (priv == Priv.M))
                                     | ((ir == WFI) & ((priv == Priv.M) | ~csr.tw))))
            | (is_csr & ~csr.illegal)
        )

        # --- functional units ----------------------------------------------------------
        alu_b = Mux(is_[Opcode.OP] | is_[Opcode.BRANCH], r2, imm_i)
        m.d.comb += [
            alu.a.eq(r1),
            alu.b.eq(alu_b),
            alu.op.eq(f3),
            alu.alt.eq(f7[5] & (is_[Opcode.OP] | (f3 == Funct3.SR))),
            muldiv.op.eq(f3),
            muldiv.a.eq(r1),
            muldiv.b.eq(r2),
        ]
        branch_taken = Signal()
        with m.Switch(f3):
            with m.Case(Funct3.BEQ):
                m.d.comb += branch_taken.eq(alu.eq)
            with m.Case(Funct3.BNE):
                m.d.comb += branch_taken.eq(~alu.eq)
            with m.Case(Funct3.BLT):
                m.d.comb += branch_taken.eq(alu.lt)
            with m.Case(Funct3.BGE):
                m.d.comb += branch_taken.eq(~alu.lt)
            with m.Case(Funct3.BLTU):
                m.d.comb += branch_taken.eq(alu.ltu)
            with m.Case(Funct3.BGEU):
                m.d.comb += branch_taken.eq(~alu.ltu)

        # Control transfer target and whether it is taken.
        jump_target = Signal(32)
        jumps = Signal()
        with m.If(is_[Opcode.JAL]):
            m.d.comb += [jump_target.eq(pc + imm_j), jumps.eq(1)]
        with m.Elif(is_[Opcode.JALR]):
            m.d.comb += [jump_target.eq((r1 + imm_i) & ~1), jumps.eq(1)]
        with m.Else():
            m.d.comb += [jump_target.eq(pc + imm_b), jumps.eq(is_[Opcode.BRANCH] & branch_taken)]

        # Data access: address, lanes, alignment, permission.
        is_mem = is_[Opcode.LOAD] | is_[Opcode.STORE] | is_[Opcode.AMO]
        is_write = is_[Opcode.STORE] | (is_[Opcode.AMO] & ~is_lr)
        is_read = is_[Opcode.LOAD] | (is_[Opcode.AMO] & ~is_sc)
        daddr = Signal(32)
        m.d.comb += daddr.eq(r1 + Mux(is_[Opcode.AMO], 0,
                                      Mux(is_[Opcode.STORE], imm_s, imm_i)))
        size = f3[0:2]  # 0 byte, 1 half, 2 word
        misaligned = ((size == 1) & daddr[0]) | ((size == 2) & (daddr[0:2] != 0))
        sel = Mux(size == 0, Const(1, 4) << daddr[0:2],
                  Mux(size == 1, Const(0b11, 4) << Cat(Const(0, 1), daddr[1]), 0b1111))
        store_data = Mux(size == 0, r2[0:8].replicate(4),
                         Mux(size == 1, r2[0:16].replicate(2), r2))
        m.d.comb += [
            pmp_d.addr.eq(daddr),
            pmp_d.priv.eq(csr.data_priv),
            pmp_d.need.eq(Cat(is_read, is_write, Const(0, 1))),
            pmp_i.addr.eq(pc),
            pmp_i.priv.eq(priv),
            pmp_i.need.eq(0b100),
        ]

        # Loaded value, extended.
        lane_data = Signal(32)
        m.d.comb += lane_data.eq(self.dbus.dat_r >> Cat(Const(0, 3), mem_addr[0:2]))
        load_f3 = Signal(3)
        load_value = Signal(32)
        with m.Switch(load_f3):
            with m.Case(Funct3.LB):
                m.d.comb += load_value.eq(_sext(lane_data[0:8]))
            with m.Case(Funct3.LH):
                m.d.comb += load_value.eq(_sext(lane_data[0:16]))
            with m.Case(Funct3.LBU):
                m.d.comb += load_value.eq(lane_data[0:8])
            with m.Case(Funct3.LHU):
                m.d.comb += load_value.eq(lane_data[0:16])
            with m.Default():
                m.d.comb += load_value.eq(lane_data)

        # AMO arithmetic on the loaded word.
        amo_new = Signal(32)
        old = amo_old
        with m.Switch(f5):
            with m.Case(AmoOp.SWAP):
                m.d.comb += amo_new.eq(r2)
            with m.Case(AmoOp.ADD):
                m.d.comb += amo_new.eq(old + r2)
            with m.Case(AmoOp.XOR):
                m.d.comb += amo_new.eq(old ^ r2)
            with m.Case(AmoOp.AND):
                m.d.comb += amo_new.eq(old & r2)
            with m.Case(AmoOp.OR):
                m.d.comb += amo_new.eq(old | r2)
            with m.Case(AmoOp.MIN):
                m.d.comb += amo_new.eq(Mux(old.as_signed() < r2.as_signed(), old, r2))
            with m.Case(AmoOp.MAX):
                m.d.comb += amo_new.eq(Mux(old.as_signed() > r2.as_signed(), old, r2))
            with m.Case(AmoOp.MINU):
                m.d.comb += amo_new.eq(Mux(old < r2, old, r2))
            with m.Case(AmoOp.MAXU):
                m.d.comb += amo_new.eq(Mux(old > r2, old, r2))

        # CSR new value.
        csr_src = Mux(f3[2], rs1, r1)
        with m.Switch(f3[0:2]):
            with m.Case(1):
                m.d.comb += csr.wdata.eq(csr_src)
            with m.Case(2):
                m.d.comb += csr.wdata.eq(csr.rdata | csr_src)
            with m.Case(3):
                m.d.comb += csr.wdata.eq(csr.rdata & ~csr_src)

        # --- retirement and traps ------------------------------------------------------
        rvfi = self.rvfi
        m.d.comb += [
            rvfi.order.eq(order),
            rvfi.insn.eq(ir),
            rvfi.mode.eq(priv),
            rvfi.pc_rdata.eq(pc),
            rvfi.rs1_addr.eq(rs1),
            rvfi.rs2_addr.eq(rs2),
            rvfi.rs1_rdata.eq(r1),
            rvfi.rs2_rdata.eq(r2),
            rvfi.intr.eq(intr_seen),
        ]

        def finish(next_pc, trap=False):
            m.d.sync += [pc.eq(next_pc), order.eq(order + 1), intr_seen.eq(0)]
            m.d.comb += [rvfi.valid.eq(1), rvfi.pc_wdata.eq(next_pc), rvfi.trap.eq(trap)]
            m.next = "FETCH"

        def retire(next_pc, value=None, mem=False):
            """The instruction completes: write rd, trace it, go on at ``next_pc``."""
            if value is not None:
                m.d.comb += [wp.addr.eq(rd), wp.data.eq(value), wp.en.eq(rd != 0)]
                m.d.comb += [rvfi.rd_addr.eq(rd), rvfi.rd_wdata.eq(Mux(rd != 0, value, 0))]
            if mem:
                m.d.comb += [
                    rvfi.mem_addr.eq(Cat(Const(0, 2), mem_addr[2:32])),
                    rvfi.mem_rmask.eq(Mux(is_read, mem_sel, 0)),
                    rvfi.mem_wmask.eq(Mux(mem_we, mem_sel, 0)),
                    rvfi.mem_rdata.eq(mem_rdata),
                    rvfi.mem_wdata.eq(mem_wdata),
                ]
            m.d.comb += csr.retire.eq(1)
            finish(next_pc)

        def trap(cause, tval, intr=False):
            m.d.comb += [
                csr.trap.eq(1),
                csr.trap_cause.eq(cause),
                csr.trap_intr.eq(intr),
                csr.trap_pc.eq(pc),
                csr.trap_tval.eq(tval),
            ]
            m.d.sync += resv_valid.eq(0)
            if intr:
                m.d.sync += [pc.eq(csr.trap_vector), intr_seen.eq(1)]
                m.next = "FETCH"
            else:
                finish(csr.trap_vector, trap=True)

        # --- sequencer -----------------------------------------------------------------
        m.d.comb += [
            rp1.addr.eq(self.ibus.dat_r[15:20]),
            rp2.addr.eq(self.ibus.dat_r[20:25]),
            rp1.en.eq(self.ibus.ack),
            rp2.en.eq(self.ibus.ack),
            self.ibus.adr.eq(pc[2:32]),
            self.ibus.sel.eq(0b1111),
            self.dbus.adr.eq(mem_addr[2:32]),
            self.dbus.sel.eq(mem_sel),
            self.dbus.we.eq(mem_we),
            self.dbus.dat_w.eq(mem_wdata),
        ]

        with m.FSM(init="FETCH"):
            with m.State("FETCH"):
                with m.If(~pmp_i.allow):
                    m.d.sync += fetch_fault.eq(1)
                    m.next = "EXEC"
                with m.Else():
                    m.d.comb += self.ibus.cyc.eq(1)
                    with m.If(self.ibus.ack | self.ibus.err):
                        m.d.sync += [ir.eq(self.ibus.dat_r), fetch_fault.eq(self.ibus.err)]
                        m.next = "EXEC"

            with m.State("EXEC"):
                with m.If(csr.irq_take):
                    trap(csr.irq_cause, 0, intr=True)
                with m.Elif(fetch_fault):
                    trap(Cause.INSN_ACCESS, pc)
                with m.Elif(~legal):
                    trap(Cause.ILLEGAL_INSN, ir)
                with m.Elif(ir == ECALL):
                    trap(Cause.ECALL_U + priv.as_value(), 0)
                with m.Elif(ir == EBREAK):
                    trap(Cause.BREAKPOINT, pc)
                with m.Elif(jumps & jump_target[1]):
                    trap(Cause.INSN_MISALIGNED, jump_target)
                with m.Elif(is_mem & misaligned):
                    trap(Mux(is_write, Cause.STORE_MISALIGNED, Cause.LOAD_MISALIGNED), daddr)
                with m.Elif(is_mem & ~pmp_d.allow):
                    trap(Mux(is_write, Cause.STORE_ACCESS, Cause.LOAD_ACCESS), daddr)
                with m.Elif(is_sc & ~(resv_valid & (resv_addr == daddr[2:32]))):
                    m.d.sync += resv_valid.eq(0)
                    retire(pc4, 1)
                with m.Elif(is_mem):
                    m.d.sync += [
                        mem_addr.eq(daddr),
                        mem_sel.eq(sel),
                        mem_we.eq(is_[Opcode.STORE] | is_sc),
                        mem_wdata.eq(store_data),
                        mem_rdata.eq(0),
                        load_f3.eq(Mux(is_[Opcode.AMO], Funct3.LW, f3)),
                    ]
                    m.next = "MEM"
                with m.Elif(is_m):
                    m.d.comb += muldiv.start.eq(1)
                    m.next = "MULDIV"
                with m.Elif(is_csr):
                    m.d.comb += csr.write.eq(csr_writes)
                    retire(pc4, csr.rdata)
                with m.Elif(ir == MRET):
                    m.d.comb += csr.mret.eq(1)
                    m.d.sync += resv_valid.eq(0)
                    retire(csr.mepc)
                with m.Elif(ir == WFI):
                    retire(pc4)
                    m.next = "WFI"
                with m.Elif(is_[Opcode.BRANCH] | is_[Opcode.MISC_MEM]):
                    retire(Mux(jumps, jump_target, pc4))
                with m.Else():
                    result = alu.out
                    if self.fault == "xor":
                        result = alu.out ^ (is_[Opcode.OP] & (f3 == Funct3.XOR))
                    value = Mux(is_[Opcode.LUI], imm_u,
                                Mux(is_[Opcode.AUIPC], pc + imm_u,
                                    Mux(jumps, pc4, result)))
                    retire(Mux(jumps, jump_target, pc4), value)

            with m.State("MEM"):
                m.d.comb += self.dbus.cyc.eq(1)
                with m.If(self.dbus.err):
                    trap(Mux(is_write, Cause.STORE_ACCESS, Cause.LOAD_ACCESS), mem_addr)
                with m.Elif(self.dbus.ack):
                    with m.If(is_[Opcode.AMO] & ~is_lr & ~is_sc & ~mem_we):
                        # read phase of an AMO: the write phase follows
                        m.d.sync += [amo_old.eq(self.dbus.dat_r), mem_rdata.eq(self.dbus.dat_r),
                                     mem_we.eq(1)]
                        m.next = "AMO_WRITE"
                    with m.Elif(is_sc):
                        m.d.sync += resv_valid.eq(0)
                        retire(pc4, 0, mem=True)
                    with m.Elif(is_read):
                        with m.If(is_lr):
                            m.d.sync += [resv_valid.eq(1), resv_addr.eq(mem_addr[2:32])]
                        retire(pc4, load_value, mem=True)
                        m.d.comb += rvfi.mem_rdata.eq(self.dbus.dat_r)
                    with m.Else():
                        retire(pc4, mem=True)

            with m.State("AMO_WRITE"):
                m.d.sync += mem_wdata.eq(amo_new)
                m.next = "MEM_AMO"

            with m.State("MEM_AMO"):
                m.d.comb += self.dbus.cyc.eq(1)
                with m.If(self.dbus.err):
                    trap(Cause.STORE_ACCESS, mem_addr)
                with m.Elif(self.dbus.ack):
                    retire(pc4, amo_old, mem=True)

            with m.State("MULDIV"):
                with m.If(muldiv.done):
                    retire(pc4, muldiv.result)

            with m.State("WFI"):
                with m.If(csr.irq_wake):
                    m.next = "FETCH"
        return m
