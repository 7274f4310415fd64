"""Kuramoto RK4 (be.kuramoto_rk4_f64) as a differentiable JAX function whose gradient is
becore's discrete adjoint (be.kuramoto_rk4_vjp_f64): the exact reverse-mode derivative of the
same RK4 steps, computed in one kernel call instead of JAX's taped scan."""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp

from ..errors import InvalidArgument
from . import call


def _f64(x: Any, what: str) -> jax.Array:
    array = jnp.asarray(x)
    if array.dtype != jnp.float64:
        hint = "" if jax.config.jax_enable_x64 else \
            " (JAX makes float32 arrays unless jax.config.update('jax_enable_x64', True))"
        raise InvalidArgument(f"becore.jax.kuramoto_rk4: {what} must be float64, not "
                              f"{array.dtype}{hint}")
    return array


@partial(jax.custom_vjp, nondiff_argnums=(3, 4))
def _solve(theta0, omega, K, dt, steps):
    n = theta0.shape[0]
    theta, _work = call("be.kuramoto_rk4_f64", theta0, omega, K,
                        result_shape_dtypes=[jax.ShapeDtypeStruct((n,), jnp.float64),
                                             jax.ShapeDtypeStruct((5 * n,), jnp.float64)],
                        dt=dt, steps=steps)
    return theta


def _solve_fwd(theta0, omega, K, dt, steps):
    return _solve(theta0, omega, K, dt, steps), (theta0, omega, K)


def _solve_bwd(dt, steps, saved, gbar):
    theta0, omega, K = saved
    n = theta0.shape[0]
    f64 = jnp.float64
    dtheta0, domega, dK, _work = call(
        "be.kuramoto_rk4_vjp_f64", theta0, omega, K, gbar,
        result_shape_dtypes=[jax.ShapeDtypeStruct((n,), f64), jax.ShapeDtypeStruct((n,), f64),
                             jax.ShapeDtypeStruct((n, n), f64),
                             jax.ShapeDtypeStruct(((12 * steps + 20) * n,), f64)],
        dt=dt, steps=steps)
    return dtheta0, domega, dK


_solve.defvjp(_solve_fwd, _solve_bwd)


def kuramoto_rk4(theta0: Any, omega: Any, K: Any, dt: float, steps: int) -> jax.Array:
    """The final phases θ_steps (N) of dθ_j/dt = ω_j + Σ_k K_jk sin(θ_k − θ_j), classical RK4
    with step ``dt`` (float64; ``dt`` and ``steps`` static). ``jax.grad`` with respect to θ0, ω
    and K runs ``be.kuramoto_rk4_vjp_f64`` (memory 12·steps·N doubles); under ``jax.vmap`` the
    forward runs as ``be.kuramoto_rk4_ensemble_f64``, members in parallel."""
    theta0, omega, K = _f64(theta0, "theta0"), _f64(omega, "omega"), _f64(K, "K")
    n = theta0.shape[-1] if theta0.ndim else 0
    if theta0.ndim != 1 or omega.shape != (n,) or K.shape != (n, n):
        raise InvalidArgument(f"becore.jax.kuramoto_rk4: theta0, omega must be [N] and K [N, N], "
                              f"not {theta0.shape}, {omega.shape}, {K.shape}")
    if int(steps) != steps or steps < 0:
        raise InvalidArgument(f"becore.jax.kuramoto_rk4: steps must be an integer >= 0, not "
                              f"{steps!r}")
    return _solve(theta0, omega, K, float(dt), int(steps))


def kuramoto_ensemble(theta0: Any, omega: Any, K: Any, dt: float, steps: int) -> jax.Array:
    """B members at once: theta0 [B, N]; omega [N] (shared) or [B, N]; K [N, N] (shared) or
    [B, N, N]. kuramoto_rk4 under jax.vmap, so one be.kuramoto_rk4_ensemble_f64 call (and
    differentiable like kuramoto_rk4). Returns [B, N]."""
    theta0, omega, K = _f64(theta0, "theta0"), _f64(omega, "omega"), _f64(K, "K")
    if theta0.ndim != 2:
        raise InvalidArgument(f"becore.jax.kuramoto_ensemble: theta0 must be [B, N], not "
                              f"{theta0.shape}")
    axes = (0, 0 if omega.ndim == 2 else None, 0 if K.ndim == 3 else None)
    return jax.vmap(lambda t, o, k: kuramoto_rk4(t, o, k, dt, steps), in_axes=axes)(
        theta0, omega, K)
