"""The spiking-network simulator and the trace bridge from Python, in the seed's API
(docs/python.md, "Simulator"): the C++ be::Configuration, construct, simulate and
trace_to_signals, with Signals whose fields are NumPy arrays.

    cfg = (becore.Configuration()
           .runtime(seed=7, dtype="float32", duration_ms=100.0, dt_ms=0.1)
           .column("V1", layers=["L2/3"], n=100)
           .cell_types({"E": 0.8, "I": 0.2})
           ...)
    signals = becore.simulate(becore.construct(cfg), seed=8)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from . import _becore

# The C++ classes as they are: every setter of Configuration returns a changed copy, and
# construct() validates the whole, naming the field at fault (becore.InvalidArgument).
Configuration = _becore.Configuration
RuntimeConfig = _becore.RuntimeConfig
Model = _becore.Model
TraceSpec = _becore.TraceSpec


@dataclass(eq=False, repr=False)
class Signals:
    """What ``simulate`` and ``trace_to_signals`` return (be::Signals), as NumPy arrays that own
    the C++ results (no copy).

    ``time_ms`` [T]: time of each recorded step or sample. ``spike_times_ms``, ``spike_ids``:
    every spike, ordered by time then id; ``spikes`` is the same as a bool raster [T, units].
    ``V_m`` [T, len(recorded)] (the simulation's dtype; float64 from the trace bridge) with the
    neuron ids ``recorded``; ``lfp_proxy`` [T, C] and ``csd_proxy`` [T, C - 2] (float64,
    proxies, not field solutions: docs/readouts.md). Each is None when not probed. ``metadata``:
    the configuration, seeds, rates, runtime report and scope markers, as a dict.
    """

    time_ms: np.ndarray
    spike_times_ms: np.ndarray
    spike_ids: np.ndarray
    V_m: np.ndarray | None
    recorded: np.ndarray
    lfp_proxy: np.ndarray | None
    csd_proxy: np.ndarray | None
    metadata: dict[str, Any]
    units: int = 0

    @classmethod
    def _from(cls, d: dict[str, Any]) -> "Signals":
        return cls(time_ms=d["time_ms"], spike_times_ms=d["spike_times_ms"],
                   spike_ids=d["spike_ids"], V_m=d["v_m"], recorded=d["recorded"],
                   lfp_proxy=d["lfp_proxy"], csd_proxy=d["csd_proxy"], metadata=d["metadata"],
                   units=d["units"])

    def __repr__(self) -> str:
        def shape(a: np.ndarray | None) -> str:
            return "None" if a is None else f"{a.dtype}{list(a.shape)}"
        return (f"Signals({len(self.time_ms)} steps, {self.units} units, "
                f"{len(self.spike_ids)} spikes, V_m={shape(self.V_m)}, "
                f"lfp_proxy={shape(self.lfp_proxy)}, csd_proxy={shape(self.csd_proxy)})")

    @cached_property
    def spikes(self) -> np.ndarray:
        """bool [T, units]: True where unit n spiked in step (or at sample) k. Built on first use
        from the spike list (T x units bytes); the list is the compact form."""
        raster = np.zeros((len(self.time_ms), self.units), dtype=bool)
        # Spike times are the very values of time_ms (the same expression in C++), so the
        # search finds each spike's step exactly.
        raster[np.searchsorted(self.time_ms, self.spike_times_ms), self.spike_ids] = True
        return raster

    @property
    def readouts(self) -> dict[str, np.ndarray]:
        """The probed readouts by probe name: "LFP-proxy", "CSD-proxy"."""
        return {name: a for name, a in (("LFP-proxy", self.lfp_proxy),
                                        ("CSD-proxy", self.csd_proxy)) if a is not None}


def construct(configuration: Configuration) -> Model:
    """Validates the configuration and builds the network (be::construct): populations,
    connectivity, per-neuron parameters, the neuron target. A bad field raises InvalidArgument
    naming it ("construct: cell_types: the fractions sum to 0.9, not 1 ...")."""
    return _becore.construct(configuration)


def simulate(model: Model, duration_ms: float | None = None, dt_ms: float | None = None,
             seed: int | None = None) -> Signals:
    """Runs the model (be::simulate); each argument given overrides the configuration's
    runtime(). ``seed`` is the trial's: it changes the initial state and the input draws, not
    the network (the configuration's seed fixed that). Same model and seed: bitwise the same
    Signals, and the same as ``besim run`` on the same configuration."""
    return Signals._from(_becore.simulate(model, duration_ms, dt_ms, seed))


def trace_to_signals(trace: Any, spec: TraceSpec) -> Signals:
    """Voltage traces recorded or simulated elsewhere (mV; a NumPy array, a JAX array or
    anything ``np.asarray`` takes; 2-D float32/float64 in ``spec.layout``) as Signals, without
    a simulation (be::trace_to_signals, docs/readouts.md): spikes at upward crossings of
    ``spec.threshold_mv``, the trace as V_m [T, N] float64 and the LFP/CSD proxies. The trace
    is copied once into becore's memory. Bad input raises InvalidArgument starting with
    "trace_to_signals: "."""
    array = np.ascontiguousarray(np.asarray(trace))
    return Signals._from(_becore.trace_to_signals(array, str(array.dtype), spec))
