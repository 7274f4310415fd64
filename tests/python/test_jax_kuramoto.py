"""becore.jax.kuramoto_rk4: the forward and jax.grad (becore's discrete adjoint,
be.kuramoto_rk4_vjp_f64) against a pure-JAX RK4 written here and differentiated by JAX;
kuramoto_ensemble under vmap against single solves."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
bj = pytest.importorskip("becore.jax")
import jax.numpy as jnp  # noqa: E402

import becore  # noqa: E402

jax.config.update("jax_enable_x64", True)

N, STEPS, DT = 24, 40, 0.05


def reference(theta0, omega, K):
    """Classical RK4 of dθ_j/dt = ω_j + Σ_k K_jk sin(θ_k − θ_j), in plain JAX."""
    def rhs(th):
        s, c = jnp.sin(th), jnp.cos(th)
        return omega + c * (K @ s) - s * (K @ c)

    def step(th, _):
        k1 = rhs(th)
        k2 = rhs(th + 0.5 * DT * k1)
        k3 = rhs(th + 0.5 * DT * k2)
        k4 = rhs(th + DT * k3)
        return th + DT / 6 * (k1 + 2 * k2 + 2 * k3 + k4), None
    return jax.lax.scan(step, theta0, None, length=STEPS)[0]


def network(seed):
    rng = np.random.default_rng(seed)
    return (jnp.asarray(rng.uniform(0, 2 * np.pi, N)), jnp.asarray(rng.normal(0, 0.7, N)),
            jnp.asarray(rng.uniform(0, 3.0 / N, (N, N))))


def loss(solve):
    # Depends on every phase with different weights, so every gradient entry is exercised.
    return lambda t, o, k: jnp.sum(jnp.cos(solve(t, o, k)) * jnp.arange(1, N + 1))


def test_forward_equals_pure_jax_rk4():
    t, o, k = network(1)
    got = jax.jit(lambda *a: bj.kuramoto_rk4(*a, DT, STEPS))(t, o, k)
    np.testing.assert_allclose(got, jax.jit(reference)(t, o, k), rtol=1e-12, atol=0)


def test_grad_equals_jax_grad_of_pure_jax_rk4():
    t, o, k = network(2)
    ours = jax.jit(jax.grad(loss(lambda *a: bj.kuramoto_rk4(*a, DT, STEPS)), argnums=(0, 1, 2)))
    theirs = jax.jit(jax.grad(loss(reference), argnums=(0, 1, 2)))
    for g, want in zip(ours(t, o, k), theirs(t, o, k)):
        # Both are reverse mode over the same RK4 steps; only summation order differs.
        rel = float(jnp.max(jnp.abs(g - want)) / jnp.max(jnp.abs(want)))
        assert rel <= 1e-9, rel


def test_ensemble_under_vmap_equals_single_solves_and_their_gradients():
    members = [network(10 + b) for b in range(3)]
    theta0 = jnp.stack([m[0] for m in members])
    omega = jnp.stack([m[1] for m in members])
    K = members[0][2]
    got = jax.jit(lambda t, o: bj.kuramoto_ensemble(t, o, K, DT, STEPS))(theta0, omega)
    text = str(jax.make_jaxpr(lambda t, o: bj.kuramoto_ensemble(t, o, K, DT, STEPS))(theta0, omega))
    assert "be.kuramoto_rk4_ensemble_f64" in text
    for b in range(3):  # each member is bitwise the single solve (the ensemble's contract)
        np.testing.assert_array_equal(got[b], bj.kuramoto_rk4(theta0[b], omega[b], K, DT, STEPS))
    grads = jax.grad(lambda t: jnp.sum(jnp.cos(bj.kuramoto_ensemble(t, omega, K, DT, STEPS))))(
        theta0)
    for b in range(3):
        single = jax.grad(lambda t: jnp.sum(jnp.cos(bj.kuramoto_rk4(t, omega[b], K, DT, STEPS))))
        np.testing.assert_array_equal(grads[b], single(theta0[b]))


def test_float32_input_is_refused_with_a_hint():
    t, o, k = network(3)
    with pytest.raises(becore.InvalidArgument, match=r"theta0 must be float64, not float32"):
        bj.kuramoto_rk4(t.astype(jnp.float32), o, k, DT, STEPS)
