"""runtime_report, cache_info and the process settings (configure / shutdown)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import becore

HERE = Path(__file__).parent


def test_runtime_report_has_the_seed_keys_and_becores():
    report = becore.runtime_report()
    for key in ("becore_version", "numpy_version", "python_version", "jax_version", "platform",
                "available_devices", "default_device", "cpu_target", "cuda", "cache"):
        assert key in report, key
    assert report["numpy_version"] == np.__version__
    assert "cpu" in report["available_devices"]
    # Found relative to the library, as any install: the kernel headers are under its home.
    assert (Path(report["home"]) / "share" / "becore" / "kernels" / "include" / "be").is_dir()


@pytest.fixture
def restore_settings():
    saved = becore.configured()
    yield
    becore.shutdown()
    becore.configure(**saved)


def test_configured_cache_dir_is_used(tmp_path, restore_settings):
    becore.shutdown()
    becore.configure(cache_dir=tmp_path / "cache")
    becore.load_file(HERE / "pyt_kernels.cpp", prefix="pyt")
    info = becore.cache_info()
    assert info["directory"] == str(tmp_path / "cache" / "v1")
    assert info["persistent"] and info["stats"]["entries"] >= 1
    assert (tmp_path / "cache" / "v1" / "index.sqlite3").is_file()
    x = np.ones(3, dtype=np.float32)
    (out,) = becore.call("pyt.axpby_f32", x, x, rets=[(3, np.float32)], alpha=1.0, beta=2.0)
    np.testing.assert_array_equal(out, 3 * x)
    with pytest.raises(becore.InvalidArgument, match=r"shutdown"):
        becore.configure(cache_dir=tmp_path / "other")
    assert becore.configured()["cache_dir"] == str(tmp_path / "cache")


def test_log_sink_and_level(tmp_path, restore_settings):
    got = []
    becore.shutdown()
    becore.configure(disk_cache=False, log_level="info",
                     log_sink=lambda level, text: got.append((level, text)))
    kernel = tmp_path / "warns.cpp"
    kernel.write_text('#warning "becore log test"\n'
                      "// @BE nothing ret\nvoid nothing(BE::Tensor&) {}\n")
    becore.load_file(kernel, prefix="pytests.warns")  # compiles: the cache is in memory
    assert becore.cache_info()["directory"] is None
    warned = [text for level, text in got if level == "info" and "becore log test" in text]
    assert warned and "warns.cpp" in warned[0]
    becore.shutdown()
    assert "log_sink" not in becore.configured()


def test_invalid_settings_are_refused():
    with pytest.raises(becore.InvalidArgument, match=r"threads must be between 1 and 4096"):
        becore.configure(threads=0)
    with pytest.raises(becore.InvalidArgument, match=r"log_level must be"):
        becore.configure(log_level="loud")
    with pytest.raises(becore.InvalidArgument, match=r"unknown setting 'cache'"):
        becore.configure(cache="off")


def test_import_without_an_nvidia_driver_reports_no_gpu(tmp_path):
    # A fresh interpreter whose driver lookup finds nothing, whatever this machine has: importing
    # and calling on the CPU work, the report says why there is no GPU.
    script = ("import becore, json, numpy as np\n"
              "r = becore.runtime_report()\n"
              "(y,) = becore.call('be.dense_todense_f64', np.eye(2), rets=[((2, 2), np.float64)],"
              " transpose=False)\n"
              "print(json.dumps({'devices': r['available_devices'], 'default': r['default_device'],"
              " 'cuda': r['cuda'], 'y': y.tolist()}))\n")
    env = dict(os.environ, BECORE_LIBCUDA_PATH=str(tmp_path / "no-driver" / "libcuda.so.1"))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         check=True)
    got = json.loads(out.stdout)
    assert "cuda" not in got["devices"] and got["default"] == "cpu"
    assert got["cuda"]["available"] is False and got["cuda"]["devices"] == []
    assert "cannot load the CUDA driver" in got["cuda"]["reason"]
    assert got["y"] == [[1.0, 0.0], [0.0, 1.0]]
