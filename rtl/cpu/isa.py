"""RISC-V encodings the core needs: opcodes, function codes, CSR numbers, trap causes."""

from amaranth.lib import enum

__all__ = ["Opcode", "Funct3", "AmoOp", "Csr", "Cause", "Irq", "Priv", "Funct7", "misa"]


class Opcode(enum.Enum, shape=5):
    """``insn[6:2]`` of the 32-bit encodings (``insn[1:0]`` is always ``0b11``)."""
    LOAD = 0b00000
    MISC_MEM = 0b00011
    OP_IMM = 0b00100
    AUIPC = 0b00101
    STORE = 0b01000
    AMO = 0b01011
    OP = 0b01100
    LUI = 0b01101
    BRANCH = 0b11000
    JALR = 0b11001
    JAL = 0b11011
    SYSTEM = 0b11100


class Funct3:
    ADD, SLL, SLT, SLTU, XOR, SR, OR, AND = range(8)
    BEQ, BNE, BLT, BGE, BLTU, BGEU = 0, 1, 4, 5, 6, 7
    LB, LH, LW, LBU, LHU = 0, 1, 2, 4, 5
    SB, SH, SW = 0, 1, 2
    MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU = range(8)
    PRIV, CSRRW, CSRRS, CSRRC, CSRRWI, CSRRSI, CSRRCI = 0, 1, 2, 3, 5, 6, 7
    FENCE, FENCE_I = 0, 1


class AmoOp:
    """``insn[31:27]`` of the A extension."""
    ADD = 0b00000
    SWAP = 0b00001
    LR = 0b00010
    SC = 0b00011
    XOR = 0b00100
    OR = 0b01000
    AND = 0b01100
    MIN = 0b10000
    MAX = 0b10100
    MINU = 0b11000
    MAXU = 0b11100


# Whole encodings of the SYSTEM instructions without operands.
ECALL = 0x00000073
EBREAK = 0x00100073
MRET = 0x30200073
SRET = 0x10200073
WFI = 0x10500073


class Funct7:
    """``insn[31:25]`` of the SYSTEM instructions with register operands."""
    SFENCE_VMA = 0b0001001
    HFENCE_VVMA = 0b0010001
    HFENCE_GVMA = 0b0110001


class Csr:
    """CSR numbers (privileged spec, "CSR Listing")."""
    SSTATUS = 0x100
    SIE = 0x104
    STVEC = 0x105
    SCOUNTEREN = 0x106
    SENVCFG = 0x10A
    SSCRATCH = 0x140
    SEPC = 0x141
    SCAUSE = 0x142
    STVAL = 0x143
    SIP = 0x144
    STIMECMP = 0x14D
    STIMECMPH = 0x15D
    SATP = 0x180
    VSSTATUS = 0x200
    VSIE = 0x204
    VSTVEC = 0x205
    VSSCRATCH = 0x240
    VSEPC = 0x241
    VSCAUSE = 0x242
    VSTVAL = 0x243
    VSIP = 0x244
    VSTIMECMP = 0x24D
    VSTIMECMPH = 0x25D
    VSATP = 0x280
    HSTATUS = 0x600
    HEDELEG = 0x602
    HIDELEG = 0x603
    HIE = 0x604
    HTIMEDELTA = 0x605
    HCOUNTEREN = 0x606
    HGEIE = 0x607
    HENVCFG = 0x60A
    HEDELEGH = 0x612
    HTIMEDELTAH = 0x615
    HENVCFGH = 0x61A
    HTVAL = 0x643
    HIP = 0x644
    HVIP = 0x645
    HTINST = 0x64A
    HGATP = 0x680
    HGEIP = 0xE12
    MSTATUS = 0x300
    MISA = 0x301
    MEDELEG = 0x302
    MIDELEG = 0x303
    MIE = 0x304
    MTVEC = 0x305
    MCOUNTEREN = 0x306
    MENVCFG = 0x30A
    MSTATUSH = 0x310
    MENVCFGH = 0x31A
    MCOUNTINHIBIT = 0x320
    MHPMEVENT3 = 0x323
    MPARTITION = 0x7C0   # custom M-mode CSR: partition ID and lock (see rtl.partition)
    MSCRATCH = 0x340
    MEPC = 0x341
    MCAUSE = 0x342
    MTVAL = 0x343
    MIP = 0x344
    MTINST = 0x34A
    MTVAL2 = 0x34B
    PMPCFG0 = 0x3A0
    PMPADDR0 = 0x3B0
    MCYCLE = 0xB00
    MINSTRET = 0xB02
    MHPMCOUNTER3 = 0xB03
    MCYCLEH = 0xB80
    MINSTRETH = 0xB82
    MHPMCOUNTER3H = 0xB83
    CYCLE = 0xC00
    TIME = 0xC01
    INSTRET = 0xC02
    HPMCOUNTER3 = 0xC03
    CYCLEH = 0xC80
    TIMEH = 0xC81
    INSTRETH = 0xC82
    HPMCOUNTER3H = 0xC83
    MVENDORID = 0xF11
    MARCHID = 0xF12
    MIMPID = 0xF13
    MHARTID = 0xF14
    MCONFIGPTR = 0xF15


class Cause:
    """Exception codes of ``mcause`` (interrupt bit clear)."""
    INSN_MISALIGNED = 0
    INSN_ACCESS = 1
    ILLEGAL_INSN = 2
    BREAKPOINT = 3
    LOAD_MISALIGNED = 4
    LOAD_ACCESS = 5
    STORE_MISALIGNED = 6
    STORE_ACCESS = 7
    ECALL_U = 8
    ECALL_S = 9
    ECALL_VS = 10
    ECALL_M = 11
    INSN_PAGE = 12
    LOAD_PAGE = 13
    STORE_PAGE = 15
    INSN_GUEST_PAGE = 20
    LOAD_GUEST_PAGE = 21
    VIRTUAL_INSN = 22
    STORE_GUEST_PAGE = 23


class Irq:
    """Interrupt numbers: bit positions in ``mip``/``mie`` and ``mcause`` codes."""
    SSI = 1
    VSSI = 2
    MSI = 3
    STI = 5
    VSTI = 6
    MTI = 7
    SEI = 9
    VSEI = 10
    MEI = 11
    SGEI = 12
    # The order in which pending and enabled interrupts of one level are taken
    # (privileged spec, "Machine Interrupt Registers"; hypervisor chapter, "Traps").
    PRIORITY = (MEI, MSI, MTI, SEI, SSI, STI, SGEI, VSEI, VSSI, VSTI)


class Priv(enum.Enum, shape=2):
    U = 0
    S = 1
    M = 3


def misa(*, hext):
    """The ``misa`` value: RV32IMA with S and U modes, and H when ``hext``."""
    letters = "AIMSU" + ("H" if hext else "")
    value = 1 << 30  # MXL = 1: XLEN 32
    for letter in letters:
        value |= 1 << (ord(letter) - ord("A"))
    return value



