"""The SoC's bus: a Wishbone-like signature, its address decoder and its arbiter."""

from .wishbone import PID_WIDTH, REQUEST_FIELDS, Arbiter, BusSignature, Decoder, window_hits

__all__ = ["Arbiter", "BusSignature", "Decoder", "PID_WIDTH", "REQUEST_FIELDS",
           "window_hits"]
