"""The SoC's bus: a Wishbone-like signature and its address decoder."""

from .wishbone import BusSignature, Decoder

__all__ = ["BusSignature", "Decoder"]
