"""The deepest chain of logic between two registers of a synthesized ECP5 netlist.

nextpnr names the critical path only once routing has finished, and routing the SoC takes
long; the synthesized netlist (yosys ``write_json``) already says how many LUTs deep the
worst register-to-register path is, which is most of what sets the clock: on an ECP5 of
speed grade 6 a LUT and the routing to the next one take roughly a nanosecond, so a
50 MHz clock allows some twenty levels. :func:`longest_path` counts a LUT4 or the
asynchronous read of a LUT RAM as one level and a carry cell or a PFU multiplexer as a
quarter (they sit next to the LUT that feeds them); a flip-flop, a block RAM, a DSP or a
port ends a path.
"""

__all__ = ["longest_path"]

# combinational cells and the levels each adds; their input ports on the path
_LEVELS = {"LUT4": 1.0, "TRELLIS_DPR16X4": 1.0, "CCU2C": 0.25, "PFUMX": 0.25,
           "L6MUX21": 0.25}
_PATH_INPUTS = {"TRELLIS_DPR16X4": ("RAD",)}   # a LUT RAM's write side is clocked
_NONE = float("-inf")                          # the depth of a bit no path starts at


def longest_path(netlist, top="zerovisor", *, starts=None):
    """``(levels, nets)`` of the deepest path into a register (or any clocked or outside
    input) in yosys's JSON ``netlist`` (a dict); ``nets`` names it from start to end.
    ``starts``: the cell types whose outputs the paths counted start from (``("DP16KD",)``:
    the logic block RAM outputs feed); ``None``, any."""
    module = netlist["modules"][top]
    names = {}
    for name, net in module["netnames"].items():
        for bit in net["bits"]:
            # prefer the names yosys did not make up, then the shortest
            key = (net.get("hide_name", 0), len(name))
            if isinstance(bit, int) and (bit not in names or key < names[bit][0]):
                names[bit] = (key, name)

    def bits(cell, ports):
        return [b for p in ports for b in cell["connections"].get(p, ()) if isinstance(b, int)]

    drivers = {}       # bit -> (levels of the cell, its input bits)
    ends = []          # input bits of everything that ends a path
    started = set()    # bits driven by a cell of ``starts``
    for cell in module["cells"].values():
        directions = cell["port_directions"]
        inputs = [p for p, d in directions.items() if d == "input"]
        outputs = bits(cell, [p for p, d in directions.items() if d == "output"])
        if starts is not None and cell["type"] in starts:
            started.update(outputs)
        if cell["type"] in _LEVELS:
            inputs = _PATH_INPUTS.get(cell["type"], inputs)
            for bit in outputs:
                drivers[bit] = (_LEVELS[cell["type"]], bits(cell, inputs))
        else:
            ends += bits(cell, inputs)
    for port in module.get("ports", {}).values():
        if port["direction"] == "output":
            ends += [b for b in port["bits"] if isinstance(b, int)]

    # depth of every bit, iteratively (paths run thousands of cells deep); a bit met
    # again while its own inputs are being walked is a combinational loop: it counts as 0
    depth, visiting = {}, set()
    for root in ends:
        stack = [root]
        while stack:
            bit = stack[-1]
            driver = drivers.get(bit)
            if bit in depth:
                stack.pop()
            elif driver is None:
                depth[bit] = (0.0 if starts is None or bit in started else _NONE, None)
                stack.pop()
            elif bit not in visiting:
                visiting.add(bit)
                stack += [i for i in driver[1] if i not in depth and i not in visiting]
            else:
                known = [i for i in driver[1] if i in depth]
                worst = max(known, key=lambda i: depth[i][0], default=None)
                below = depth[worst][0] if worst is not None else \
                    0.0 if starts is None else _NONE
                depth[bit] = (below + driver[0], worst)
                stack.pop()
    end = max(ends, key=lambda b: depth[b][0], default=None)
    if end is None or depth[end][0] < 0:
        return 0.0, []
    path, bit = [], end
    while bit is not None:
        name = names.get(bit, (None, str(bit)))[1]
        if not path or path[-1] != name:
            path.append(name)
        bit = depth[bit][1]
    return depth[end][0], path[::-1]
