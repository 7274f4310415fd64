"""becore.jax connectivity objects: under jax.jit, spikes @ conn and conn @ x equal jnp
products with the dense matrix of the format's todense target; jax.grad equals the dense
gradient; vmap equals a loop.

Tolerances: bool spikes pick rows without arithmetic on them, but the kernels sum in ascending
input order while jnp's dot may block and reorder the sum, so float32 results agree to rounding
(rtol 1e-5 on sums of a few hundred terms); float64 to 1e-12. JITC products with traced
weights are Σ parameter × unit-weight product, which rounds differently from the kernel's own
entries: the same tolerances."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
bj = pytest.importorskip("becore.jax")
import jax.numpy as jnp  # noqa: E402

import becore  # noqa: E402

jax.config.update("jax_enable_x64", True)

N_PRE, N_POST = 120, 90
TOL = {jnp.float32: dict(rtol=1e-5, atol=1e-5), jnp.float64: dict(rtol=1e-12, atol=1e-12)}


def jitc(cls, dtype=jnp.float32):
    params = {"Scalar": (0.5,), "Normal": (0.3, 0.1), "Uniform": (-0.2, 0.6)}
    kind = next(k for k in params if k in cls.__name__)
    return cls(*params[kind], 0.1, 7, shape=(N_PRE, N_POST), dtype=dtype)


def csr(dtype=jnp.float32, homogeneous=False):
    rng = np.random.default_rng(5)
    dense = (rng.random((N_PRE, N_POST)) < 0.1)
    indptr = np.concatenate([[0], np.cumsum(dense.sum(1))])
    indices = np.nonzero(dense)[1]
    data = np.full(1, 0.7) if homogeneous else rng.standard_normal(indices.size)
    return bj.CSR((jnp.asarray(data, dtype), indices, indptr), shape=(N_PRE, N_POST))


def fixed(dtype=jnp.float32):
    rng = np.random.default_rng(6)
    indices = np.stack([rng.choice(N_POST, 8, replace=False) for _ in range(N_PRE)])
    return bj.FixedPostNum((jnp.asarray(rng.standard_normal(indices.size), dtype), indices),
                           shape=(N_PRE, N_POST))


CONNS = {name: (lambda c=cls: jitc(c)) for name, cls in [
    ("JITCScalarR", bj.JITCScalarR), ("JITCScalarC", bj.JITCScalarC),
    ("JITCNormalR", bj.JITCNormalR), ("JITCNormalC", bj.JITCNormalC),
    ("JITCUniformR", bj.JITCUniformR), ("JITCUniformC", bj.JITCUniformC)]}
CONNS.update({"CSR": csr, "CSR-homogeneous": lambda: csr(homogeneous=True),
              "FixedPostNum": fixed, "JITCNormalR-f64": lambda: jitc(bj.JITCNormalR, jnp.float64),
              "CSR-f64": lambda: csr(jnp.float64)})


def inputs(n, dtype, seed):
    rng = np.random.default_rng(seed)
    return jnp.asarray(rng.random(n) < 0.2), jnp.asarray(rng.standard_normal(n), dtype)


@pytest.mark.parametrize("name", CONNS)
def test_products_under_jit_equal_dense_products(name):
    conn = CONNS[name]()
    M = np.asarray(conn.todense())
    assert M.shape == (N_PRE, N_POST) and np.count_nonzero(M) > 0
    tol = TOL[conn.dtype]
    for n, left in ((N_PRE, True), (N_POST, False)):
        spikes, x = inputs(n, conn.dtype, n)
        for v in (spikes, x):
            f = jax.jit(lambda v: v @ conn) if left else jax.jit(lambda v: conn @ v)
            want = np.asarray(v, M.dtype) @ M if left else M @ np.asarray(v, M.dtype)
            np.testing.assert_allclose(f(v), want, **tol)


def test_c_variant_is_the_transposed_r_matrix_with_the_shape_swapped():
    r = bj.JITCNormalR(0.3, 0.1, 0.1, 7, shape=(N_POST, N_PRE))
    c = bj.JITCNormalC(0.3, 0.1, 0.1, 7, shape=(N_PRE, N_POST))
    np.testing.assert_array_equal(c.todense(), r.todense().T)


@pytest.mark.parametrize("name", ["JITCScalarR", "JITCNormalC", "CSR", "CSR-homogeneous",
                                  "FixedPostNum", "CSR-f64"])
def test_grad_with_respect_to_inputs_equals_the_dense_gradient(name):
    conn = CONNS[name]()
    M = jnp.asarray(conn.todense())
    _, x = inputs(N_PRE, conn.dtype, 1)
    _, y = inputs(N_POST, conn.dtype, 2)
    weights = jnp.linspace(-1, 1, N_POST, dtype=conn.dtype)  # makes every output count
    loss = lambda x: jnp.sum(jnp.sin(x @ conn) * weights)
    dense = lambda x: jnp.sum(jnp.sin(x @ M) * weights)
    np.testing.assert_allclose(jax.jit(jax.grad(loss))(x), jax.jit(jax.grad(dense))(x),
                               **TOL[conn.dtype])
    loss_t = lambda y: jnp.sum(jnp.tanh(conn @ y))
    np.testing.assert_allclose(jax.jit(jax.grad(loss_t))(y),
                               jax.jit(jax.grad(lambda y: jnp.sum(jnp.tanh(M @ y))))(y),
                               **TOL[conn.dtype])


@pytest.mark.parametrize("make", ["CSR", "CSR-homogeneous", "FixedPostNum"])
def test_grad_with_respect_to_stored_weights_equals_the_dense_gradient(make):
    conn = CONNS[make]()
    spikes, _ = inputs(N_PRE, conn.dtype, 3)
    _, y = inputs(N_POST, conn.dtype, 4)
    if make == "FixedPostNum":  # each connection's row and column, in the stored order
        cols = np.asarray(conn._conn[0])
        rows = np.repeat(np.arange(N_PRE), cols.shape[1])
        cols = cols.reshape(-1)
    else:
        indptr, cols = (np.asarray(a) for a in conn._conn)
        rows = np.repeat(np.arange(N_PRE), np.diff(indptr))
    w0 = conn._weights

    def with_weights(w):
        out = object.__new__(type(conn))
        out._spec, out._conn, out._weights = conn._spec, conn._conn, w
        return out

    def dense(w):  # the reference: M(w) built in jnp, differentiated by JAX
        values = jnp.broadcast_to(w, rows.shape)
        return jnp.zeros((N_PRE, N_POST), w.dtype).at[rows, cols].add(values)

    for transpose in (False, True):
        def loss(w, make_matrix):
            m = make_matrix(w)
            return jnp.sum(jnp.sin(m @ y if transpose else spikes.astype(conn.dtype) @ m)
                           if make_matrix is dense else
                           jnp.sin(m @ y if transpose else spikes @ m))
        np.testing.assert_allclose(jax.jit(jax.grad(lambda w: loss(w, with_weights)))(w0),
                                   jax.jit(jax.grad(lambda w: loss(w, dense)))(w0),
                                   **TOL[conn.dtype])


@pytest.mark.parametrize("cls", [bj.JITCScalarR, bj.JITCNormalR, bj.JITCUniformC])
def test_grad_with_respect_to_jitc_parameters_equals_the_dense_gradient(cls):
    spikes, _ = inputs(N_PRE, jnp.float64, 5)
    params = {bj.JITCScalarR: (0.5,), bj.JITCNormalR: (0.3, 0.1), bj.JITCUniformC: (-0.2, 0.6)}
    p0 = jnp.asarray(params[cls])
    loss = lambda p: jnp.sum((spikes @ cls(*p, 0.1, 7, shape=(N_PRE, N_POST),
                                            dtype=jnp.float64)) ** 2)
    # The dense reference: M(p) is linear in p, so M(p) = Σ_k p_k M(e_k) (units from todense).
    units = [cls(*e, 0.1, 7, shape=(N_PRE, N_POST), dtype=jnp.float64).todense()
             for e in np.eye(len(p0))] if cls is not bj.JITCUniformC else \
        [cls(1.0, 1.0, 0.1, 7, shape=(N_PRE, N_POST), dtype=jnp.float64).todense()
         - cls(0.0, 1.0, 0.1, 7, shape=(N_PRE, N_POST), dtype=jnp.float64).todense(),
         cls(0.0, 1.0, 0.1, 7, shape=(N_PRE, N_POST), dtype=jnp.float64).todense()]
    dense = lambda p: jnp.sum((spikes.astype(jnp.float64) @ sum(
        pk * u for pk, u in zip(p, units))) ** 2)
    np.testing.assert_allclose(jax.jit(jax.grad(loss))(p0), jax.jit(jax.grad(dense))(p0),
                               rtol=1e-10)
    np.testing.assert_allclose(loss(p0), dense(p0), rtol=1e-12)


@pytest.mark.parametrize("name", ["JITCScalarR", "CSR", "FixedPostNum"])
def test_vmap_equals_a_loop(name):
    conn = CONNS[name]()
    rng = np.random.default_rng(8)
    batch = jnp.asarray(rng.random((4, N_PRE)) < 0.2)
    got = jax.jit(jax.vmap(lambda s: s @ conn))(batch)
    for b in range(4):  # the matmat twin: each row bitwise the vector product
        np.testing.assert_array_equal(got[b], batch[b] @ conn)
    x = jnp.asarray(rng.standard_normal((3, N_POST)), conn.dtype)
    got = jax.vmap(lambda v: conn @ v)(x)
    for b in range(3):
        np.testing.assert_array_equal(got[b], conn @ x[b])


def test_bad_inputs_are_refused_with_the_reason():
    conn = jitc(bj.JITCScalarR)
    with pytest.raises(becore.InvalidArgument, match=r"x @ conn: the input must be \[120\]"):
        jnp.zeros(7, bool) @ conn
    with pytest.raises(becore.InvalidArgument, match=r"must be bool \(spikes\) or float32"):
        jnp.zeros(N_PRE, jnp.int32) @ conn
    with pytest.raises(becore.InvalidArgument, match=r"prob must be in \(0, 1\]"):
        bj.JITCScalarR(0.5, 1.5, 0, shape=(4, 4))
    with pytest.raises(becore.InvalidArgument, match=r"data must have one weight per connection"):
        bj.CSR((jnp.ones(3), np.array([0, 1]), np.array([0, 1, 2])), shape=(2, 2))
