"""becore targets inside JAX programs (docs/python.md, "JAX"): one XLA FFI handler calls any
target by name, so becore kernels run under ``jax.jit``, ``jax.vmap`` and (through the
differentiable wrappers here) ``jax.grad``.

    import becore.jax as bj, jax, jax.numpy as jnp
    y = jax.jit(lambda x: bj.call("scale.scale_f32", x,
                                  result_shape_dtypes=jax.ShapeDtypeStruct(x.shape, x.dtype),
                                  alpha=2.0))(x)

The handler is registered for XLA's CPU platform (buffers in host memory) only; there is no
CUDA handler yet.
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .. import _becore  # loads becore's libraries before the handler's module
from ..errors import InvalidArgument

try:
    from .. import _jax_ffi
except ImportError as e:  # the package was built without JAX's FFI headers
    raise ImportError("becore.jax: this becore was built without the XLA FFI handler (CMake "
                      "found no jax in its Python); rebuild with jax installed") from e

__all__ = ["call", "kuramoto_rk4", "kuramoto_ensemble", "JITCScalarR", "JITCScalarC",
           "JITCNormalR", "JITCNormalC", "JITCUniformR", "JITCUniformC", "CSR", "FixedPostNum"]

# The FFI target name the handler is registered under (one for every becore target: the
# becore target is the call's attribute `target`).
_FFI_TARGET = "becore_call"
jax.ffi.register_ffi_target(_FFI_TARGET, _jax_ffi.cpu_handler(), platform="cpu")

# The op table's targets (becore.ops()): their matvec ops batch as the matmat twins.
_OP_TARGETS = frozenset(op["target"] for op in _becore.ops())


def _attr(name: str, value: Any, target: str) -> Any:
    """A Python or NumPy scalar as the typed attribute the handler decodes (bool, int64/uint64,
    float64). Attrs must be static: a traced value cannot become an XLA attribute."""
    if isinstance(value, jax.core.Tracer):
        raise InvalidArgument(f"becore.jax.call({target}): attr {name} is a traced value; attrs "
                              "are compile-time constants (pass it as an array argument, or "
                              "mark it static)")
    if isinstance(value, (bool, np.bool_)):
        return np.bool_(value)
    if isinstance(value, (int, np.integer)):
        if not -2**63 <= value < 2**64:  # as becore.call: NumPy would raise OverflowError
            raise InvalidArgument(f"becore.jax.call({target}): attr {name} = {value} does not "
                                  "fit in 64 bits")
        return np.uint64(value) if value > np.iinfo(np.int64).max else np.int64(value)
    if isinstance(value, (float, np.floating)):
        return np.float64(value)
    raise InvalidArgument(f"becore.jax.call({target}): attr {name} is a {type(value).__name__}, "
                          "not a bool, an integer or a float")


def _ffi(name: str, arrays: Sequence[Any], results: Any, attrs: dict[str, Any],
         vmap_method: str | None = None) -> Any:
    return jax.ffi.ffi_call(_FFI_TARGET, results, vmap_method=vmap_method)(
        *arrays, target=name, **attrs)


def _loop(name: str, axis_size: int, in_batched: Sequence[bool], xs: Sequence[Any], results: Any,
          attrs: dict[str, Any]) -> Any:
    """The target once per batch member (lax.map: a loop in the compiled program)."""
    batched = [x if b else jnp.broadcast_to(x, (axis_size,) + x.shape)
               for x, b in zip(xs, in_batched)]
    return jax.lax.map(lambda member: _ffi(name, member, results, attrs), batched)


def _stacked(results: Any, axis_size: int) -> Any:
    return jax.tree.map(lambda r: jax.ShapeDtypeStruct((axis_size,) + tuple(r.shape), r.dtype),
                        results)


def _product_rule(name: str):
    """A vector product of the op table (be.X_matvec_Y, be.X_event_matvec_Y) with only its input
    batched: one call of its matmat twin, the batch as the twin's rows."""
    if name not in _OP_TARGETS or name.count("_matvec") != 1:
        return None
    twin = name.replace("_matvec", "_matmat")

    def rule(axis_size, in_batched, xs, results, attrs):
        if any(in_batched[:-1]):  # the connectivity differs per member
            return None
        return _ffi(twin, xs, _stacked(results, axis_size), attrs, vmap_method="sequential")
    return rule


def _kuramoto_rule(axis_size, in_batched, xs, results, attrs):
    """be.kuramoto_rk4_f64 of B members: be.kuramoto_rk4_ensemble_f64 (theta0 B x N; omega N or
    B x N; K N x N or B x N x N, each shared when not batched), members in parallel."""
    theta0, omega, K = xs
    if not in_batched[0]:
        theta0 = jnp.broadcast_to(theta0, (axis_size,) + theta0.shape)
    return _ffi("be.kuramoto_rk4_ensemble_f64", (theta0, omega, K), _stacked(results, axis_size),
                attrs, vmap_method="sequential")


def _batch_rule(name: str):
    if name == "be.kuramoto_rk4_f64":
        return _kuramoto_rule
    return _product_rule(name)


def _with_rule(name: str, rule, arrays: Sequence[Any], results: Any,
               attrs: dict[str, Any]) -> Any:
    @jax.custom_batching.custom_vmap
    def target(*xs):
        return _ffi(name, xs, results, attrs)

    @target.def_vmap
    def vmapped(axis_size, in_batched, *xs):
        out = rule(axis_size, in_batched, xs, results, attrs)
        if out is None:
            out = _loop(name, axis_size, in_batched, xs, results, attrs)
        return out, jax.tree.map(lambda _: True, out)

    return target(*arrays)


def call(name: str, *arrays: Any, result_shape_dtypes: Any, **attrs: Any) -> Any:
    """Calls the becore target ``name`` on JAX arrays through XLA's FFI: under ``jax.jit`` it is
    one custom call in the compiled program, run on XLA's CPU threads with no copy of the
    buffers. ``result_shape_dtypes``: a ``jax.ShapeDtypeStruct`` (or anything with shape and
    dtype) per ret, or one of them; the result has the same structure. ``attrs``: the target's
    attrs, static Python or NumPy scalars. The target's checks apply as for ``becore.call``
    (the op table's for its targets, so a bad shape names the argument); a failure raises
    XLA's runtime error whose message is becore's, with the code mapped (invalid_argument →
    INVALID_ARGUMENT, not_found → NOT_FOUND, unavailable → UNAVAILABLE, compile_failed →
    FAILED_PRECONDITION, kernel_failed → INTERNAL, io → DATA_LOSS).

    Under ``jax.vmap``: a vector product of the op table (``be.<format>_matvec...``,
    ``_event_matvec_...``) runs as its matmat twin when only the input vector is batched;
    ``be.kuramoto_rk4_f64`` as ``be.kuramoto_rk4_ensemble_f64``; anything else calls the target
    once per batch member."""
    typed = {k: _attr(k, v, name) for k, v in attrs.items()}
    if "target" in typed:
        raise InvalidArgument(f"becore.jax.call({name}): 'target' is the call's own attribute")
    rule = _batch_rule(name)
    if rule is None:
        return _ffi(name, arrays, result_shape_dtypes, typed, vmap_method="sequential")
    return _with_rule(name, rule, arrays, result_shape_dtypes, typed)


from .kuramoto import kuramoto_ensemble, kuramoto_rk4  # noqa: E402
from .connectivity import (CSR, FixedPostNum, JITCNormalC, JITCNormalR, JITCScalarC,  # noqa: E402
                           JITCScalarR, JITCUniformC, JITCUniformR)
