"""Machine-mode CSRs, privilege state, trap entry and return, and interrupt selection.

The core asks for one CSR access per instruction (``addr``, ``writes``, then ``write`` with
the new value), reports traps (``trap``) and MRET (``mret``), and reads the resulting
privilege, trap vector and pending interrupt. Every field follows the privileged spec's
WARL rules for a hart with M and U modes; medeleg/mideleg and the S-mode CSRs arrive with
S-mode.
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..bus import PID_WIDTH
from ..partition.register import PartitionRegister
from .isa import MISA, Csr, Irq, Priv
from .pmp import PMP_ENTRIES, PmpMode, pmp_entry_layout

__all__ = ["CSRFile"]

MIP_MASK = (1 << Irq.MSI) | (1 << Irq.MTI) | (1 << Irq.MEI)


class CSRFile(wiring.Component):
    """The machine-mode CSRs of one hart.

    Parameters
    ----------
    hartid : int
        Value of ``mhartid``.
    """

    def __init__(self, *, hartid=0):
        if not isinstance(hartid, int) or hartid < 0:
            raise ValueError(f"hartid must be a non-negative integer, not {hartid!r}")
        self.hartid = hartid
        super().__init__({
            # access by the executing instruction
            "addr": In(12),
            "writes": In(1),
            "write": In(1),
            "wdata": In(32),
            "rdata": Out(32),
            "illegal": Out(1),
            # privilege state
            "priv": Out(Priv, init=Priv.M),
            "data_priv": Out(Priv),
            "tw": Out(1),
            # traps
            "trap": In(1),
            "trap_intr": In(1),
            "trap_cause": In(5),
            "trap_pc": In(32),
            "trap_tval": In(32),
            "trap_vector": Out(32),
            "mret": In(1),
            "mepc": Out(32),
            # interrupts
            "msip": In(1),
            "mtip": In(1),
            "meip": In(1),
            "irq_take": Out(1),
            "irq_cause": Out(5),
            "irq_wake": Out(1),
            # counters
            "mtime": In(64),
            "retire": In(1),
            "unretire": In(1),
            "pmp": Out(data.ArrayLayout(pmp_entry_layout, PMP_ENTRIES)),
            "pid": Out(PID_WIDTH),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.partition = partition = PartitionRegister()
        m.d.comb += [
            partition.write.eq(self.write & (self.addr == Csr.MPARTITION)),
            partition.wdata.eq(self.wdata),
            self.pid.eq(partition.pid),
        ]

        mie_bit = Signal()      # mstatus.MIE
        mpie = Signal()
        mpp = Signal(Priv)
        mprv = Signal()
        tw = Signal()
        mie = Signal(32)
        mtvec = Signal(32)
        mscratch = Signal(32)
        mepc = Signal(32)
        mcause = Signal(32)
        mtval = Signal(32)
        mcounteren = Signal(32)
        mcountinhibit = Signal(32)
        mcycle = Signal(64)
        minstret = Signal(64)
        priv = self.priv

        mstatus = Cat(Const(0, 3), mie_bit, Const(0, 3), mpie, Const(0, 3), mpp.as_value(),
                      Const(0, 4), mprv, Const(0, 3), tw, Const(0, 10))
        mip = Cat(Const(0, 3), self.msip, Const(0, 3), self.mtip, Const(0, 3), self.meip,
                  Const(0, 20))

        # --- reads -------------------------------------------------------------------------
        # address -> value; an address missing here does not exist (illegal).
        table = {
            Csr.MSTATUS: mstatus, Csr.MISA: Const(MISA, 32), Csr.MIE: mie,
            Csr.MTVEC: mtvec, Csr.MCOUNTEREN: mcounteren, Csr.MENVCFG: 0,
            Csr.MSTATUSH: 0, Csr.MENVCFGH: 0, Csr.MCOUNTINHIBIT: mcountinhibit,
            Csr.MSCRATCH: mscratch, Csr.MEPC: mepc, Csr.MCAUSE: mcause, Csr.MTVAL: mtval,
            Csr.MIP: mip,
            Csr.MCYCLE: mcycle[:32], Csr.MCYCLEH: mcycle[32:],
            Csr.MINSTRET: minstret[:32], Csr.MINSTRETH: minstret[32:],
            Csr.CYCLE: mcycle[:32], Csr.CYCLEH: mcycle[32:],
            Csr.TIME: self.mtime[:32], Csr.TIMEH: self.mtime[32:],
            Csr.INSTRET: minstret[:32], Csr.INSTRETH: minstret[32:],
            Csr.MVENDORID: 0, Csr.MARCHID: 0, Csr.MIMPID: 0,
            Csr.MHARTID: self.hartid, Csr.MCONFIGPTR: 0,
            Csr.MPARTITION: partition.value,
        }
        for n in range(3, 32):  # hpm counters and events: present, hardwired to zero
            for base in (Csr.MHPMEVENT3, Csr.MHPMCOUNTER3, Csr.MHPMCOUNTER3H,
                         Csr.HPMCOUNTER3, Csr.HPMCOUNTER3H):
                table[base - 3 + n] = 0
        pmpcfg = [Cat(self.pmp[i].cfg.as_value() for i in range(4 * k, 4 * k + 4))
                  if 4 * k < PMP_ENTRIES else Const(0, 32) for k in range(4)]
        for k in range(4):
            table[Csr.PMPCFG0 + k] = pmpcfg[k]
        for i in range(16):
            table[Csr.PMPADDR0 + i] = self.pmp[i].addr if i < PMP_ENTRIES else 0

        exists = Signal()
        rdata = Signal(32)
        with m.Switch(self.addr):
            for addr, value in table.items():
                with m.Case(addr):
                    m.d.comb += [exists.eq(1), rdata.eq(value)]
        m.d.comb += self.rdata.eq(rdata)

        # --- access checks -----------------------------------------------------------------
        counter = (self.addr[5:12] == (Csr.CYCLE >> 5)) | (self.addr[5:12] == (Csr.CYCLEH >> 5))
        counter_denied = counter & (priv != Priv.M) & ~(mcounteren.bit_select(self.addr[0:5], 1))
        m.d.comb += self.illegal.eq(
            ~exists
            | (priv.as_value() < self.addr[8:10])
            | (self.writes & (self.addr[10:12] == 0b11))
            | counter_denied)

        # --- counters ----------------------------------------------------------------------
        with m.If(~mcountinhibit[0]):
            m.d.sync += mcycle.eq(mcycle + 1)
        with m.If(self.retire & ~mcountinhibit[2]):
            m.d.sync += minstret.eq(minstret + 1)
        with m.Elif(self.unretire & ~mcountinhibit[2]):
            # counted when it left E, it faulted in W after all
            m.d.sync += minstret.eq(minstret - 1)

        # --- writes ------------------------------------------------------------------------
        w = self.wdata
        with m.If(self.write):
            with m.Switch(self.addr):
                with m.Case(Csr.MSTATUS):
                    m.d.sync += [mie_bit.eq(w[3]), mpie.eq(w[7]), mprv.eq(w[17]), tw.eq(w[21])]
                    with m.If((w[11:13] == Priv.M) | (w[11:13] == Priv.U)):
                        m.d.sync += mpp.eq(w[11:13])
                with m.Case(Csr.MIE):
                    m.d.sync += mie.eq(w & MIP_MASK)
                with m.Case(Csr.MTVEC):
                    m.d.sync += mtvec.eq(Cat(w[0], Const(0, 1), w[2:32]))
                with m.Case(Csr.MCOUNTEREN):
                    m.d.sync += mcounteren.eq(w)
                with m.Case(Csr.MCOUNTINHIBIT):
                    m.d.sync += mcountinhibit.eq(w & 0b101)
                with m.Case(Csr.MSCRATCH):
                    m.d.sync += mscratch.eq(w)
                with m.Case(Csr.MEPC):
                    m.d.sync += mepc.eq(Cat(Const(0, 2), w[2:32]))
                with m.Case(Csr.MCAUSE):
                    m.d.sync += mcause.eq(w)
                with m.Case(Csr.MTVAL):
                    m.d.sync += mtval.eq(w)
                with m.Case(Csr.MCYCLE):
                    m.d.sync += mcycle[:32].eq(w)
                with m.Case(Csr.MCYCLEH):
                    m.d.sync += mcycle[32:].eq(w)
                with m.Case(Csr.MINSTRET):
                    m.d.sync += minstret[:32].eq(w)
                with m.Case(Csr.MINSTRETH):
                    m.d.sync += minstret[32:].eq(w)
                for k in range(PMP_ENTRIES // 4):
                    with m.Case(Csr.PMPCFG0 + k):
                        for j in range(4):
                            self._write_pmpcfg(m, 4 * k + j, w[8 * j:8 * j + 8])
                for i in range(PMP_ENTRIES):
                    with m.Case(Csr.PMPADDR0 + i):
                        locked = self.pmp[i].cfg.l
                        if i + 1 < PMP_ENTRIES:
                            nxt = self.pmp[i + 1].cfg
                            locked = locked | (nxt.l & (nxt.a == PmpMode.TOR))
                        with m.If(~locked):
                            m.d.sync += self.pmp[i].addr.eq(w)

        # --- traps and returns -------------------------------------------------------------
        vectored = (mtvec[0:2] == 1) & self.trap_intr
        m.d.comb += [
            self.trap_vector.eq(Cat(Const(0, 2), mtvec[2:32])
                                + Mux(vectored, self.trap_cause << 2, 0)),
            self.mepc.eq(mepc),
            self.tw.eq(tw),
            self.data_priv.eq(Mux(mprv, mpp, priv)),
        ]
        with m.If(self.trap):
            m.d.sync += [
                mepc.eq(self.trap_pc),
                mcause.eq(Cat(self.trap_cause, Const(0, 26), self.trap_intr)),
                mtval.eq(self.trap_tval),
                mpie.eq(mie_bit),
                mie_bit.eq(0),
                mpp.eq(priv),
                priv.eq(Priv.M),
            ]
        with m.Elif(self.mret):
            m.d.sync += [
                priv.eq(mpp),
                mie_bit.eq(mpie),
                mpie.eq(1),
                mpp.eq(Priv.U),
            ]
            with m.If(mpp != Priv.M):
                m.d.sync += mprv.eq(0)

        # --- interrupts: highest priority MEI, MSI, MTI --------------------------------------
        pending = Signal(32)
        m.d.comb += pending.eq(mip & mie)
        enabled = (priv != Priv.M) | mie_bit
        with m.If(pending[Irq.MEI]):
            m.d.comb += self.irq_cause.eq(Irq.MEI)
        with m.Elif(pending[Irq.MSI]):
            m.d.comb += self.irq_cause.eq(Irq.MSI)
        with m.Else():
            m.d.comb += self.irq_cause.eq(Irq.MTI)
        m.d.comb += [
            self.irq_wake.eq(pending != 0),
            self.irq_take.eq((pending != 0) & enabled),
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
