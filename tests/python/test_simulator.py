"""The simulator from Python (becore/simulator.py over sim_module.cpp): the seed's chain builds
the configuration a TOML file gives `besim run`, and the run's spikes, V_m and LFP proxy are
bitwise besim's; trial seeds, RuntimeConfig, Signals' raster, and every bad argument raising
InvalidArgument with the field's name."""

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

import becore

DOCS = Path(__file__).parents[2] / "docs" / "python.md"


# A 100-neuron Izhikevich column in the seed's words, with every field the network needs; the
# TOML below says the same for besim.
def seed_configuration():
    cfg = becore.Configuration()
    cfg = cfg.runtime(seed=7, dtype="float32", duration_ms=60.0, dt_ms=0.1)
    cfg = cfg.column("V1", layers=["L2/3", "L4"], n=100)
    cfg = cfg.cell_types({"E": 0.8, "I": 0.2})
    cfg = cfg.connectivity(source="E", target="*", format="jitc", p=0.1,
                           weight={"kind": "uniform", "w0": 0.0, "w1": 0.5}, delay_ms=1.0)
    cfg = cfg.connectivity(source="I", target="E", format="csr", p=0.2, weight=-1.0,
                           delay_ms=0.5, channel="i")
    cfg = cfg.set_emitter("izhikevich", "cortical_eig")
    for name, value in (("a", 0.02), ("b", 0.2), ("c", {"base": -65, "scale": 15, "power": 2}),
                        ("d", {"base": 8, "scale": -6, "power": 2})):
        cfg = cfg.param("E", name, value)
    for name, value in (("a", {"base": 0.02, "scale": 0.08}), ("b", {"base": 0.25,
                                                                     "scale": -0.05}),
                        ("c", -65), ("d", 2)):
        cfg = cfg.param("I", name, value)
    cfg = cfg.initial_state("E", "v", {"base": -70, "scale": 10}).initial_state("I", "v", -65)
    cfg = cfg.input(target="E", kind="noise", stddev=20.0)
    cfg = cfg.input(target="*", kind="poisson", rate_hz=50.0, sources=20, weight=2.0)
    return cfg.probes(["SPK", "Vm", "LFP-proxy"]).record([0, 5, 79, 80, 99])


SEED_TOML = """
probes = ["SPK", "Vm", "LFP-proxy"]
record = [0, 5, 79, 80, 99]
[runtime]
seed = 7
dtype = "float32"
duration_ms = 60.0
dt_ms = 0.1
[column]
name = "V1"
layers = ["L2/3", "L4"]
n = 100
[cell_types]
E = 0.8
I = 0.2
[emitter]
model = "izhikevich"
preset = "cortical_eig"
[params.E]
a = 0.02
b = 0.2
c = { base = -65, scale = 15, power = 2 }
d = { base = 8, scale = -6, power = 2 }
[params.I]
a = { base = 0.02, scale = 0.08 }
b = { base = 0.25, scale = -0.05 }
c = -65
d = 2
[initial.E]
v = { base = -70, scale = 10 }
[initial.I]
v = -65
[[pathway]]
source = "E"
target = "*"
format = "jitc"
p = 0.1
weight = { kind = "uniform", w0 = 0.0, w1 = 0.5 }
delay_ms = 1.0
[[pathway]]
source = "I"
target = "E"
format = "csr"
p = 0.2
weight = -1.0
delay_ms = 0.5
channel = "i"
[[input]]
target = "E"
kind = "noise"
stddev = 20.0
[[input]]
target = "*"
kind = "poisson"
rate_hz = 50.0
sources = 20
weight = 2.0
"""


def bitwise_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_python_run_is_bitwise_besims_run(besim, tmp_path):
    cfg = seed_configuration()
    signals = becore.simulate(becore.construct(cfg))
    (tmp_path / "net.toml").write_text(SEED_TOML)
    subprocess.run([str(besim), "run", str(tmp_path / "net.toml"), "--out", str(tmp_path / "out"),
                    "--quiet"], check=True, capture_output=True)
    out = tmp_path / "out"
    meta = json.loads((out / "metadata.json").read_text())
    # The same configuration, reached through the Python binding and through the TOML reader...
    assert meta["configuration"] == cfg.to_dict()
    assert signals.metadata["configuration"] == cfg.to_dict()
    # ...gives the same run, bit for bit.
    assert len(signals.spike_ids) > 50, "the network should be active"
    assert bitwise_equal(signals.spike_times_ms, np.load(out / "spikes_t_ms.npy"))
    assert bitwise_equal(signals.spike_ids, np.load(out / "spikes_i.npy"))
    assert bitwise_equal(signals.V_m, np.load(out / "v_m.npy"))
    assert bitwise_equal(signals.lfp_proxy, np.load(out / "lfp_proxy.npy"))
    assert signals.csd_proxy is None and not (out / "csd_proxy.npy").exists()
    assert meta["rates_hz"] == signals.metadata["rates_hz"]


def test_signals_fields_and_the_spike_raster():
    cfg = seed_configuration()
    model = becore.construct(cfg)
    assert model.size == 100 and model.populations == [("E", 0), ("I", 80)]
    s = becore.simulate(model)
    assert s.time_ms.shape == (600,) and s.time_ms[-1] == pytest.approx(60.0)
    assert s.V_m.shape == (600, 5) and s.V_m.dtype == np.float32
    assert list(s.recorded) == [0, 5, 79, 80, 99]
    assert s.lfp_proxy.shape == (600, 16) and list(s.readouts) == ["LFP-proxy"]
    assert s.metadata["configuration"]["column"]["layer_names"] == ["L2/3", "L4"]
    assert s.metadata["model_status"] == "computational_scaffold"
    # The raster holds exactly the listed spikes, in the list's order (time, then id).
    steps, ids = np.nonzero(s.spikes)
    assert s.spikes.shape == (600, 100) and s.spikes.dtype == bool
    assert np.array_equal(ids, s.spike_ids)
    assert np.array_equal(s.time_ms[steps], s.spike_times_ms)


def test_trial_seeds_and_runtime_overrides():
    model = becore.construct(seed_configuration())
    a = becore.simulate(model, seed=8)
    b = becore.simulate(model, seed=8)
    assert bitwise_equal(a.spike_ids, b.spike_ids) and bitwise_equal(a.V_m, b.V_m)
    assert a.metadata["seed"] == 8
    other = becore.simulate(model, seed=9)
    assert not bitwise_equal(a.V_m, other.V_m), "another trial seed changes initial state/input"
    short = becore.simulate(model, duration_ms=20.0, seed=8)
    assert len(short.time_ms) == 200
    # The first 20 ms of the longer trial are the shorter one.
    assert bitwise_equal(short.V_m, a.V_m[:200])


def test_runtime_config_is_immutable_and_feeds_the_configuration():
    rt = becore.RuntimeConfig(seed=42)
    f64 = rt.with_dtype("float64").with_device("cpu").with_seed(3)
    assert (rt.seed, rt.dtype, rt.device) == (42, "float32", "cpu")
    assert (f64.seed, f64.dtype, f64.device, f64.threads) == (3, "float64", "cpu", 0)
    assert rt.with_device("gpu").device == "cuda"
    cfg = seed_configuration().runtime(f64, duration_ms=5.0)
    d = cfg.to_dict()["runtime"]
    assert (d["seed"], d["dtype"], d["duration_ms"], d["dt_ms"]) == (3, "float64", 5.0, 0.1)
    assert becore.simulate(becore.construct(cfg)).V_m.dtype == np.float64


def test_presets_and_toml_are_the_cpp_ones():
    assert "coba-auryn" in becore.Configuration.preset_names()
    izh = becore.Configuration.preset("izhikevich2003")
    assert izh.to_dict()["emitter"]["model"] == "izhikevich"
    from_text = becore.Configuration.from_toml_string(SEED_TOML, "seed.toml")
    assert from_text.to_dict() == seed_configuration().to_dict()


def raises(exc, text, fn, *args, **kwargs):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert text in str(info.value), str(info.value)
    return info.value


def test_bad_fields_are_named():
    cfg = seed_configuration()
    e = raises(becore.InvalidArgument, "construct: cell_types: the fractions sum to 0.9, not 1",
               becore.construct, cfg.cell_types({"E": 0.7, "I": 0.2}))
    assert isinstance(e, ValueError) and e.code == "invalid_argument"
    raises(becore.InvalidArgument, "connectivity[2].format: unknown format 'dense'",
           becore.construct, cfg.connectivity(source="E", target="E", format="dense", p=0.1))
    raises(becore.InvalidArgument, "unknown model 'hodgkin_huxley'", becore.construct,
           cfg.set_emitter("hodgkin_huxley"))
    raises(becore.InvalidArgument, "column.layers: 'L4' is named twice", becore.construct,
           cfg.column("V1", layers=["L4", "L4"], n=100))
    raises(becore.InvalidArgument, "runtime.duration_ms: 1.05 ms is not a whole number",
           becore.construct, cfg.runtime(duration_ms=1.05))
    # Checked as they are given:
    raises(becore.InvalidArgument,
           "connectivity[2]: unknown field 'wieght' (known: source, target, format, p, weight",
           cfg.connectivity, source="E", wieght=1.0)
    raises(becore.InvalidArgument, "connectivity[2]: a pathway needs its fields (source, target",
           cfg.connectivity)
    raises(becore.InvalidArgument, "connectivity[2]: p: expected a number, got str",
           cfg.connectivity, p="0.1")
    raises(becore.InvalidArgument, "connectivity[2]: weight: kind: unknown kind 'lognormal'",
           cfg.connectivity, weight={"kind": "lognormal"})
    raises(becore.InvalidArgument, "inputs[2]: sources: must be in [0, ", cfg.input, sources=-1)
    raises(becore.InvalidArgument, "runtime: dtype: must be float32 or float64, not 'float16'",
           cfg.runtime, dtype="float16")
    raises(becore.InvalidArgument, "runtime: device: ", cfg.runtime, device="tpu")
    raises(becore.InvalidArgument, "runtime: seed: must be in [0, 2^64), not -1", cfg.runtime,
           seed=-1)
    raises(becore.InvalidArgument, "runtime: config: expected a RuntimeConfig, got dict",
           cfg.runtime, {"seed": 1})
    raises(becore.InvalidArgument, "column: layers: expected a list of strings, got str",
           cfg.column, "V1", layers="L4", n=10)
    raises(becore.InvalidArgument, "cell_types: E: expected a number, got str", cfg.cell_types,
           {"E": "0.8"})
    raises(becore.InvalidArgument, "param.E.a: unknown field 'bse'", cfg.param, "E", "a",
           {"bse": 1})
    raises(becore.InvalidArgument, "record[1]: must be in [0, 2147483647], not -2", cfg.record,
           [1, -2])
    raises(becore.InvalidArgument, "probes[1]: expected a string, got int", cfg.probes,
           ["SPK", 3])
    raises(becore.InvalidArgument, "RuntimeConfig.with_dtype: dtype: must be float32 or "
           "float64, not 'int8'", becore.RuntimeConfig().with_dtype, "int8")
    raises(becore.NotFound, "unknown preset 'nope' (known: coba-auryn", becore.Configuration.preset,
           "nope")
    raises(becore.InvalidArgument, "from_toml: runtime.dt_ms: expected a number, got a string "
           "(t.toml:2)", becore.Configuration.from_toml_string, "[runtime]\ndt_ms = \"x\"\n",
           "t.toml")
    model = becore.construct(cfg)
    raises(becore.InvalidArgument, "simulate: seed: must be in [0, 2^64)", becore.simulate, model,
           seed=-1)
    raises(becore.InvalidArgument, "simulate: duration_ms: expected a number, got str",
           becore.simulate, model, duration_ms="1")


def docs_blocks():
    """The python blocks of docs/python.md's "Simulator" section, in order."""
    text = DOCS.read_text()
    section = text[text.index("\n## Simulator\n") + 1:].split("\n## ")[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def run_blocks(blocks, where, monkeypatch):
    monkeypatch.chdir(where)
    for block in blocks:
        exec(compile(block, str(DOCS), "exec"), {})


def test_docs_simulator_examples_run(tmp_path, monkeypatch):
    blocks = [b for b in docs_blocks() if "becore.plot" not in b]
    assert len(blocks) == 2
    run_blocks(blocks, tmp_path, monkeypatch)


def test_docs_plot_example_runs(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    blocks = [b for b in docs_blocks() if "becore.plot" in b]
    assert len(blocks) == 1
    run_blocks(blocks, tmp_path, monkeypatch)
    assert (tmp_path / "raster.png").stat().st_size > 0
