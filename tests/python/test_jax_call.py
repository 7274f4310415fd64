"""becore.jax.call: becore targets inside jax.jit through the XLA FFI handler, against
becore.call (NumPy) and jnp references; vmap through the batched twins and the loop; errors with
becore's messages and XLA codes."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
bj = pytest.importorskip("becore.jax")  # skips with the reason when built without JAX's headers
import jax.numpy as jnp  # noqa: E402

import becore  # noqa: E402

jax.config.update("jax_enable_x64", True)

JITC = dict(seed=3, rows=300, cols=200, p=0.05, w0=0.5, w1=0.0, transpose=False)
EVENT = "be.jitc_scalar_event_matvec_bool_f32"


def sds(shape, dtype):
    return jax.ShapeDtypeStruct(shape, dtype)


def spikes(n, seed, batch=()):
    return np.random.default_rng(seed).random(batch + (n,)) < 0.1


@pytest.mark.parametrize("dtype,suffix", [(np.float32, "f32"), (np.float64, "f64")])
def test_jit_round_trip_equals_jnp(pyt, dtype, suffix):
    rng = np.random.default_rng(7)
    x = jnp.asarray(rng.standard_normal(1000).astype(dtype))
    y = jnp.asarray(rng.standard_normal(1000).astype(dtype))
    f = jax.jit(lambda x, y: bj.call(f"pyt.axpby_{suffix}", x, y,
                                     result_shape_dtypes=sds(x.shape, x.dtype),
                                     alpha=1.5, beta=-0.25))
    out = f(x, y)
    assert out.dtype == dtype and out.shape == (1000,)
    # The kernel's IEEE operations in the same type, no FMA: the same bits as NumPy's.
    np.testing.assert_array_equal(out, dtype(1.5) * np.asarray(x) + dtype(-0.25) * np.asarray(y))


def test_op_table_target_under_jit_equals_becore_call():
    s = spikes(300, 1)
    (want,) = becore.call(EVENT, s, rets=[((200,), np.float32)], **JITC)
    got = jax.jit(lambda s: bj.call(EVENT, s, result_shape_dtypes=sds((200,), jnp.float32),
                                    **JITC))(jnp.asarray(s))
    np.testing.assert_array_equal(got, want)
    assert want.any()  # some spikes reached some targets


def test_vmap_of_a_vector_product_runs_the_matmat_twin_and_equals_a_loop():
    batch = spikes(300, 2, (5,))
    f = lambda s: bj.call(EVENT, s, result_shape_dtypes=sds((200,), jnp.float32), **JITC)
    text = str(jax.make_jaxpr(jax.vmap(f))(batch))
    assert "be.jitc_scalar_event_matmat_bool_f32" in text and "_matvec_" not in text
    got = jax.jit(jax.vmap(f))(jnp.asarray(batch))
    want = np.stack([becore.call(EVENT, s, rets=[((200,), np.float32)], **JITC)[0]
                     for s in batch])
    np.testing.assert_array_equal(got, want)  # matmat rows are bitwise the matvec of each row


def test_vmap_of_a_batched_connectivity_loops_over_members():
    # CSR with per-member weights: the connectivity differs per member, so one call each.
    indptr = jnp.asarray([0, 2, 3, 5], jnp.int64)
    indices = jnp.asarray([0, 2, 1, 0, 2], jnp.int32)
    weights = jnp.asarray(np.random.default_rng(3).standard_normal((4, 5)))
    x = jnp.asarray([1.0, -2.0, 0.5])
    f = lambda w: bj.call("be.csr_matvec_f64", indptr, indices, w, x,
                          result_shape_dtypes=sds((3,), jnp.float64), cols=3, transpose=False)
    got = jax.jit(jax.vmap(f))(weights)
    for w, row in zip(weights, got):
        dense = np.zeros((3, 3))
        dense[[0, 0, 1, 2, 2], [0, 2, 1, 0, 2]] = w
        np.testing.assert_allclose(row, np.asarray(x) @ dense, rtol=1e-15)


def test_vmap_of_a_target_without_a_batched_twin_loops(pyt):
    x = jnp.asarray(np.random.default_rng(4).standard_normal((3, 8)), jnp.float32)
    f = lambda a: bj.call("pyt.axpby_f32", a, a, result_shape_dtypes=sds((8,), jnp.float32),
                          alpha=2.0, beta=1.0)
    np.testing.assert_array_equal(jax.vmap(f)(x), 3 * np.asarray(x))


def test_bad_shape_gets_the_op_tables_message():
    with pytest.raises(jax.errors.JaxRuntimeError,
                       match=r"INVALID_ARGUMENT: check_op\(be.jitc_scalar_event_matvec_bool_f32\)"
                             r": arg 0 \('spikes'\) has 10 entries per vector, the connectivity "
                             r"needs 300"):
        bj.call(EVENT, jnp.zeros(10, bool), result_shape_dtypes=sds((200,), jnp.float32), **JITC)


def test_bad_dtype_gets_the_op_tables_message():
    with pytest.raises(jax.errors.JaxRuntimeError,
                       match=r"INVALID_ARGUMENT: check_op\(.*\): arg 0 \('spikes'\) must be "
                             r"bool, not int32"):
        bj.call(EVENT, jnp.zeros(300, jnp.int32), result_shape_dtypes=sds((200,), jnp.float32),
                **JITC)


def test_unknown_target_is_not_found():
    with pytest.raises(jax.errors.JaxRuntimeError, match=r"NOT_FOUND: .*pyt.no_such_target"):
        bj.call("pyt.no_such_target", jnp.zeros(3), result_shape_dtypes=sds((3,), jnp.float32))


def test_failing_be_check_is_internal_with_the_kernels_message():
    with pytest.raises(jax.errors.JaxRuntimeError,
                       match=r"INTERNAL: call\(be.kuramoto_rk4_f64\): .*theta0 must be 1-D"):
        bj.call("be.kuramoto_rk4_f64", jnp.zeros((2, 2)), jnp.zeros(2), jnp.zeros((2, 2)),
                result_shape_dtypes=[sds((2,), jnp.float64), sds((10,), jnp.float64)],
                dt=0.1, steps=1)


def test_attrs_must_be_static_scalars(pyt):
    x = jnp.zeros(4, jnp.float32)
    call = lambda a: bj.call("pyt.axpby_f32", x, x, result_shape_dtypes=sds((4,), jnp.float32),
                             alpha=a, beta=1.0)
    with pytest.raises(becore.InvalidArgument, match=r"attr alpha is a traced value"):
        jax.jit(call)(2.0)
    with pytest.raises(becore.InvalidArgument, match=r"attr alpha is a str"):
        call("2")
    with pytest.raises(becore.InvalidArgument,
                       match=r"attr alpha = -9223372036854775809 does not fit in 64 bits"):
        call(-2**63 - 1)
    with pytest.raises(becore.InvalidArgument, match=r"'target' is the call's own attribute"):
        bj.call("pyt.axpby_f32", x, x, result_shape_dtypes=sds((4,), jnp.float32), target=1)
