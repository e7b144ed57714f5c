"""``zerovisor sim --timeline FILE.png``: what every hart did over a run.

The simulator samples each hart's state every ``interval`` cycles (the harness's
``hart_state``: privilege, virtualization and whether it sleeps in WFI) and, for guest
partitions, the state word of their channel to the control partition (stopped, faulted,
restarting). Each sample becomes one of the states below, drawn as one row per hart.
"""

from pathlib import Path

__all__ = ["STATES", "classify", "draw_timeline", "timeline_rows", "SIZE", "DPI"]

SIZE = (10, 4)     # inches; at DPI 100 the picture is 1000 x 400 pixels
DPI = 100

# state: (label, colour)
STATES = {
    "guest": ("guest (VS/VU)", "#3a923a"),
    "vmm": ("VMM (HS)", "#e0a040"),
    "firmware": ("boot firmware (M)", "#7060b0"),
    "idle": ("idle (WFI)", "#c8c8c8"),
    "stopped": ("partition stopped", "#c04040"),
}

PRIV_M, PRIV_S = 3, 1


def classify(code, channel_state=None):
    """One hart's sample: ``code`` is the harness's 4-bit field (bits 1:0 privilege, bit 2
    V, bit 3 WFI); ``channel_state`` the partition's channel state word, if it has one
    (1 running, 2 stopped, 3 faulted, 4 restarting)."""
    if channel_state in (2, 3, 4):
        return "stopped"
    if code & 8:
        return "idle"
    if code & 4:
        return "guest"
    return "firmware" if code & 3 == PRIV_M else "vmm"


def draw_timeline(rows, interval, path, *, title="zerovisor timeline"):
    """Draw ``rows``: a list of (label, [state per sample]) with samples ``interval``
    cycles apart, to the PNG ``path``."""
    from matplotlib.patches import Patch

    from .plots import pyplot, save
    plt = pyplot()

    fig, ax = plt.subplots(figsize=SIZE)
    for y, (_, states) in enumerate(rows):
        runs = []   # (start sample, length, state)
        for i, state in enumerate(states):
            if runs and runs[-1][2] == state:
                runs[-1][1] += 1
            else:
                runs.append([i, 1, state])
        for start, length, state in runs:
            ax.broken_barh([(start * interval, length * interval)], (y - 0.4, 0.8),
                           color=STATES[state][1])
    samples = max((len(s) for _, s in rows), default=0)
    ax.set_xlim(0, max(samples * interval, 1))
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_yticks(range(len(rows)), [label for label, _ in rows])
    ax.invert_yaxis()
    ax.set_xlabel(f"cycle (one sample every {interval:,} cycles)")
    ax.set_title(title)
    ax.legend(handles=[Patch(color=c, label=label) for label, c in STATES.values()],
              loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=len(STATES),
              fontsize=8, frameon=False)
    save(plt, fig, Path(path), DPI)
    return Path(path)


def timeline_rows(system, samples):
    """One row per hart of ``system`` from a run's samples (``RunResult.timeline``): its
    label names the hart's partition, or says it is parked."""
    owner = {}
    for index, part in enumerate(system.partitions):
        for hart in part.plan.harts:
            owner[hart] = (index, part.plan.name)
    rows = []
    for hart in range(system.params["harts"]):
        states = []
        index, name = owner.get(hart, (None, None))
        for hart_state, words in samples:
            code = (hart_state >> (4 * hart)) & 0xF
            states.append(classify(code, words[index] if index is not None else None))
        rows.append((f"hart {hart}: {name}" if name else f"hart {hart}: parked", states))
    return rows
