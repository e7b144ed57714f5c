"""Instruction decode: fields, immediates, the instruction's class and whether it exists."""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .csr import StatusLayout
from .isa import EBREAK, ECALL, MRET, SRET, WFI, AmoOp, Funct3, Funct7, Opcode, Priv

__all__ = ["Decoder", "Predecoded", "predecode"]

_AMO_ARITH = (AmoOp.ADD, AmoOp.SWAP, AmoOp.XOR, AmoOp.OR, AmoOp.AND, AmoOp.MIN, AmoOp.MAX,
              AmoOp.MINU, AmoOp.MAXU)


# What the fetch queue keeps of an instruction's decode beside it, so that E's data
# address and its translation context start from registers instead of from the decoder:
# the address offset (none for AMOs, HLV and HSV, which are SYSTEM; S-type for stores) and
# the access's kind, whether it is an HLV/HSV (V=1 at hstatus.SPVP) and an HLVX. These
# agree with the decoder for every load, store and AMO; for any other instruction they mean
# nothing and E does not look at them.
Predecoded = {"off_zero": 1, "off_s": 1, "write": 1, "hlsv": 1, "hlvx": 1}


def predecode(insn):
    """The :data:`Predecoded` bits of the instruction word ``insn``, as a dict of values."""
    opcode = insn[2:7]
    system = opcode == Opcode.SYSTEM.value
    amo = opcode == Opcode.AMO.value
    store = opcode == Opcode.STORE.value
    return {
        "off_zero": amo | system,
        "off_s": store,
        # a store, an AMO but LR, an HSV (funct7 bit 0)
        "write": store | (amo & (insn[27:32] != AmoOp.LR)) | (system & insn[25]),
        "hlsv": system,
        "hlvx": system & (insn[20:25] == 3),
    }


def sext(value):
    return Cat(value, value[-1].replicate(32 - len(value)))


class Decoder(wiring.Component):
    """Combinational decode of ``insn`` for a hart at privilege ``priv`` (and ``virt``).

    ``legal`` is false for every encoding the hart does not implement, for a privileged
    instruction its mode may not execute, and for a CSR access the CSR file refuses
    (``csr_illegal``, which depends on ``csr_writes``). ``virtual`` marks, among the legal
    encodings, those that raise a virtual-instruction exception instead (hypervisor
    chapter, "Synchronous exceptions").

    HLV, HLVX and HSV decode as loads and stores (``hlv``/``hsv`` set, ``mem_f3`` the
    equivalent LOAD/STORE funct3, and no offset).
    """

    insn: In(32)
    priv: In(Priv)
    virt: In(1)
    status: In(StatusLayout)
    csr_illegal: In(1)
    csr_virtual: In(1)

    legal: Out(1)
    virtual: Out(1)
    rd: Out(5)
    rs1: Out(5)
    rs2: Out(5)
    f3: Out(3)
    imm_i: Out(32)
    imm_s: Out(32)
    imm_b: Out(32)
    imm_u: Out(32)
    imm_j: Out(32)
    # classes
    lui: Out(1)
    auipc: Out(1)
    jal: Out(1)
    jalr: Out(1)
    branch: Out(1)
    load: Out(1)
    store: Out(1)
    op: Out(1)
    op_imm: Out(1)
    muldiv: Out(1)
    amo: Out(1)
    lr: Out(1)
    sc: Out(1)
    fence: Out(1)
    fence_i: Out(1)
    csr: Out(1)
    csr_writes: Out(1)
    ecall: Out(1)
    ebreak: Out(1)
    mret: Out(1)
    sret: Out(1)
    wfi: Out(1)
    sfence: Out(1)            # SFENCE.VMA, HFENCE.VVMA or HFENCE.GVMA
    hlv: Out(1)
    hsv: Out(1)
    mem_f3: Out(3)
    alu_alt: Out(1)
    writes_rd: Out(1)

    def __init__(self, *, hext=True):
        self.hext = bool(hext)
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        ir = self.insn
        opcode, f3, f7, f5 = ir[2:7], ir[12:15], ir[25:32], ir[27:32]
        full = ir[0:2] == 0b11

        def is_op(op):
            return full & (opcode == op.value)

        m.d.comb += [
            self.rd.eq(ir[7:12]), self.rs1.eq(ir[15:20]), self.rs2.eq(ir[20:25]),
            self.f3.eq(f3),
            self.imm_i.eq(sext(ir[20:32])),
            self.imm_s.eq(sext(Cat(ir[7:12], ir[25:32]))),
            self.imm_b.eq(sext(Cat(Const(0, 1), ir[8:12], ir[25:31], ir[7], ir[31]))),
            self.imm_u.eq(Cat(Const(0, 12), ir[12:32])),
            self.imm_j.eq(sext(Cat(Const(0, 1), ir[21:31], ir[20], ir[12:20], ir[31]))),
            self.lui.eq(is_op(Opcode.LUI)),
            self.auipc.eq(is_op(Opcode.AUIPC)),
            self.jal.eq(is_op(Opcode.JAL)),
            self.jalr.eq(is_op(Opcode.JALR)),
            self.branch.eq(is_op(Opcode.BRANCH)),
            self.load.eq(is_op(Opcode.LOAD)),
            self.store.eq(is_op(Opcode.STORE)),
            self.op.eq(is_op(Opcode.OP) & (f7 != 1)),
            self.muldiv.eq(is_op(Opcode.OP) & (f7 == 1)),
            self.op_imm.eq(is_op(Opcode.OP_IMM)),
            self.amo.eq(is_op(Opcode.AMO)),
            self.lr.eq(is_op(Opcode.AMO) & (f5 == AmoOp.LR)),
            self.sc.eq(is_op(Opcode.AMO) & (f5 == AmoOp.SC)),
            self.fence.eq(is_op(Opcode.MISC_MEM) & (f3 == Funct3.FENCE)),
            self.fence_i.eq(is_op(Opcode.MISC_MEM) & (f3 == Funct3.FENCE_I)),
            self.csr.eq(is_op(Opcode.SYSTEM) & (f3 != Funct3.PRIV) & (f3 != 4)),
            self.csr_writes.eq((f3 == Funct3.CSRRW) | (f3 == Funct3.CSRRWI) | (ir[15:20] != 0)),
            self.ecall.eq(ir == ECALL),
            self.ebreak.eq(ir == EBREAK),
            self.mret.eq(ir == MRET),
            self.sret.eq(ir == SRET),
            self.wfi.eq(ir == WFI),
            # SUB and SRA (register), SRAI (immediate)
            self.alu_alt.eq(f7[5] & (is_op(Opcode.OP) | (f3 == Funct3.SR))),
        ]
        # SFENCE.VMA, HFENCE.*: rd = 0, funct3 = 0; HLV/HSV: funct3 = 4, funct7 = 0110 ss h
        system_r = is_op(Opcode.SYSTEM) & (f3 == 0) & (self.rd == 0)
        sfence_vma = system_r & (f7 == Funct7.SFENCE_VMA)
        hfence_vvma = system_r & (f7 == Funct7.HFENCE_VVMA)
        hfence_gvma = system_r & (f7 == Funct7.HFENCE_GVMA)
        hls = is_op(Opcode.SYSTEM) & (f3 == 4) & (f7[3:7] == 0b0110) & (f7[1:3] != 3)
        hsize = f7[1:3]
        hlv = hls & ~f7[0] & (
            (self.rs2 == 0) | ((self.rs2 == 1) & (hsize != 2)) | ((self.rs2 == 3) & (hsize != 0)))
        hsv = hls & f7[0] & (self.rd == 0)
        if not self.hext:
            hfence_vvma = hfence_gvma = hlv = hsv = Const(0, 1)
        m.d.comb += [
            self.sfence.eq(sfence_vma | hfence_vvma | hfence_gvma),
            self.hlv.eq(hlv), self.hsv.eq(hsv),
            self.mem_f3.eq(Mux(hlv | hsv, Cat(hsize, hlv & (self.rs2 != 0)), f3)),
        ]
        m.d.comb += self.writes_rd.eq(
            self.lui | self.auipc | self.jal | self.jalr | self.load | self.op | self.op_imm
            | self.muldiv | self.amo | self.csr | hlv)

        alt_ok = (f3 == Funct3.ADD) | (f3 == Funct3.SR)
        shift_imm_ok = Mux(f3 == Funct3.SLL, f7 == 0,
                           Mux(f3 == Funct3.SR, (f7 == 0) | (f7 == 0b0100000), 1))
        amo_arith = Cat(f5 == op for op in _AMO_ARITH).any()
        amo_ok = (f3 == 2) & ((self.lr & (self.rs2 == 0)) | self.sc | amo_arith)
        # Privileged instructions: who may execute them (privileged spec, "Virtualization
        # Support in mstatus"; hypervisor chapter, the list of virtual-instruction cases).
        st = self.status
        m_mode = self.priv == Priv.M
        hs = (self.priv == Priv.S) & ~self.virt
        u = (self.priv == Priv.U) & ~self.virt
        vs = (self.priv == Priv.S) & self.virt
        vu = (self.priv == Priv.U) & self.virt
        v = self.virt
        priv_ok = Signal()      # legal, though maybe virtual
        virtual = Signal()
        with m.If(self.mret):
            m.d.comb += priv_ok.eq(m_mode)
        with m.Elif(self.sret):
            m.d.comb += [priv_ok.eq(m_mode | (hs & ~st.tsr) | v),
                         virtual.eq(vu | (vs & st.vtsr))]
        with m.Elif(self.wfi):
            m.d.comb += [priv_ok.eq(m_mode | ((hs | v) & ~st.tw)),
                         virtual.eq(vu | (vs & st.vtw))]
        with m.Elif(sfence_vma):
            m.d.comb += [priv_ok.eq(m_mode | (hs & ~st.tvm) | v),
                         virtual.eq(vu | (vs & st.vtvm))]
        with m.Elif(hfence_vvma):
            m.d.comb += [priv_ok.eq(m_mode | hs | v), virtual.eq(v)]
        with m.Elif(hfence_gvma):
            m.d.comb += [priv_ok.eq(m_mode | (hs & ~st.tvm) | v), virtual.eq(v)]
        with m.Elif(hlv | hsv):
            m.d.comb += [priv_ok.eq(m_mode | hs | (u & st.hu) | v), virtual.eq(v)]
        with m.Elif(self.csr):
            m.d.comb += [priv_ok.eq(~self.csr_illegal), virtual.eq(self.csr_virtual)]
        m.d.comb += self.virtual.eq(self.legal & virtual)
        m.d.comb += self.legal.eq(
            self.lui | self.auipc | self.jal
            | (self.jalr & (f3 == 0))
            | (self.branch & (f3 != 2) & (f3 != 3))
            | (self.load & (f3 != 3) & (f3 < 6))
            | (self.store & (f3 < 3))
            | (self.op_imm & shift_imm_ok)
            | (self.op & ((f7 == 0) | ((f7 == 0b0100000) & alt_ok)))
            | self.muldiv
            | (is_op(Opcode.MISC_MEM) & (f3 < 2))
            | (self.amo & amo_ok)
            | self.ecall | self.ebreak
            | ((self.mret | self.sret | self.wfi | self.sfence | hlv | hsv | self.csr)
               & priv_ok)
        )
        return m
