"""Loading kernel files from Python: a .cu file shipped beside a module (the seed's
load_cuda_file), load_dir, targets(), compile errors."""

from pathlib import Path

import numpy as np
import pytest

import becore

HERE = Path(__file__).parent


def test_cuda_file_beside_the_module_runs_in_the_emulation():
    (report,) = becore.load_cuda_file(HERE / "pyt_beside.cu", target_prefix="pytests.beside")
    assert report["targets"] == ["pytests.beside.square"]
    x = np.linspace(-2, 2, 300, dtype=np.float32)
    (y,) = becore.call("pytests.beside.square", x, rets=[(300, np.float32)], device="cuda-emu")
    np.testing.assert_array_equal(y, x * x)


def test_load_cuda_file_refuses_another_extension():
    with pytest.raises(becore.InvalidArgument, match=r"not a \.cu file"):
        becore.load_cuda_file(HERE / "pyt_kernels.cpp", target_prefix="x")


def test_targets_lists_names_and_signatures(pyt):
    by_name = {t["name"]: t for t in becore.targets()}
    t = by_name["pyt.accumulate"]
    assert t["file"].endswith("pyt_kernels.cpp") and t["devices"] == ["cpu"]
    assert [(p["kind"], p["name"], p["dtype"]) for p in t["params"]] == [
        ("ret", "acc", "int64"), ("attr", "n", "int64"), ("attr", "twice", "bool")]
    assert t["load_error"] is None


def test_load_dir_and_compile_error(tmp_path):
    (tmp_path / "good.cpp").write_text(
        "// @BE one ret:int32\nvoid one(BE::Tensor& r) { r.data_ptr<int32_t>()[0] = 1; }\n")
    reports = becore.load_dir(tmp_path, "pytests.dir")
    assert [r["targets"] for r in reports] == [["pytests.dir.one"]]
    (r,) = becore.call("pytests.dir.one", rets=[(1, np.int32)])
    assert r[0] == 1
    bad = tmp_path / "bad.cpp"
    bad.write_text("// @BE broken ret\nvoid broken(BE::Tensor& r) { undeclared_name(r); }\n")
    with pytest.raises(becore.CompileError) as info:
        becore.load_file(bad, prefix="pytests.bad")
    assert "undeclared_name" in info.value.log and "error" in info.value.log
    assert str(bad.name) in info.value.message


def test_missing_file_is_not_found(tmp_path):
    with pytest.raises(becore.NotFound):
        becore.load_file(tmp_path / "absent.cpp")
