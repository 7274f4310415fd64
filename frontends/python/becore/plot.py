"""Quick looks at Signals with matplotlib (optional: ``pip install matplotlib``).

    becore.plot.raster(signals)      # spikes: time (ms) against neuron id
    becore.plot.readouts(signals)    # LFP / CSD proxies: contact against time
    matplotlib.pyplot.show()

Each function draws into ``ax`` (or new axes) and returns what it drew on, so that the caller
styles and saves it. Without matplotlib they raise ImportError naming it.
"""

from __future__ import annotations

from typing import Any

from .errors import InvalidArgument


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("becore.plot needs matplotlib, which is not installed "
                          "(pip install matplotlib)") from e
    return plt


def raster(signals: Any, ax: Any = None, **scatter: Any) -> Any:
    """One dot per spike at (spike time in ms, neuron id); returns the Axes. ``scatter``
    keywords go to ``Axes.scatter`` (default: small black dots)."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots()
    style = {"s": 2.0, "c": "k", "marker": ".", "linewidths": 0}
    style.update(scatter)
    ax.scatter(signals.spike_times_ms, signals.spike_ids, **style)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    if len(signals.time_ms):
        ax.set_xlim(0.0, float(signals.time_ms[-1]))
    ax.set_ylim(-0.5, max(signals.units, 1) - 0.5)
    return ax


def readouts(signals: Any, axes: Any = None) -> Any:
    """The probed readouts (LFP proxy, then CSD proxy) as images, contact (depth 0 at the top)
    against time, one Axes each; returns the list of Axes. Proxies, not field solutions
    (docs/readouts.md): the colour scale is relative. Signals without readouts raise
    InvalidArgument (probe "LFP-proxy" or "CSD-proxy")."""
    present = signals.readouts
    if not present:
        raise InvalidArgument("plot.readouts: the signals have no readouts (probe 'LFP-proxy' "
                              "or 'CSD-proxy')")
    plt = _pyplot()
    if axes is None:
        _, axes = plt.subplots(len(present), 1, sharex=True, squeeze=False)
        axes = list(axes[:, 0])
    if len(axes) != len(present):
        raise InvalidArgument(f"plot.readouts: {len(present)} readouts need as many axes, "
                              f"got {len(axes)}")
    t_end = float(signals.time_ms[-1]) if len(signals.time_ms) else 0.0
    for ax, (name, values) in zip(axes, present.items()):
        first = 1 if name == "CSD-proxy" else 0  # the CSD proxy's columns are contacts 1..C-2
        image = ax.imshow(values.T, aspect="auto", origin="upper", interpolation="nearest",
                          cmap="RdBu_r" if name == "CSD-proxy" else "viridis",
                          extent=(0.0, t_end, first + values.shape[1] - 0.5, first - 0.5))
        ax.figure.colorbar(image, ax=ax, label=f"{name} (a.u.)")
        ax.set_ylabel("contact")
        ax.set_title(name)
    axes[-1].set_xlabel("time (ms)")
    return axes
