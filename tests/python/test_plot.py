"""becore.plot: the raster holds one dot per spike at (time, id), the readout images are the
proxies' values; without matplotlib the error names it. The drawing tests need matplotlib,
which the CI's venv does not install (scripts/python_env.sh): they skip there."""

import sys

import numpy as np
import pytest

import becore


def signals():
    t = np.arange(300)
    v = -60 + 15 * np.sin(2 * np.pi * t[:, None] / np.array([50.0, 70.0, 90.0, 110.0]))
    return becore.trace_to_signals(v, spec=becore.TraceSpec(dt_ms=0.1, threshold_mv=-50.0,
                                                            contacts=6))


@pytest.fixture
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    yield plt
    plt.close("all")


def test_raster_draws_every_spike(pyplot):
    s = signals()
    assert len(s.spike_ids) > 5
    ax = becore.plot.raster(s)
    drawn = ax.collections[0].get_offsets()
    assert np.array_equal(drawn, np.column_stack([s.spike_times_ms, s.spike_ids]))
    assert ax.get_xlabel() == "time (ms)" and ax.get_ylim() == (-0.5, 3.5)


def test_readouts_draw_the_proxies(pyplot):
    s = signals()
    axes = becore.plot.readouts(s)
    assert [ax.get_title() for ax in axes] == ["LFP-proxy", "CSD-proxy"]
    assert np.array_equal(axes[0].images[0].get_array(), s.lfp_proxy.T)
    assert np.array_equal(axes[1].images[0].get_array(), s.csd_proxy.T)
    with pytest.raises(becore.InvalidArgument, match="2 readouts need as many axes, got 1"):
        becore.plot.readouts(s, axes=[axes[0]])


def test_readouts_need_readouts():
    s = signals()
    s.lfp_proxy = s.csd_proxy = None
    with pytest.raises(becore.InvalidArgument, match="probe 'LFP-proxy' or 'CSD-proxy'"):
        becore.plot.readouts(s)


def test_without_matplotlib_the_error_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="becore.plot needs matplotlib"):
        becore.plot.raster(signals())
