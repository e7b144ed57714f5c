"""A small Wishbone-like bus with a fixed latency: its signature, an address decoder and an
arbiter.

A cycle in which the initiator raises ``cyc`` is one request: ``adr`` (a word address),
``we``, ``sel`` (byte lanes) and ``dat_w`` describe it. Unless ``stall`` is high in that
same cycle, the request is taken: the subordinate answers exactly one cycle later with
``ack`` (done; ``dat_r`` holds read data) or ``err`` (no such address, or access refused),
and takes effect (writes, read side effects) in the request's cycle. An initiator may
therefore issue a request every cycle, which is what lets the pipelined core fetch one
instruction per cycle from block RAM. A stalled request has no effect and no answer; the
initiator asks again. Only arbiters stall, and a partition checker's configuration port in
the cycle after a write (which it makes then): devices take every request they see.
``stall`` means something only in a cycle with ``cyc``: an arbiter's comes from its
registers where it can, so that a request does not travel to it and back before its
initiator knows whether it was taken.

``lock`` on a taken request keeps the arbiter it went through for the same initiator in
the next cycle, and for as long after as the initiator raises ``lock`` without a request:
an AMO's read and write are one indivisible pair, with or without a cycle between them.

``abort`` withdraws the request raised in the same cycle: it is decided late in the
cycle (a hart's own PMP check of an access that leaves from registers), too late for an
arbiter's choice, which it therefore does not enter. An aborted request has no effect and
no answer; the arbiter that chose it passes nothing on (the slot is lost for that cycle)
and a decoder does not answer it with ``err``. Past an arbiter ``abort`` is never raised:
subordinates need not look at it.

Every request also says who makes it: ``pid`` (the issuing hart's partition ID), ``hart``
(its hart ID) and ``fetch`` (an instruction fetch): the partition checkers decide on them.
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["BusSignature", "Decoder", "Arbiter", "PID_WIDTH", "window_hits"]

PID_WIDTH = 3  # up to 8 partitions


class BusSignature(wiring.Signature):
    """The bus seen from its initiator.

    Parameters
    ----------
    addr_width : int
        Width of the word address; a 32-bit byte address space has 30.
    """

    def __init__(self, addr_width=30):
        if not isinstance(addr_width, int) or not 1 <= addr_width <= 30:
            raise ValueError(f"addr_width must be an integer from 1 to 30, not {addr_width!r}")
        self.addr_width = addr_width
        super().__init__({
            "cyc": Out(1),
            "we": Out(1),
            "adr": Out(addr_width),
            "sel": Out(4),
            "dat_w": Out(32),
            "pid": Out(PID_WIDTH),
            "hart": Out(3),
            "fetch": Out(1),
            "lock": Out(1),
            "abort": Out(1),
            "dat_r": In(32),
            "ack": In(1),
            "err": In(1),
            "stall": In(1),
        })

    def __eq__(self, other):
        return isinstance(other, BusSignature) and other.addr_width == self.addr_width

    def __repr__(self):
        return f"BusSignature(addr_width={self.addr_width})"


def window_hits(adr, windows):
    """One bit per window ``(base, size)`` (in bytes, naturally aligned, a power of two):
    whether the word address ``adr`` falls in it, the first window lowest."""
    hits = []
    for base, size in windows:
        inside = (size // 4 - 1).bit_length()      # word-address bits within the window
        hits.append((adr >> inside) == (base >> 2 >> inside))
    return Cat(hits)


class Decoder(wiring.Component):
    """Routes one initiator to the subordinate whose window holds the address.

    Windows are given in bytes and must be naturally aligned powers of two. An access that
    falls in no window is answered with ``err`` one cycle later. The answer is taken from
    the subordinate addressed in the previous cycle, so requests may follow each other
    back to back across windows.

    Parameters
    ----------
    windows : list of (str, int, int)
        ``(name, base, size)`` for each subordinate; the subordinate's bus is the port
        ``self.subs[name]``, with an address as wide as its window needs.
    addr_width : int
        Width of the initiator's word address (30 for the whole address space; less for
        a decoder inside another's window, whose windows are then offsets).
    hinted : bool
        The initiator says which window its request goes to: the input ``hit``, one bit
        per window in the order given, must be ``window_hits(adr, ...)`` of the request
        in every cycle with ``cyc``. The decoder routes by it instead of comparing the
        address itself, so that an initiator that registers its hits with its request
        (a board's hart) has no address comparison on the path from its request
        registers to ``stall`` and back into its pipeline.
    stall_any : bool
        Stall a request whenever any subordinate stalls, whichever window it is for (it
        then reaches none, nor is a miss answered): the stall is then an OR of the
        subordinates' alone, the address comparison off its path. For subordinates that
        stall rarely (the partition control block's checkers, the cycle after a write).
    """

    def __init__(self, windows, *, addr_width=30, hinted=False, stall_any=False):
        names = set()
        for name, base, size in windows:
            if name in names:
                raise ValueError(f"window name {name!r} is used twice")
            names.add(name)
            if size < 4 or size & (size - 1):
                raise ValueError(f"window {name!r}: size must be a power of two >= 4, "
                                 f"not {size:#x}")
            if base % size:
                raise ValueError(f"window {name!r}: base {base:#x} is not aligned to its "
                                 f"size {size:#x}")
        ordered = sorted(windows, key=lambda w: w[1])
        for (n0, b0, s0), (n1, b1, _) in zip(ordered, ordered[1:]):
            if b0 + s0 > b1:
                raise ValueError(f"windows {n0!r} and {n1!r} overlap")
        for name, base, size in windows:
            if base + size > 4 << addr_width:
                raise ValueError(f"window {name!r} ends beyond the {addr_width}-bit word "
                                 f"address space")
        self._windows = list(windows)
        self.hinted = bool(hinted)
        self.stall_any = bool(stall_any)
        members = {"bus": In(BusSignature(addr_width))}
        if self.hinted:
            members["hit"] = In(len(self._windows))
        members["subs"] = Out(wiring.Signature({
            name: Out(BusSignature(max(1, (size // 4 - 1).bit_length())))
            for name, _, size in windows
        }))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        bus = self.bus
        hit_any = Signal()
        answering = []
        stalls = []     # (windows do not overlap: at most one is hit, an OR of them)
        hits = self.hit if self.hinted else window_hits(
            bus.adr, [(base, size) for _, base, size in self._windows])
        held_off = Const(0)       # stall_any: every request waits while a subordinate stalls
        if self.stall_any:
            held_off = Signal()
            m.d.comb += held_off.eq(Cat(getattr(self.subs, name).stall
                                        for name, _, _ in self._windows).any())
        for i, (name, base, size) in enumerate(self._windows):
            sub = getattr(self.subs, name)
            hit = Signal(name=f"hit_{name}")
            m.d.comb += [
                hit.eq(hits[i]),
                sub.cyc.eq(bus.cyc & hit & ~held_off),
                sub.we.eq(bus.we),
                sub.adr.eq(bus.adr),
                sub.sel.eq(bus.sel),
                sub.dat_w.eq(bus.dat_w),
                sub.pid.eq(bus.pid),
                sub.hart.eq(bus.hart),
                sub.fetch.eq(bus.fetch),
                sub.lock.eq(bus.lock),
                sub.abort.eq(bus.abort),
            ]
            if not self.stall_any:
                stalls.append(hit & sub.stall)
            was_hit = Signal(name=f"was_hit_{name}")
            m.d.sync += was_hit.eq(bus.cyc & hit & ~sub.stall & ~held_off)
            answering.append((was_hit, sub))
            hit_any = hit_any | hit
        # At most one window answers (the windows do not overlap), so the answer is an OR
        # of each window's, gated by whether it was hit: a flat AND-OR rather than a
        # priority chain of multiplexers, on the path from the block RAM's answer to the
        # instruction's predecode.
        miss_err = Signal()
        m.d.sync += miss_err.eq(bus.cyc & ~bus.abort & ~hit_any & ~held_off)
        if self.stall_any:
            stalls = [held_off]
        dat_r, ack, err = 0, 0, miss_err
        for was_hit, sub in answering:
            dat_r = dat_r | (sub.dat_r & was_hit.replicate(32))
            ack = ack | (sub.ack & was_hit)
            err = err | (sub.err & was_hit)
        m.d.comb += [bus.dat_r.eq(dat_r), bus.ack.eq(ack), bus.err.eq(err),
                     bus.stall.eq(Cat(stalls).any())]
        return m



# What an arbiter or a checker passes on of a request, besides ``cyc``.
REQUEST_FIELDS = ("we", "adr", "sel", "dat_w", "pid", "hart", "fetch", "lock")


class Arbiter(wiring.Component):
    """Lets ``n`` initiators share one subordinate: one request a cycle is taken, the others
    stall. Grants go round-robin among the initiators asking, starting after the last one
    granted; a taken request with ``lock`` reserves the next cycle for its initiator, and
    while that initiator raises ``lock`` without a request the reservation holds (a
    read-modify-write that takes a cycle between its read and its write). The answer goes
    back to the initiator whose request was taken.

    A request raised with ``abort`` is weighed in the choice like any other (``abort`` is
    on no path to the choice) but is not passed on: ``out.cyc`` is low in its cycle.

    With ``n = 1`` it is a wire, apart from ``lock`` which then has nothing to exclude,
    and ``abort``, folded into ``cyc``.

    ``registered``: the chosen request is registered and reaches the subordinate the
    next cycle, so that nothing of the choice (nor ``abort``) is on the subordinate's
    path, and no initiator's ``stall`` depends on another's request: an initiator is
    stalled in the cycle its request is chosen and taken in the next, as the subordinate
    sees it, whose answer then goes back as usual. An access costs a cycle more and a port
    takes one every other cycle; the subordinate acts on a request before its initiator
    sees it taken, so an initiator must ask again, unchanged, until it is (the core's
    I/O bus and, with ``late_mem``, its data bus do: their requests are held in
    registers). A request taken with ``lock`` makes the next choice its initiator's, as
    above, and so does every cycle after in which it raises ``lock`` without asking. While
    the subordinate stalls, the request stays issued, and its initiator stalled (a
    registered partition checker stalls the first cycle of every request).

    ``home``: the initiators at home on this port (a RAM bank's: the harts of the
    partition whose memory it holds) are chosen among themselves as above; the others
    (*away*) wait for a cycle reserved for one of them, round-robin, decided the cycle
    before from their requests alone, in which the homes stall. So no initiator's
    ``stall`` depends on the request of an initiator of the other kind in the same cycle,
    and with one home none depends on another initiator's at all: an away access costs a
    cycle more, and the homes lose at most every other cycle to away ones. A reservation
    lasts while its initiator's ``lock`` holds it, as a home's does.

    Parameters
    ----------
    n : int
        Number of initiators (``self.ins[i]``); the subordinate is ``self.out``.
    addr_width : int
        Word-address width of the buses.
    registered : bool
        Register the chosen request, as described above.
    home : iterable of int or None
        The initiators at home, as described above; ``None``: all of them.
    """

    def __init__(self, n, *, addr_width=30, registered=False, home=None):
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer, not {n!r}")
        self.n = n
        self.registered = bool(registered)
        self.home = set(range(n)) if home is None else set(home)
        if not self.home <= set(range(n)):
            raise ValueError(f"home must name initiators 0 to {n - 1}, not {sorted(home)!r}")
        if self.registered and self.home != set(range(n)):
            raise ValueError("a registered arbiter has no home initiators")
        super().__init__({
            "ins": In(BusSignature(addr_width)).array(n),
            "out": Out(BusSignature(addr_width)),
        })

    def elaborate(self, platform):
        m = Module()
        n, out = self.n, self.out
        if self.registered:
            return self._elaborate_registered(m)
        if len(self.home) < n:
            return self._elaborate_homes(m)
        if n == 1:
            only = self.ins[0]
            m.d.comb += [getattr(out, name).eq(getattr(only, name)) for name in REQUEST_FIELDS]
            m.d.comb += [out.cyc.eq(only.cyc & ~only.abort), only.stall.eq(out.stall),
                         only.dat_r.eq(out.dat_r), only.ack.eq(out.ack),
                         only.err.eq(out.err)]
            return m
        asks = Signal(n)
        m.d.comb += asks.eq(Cat(b.cyc for b in self.ins))
        last = Signal(range(n))          # the last initiator granted
        locked = Signal()                # ... and its lock holds this cycle
        grant, granted, chosen, pick = self._choose(m, asks, last, locked)
        aborted = Signal()
        m.d.comb += [getattr(out, name).eq(pick(name)) for name in REQUEST_FIELDS]
        m.d.comb += [aborted.eq(pick("abort")), out.cyc.eq(granted & ~aborted)]
        for i, b in enumerate(self.ins):
            m.d.comb += b.stall.eq(b.cyc & (~chosen[i] | out.stall))
        with m.If(granted & ~out.stall):
            m.d.sync += [last.eq(grant), locked.eq(out.lock & ~aborted)]
        with m.Elif(locked):
            # the reservation's holder, asking nothing, keeps it while it raises lock
            m.d.sync += locked.eq(Cat(b.lock for b in self.ins).bit_select(last, 1))
        with m.Else():
            m.d.sync += locked.eq(0)
        self._answer(m, Mux(out.stall, 0, chosen))
        return m

    def _choose(self, m, asks, last, locked):
        """Round-robin among ``asks``: the first asker after ``last``, wrapping, or
        ``last`` itself while ``locked``. (grant, granted, chosen one-hot, pick(field))."""
        n = self.n
        grant = Signal(range(n))
        granted = Signal()
        # later assignments win, so walk the candidates from the least to the most preferred
        for offset in reversed(range(1, n + 1)):
            candidate = Signal(range(n), name=f"candidate{offset}")
            m.d.comb += candidate.eq(Mux(last + offset >= n, last + offset - n, last + offset))
            with m.If(asks.bit_select(candidate, 1)):
                m.d.comb += [grant.eq(candidate), granted.eq(1)]
        with m.If(locked):
            m.d.comb += [grant.eq(last), granted.eq(asks.bit_select(last, 1))]
        # A one-hot grant steers the request through AND-OR gates (cheaper than a chain
        # of multiplexers) and gates the answer, so an initiator sees nothing of another's.
        chosen = Signal(n)
        m.d.comb += chosen.eq(Cat(granted & (grant == i) for i in range(n)))

        return grant, granted, chosen, lambda name: self._pick(name, chosen)

    def _elaborate_registered(self, m):
        n, out = self.n, self.out
        asks = Signal(n)
        m.d.comb += asks.eq(Cat(b.cyc for b in self.ins))
        last = Signal(range(n))
        issuing = Signal()               # the request held is the subordinate's this cycle
        owner = Signal(n)                # ... and whose it is (one-hot)
        held_cyc = Signal()              # ... not withdrawn (abort) when it was chosen
        locked = Signal()                # the next choice is the last owner's, if it asks
        grant, granted, chosen, pick = self._choose(m, asks, last, locked)
        # Choose while nothing is issued (every asker stalls meanwhile); the request and
        # its abort are registered as they are, abort only clearing the request passed on.
        # (the subordinate's stall, meaningful with a request, keeps the request issued)
        waits = Signal()
        m.d.comb += waits.eq(out.cyc & out.stall)
        with m.If(issuing):
            with m.If(~waits):
                m.d.sync += [issuing.eq(0), locked.eq(out.lock & held_cyc)]
        with m.Elif(granted):
            m.d.sync += [issuing.eq(1), owner.eq(chosen), last.eq(grant),
                         held_cyc.eq(~pick("abort"))]
            m.d.sync += [getattr(out, name).eq(pick(name)) for name in REQUEST_FIELDS]
        with m.Elif(locked):
            # the holder, asking nothing, keeps its reservation while it raises lock
            m.d.sync += locked.eq(Cat(b.lock for b in self.ins).bit_select(last, 1))
        m.d.comb += out.cyc.eq(issuing & held_cyc)
        # The owner is taken as the subordinate sees its request; everyone else waits.
        # (from registers alone: an initiator looks at stall only while it asks, and its
        # request does not make the trip here and back before it knows)
        for i, b in enumerate(self.ins):
            m.d.comb += b.stall.eq(~(issuing & owner[i]) | waits)
        self._answer(m, Mux(issuing & held_cyc & ~out.stall, owner, 0))
        return m

    def _elaborate_homes(self, m):
        n, out = self.n, self.out
        home = Const(sum(1 << i for i in self.home), n)
        asks = Signal(n)
        m.d.comb += asks.eq(Cat(b.cyc for b in self.ins))
        reserved = Signal()              # this cycle is an away initiator's
        reserved_for = Signal(n)         # ... whose (one-hot)
        # The homes, among themselves, as in the plain arbiter (a reserved cycle is never
        # one their lock holds).
        last = Signal(range(n))
        locked = Signal()
        home_asks = Signal(n)
        m.d.comb += home_asks.eq(Mux(reserved, 0, asks & home))
        grant, granted, chosen, _ = self._choose(m, home_asks, last, locked)
        takes = Signal(n)                # whose request goes this cycle (one-hot)
        m.d.comb += takes.eq(Mux(reserved, reserved_for & asks, chosen))
        # With one home or none, whose request it would be is known from registers alone
        # (the reservation): the request's fields go out selected by it, the choice only
        # deciding whether it goes (``out.cyc``), so the subordinate's decision on the
        # fields (a partition checker's) does not wait on the initiators' requests.
        selects = takes
        if len(self.home) <= 1:
            selects = Signal(n)
            m.d.comb += selects.eq(Mux(reserved, reserved_for, home))

        def pick(name):
            return self._pick(name, selects)

        aborted = Signal()
        m.d.comb += [getattr(out, name).eq(pick(name)) for name in REQUEST_FIELDS]
        m.d.comb += [aborted.eq(pick("abort")), out.cyc.eq(takes.any() & ~aborted)]
        # An away initiator's stall, and a lone home's, are the reservation's (registers)
        # and the subordinate's: an initiator looks at stall only while it asks, so its
        # request does not make the trip here and back before it knows.
        lone = len(self.home) == 1
        for i, b in enumerate(self.ins):
            if i not in self.home:
                m.d.comb += b.stall.eq(~(reserved & reserved_for[i]) | out.stall)
            elif lone:
                m.d.comb += b.stall.eq(reserved | out.stall)
            else:
                m.d.comb += b.stall.eq(b.cyc & (~takes[i] | out.stall))
        # the homes' lock, next cycle
        locks = Cat(b.lock for b in self.ins)
        next_locked = Signal()
        with m.If(granted & ~out.stall):
            m.d.comb += [next_locked.eq(out.lock & ~aborted)]
            m.d.sync += last.eq(grant)
        with m.Elif(locked):
            m.d.comb += next_locked.eq(locks.bit_select(last, 1))
        m.d.sync += locked.eq(next_locked)
        # The next reservation: round-robin among the away initiators waiting, after the
        # last one served; a reservation lasts while its initiator's lock holds it (or
        # its request was not taken), and is followed by a cycle for the homes.
        last_away = Signal(range(n))
        waiting = Signal(n)
        m.d.comb += waiting.eq(asks & ~home & ~takes)
        after, any_after, after_one_hot, _ = self._choose(m, waiting, last_away, Const(0))
        with m.If(reserved):
            m.d.sync += reserved.eq((((locks & reserved_for).any() & ~aborted)
                                     | ((asks & reserved_for).any() & out.stall)))
        with m.Elif(any_after & ~next_locked):
            m.d.sync += [reserved.eq(1), reserved_for.eq(after_one_hot), last_away.eq(after)]
        self._answer(m, Mux(out.stall, 0, takes))
        return m

    def _pick(self, name, one_hot):
        """The field ``name`` of the request of the initiator ``one_hot`` names."""
        value = 0
        for i, b in enumerate(self.ins):
            field = getattr(b, name)
            value = value | (field & one_hot[i].replicate(len(field)))
        return value

    def _answer(self, m, taken):
        """Route the subordinate's answer to the initiator in the one-hot ``taken`` of the
        cycle before (gated, so an initiator sees nothing of another's)."""
        answer = Signal(self.n)
        m.d.sync += answer.eq(taken)
        for i, b in enumerate(self.ins):
            m.d.comb += [
                b.dat_r.eq(self.out.dat_r & answer[i].replicate(32)),
                b.ack.eq(self.out.ack & answer[i]),
                b.err.eq(self.out.err & answer[i]),
            ]
