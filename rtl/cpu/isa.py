"""RISC-V encodings the core needs: opcodes, function codes, CSR numbers, trap causes."""

from amaranth.lib import enum

__all__ = ["Opcode", "Funct3", "AmoOp", "Csr", "Cause", "Irq", "Priv", "MISA"]


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
WFI = 0x10500073


class Csr:
    """CSR numbers (privileged spec, "CSR Listing")."""
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
    ECALL_M = 11


class Irq:
    """Interrupt numbers: bit positions in ``mip``/``mie`` and ``mcause`` codes."""
    MSI = 3
    MTI = 7
    MEI = 11


class Priv(enum.Enum, shape=2):
    U = 0
    S = 1
    M = 3


def _misa():
    letters = "AIMU"
    value = 1 << 30  # MXL = 1: XLEN 32
    for letter in letters:
        value |= 1 << (ord(letter) - ord("A"))
    return value


MISA = _misa()
