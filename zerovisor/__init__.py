"""zerovisor: a Type 0 (hardware-partitioning) hypervisor for a RISC-V SoC in Amaranth HDL.

Subpackages: ``zerovisor.rtl`` (gateware), ``zerovisor.firmware`` (C/assembly and its
build), ``zerovisor.sim`` (Verilator + cocotb runner), ``zerovisor.boards`` (FPGA targets).
"""

__version__ = "0.1.0"
