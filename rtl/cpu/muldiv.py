"""The M extension: a one-cycle multiplier and an iterative (32-cycle) divider."""

from amaranth import Cat, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .isa import Funct3

__all__ = ["MulDiv"]


class MulDiv(wiring.Component):
    """Starts on ``start`` with ``op`` (the M-extension funct3), ``a`` and ``b``. A
    multiplication's ``mul_result`` is valid in the next cycle (the core reads it in its
    W stage); a division raises ``done`` 33 cycles later, with ``div_result`` (the
    quotient or the remainder) valid then. The two results are kept apart so that the
    product never passes through the mux the core's E stage reads a division from.

    Division by zero and signed overflow give the results the spec fixes (quotient all
    ones and remainder the dividend; quotient ``-2**31`` and remainder 0).

    ``late``: a multiplication's operands are registered instead of its product, which
    is worked out in the next cycle from them (the results are valid then as before, but
    late in the cycle: the multiplier and its adders are a cycle of their own instead of
    following the core's operand bypass).
    """

    start: In(1)
    op: In(3)
    a: In(32)
    b: In(32)
    done: Out(1)
    mul_result: Out(32)
    div_result: Out(32)

    def __init__(self, *, late=False):
        self.late = bool(late)
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        op = Signal(3)
        a_signed = (self.op == Funct3.MULH) | (self.op == Funct3.MULHSU) | \
            (self.op == Funct3.DIV) | (self.op == Funct3.REM)
        b_signed = (self.op == Funct3.MULH) | (self.op == Funct3.DIV) | (self.op == Funct3.REM)
        a_neg = a_signed & self.a[31]
        b_neg = b_signed & self.b[31]

        product = Signal(64)
        if self.late:
            mul_factors = (Signal(signed(33)), Signal(signed(33)))
            m.d.comb += product.eq(mul_factors[0] * mul_factors[1])
        # Divider state: remainder:quotient shift register over the operands' magnitudes.
        rem = Signal(33)
        quo = Signal(32)
        divisor = Signal(32)
        count = Signal(range(33))
        busy = Signal()
        neg_q = Signal()
        neg_r = Signal()
        by_zero = Signal()
        dividend = Signal(32)
        is_mul = ~self.op[2]

        with m.If(self.start):
            m.d.sync += op.eq(self.op)
            with m.If(is_mul):
                factors = (Mux(a_signed, self.a.as_signed(), self.a),
                           Mux(b_signed, self.b.as_signed(), self.b))
                if self.late:
                    m.d.sync += [f.eq(v) for f, v in zip(mul_factors, factors)]
                else:
                    m.d.sync += product.eq(factors[0] * factors[1])
                m.d.sync += [busy.eq(0), count.eq(0)]
            with m.Else():
                m.d.sync += [
                    rem.eq(0),
                    quo.eq(Mux(a_neg, -self.a, self.a)),
                    divisor.eq(Mux(b_neg, -self.b, self.b)),
                    neg_q.eq(a_neg ^ b_neg),
                    neg_r.eq(a_neg),
                    by_zero.eq(self.b == 0),
                    dividend.eq(self.a),
                    count.eq(32),
                    busy.eq(1),
                ]
        pending_mul = Signal()
        m.d.sync += pending_mul.eq(self.start & is_mul)

        with m.If(busy & (count != 0)):
            shifted = Cat(quo[31], rem[0:32])
            diff = shifted - divisor
            fits = ~diff[32]
            m.d.sync += [
                rem.eq(Mux(fits, diff, shifted)),
                quo.eq(Cat(fits, quo[0:31])),
                count.eq(count - 1),
            ]
            with m.If(count == 1):
                m.d.sync += busy.eq(0)
        div_done = Signal()
        m.d.sync += div_done.eq(busy & (count == 1))

        quotient = Mux(by_zero, 0xFFFFFFFF, Mux(neg_q, -quo, quo))
        remainder = Mux(by_zero, dividend, Mux(neg_r, -rem[0:32], rem[0:32]))
        m.d.comb += [
            self.mul_result.eq(Mux(op == Funct3.MUL, product[0:32], product[32:64])),
            # DIV and DIVU are funct3 4 and 5, REM and REMU 6 and 7.
            self.div_result.eq(Mux(op[1], remainder, quotient)),
            self.done.eq(pending_mul | div_done),
        ]
        return m
