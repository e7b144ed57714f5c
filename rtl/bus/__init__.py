"""The SoC's bus: a Wishbone-like signature and its address decoder."""

from .wishbone import PID_WIDTH, BusSignature, Decoder

__all__ = ["BusSignature", "Decoder", "PID_WIDTH"]
