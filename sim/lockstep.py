"""Lockstep checking of the core's retire trace against ``riscvmodel``, and the retire
trace as text.

For each retired instruction the reference executes the same instruction from the same
state; pc, the destination register and value, the next pc and the store (address, byte
lanes, data) must agree. ``riscvmodel`` runs LUI, AUIPC, JAL, branches, loads and stores;
its OP/OP-IMM and JALR results are wrong in places (see :func:`integer_op`), so the checker
computes those from the spec. CSR, A and trapping instructions are skipped, counted by
kind, and their effects copied into the model so that checking goes on after them. The
model's memory mishandles halfword stores, so the checker keeps a shadow of every byte the
program stored, checks loads against it, and gives the model the loaded word.
"""

from collections import Counter, deque

__all__ = ["Divergence", "Lockstep", "disassemble", "format_retire"]

_CSR_NAMES = {
    0x300: "mstatus", 0x301: "misa", 0x304: "mie", 0x305: "mtvec", 0x306: "mcounteren",
    0x320: "mcountinhibit", 0x340: "mscratch", 0x341: "mepc", 0x342: "mcause",
    0x343: "mtval", 0x344: "mip", 0xB00: "mcycle", 0xB02: "minstret", 0xC00: "cycle",
    0xC01: "time", 0xC02: "instret", 0xF14: "mhartid",
}
_AMO = {0b00000: "amoadd", 0b00001: "amoswap", 0b00010: "lr", 0b00011: "sc",
        0b00100: "amoxor", 0b01000: "amoor", 0b01100: "amoand", 0b10000: "amomin",
        0b10100: "amomax", 0b11000: "amominu", 0b11100: "amomaxu"}
_SYSTEM = {0x00000073: "ecall", 0x00100073: "ebreak", 0x30200073: "mret",
           0x10200073: "sret", 0x10500073: "wfi"}
_CSR_OPS = {1: "csrrw", 2: "csrrs", 3: "csrrc", 5: "csrrwi", 6: "csrrsi", 7: "csrrci"}
_decode_cache = {}
_WRITES_RD = {0x37, 0x17, 0x6F, 0x67, 0x03, 0x13, 0x33}  # LUI AUIPC JAL JALR LOAD OP-IMM OP


def disassemble(word):
    """Assembly text of one instruction word."""
    if word in _decode_cache:
        return _decode_cache[word]
    opcode, rd, f3 = word & 0x7F, (word >> 7) & 31, (word >> 12) & 7
    rs1, rs2 = (word >> 15) & 31, (word >> 20) & 31
    text = None
    if opcode == 0x73:
        if word in _SYSTEM:
            text = _SYSTEM[word]
        elif f3 in _CSR_OPS:
            csr = word >> 20
            name = _CSR_NAMES.get(csr, f"0x{csr:03x}")
            src = str(rs1) if f3 >= 5 else f"x{rs1}"
            text = f"{_CSR_OPS[f3]} x{rd}, {name}, {src}"
    elif opcode == 0x2F and f3 == 2 and (word >> 27) in _AMO:
        op = _AMO[word >> 27]
        text = f"lr.w x{rd}, (x{rs1})" if op == "lr" else f"{op}.w x{rd}, x{rs2}, (x{rs1})"
    if text is None:
        from riscvmodel.code import MachineDecodeError, decode
        from riscvmodel.variant import RV32IM
        try:
            text = str(decode(word, RV32IM))
        except MachineDecodeError:
            text = f".word 0x{word:08x}"
    _decode_cache[word] = text
    return text


def format_retire(rec):
    """One line of the retire trace."""
    line = (f"{rec['order']:>10} {rec['pc_rdata']:08x} {rec['insn']:08x}  "
            f"{disassemble(rec['insn']):<28}")
    if rec["trap"]:
        line += f" TRAP -> {rec['pc_wdata']:08x}"
    if rec["intr"]:
        line += " (interrupt handler)"
    if rec["rd_addr"]:
        line += f" x{rec['rd_addr']}={rec['rd_wdata']:08x}"
    if rec["mem_wmask"]:
        line += f" mem[{rec['mem_addr']:08x}]/{rec['mem_wmask']:x}<={rec['mem_wdata']:08x}"
    elif rec["mem_rmask"]:
        line += f" mem[{rec['mem_addr']:08x}]/{rec['mem_rmask']:x}=>{rec['mem_rdata']:08x}"
    return line


def _signed(x):
    return x - (1 << 32) if x >> 31 else x


def m_extension(f3, a, b):
    """The M extension's result, by the unprivileged spec's "M" chapter."""
    mask = 0xFFFFFFFF
    sa, sb = _signed(a), _signed(b)
    if f3 == 0:
        return (a * b) & mask
    if f3 == 1:
        return ((sa * sb) >> 32) & mask
    if f3 == 2:
        return ((sa * b) >> 32) & mask
    if f3 == 3:
        return ((a * b) >> 32) & mask
    if b == 0:
        return mask if f3 in (4, 5) else a
    if f3 in (4, 6) and sa == -(1 << 31) and sb == -1:
        return a if f3 == 4 else 0
    if f3 == 4:
        q = abs(sa) // abs(sb)
        return (q if (sa < 0) == (sb < 0) else -q) & mask
    if f3 == 5:
        return a // b
    if f3 == 6:
        r = abs(sa) % abs(sb)
        return (r if sa >= 0 else -r) & mask
    return a % b


def integer_op(insn, a, b):
    """Result of an OP or OP-IMM instruction (``b`` is rs2's value or the immediate,
    sign-extended). riscv-model gets SLTU (raises), SLTIU, SRAI and every M instruction
    wrong (and JALR: it keeps bit 0 of the target), so the checker computes these itself,
    from the spec; the model runs LUI, AUIPC, JAL, branches, loads and stores."""
    f3, f7 = (insn >> 12) & 7, insn >> 25
    if insn & 0x7F == 0x33 and f7 == 1:
        return m_extension(f3, a, b)
    alt = f7 == 0x20 and (insn & 0x7F == 0x33 or f3 == 5)
    mask = 0xFFFFFFFF
    if f3 == 0:
        return (a - b) & mask if alt else (a + b) & mask
    if f3 == 1:
        return (a << (b & 31)) & mask
    if f3 == 2:
        return int(_signed(a) < _signed(b))
    if f3 == 3:
        return int(a < b)
    if f3 == 4:
        return a ^ b
    if f3 == 5:
        return (_signed(a) >> (b & 31)) & mask if alt else a >> (b & 31)
    if f3 == 6:
        return a | b
    return a & b


def _fmt_rd(write):
    return "no register write" if write is None else f"x{write[0]} = {write[1]:08x}"


def _fmt_store(store):
    if store is None:
        return "no store"
    return f"mem[{store[0]:08x}] lanes {store[1]:04b} <= {store[2]:08x}"


class Divergence(Exception):
    """The core and the model disagree; the message is the report."""


def _lanes(mask):
    value = 0
    for lane in range(4):
        if mask >> lane & 1:
            value |= 0xFF << (8 * lane)
    return value


class Lockstep:
    """Steps the reference model on each retire record and compares."""

    def __init__(self, history=8):
        from riscvmodel.model import Model
        from riscvmodel.variant import RV32IM
        self.model = Model(RV32IM)
        self.variant = RV32IM
        for i in range(1, 32):
            self.model.state.intreg[i] = 0
        self.model.state.intreg.commit()
        self.shadow = {}   # byte address -> the byte the program last stored there
        self.checked = 0
        self.skipped = Counter()
        self.history = deque(maxlen=history)
        self.expected_pc = None
        self._insns = {}

    # --- helpers -------------------------------------------------------------------
    def _diverge(self, rec, cycle, what, expected, actual):
        lines = [f"lockstep divergence at cycle {cycle}, instruction #{rec['order']}: {what}",
                 f"  pc {rec['pc_rdata']:08x}: {rec['insn']:08x}  {disassemble(rec['insn'])}",
                 f"  expected {expected}",
                 f"  actual   {actual}",
                 f"  last {len(self.history)} retired before it:"]
        lines += [f"    {format_retire(r)}" for r in self.history]
        raise Divergence("\n".join(lines))

    def _store_effect(self, rec):
        for lane in range(4):
            if rec["mem_wmask"] >> lane & 1:
                self.shadow[rec["mem_addr"] + lane] = (rec["mem_wdata"] >> (8 * lane)) & 0xFF

    def _sync(self, rec):
        """Copy a skipped instruction's effects into the model."""
        state = self.model.state
        if rec["rd_addr"]:
            state.intreg[rec["rd_addr"]] = rec["rd_wdata"]
            state.intreg.commit()
        self._store_effect(rec)
        self.expected_pc = rec["pc_wdata"]

    def _skip_kind(self, rec):
        opcode = rec["insn"] & 0x7F
        if rec["trap"]:
            return "trap"
        if opcode == 0x73:
            return "system/CSR"
        if opcode == 0x2F:
            return "A extension"
        if opcode == 0x0F:
            return "fence"
        return None

    # --- the check -------------------------------------------------------------------
    def step(self, rec, cycle=0):
        if rec["intr"]:   # an interrupt moved the pc to its handler; nothing retired for it
            self.skipped["interrupt entry"] += 1
        elif self.expected_pc is not None and rec["pc_rdata"] != self.expected_pc:
            self._diverge(rec, cycle, "pc", f"{self.expected_pc:08x}", f"{rec['pc_rdata']:08x}")
        kind = self._skip_kind(rec)
        if kind:
            self.skipped[kind] += 1
            self._sync(rec)
            self.history.append(rec)
            return
        insn = self._insns.get(rec["insn"])
        if insn is None:
            from riscvmodel.code import MachineDecodeError, decode
            try:
                insn = decode(rec["insn"], self.variant)
            except MachineDecodeError:
                self._diverge(rec, cycle, "an instruction the model does not know retired "
                              "without a trap", "illegal-instruction trap", "retired")
            self._insns[rec["insn"]] = insn
        state = self.model.state
        opcode = rec["insn"] & 0x7F
        if opcode == 0x03:   # load: check against the shadow, then feed the model
            for lane in range(4):
                known = self.shadow.get(rec["mem_addr"] + lane)
                got = (rec["mem_rdata"] >> (8 * lane)) & 0xFF
                if rec["mem_rmask"] >> lane & 1 and known is not None and known != got:
                    self._diverge(rec, cycle, f"load returned other data than was stored "
                                  f"(byte {rec['mem_addr'] + lane:08x})",
                                  f"{known:02x}", f"{got:02x}")
            state.memory.memory[rec["mem_addr"] >> 2] = rec["mem_rdata"]
        state.pc = rec["pc_rdata"]
        state.commit()
        if opcode in (0x13, 0x33):
            word = rec["insn"]
            rd = (word >> 7) & 31
            a = int(state.intreg[(word >> 15) & 31].value) & 0xFFFFFFFF
            if opcode == 0x33:
                b = int(state.intreg[(word >> 20) & 31].value) & 0xFFFFFFFF
            else:
                b = (word >> 20) | (0xFFFFF000 if word >> 31 else 0)
            if rd:
                state.intreg[rd] = integer_op(word, a, b)
            state.pc = rec["pc_rdata"] + 4
            state.commit()
            trace = []
        elif opcode == 0x67:   # riscv-model does not clear bit 0 of the JALR target
            word = rec["insn"]
            rd = (word >> 7) & 31
            a = int(state.intreg[(word >> 15) & 31].value)
            imm = (word >> 20) - (0x1000 if word >> 31 else 0)
            if rd:
                state.intreg[rd] = (rec["pc_rdata"] + 4) & 0xFFFFFFFF
            state.pc = (a + imm) & 0xFFFFFFFE
            state.commit()
            trace = []
        else:
            trace = self.model.issue(insn)
        next_pc = int(state.pc) & 0xFFFFFFFF

        # The model reports only registers whose value changed: compare its register
        # state instead, for every instruction that writes rd.
        rd = (rec["insn"] >> 7) & 31
        writes_rd = opcode in _WRITES_RD and rd != 0
        exp_rd = (rd, int(state.intreg[rd].value) & 0xFFFFFFFF) if writes_rd else None
        act_rd = (rec["rd_addr"], rec["rd_wdata"]) if rec["rd_addr"] else None
        if exp_rd != act_rd:
            self._diverge(rec, cycle, "destination register", _fmt_rd(exp_rd), _fmt_rd(act_rd))
        if next_pc != rec["pc_wdata"]:
            self._diverge(rec, cycle, "next pc", f"{next_pc:08x}", f"{rec['pc_wdata']:08x}")
        stores = [t for t in trace if type(t).__name__ == "TraceMemory"]
        if stores:
            t = stores[0]
            size = {1: 1, 2: 2}.get(getattr(t.gran, "value", 4), 4)
            addr = int(t.addr) & 0xFFFFFFFF
            mask = ((1 << size) - 1) << (addr & 3)
            data = (int(t.data) << (8 * (addr & 3))) & 0xFFFFFFFF
            exp = (addr & ~3, mask, data & _lanes(mask))
        else:
            exp = None
        act = (rec["mem_addr"], rec["mem_wmask"], rec["mem_wdata"] & _lanes(rec["mem_wmask"])) \
            if rec["mem_wmask"] else None
        if exp != act:
            self._diverge(rec, cycle, "store", _fmt_store(exp), _fmt_store(act))
        self._store_effect(rec)
        self.expected_pc = rec["pc_wdata"]
        self.checked += 1
        self.history.append(rec)

    def summary(self):
        skipped = ", ".join(f"{n} {k}" for k, n in sorted(self.skipped.items())) or "none"
        return f"lockstep: {self.checked} instructions checked, skipped: {skipped}"
