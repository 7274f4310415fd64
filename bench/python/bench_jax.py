"""becore from JAX, next to the same work in brainevent 0.2.1 and in plain JAX, in one process on
the CPU (docs/python.md, "JAX"). Not a test: prints a table with the machine and writes JSON
({"machine", "toolchain", "records"}, as the C++ bench_* programs).

  cases   call overhead of becore.jax.call under jit (a 1-element kernel) next to a jitted jnp op;
          JITC scalar (R) and CSR event matvec, N x N, connection probability P, ACTIVE of the
          spikes active, on 1 and 2 threads (becore.configure(threads=), numba's threads for
          brainevent); Kuramoto RK4 N=256, 200 steps, forward and jax.grad, next to a pure-JAX
          RK4 (the anchors' /work/shared/anchors/anchor_{brainevent,kuramoto_jax}.py cases).

usage: PYTHONPATH=<build>/python python bench_jax.py [--json FILE] [--n N] [--p P]
       [--active A] [--reps R]
brainevent is measured when importable (pip install brainevent==0.2.1 numba: a venv of its own,
with this build's Python), else its rows are skipped with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)
import becore  # noqa: E402
import becore.jax as bj  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def timed(times):
    """(minimum, median) of the repetitions' seconds: the minimum is the cost with the least
    interference from other load (the figure to compare), the median shows the spread."""
    return float(np.min(times)), float(np.median(times))


def seconds(f, *args, reps):
    jax.block_until_ready(f(*args))  # compile and warm up
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        jax.block_until_ready(f(*args))
        times.append(time.perf_counter() - start)
    return timed(times)


def per_call_seconds(f, x, batch=200, rounds=15):
    jax.block_until_ready(f(x))
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(batch):
            y = f(x)
        jax.block_until_ready(y)
        times.append((time.perf_counter() - start) / batch)
    return timed(times)


def machine():
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                  if line.startswith("model name")), platform.processor())
    return {"cpu": model, "cores": os.cpu_count(), "system": platform.platform()}


def toolchain(brainevent):
    return {"python": platform.python_version(), "jax": jax.__version__,
            "jaxlib": jax.lib.__version__ if hasattr(jax.lib, "__version__") else None,
            "numpy": np.__version__, "becore": becore.runtime_report()["version"],
            "brainevent": getattr(brainevent, "__version__", None)}


def random_csr(n, p, seed=0):
    """Bernoulli(p) rows, sorted columns (the anchor's construction)."""
    rng = np.random.default_rng(seed)
    lengths = rng.binomial(n, p, n)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.concatenate([np.sort(rng.choice(n, k, replace=False)) for k in lengths])
    return indptr, indices.astype(np.int32)


def set_threads(threads, brainevent):
    becore.configure(threads=threads)
    if brainevent is not None:
        import numba
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", default="", help="write the records here")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--p", type=float, default=0.01)
    parser.add_argument("--active", type=float, default=0.01)
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args(argv)
    try:
        import brainevent
        skip = None
    except ImportError as e:
        brainevent, skip = None, f"brainevent not importable ({e})"
    records = []

    def add(record, timing):
        # seconds: the minimum over the repetitions; seconds_median beside it.
        record["seconds"], record["seconds_median"] = timing
        if "events" in record:
            record["events_per_s"] = record.pop("events") / record["seconds"]
        records.append(record)
        extra = f"  {record['events_per_s'] / 1e6:9.1f} M events/s" if "events_per_s" in record \
            else ""
        print(f"{record['case']:<22} {record['lib']:<11} {record.get('threads', ''):>2} "
              f"{record['seconds'] * 1e3:10.3f} ms {record['seconds_median'] * 1e3:10.3f} ms"
              f"{extra}", flush=True)

    print(f"machine: {machine()}\n{'case':<22} {'lib':<11} th {'min':>13} {'median':>13}")

    # Per-call overhead: a 1-element kernel under jit, next to a jitted jnp op of the same size.
    becore.load_file(ROOT / "examples/kernels/scale.cpp")
    x = jnp.ones(1, jnp.float32)
    ours = jax.jit(lambda x: bj.call("scale.scale_f32", x,
                                     result_shape_dtypes=jax.ShapeDtypeStruct((1,), jnp.float32),
                                     alpha=2.0))
    plain = jax.jit(lambda x: x * 2.0)
    for lib, f in (("becore.jax", ours), ("jax", plain)):
        add({"case": "call_overhead", "lib": lib}, per_call_seconds(f, x))

    n, p, active = args.n, args.p, args.active
    rng = np.random.default_rng(1)
    spikes_np = np.zeros(n, bool)
    spikes_np[rng.choice(n, int(n * active), replace=False)] = True
    spikes = jnp.asarray(spikes_np)
    events = int(n * active) * n * p
    indptr, indices = random_csr(n, p)
    jitc_ours = bj.JITCScalarR(0.5, p, 0, shape=(n, n))
    csr_ours = bj.CSR((jnp.full(1, 0.5, jnp.float32), indices, indptr), shape=(n, n))
    cases = [("jitc_scalar_r", jax.jit(lambda s: s @ jitc_ours), "becore.jax"),
             ("csr_homo", jax.jit(lambda s: s @ csr_ours), "becore.jax")]
    if brainevent is not None:
        be_r = brainevent.JITCScalarR((0.5, p, 0), shape=(n, n))
        be_c = brainevent.JITCScalarC((0.5, p, 0), shape=(n, n))
        be_csr = brainevent.CSR((jnp.full(1, 0.5, jnp.float32), jnp.asarray(indices),
                                 jnp.asarray(indptr.astype(np.int32))), shape=(n, n))
        cases += [("jitc_scalar_r", jax.jit(lambda s: brainevent.BinaryArray(s) @ be_r),
                   "brainevent"),
                  ("jitc_scalar_c", jax.jit(lambda s: brainevent.BinaryArray(s) @ be_c),
                   "brainevent"),
                  ("csr_homo", jax.jit(lambda s: brainevent.BinaryArray(s) @ be_csr),
                   "brainevent")]
    else:
        print(f"brainevent rows skipped: {skip}")
    for threads in (1, 2):
        set_threads(threads, brainevent)
        for case, f, lib in cases:
            add({"case": case, "lib": lib, "threads": threads, "n": n, "p": p, "active": active,
                 "events": events}, seconds(f, spikes, reps=args.reps))
    becore.configure(threads=None)

    # Kuramoto N=256, 200 steps, dt 0.05: forward (final phases) and grad of sum(cos θ_S).
    N, S, DT = 256, 200, 0.05
    rng = np.random.default_rng(42)
    th0 = jnp.asarray(rng.uniform(0, 2 * np.pi, N))
    om = jnp.asarray(rng.normal(0, 0.7, N))
    K = jnp.full((N, N), 1.8 / N)

    def rhs(th, om, K):
        s, c = jnp.sin(th), jnp.cos(th)
        return om + c * (K @ s) - s * (K @ c)

    def pure(th0, om, K):
        def step(th, _):
            k1 = rhs(th, om, K)
            k2 = rhs(th + 0.5 * DT * k1, om, K)
            k3 = rhs(th + 0.5 * DT * k2, om, K)
            k4 = rhs(th + DT * k3, om, K)
            return th + DT / 6 * (k1 + 2 * k2 + 2 * k3 + k4), None
        return jax.lax.scan(step, th0, None, length=S)[0]

    ours_k = lambda a, b, c: bj.kuramoto_rk4(a, b, c, DT, S)
    for lib, solve in (("becore.jax", ours_k), ("jax", pure)):
        fwd = jax.jit(solve)
        grad = jax.jit(jax.grad(lambda a, b, c: jnp.sum(jnp.cos(solve(a, b, c))),
                                argnums=(0, 1, 2)))
        for case, f in (("kuramoto_forward", fwd), ("kuramoto_gradient", grad)):
            add({"case": case, "lib": lib, "n": N, "steps": S},
                seconds(f, th0, om, K, reps=args.reps))

    if args.json:
        Path(args.json).write_text(json.dumps(
            {"machine": machine(), "toolchain": toolchain(brainevent), "records": records},
            indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
