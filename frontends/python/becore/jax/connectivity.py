"""Connectivity objects for JAX, written as a brainevent user writes them: ``spikes @ conn``
(spikes [n_pre] or [batch, n_pre] -> [n_post]) and ``conn @ x`` ([n_post] -> [n_pre]) run
becore's event and float products (the op table's be.<format>_... targets) through
becore.jax.call, under jit and vmap.

Inputs: bool arrays are spikes (the event product: cost ∝ active neurons); float arrays (the
weights' dtype) are values (the float product, linear in them). Differentiable where the product
is linear: jax.grad with respect to float inputs (the transposed product) and to the weights
(stored weights: per-connection input × cotangent; JITC parameters: the product is linear in
them, so a traced parameter multiplies the product with a unit parameter).
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import InvalidArgument
from . import call


class _Spec(NamedTuple):
    """What a product needs besides arrays, hashable (a custom_vjp static argument)."""
    format: str             # csr, fixed, jitc_scalar, jitc_normal, jitc_uniform
    rows: int               # the kernels' stored/generated matrix S [rows, cols]
    cols: int
    dtype: Any              # the weights' (and outputs') dtype
    flip: bool              # conn = Sᵀ (JITC C: S = R(seed, n_post x n_pre))
    attrs: tuple            # the format's attrs but transpose: (("seed", 3), ("p", 0.1), ...)

    @property
    def suffix(self) -> str:
        return "f32" if self.dtype == jnp.float32 else "f64"

    def target(self, x: jax.Array) -> str:
        batched = "matmat" if x.ndim == 2 else "matvec"
        if x.dtype == jnp.bool_:
            return f"be.{self.format}_event_{batched}_bool_{self.suffix}"
        return f"be.{self.format}_{batched}_{self.suffix}"

    def product(self, conn: tuple, x: jax.Array, transpose: bool) -> jax.Array:
        """x @ S (transpose false) or S @ x, rows of a batch alike."""
        n_out = self.rows if transpose else self.cols
        shape = x.shape[:-1] + (n_out,)
        return call(self.target(x), *conn, x,
                    result_shape_dtypes=jax.ShapeDtypeStruct(shape, self.dtype),
                    transpose=transpose, **dict(self.attrs))


@partial(jax.custom_vjp, nondiff_argnums=(0, 1))
def _apply(spec: _Spec, transpose: bool, conn: tuple, weights: jax.Array | None, x: jax.Array):
    return spec.product(conn if weights is None else (*conn, weights), x, transpose)


def _apply_fwd(spec, transpose, conn, weights, x):
    return _apply(spec, transpose, conn, weights, x), (conn, weights, x)


def _apply_bwd(spec, transpose, saved, g):
    conn, weights, x = saved
    stored = conn if weights is None else (*conn, weights)
    # The product is linear in a float x: its cotangent is the transposed float product.
    dx = None if x.dtype == jnp.bool_ else spec.product(stored, g.astype(spec.dtype), not transpose)
    dw = None
    if weights is not None:
        rows, cols = _coordinates(spec, conn)
        values = x.astype(spec.dtype)
        # out[.., c] = Σ_k w_k x[.., r_k] (transpose: out[.., r] = Σ_k w_k x[.., c_k]).
        src, dst = (cols, rows) if transpose else (rows, cols)
        per_connection = jnp.sum(values[..., src] * g[..., dst],
                                 axis=tuple(range(x.ndim - 1)))
        dw = per_connection.sum().reshape(1) if weights.size == 1 else per_connection
    return tuple(None for _ in conn), dw, dx


_apply.defvjp(_apply_fwd, _apply_bwd)


def _coordinates(spec: _Spec, conn: tuple) -> tuple[jax.Array, jax.Array]:
    """Each stored connection's row and column."""
    if spec.format == "csr":
        indptr, indices = conn
        rows = jnp.repeat(jnp.arange(spec.rows), jnp.diff(indptr),
                          total_repeat_length=indices.shape[0])
        return rows, indices
    (indices,) = conn  # fixed: [rows, k]
    return jnp.repeat(jnp.arange(spec.rows), indices.shape[1]), indices.reshape(-1)


class _Connectivity:
    """A matrix M [n_pre, n_post] = S (or Sᵀ when _spec.flip)."""
    _spec: _Spec
    _conn: tuple = ()
    _weights: jax.Array | None = None

    @property
    def shape(self) -> tuple[int, int]:
        s = self._spec
        return (s.cols, s.rows) if s.flip else (s.rows, s.cols)

    @property
    def dtype(self):
        return self._spec.dtype

    def _check(self, x: Any, n: int, what: str) -> jax.Array:
        x = jnp.asarray(x)
        if x.ndim not in (1, 2) or x.shape[-1] != n:
            raise InvalidArgument(f"{type(self).__name__} {what}: the input must be [{n}] or "
                                  f"[batch, {n}], not {list(x.shape)}")
        if x.dtype != jnp.bool_ and x.dtype != self.dtype:
            raise InvalidArgument(f"{type(self).__name__} {what}: the input must be bool (spikes) "
                                  f"or {jnp.dtype(self.dtype).name} (the weights' dtype), not "
                                  f"{x.dtype}")
        return x

    def _product(self, x: jax.Array, transpose: bool) -> jax.Array:
        return _apply(self._spec, transpose != self._spec.flip, self._conn, self._weights, x)

    def __rmatmul__(self, x: Any) -> jax.Array:  # x @ M
        return self._product(self._check(x, self.shape[0], "x @ conn"), False)

    def __matmul__(self, x: Any) -> jax.Array:  # M @ x
        return self._product(self._check(x, self.shape[1], "conn @ x"), True)

    def todense(self) -> jax.Array:
        """M as a dense [n_pre, n_post] array, from the format's todense target."""
        s = self._spec
        arrays = self._conn if self._weights is None else (*self._conn, self._weights)
        return call(f"be.{s.format}_todense_{s.suffix}", *arrays,
                    result_shape_dtypes=jax.ShapeDtypeStruct(self.shape, s.dtype),
                    transpose=s.flip, **dict(s.attrs))


def _dtype(dtype: Any) -> Any:
    dtype = jnp.dtype(dtype)
    if dtype not in (jnp.float32, jnp.float64):
        raise InvalidArgument(f"becore.jax connectivity: dtype must be float32 or float64, not "
                              f"{dtype}")
    if dtype == jnp.float64 and not jax.config.jax_enable_x64:
        raise InvalidArgument("becore.jax connectivity: float64 needs "
                              "jax.config.update('jax_enable_x64', True)")
    return dtype.type


def _shape(shape: Any, name: str) -> tuple[int, int]:
    try:
        n_pre, n_post = (int(d) for d in shape)
    except (TypeError, ValueError) as e:
        raise InvalidArgument(f"{name}: shape must be (n_pre, n_post), not {shape!r}") from e
    if not (0 < n_pre < 2**31 and 0 < n_post < 2**31):
        raise InvalidArgument(f"{name}: n_pre and n_post must be in [1, 2^31), not {shape!r}")
    return n_pre, n_post


class _JITC(_Connectivity):
    """Generated connectivity: entries connected with probability p from (seed, line), never
    stored. R: row i of M is generated from (seed, i); C: column j from (seed, j), i.e.
    M = R(seed, n_post x n_pre)ᵀ (the kernels' orientation; jitc.h). Not seed-compatible with
    brainevent: the same seed gives a different (equally distributed) matrix."""
    _kind = ""
    _params: tuple[str, ...] = ()
    _flip = False

    def __init__(self, *data: Any, shape: Any, dtype: Any = jnp.float32):
        name = type(self).__name__
        if len(data) == 1 and isinstance(data[0], (tuple, list)):
            data = tuple(data[0])  # brainevent's data=(weight..., prob, seed)
        if len(data) != len(self._params) + 2:
            raise InvalidArgument(f"{name}({', '.join(self._params)}, prob, seed, shape=...): "
                                  f"got {len(data)} values")
        *weights, prob, seed = data
        n_pre, n_post = _shape(shape, name)
        prob = float(prob)
        if not (0.0 < prob <= 1.0):
            raise InvalidArgument(f"{name}: prob must be in (0, 1], not {prob}")
        if int(seed) != seed or seed < 0:
            raise InvalidArgument(f"{name}: seed must be an integer >= 0, not {seed!r}")
        rows, cols = (n_post, n_pre) if self._flip else (n_pre, n_post)
        base = (("seed", int(seed)), ("rows", rows), ("cols", cols), ("p", prob))
        self._base = (f"jitc_{self._kind}", rows, cols, _dtype(dtype), self._flip, base)
        # Concrete weights are the kernels' attrs; traced ones (jax.grad with respect to them)
        # scale the products with unit weights, which is exact for the linear parameters.
        self._traced = any(isinstance(w, jax.core.Tracer) for w in weights)
        self._w = tuple(weights) if self._traced else tuple(float(w) for w in weights)
        self._spec = self._with_weights(self._w if not self._traced else (1.0, 0.0))

    def _with_weights(self, w: tuple) -> _Spec:
        w0, w1 = (tuple(w) + (0.0,))[:2]  # the scalar kernels take (weight, 0)
        format, rows, cols, dtype, flip, base = self._base
        return _Spec(format, rows, cols, dtype, flip, base + (("w0", w0), ("w1", w1)))

    def _product(self, x: jax.Array, transpose: bool) -> jax.Array:
        if not self._traced:
            return super()._product(x, transpose)
        out = None
        for weights, coefficient in self._unit_terms():
            unit = self._with_weights(weights)
            term = jnp.asarray(coefficient, unit.dtype) * _apply(unit, transpose != unit.flip, (),
                                                                 None, x)
            out = term if out is None else out + term
        return out

    def _unit_terms(self) -> list[tuple[tuple[float, float], Any]]:
        """M(w) = Σ coefficient · M(unit weights): the kernels' weights are linear in their
        parameters (scalar: w; normal: mean + stddev·z)."""
        return list(zip(((1.0, 0.0), (0.0, 1.0)), self._w))

    def todense(self) -> jax.Array:
        if not self._traced:
            return super().todense()
        raise InvalidArgument(f"{type(self).__name__}.todense: the weights are traced values")


class JITCScalarR(_JITC):
    """JITCScalarR(weight, prob, seed, shape=(n_pre, n_post)): one weight for every connection;
    row-generated. ``spikes @ conn`` with bool spikes costs ∝ active rows."""
    _kind, _params = "scalar", ("weight",)


class JITCScalarC(JITCScalarR):
    """JITCScalarC(weight, prob, seed, shape=(n_pre, n_post)): column-generated;
    ``conn @ spikes`` is the event-driven direction."""
    _flip = True


class JITCNormalR(_JITC):
    """JITCNormalR(w_loc, w_scale, prob, seed, shape=...): weights w_loc + w_scale·z, z ~ N(0, 1)."""
    _kind, _params = "normal", ("w_loc", "w_scale")


class JITCNormalC(JITCNormalR):
    _flip = True


class JITCUniformR(_JITC):
    """JITCUniformR(w_low, w_high, prob, seed, shape=...): weights uniform in [w_low, w_high)."""
    _kind, _params = "uniform", ("w_low", "w_high")

    def _unit_terms(self):  # low + (high - low)·u, with units that keep low <= high
        low, high = self._w
        return [((1.0, 1.0), low), ((0.0, 1.0), high - low)]


class JITCUniformC(JITCUniformR):
    _flip = True


def _int_array(a: Any, dtype: Any, what: str) -> jax.Array:
    array = jnp.asarray(a)
    if not jnp.issubdtype(array.dtype, jnp.integer):
        raise InvalidArgument(f"{what} must be integers, not {array.dtype}")
    if jnp.dtype(dtype) == jnp.int64 and not jax.config.jax_enable_x64:
        raise InvalidArgument(f"{what}: becore's CSR takes int64 row pointers, which JAX makes "
                              "only with jax.config.update('jax_enable_x64', True)")
    return array.astype(dtype)


def _weights(data: Any, nnz: int, what: str) -> jax.Array:
    w = jnp.asarray(data)
    if w.dtype not in (jnp.float32, jnp.float64):
        w = w.astype(jnp.float32)
    w = w.reshape(-1)
    if w.shape[0] not in (1, nnz):
        raise InvalidArgument(f"{what}: data must have one weight per connection ({nnz}) or "
                              f"one, not {w.shape[0]}")
    return w


class CSR(_Connectivity):
    """CSR((data, indices, indptr), shape=(n_pre, n_post)), brainevent's order: data [nnz] or
    [1] (one weight for all; float32 or float64), indices [nnz] column of each connection,
    indptr [n_pre + 1] (stored as int64, so JAX needs jax_enable_x64). The kernels check the
    indices' range and indptr's ends when they run."""

    def __init__(self, data: tuple, *, shape: Any):
        weights, indices, indptr = data
        n_pre, n_post = _shape(shape, "CSR")
        indices = _int_array(indices, jnp.int32, "CSR indices")
        indptr = _int_array(indptr, jnp.int64, "CSR indptr")
        if indptr.shape != (n_pre + 1,) or indices.ndim != 1:
            raise InvalidArgument(f"CSR: indptr must be [n_pre + 1] = [{n_pre + 1}] and indices "
                                  f"1-D, not {list(indptr.shape)} and {list(indices.shape)}")
        self._weights = _weights(weights, indices.shape[0], "CSR")
        self._conn = (indptr, indices)
        self._spec = _Spec("csr", n_pre, n_post, self._weights.dtype.type, False,
                           (("cols", n_post),))


class FixedPostNum(_Connectivity):
    """FixedPostNum((data, indices), shape=(n_pre, n_post)): each presynaptic neuron i connects
    to the k targets indices[i] ([n_pre, k]); data [n_pre·k], [n_pre, k] or [1]."""

    def __init__(self, data: tuple, *, shape: Any):
        weights, indices = data
        n_pre, n_post = _shape(shape, "FixedPostNum")
        indices = _int_array(indices, jnp.int32, "FixedPostNum indices")
        if indices.ndim != 2 or indices.shape[0] != n_pre:
            raise InvalidArgument(f"FixedPostNum: indices must be [n_pre, k] = [{n_pre}, k], "
                                  f"not {list(indices.shape)}")
        self._weights = _weights(weights, indices.size, "FixedPostNum")
        self._conn = (indices,)
        self._spec = _Spec("fixed", n_pre, n_post, self._weights.dtype.type, False,
                           (("cols", n_post),))
