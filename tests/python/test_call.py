"""becore.call: NumPy arrays in and out, against NumPy references; what is copied and what is
not; bad input rejected with the target's own message."""

import numpy as np
import pytest

import becore


@pytest.mark.parametrize("dtype,suffix", [(np.float32, "f32"), (np.float64, "f64")])
def test_round_trip_equals_numpy(pyt, dtype, suffix):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(1000).astype(dtype)
    y = rng.standard_normal(1000).astype(dtype)
    (out,) = becore.call(f"pyt.axpby_{suffix}", x, y, rets=[(1000, dtype)], alpha=1.5, beta=-0.25)
    assert out.dtype == dtype and out.shape == (1000,)
    # The same IEEE operations in the same type (no FMA on either side): the same bits.
    np.testing.assert_array_equal(out, dtype(1.5) * x + dtype(-0.25) * y)


def test_bare_name_dispatches_on_the_ret_dtype(pyt):
    x = np.arange(4, dtype=np.float64)
    (out,) = becore.call("pyt.axpby", x, x, rets=[(4, np.float64)], alpha=2.0, beta=1.0)
    np.testing.assert_array_equal(out, 3 * x)


def test_contiguous_arg_is_passed_without_copy(pyt):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    (info,) = becore.call("pyt.address_of", x, rets=[(3, np.int64)])
    assert info[0] == x.ctypes.data
    assert list(info[1:]) == [4, 1]


def test_strided_arg_is_copied_and_computed_right(pyt):
    base = np.arange(20, dtype=np.float32)
    x = base[::2]  # a view with stride 2
    assert not x.flags.c_contiguous
    (info,) = becore.call("pyt.address_of", x, rets=[(2, np.int64)])
    assert info[0] != x.ctypes.data and info[1] == 1  # a contiguous copy was passed
    (out,) = becore.call("pyt.axpby_f32", x, x, rets=[(10, np.float32)], alpha=1.0, beta=1.0)
    np.testing.assert_array_equal(out, 2 * base[::2])
    fortran = np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3))
    (out,) = becore.call("pyt.axpby_f64", fortran, fortran, rets=[((2, 3), np.float64)],
                         alpha=1.0, beta=0.0)
    np.testing.assert_array_equal(out, fortran)  # element order follows the indices, not memory


def test_ret_array_is_updated_in_place(pyt):
    acc = np.arange(5, dtype=np.int64)
    (same,) = becore.call("pyt.accumulate", rets=[acc], n=3, twice=np.bool_(True))
    assert same is acc
    np.testing.assert_array_equal(acc, np.arange(5) + 6)
    becore.call("pyt.accumulate", rets=[acc], n=np.int32(1), twice=False)
    np.testing.assert_array_equal(acc, np.arange(5) + 7)


def test_bad_dtype_raises_the_registry_message_and_runs_nothing(pyt):
    x64 = np.ones(4, dtype=np.float64)
    with pytest.raises(becore.InvalidArgument) as info:
        becore.call("pyt.axpby_f32", x64, x64, rets=[(4, np.float32)], alpha=1.0, beta=1.0)
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    assert info.value.code == "invalid_argument"
    assert "pyt.axpby_f32" in str(info.value) and "float32" in str(info.value)
    assert "float64" in str(info.value)


def test_dtype_becore_has_no_type_for_is_refused_before_the_call(pyt):
    z = np.ones(4, dtype=np.complex64)
    with pytest.raises(becore.InvalidArgument, match=r"arg 0 has dtype complex64"):
        becore.call("pyt.axpby_f32", z, z, rets=[(4, np.float32)], alpha=1.0, beta=1.0)


def test_wrong_shape_raises_the_kernels_check_before_writing(pyt):
    x = np.ones(4, dtype=np.float32)
    out = np.full(3, 7, dtype=np.float32)  # wrong length, updated in place if the kernel ran on
    with pytest.raises(becore.KernelError,
                       match=r"x, y and out must have the same number of elements") as info:
        becore.call("pyt.axpby_f32", x, x, rets=[out], alpha=1.0, beta=1.0)
    assert "pyt.axpby_f32" in str(info.value)
    np.testing.assert_array_equal(out, np.full(3, 7, dtype=np.float32))


def test_failing_be_check_raises_kernel_error_with_its_message(pyt):
    acc = np.zeros(2, dtype=np.int64)
    with pytest.raises(becore.KernelError, match=r"n must not be negative") as info:
        becore.call("pyt.accumulate", rets=[acc], n=-1, twice=False)
    assert isinstance(info.value, RuntimeError) and info.value.code == "kernel_failed"
    assert "pyt.accumulate" in info.value.message


def test_attr_errors_name_the_attr(pyt):
    acc = np.zeros(2, dtype=np.int64)
    with pytest.raises(becore.InvalidArgument, match=r"attr n is a str"):
        becore.call("pyt.accumulate", rets=[acc], n="3", twice=False)
    with pytest.raises(becore.InvalidArgument, match=r"twice"):
        becore.call("pyt.accumulate", rets=[acc], n=1)  # missing attr: the registry's message


def test_unknown_target_is_not_found():
    with pytest.raises(becore.NotFound, match=r"no such target") as info:
        becore.call("pyt.nothing_here", rets=[])
    assert isinstance(info.value, LookupError)


def test_rets_must_be_a_list_of_shape_dtype(pyt):
    x = np.ones(2, dtype=np.float32)
    with pytest.raises(becore.InvalidArgument, match=r"rets is a list"):
        becore.call("pyt.axpby_f32", x, x, rets=(2, np.float32), alpha=1.0, beta=1.0)
    with pytest.raises(becore.InvalidArgument, match=r"negative dimension"):
        becore.call("pyt.axpby_f32", x, x, rets=[(-2, np.float32)], alpha=1.0, beta=1.0)


def test_builtin_is_loaded_by_need_and_called():
    w = np.arange(6, dtype=np.float64).reshape(2, 3)
    (dense,) = becore.call("be.dense_todense_f64", w, rets=[((3, 2), np.float64)], transpose=True)
    np.testing.assert_array_equal(dense, w.T)
    assert "be.dense_todense_f64" in {t["name"] for t in becore.targets()}


def _random_csr(rng, rows, cols, p):
    dense = np.where(rng.random((rows, cols)) < p, rng.standard_normal((rows, cols)), 0.0)
    indptr = np.concatenate([[0], np.cumsum((dense != 0).sum(axis=1))]).astype(np.int64)
    indices = np.nonzero(dense)[1].astype(np.int32)
    return dense.astype(np.float32), indptr, indices, dense[dense != 0].astype(np.float32)


def test_op_rets_come_from_the_op_tables_shape_rules():
    rng = np.random.default_rng(3)
    dense, indptr, indices, weights = _random_csr(rng, 7, 5, 0.4)
    spikes = rng.random(7) < 0.5
    (y,) = becore.call("be.csr_event_matvec_bool_f32", indptr, indices, weights, spikes,
                       transpose=False, cols=5)
    assert y.shape == (5,) and y.dtype == np.float32
    # float32 sums of at most 7 terms of |w| < 5: 1e-5 relative is ample.
    np.testing.assert_allclose(y, spikes.astype(np.float32) @ dense, rtol=1e-5, atol=1e-6)
    (yt,) = becore.call("be.csr_event_matvec_bool_f32", indptr, indices, weights, spikes[:5],
                        transpose=True, cols=5)
    assert yt.shape == (7,)
    np.testing.assert_allclose(yt, dense @ spikes[:5].astype(np.float32), rtol=1e-5, atol=1e-6)


def test_op_shape_rules_refuse_a_wrong_shape_before_the_kernel_runs():
    rng = np.random.default_rng(4)
    _, indptr, indices, weights = _random_csr(rng, 4, 3, 0.5)
    out = np.full(3, 42.0, dtype=np.float32)
    # 6 spikes for a 4-row matrix: the kernel reads only the first 4, so only the op table's
    # rule can catch it.
    with pytest.raises(becore.InvalidArgument,
                       match=r"check_op\(be\.csr_event_matvec_bool_f32\).*'spikes'"):
        becore.call("be.csr_event_matvec_bool_f32", indptr, indices, weights,
                    np.ones(6, dtype=bool), rets=[out], transpose=False, cols=3)
    np.testing.assert_array_equal(out, 42.0)
    with pytest.raises(becore.InvalidArgument, match=r"check_op.*'spikes'"):
        becore.call("be.csr_event_matvec_bool_f32", indptr, indices, weights,
                    np.ones(6, dtype=bool), transpose=False, cols=3)


def test_rets_can_be_left_out_only_for_ops(pyt):
    x = np.ones(2, dtype=np.float32)
    with pytest.raises(becore.InvalidArgument, match=r"call\(pyt.axpby_f32\): rets are needed"):
        becore.call("pyt.axpby_f32", x, x, alpha=1.0, beta=1.0)
    with pytest.raises(becore.InvalidArgument, match=r"ret 0 'weights' is updated in place"):
        becore.call("be.csr_stdp_bool_f32", rets=None)


def test_an_array_of_more_than_eight_dimensions_is_refused_by_name(pyt):
    x = np.zeros((1,) * 9, dtype=np.float32)
    with pytest.raises(becore.InvalidArgument, match=r"^call\(pyt.axpby_f32\): arg 1 has 9 "
                                                     r"dimensions; becore tensors have at most 8$"):
        becore.call("pyt.axpby_f32", np.zeros(1, np.float32), x, rets=[(1, np.float32)],
                    alpha=1.0, beta=1.0)


def test_ops_lists_the_op_table():
    ops = {op["target"]: op for op in becore.ops()}
    op = ops["be.csr_event_matvec_bool_f32"]
    assert (op["format"], op["op"], op["encoding"], op["dtype"]) == ("csr", "event_matvec", "bool",
                                                                     "float32")
    assert [a[0] for a in op["args"]] == ["indptr", "indices", "weights", "spikes"]
    assert [a[0] for a in op["attrs"]] == ["transpose", "cols"]
    # Every op is a target the built-ins register (the C++ OpTable tests check the signatures).
    assert all(name.startswith("be.") for name in ops) and len(ops) == len(becore.ops())


def test_integer_attrs_beyond_64_bits_are_refused_by_name():
    indptr, indices = np.array([0, 1], np.int64), np.array([0], np.int32)
    args = (indptr, indices, np.array([1.0], np.float32), np.array([True]))
    (y,) = becore.call("be.csr_event_matvec_bool_f32", *args, transpose=False, cols=np.int64(1))
    assert y.tolist() == [1.0]
    # 2^63 fits no int64 attr: the registry's range check names it (a uint64 on the way).
    with pytest.raises(becore.InvalidArgument, match=r"cols"):
        becore.call("be.csr_event_matvec_bool_f32", *args, transpose=False, cols=2**63)
    with pytest.raises(becore.InvalidArgument, match=r"attr cols = 18446744073709551616 does not "
                                                     r"fit in 64 bits"):
        becore.call("be.csr_event_matvec_bool_f32", *args, transpose=False, cols=2**64)
