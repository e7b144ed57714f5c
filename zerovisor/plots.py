"""The benchmark pictures, drawn from the JSON records with matplotlib (no display)."""

from pathlib import Path

__all__ = ["make_plots", "pyplot", "save", "SIZE"]

SIZE = (8, 4.5)   # inches; at DPI 100 every picture is 800 x 450 pixels
DPI = 100


def pyplot():
    """matplotlib's pyplot, drawing to files only (no display needed)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save(plt, fig, path, dpi=DPI):
    """Lay ``fig`` out, write it to ``path`` as PNG and free it."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def _cpi(plt, core, path):
    names = list(core["kernels"])
    fig, ax = plt.subplots(figsize=SIZE)
    ax.bar(names, [core["kernels"][n]["cpi"] for n in names], color="#4878a8")
    ax.axhline(core["cpi_geomean"], color="#c04040", linestyle="--",
               label=f"geometric mean {core['cpi_geomean']:.3f}")
    ax.set_ylabel("cycles per instruction")
    ax.set_title("Core CPI per kernel (single hart, clang -O2)")
    ax.legend()
    save(plt, fig, path)


def _overhead(plt, part, path):
    names = list(part["kernels"])
    bare = [part["kernels"][n]["bare_cycles"] for n in names]
    guest = [part["kernels"][n]["partition_cycles"] for n in names]
    x = range(len(names))
    fig, ax = plt.subplots(figsize=SIZE)
    ax.bar([i - 0.2 for i in x], bare, 0.4, label="bare-metal (M-mode)", color="#4878a8")
    ax.bar([i + 0.2 for i in x], guest, 0.4, label="guest in a partition", color="#e0a040")
    for i, n in enumerate(names):
        ax.annotate(f"{part['kernels'][n]['overhead_percent']:+.2f}%", (i, max(bare[i],
                    guest[i])), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(x), names)
    ax.set_ylabel("cycles")
    ax.set_title("Kernel cycles: bare-metal vs. in a partition (4-hart SoC)")
    ax.legend()
    save(plt, fig, path)


def _interference(plt, inter, path):
    aggressors = ["none (others spin)", "others: own banks + devices", "others: victim's bank"]
    cycles = [inter["alone_cycles"], inter["others_busy_own_banks_and_devices_cycles"],
              inter["others_in_the_same_bank_cycles"]]
    slowdown = [[100 * (c - cycles[0]) / cycles[0] for c in cycles]]
    fig, ax = plt.subplots(figsize=SIZE)
    image = ax.imshow(slowdown, cmap="Reds", vmin=0, vmax=max(20, max(slowdown[0])),
                      aspect="auto")
    for j, v in enumerate(slowdown[0]):
        ax.text(j, 0, f"{v:.1f} %", ha="center", va="center")
    ax.set_xticks(range(len(aggressors)), aggressors)
    ax.set_yticks([0], ["hart 0 (victim)"])
    ax.set_title("Interference: victim slowdown by aggressor")
    fig.colorbar(image, ax=ax, label="slowdown %")
    save(plt, fig, path)


def _sim_speed(plt, speed, path):
    rows = speed["crc"]
    harts = [r["harts"] for r in rows]
    fig, ax = plt.subplots(figsize=SIZE)
    ax.plot(harts, [r["native_mcycles_per_second"] for r in rows], "o-",
            label="native C++ loop")
    ax.plot(harts, [r["cocotb_mcycles_per_second"] for r in rows], "s-", label="cocotb")
    quad = speed.get("quad")
    if quad:
        ax.plot([quad["harts"]], [quad["cocotb_mcycles_per_second"]], "*", markersize=12,
                label="quad.toml booting (cocotb)")
    ax.set_xticks(harts)
    ax.set_xlabel("harts in the SoC")
    ax.set_ylabel("M simulated cycles / s")
    ax.set_ylim(bottom=0)
    ax.set_title("Simulation speed (Verilator, CRC-32 on hart 0)")
    ax.legend()
    save(plt, fig, path)


_PLOTS = [("core", "cpi.png", _cpi), ("partition", "overhead.png", _overhead),
          ("interference", "interference.png", _interference),
          ("sim_speed", "sim_speed.png", _sim_speed)]


def make_plots(results, out_dir):
    """Draw every picture whose record is in ``results``; returns the paths written."""
    plt = pyplot()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, filename, draw in _PLOTS:
        if name in results and not (name == "sim_speed" and "crc" not in results[name]):
            draw(plt, results[name], out_dir / filename)
            written.append(out_dir / filename)
    return written
