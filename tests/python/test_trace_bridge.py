"""becore.trace_to_signals (be::trace_to_signals): bitwise what `besim trace` writes for the same
trace and options, spikes at the upward crossings this test finds itself, any array layout or
memory order, JAX arrays when JAX is installed, and bad input named."""

import json
import subprocess

import numpy as np
import pytest

import becore

OPTIONS = dict(dt_ms=0.1, layout="unit_by_time", threshold_mv=-50.0, contacts=8, sigma=0.2,
               seed=3, layers=2, t0_ms=0.1)


def voltage_trace(units=6, samples=400, dtype=np.float32):
    """[units, samples] mV: oscillations around -60 mV of different periods, crossing -50 mV."""
    rng = np.random.default_rng(5)
    t = np.arange(samples)
    period = rng.uniform(40, 120, size=(units, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(units, 1))
    v = -60 + 15 * np.sin(2 * np.pi * t / period + phase) + rng.normal(0, 0.5, (units, samples))
    return v.astype(dtype)


def bitwise_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_equals_besim_trace(besim, tmp_path):
    trace = voltage_trace()
    np.save(tmp_path / "trace.npy", trace)
    subprocess.run([str(besim), "trace", str(tmp_path / "trace.npy"), "--dt-ms", "0.1",
                    "--layout", "unit_by_time", "--threshold", "-50", "--contacts", "8",
                    "--sigma", "0.2", "--seed", "3", "--layers", "2", "--t0-ms", "0.1", "--out",
                    str(tmp_path / "out")], check=True, capture_output=True)
    out = tmp_path / "out"
    s = becore.trace_to_signals(trace, spec=becore.TraceSpec(**OPTIONS))
    assert len(s.spike_ids) > 10
    assert bitwise_equal(s.spike_times_ms, np.load(out / "spikes_t_ms.npy"))
    assert bitwise_equal(s.spike_ids, np.load(out / "spikes_i.npy"))
    assert bitwise_equal(s.V_m, np.load(out / "v_m.npy"))
    assert bitwise_equal(s.lfp_proxy, np.load(out / "lfp_proxy.npy"))
    assert bitwise_equal(s.csd_proxy, np.load(out / "csd_proxy.npy"))
    meta = json.loads((out / "metadata.json").read_text())
    assert {k: meta[k] for k in s.metadata} == s.metadata


def test_spikes_are_the_upward_crossings():
    trace = voltage_trace()
    s = becore.trace_to_signals(trace, spec=becore.TraceSpec(**OPTIONS))
    v = trace.T.astype(np.float64)  # [T, N]
    crossings = np.zeros_like(v, dtype=bool)
    crossings[1:] = (v[:-1] < -50.0) & (-50.0 <= v[1:])
    assert np.array_equal(s.spikes, crossings)
    assert s.time_ms[0] == 0.1 and s.time_ms[1] == pytest.approx(0.2)
    assert bitwise_equal(s.V_m, v)
    assert s.lfp_proxy.shape == (400, 8) and s.csd_proxy.shape == (400, 6)
    assert s.metadata["model_status"] == "computational_scaffold"
    assert s.metadata["amplitude_status"] is False
    assert s.metadata["field_solver_status"] == "not_computed"


def test_layouts_and_memory_order_give_the_same_signals():
    trace = voltage_trace(dtype=np.float64)
    ref = becore.trace_to_signals(trace, spec=becore.TraceSpec(**OPTIONS))
    time_by_unit = dict(OPTIONS, layout="time_by_unit")
    for array in (trace.T, np.ascontiguousarray(trace.T), np.asfortranarray(trace.T),
                  trace.T.tolist()):
        s = becore.trace_to_signals(array, spec=becore.TraceSpec(**time_by_unit))
        assert bitwise_equal(s.spike_ids, ref.spike_ids)
        assert bitwise_equal(s.V_m, ref.V_m) and bitwise_equal(s.lfp_proxy, ref.lfp_proxy)
        assert s.metadata["layout"] == "time_by_unit"


def test_jax_arrays_are_taken():
    jnp = pytest.importorskip("jax.numpy")
    trace = voltage_trace()
    ref = becore.trace_to_signals(trace, spec=becore.TraceSpec(**OPTIONS))
    s = becore.trace_to_signals(jnp.asarray(trace), spec=becore.TraceSpec(**OPTIONS))
    assert bitwise_equal(s.spike_ids, ref.spike_ids) and bitwise_equal(s.V_m, ref.V_m)


def test_bad_traces_and_specs_are_named():
    spec = becore.TraceSpec(dt_ms=0.1)
    assert (spec.layout, spec.contacts, spec.sigma, spec.threshold_mv) == ("time_by_unit", 16,
                                                                           0.1, 0.0)
    cases = [
        (np.zeros(10, np.float32), spec, "trace_to_signals: the trace must be 2-D"),
        (np.zeros((4, 3), np.int32), spec,
         "trace_to_signals: the trace must be float32 or float64, got int32"),
        (np.zeros((4, 3), np.complex64), spec,
         "trace_to_signals: the trace must be float32 or float64, got complex64"),
        (np.zeros((4, 3)), becore.TraceSpec(dt_ms=0.0), "dt_ms must be > 0"),
        (np.zeros((4, 3)), becore.TraceSpec(dt_ms=0.1, contacts=2),
         "trace_to_signals: LfpProxy: contacts must be >= 3 (got 2)"),
        (np.zeros((4, 3), object), spec,
         "trace_to_signals: the trace must be float32 or float64, got object"),
        (np.zeros((0, 3)), spec, "the trace has no samples"),
    ]
    nan = np.zeros((4, 3))
    nan[2, 1] = np.nan
    cases.append((nan, spec, "trace_to_signals: trace[2, 1] is nan"))
    for trace, s, text in cases:
        with pytest.raises(becore.InvalidArgument) as info:
            becore.trace_to_signals(trace, spec=s)
        assert text in str(info.value), (text, str(info.value))
    with pytest.raises(becore.InvalidArgument, match="unknown layout 'by_time'"):
        becore.TraceSpec(dt_ms=0.1, layout="by_time")
    with pytest.raises(becore.InvalidArgument, match="TraceSpec: seed: must be in"):
        becore.TraceSpec(dt_ms=0.1, seed=-3)
    with pytest.raises(TypeError):
        becore.TraceSpec()  # dt_ms has no default: the sampling interval must be said
