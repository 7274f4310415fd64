"""becore from Python: load annotated kernel files, call any target with NumPy arrays, inspect
the runtime and the kernel cache, configure the process (docs/python.md).

    import becore, numpy as np
    becore.load_file("kernels/scale.cpp")               # targets "scale.<name>"
    (y,) = becore.call("scale.scale_f32", x, rets=[(x.shape, np.float32)], alpha=2.0)
"""

from __future__ import annotations

import atexit
import os
import platform as _platform
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from . import _becore
from .errors import (BecoreError, CompileError, InvalidArgument, IOFailure, KernelError,
                     NotFound, Unavailable)
from . import plot
from .simulator import (Configuration, Model, RuntimeConfig, Signals, TraceSpec, construct,
                        simulate, trace_to_signals)

__all__ = [
    "BecoreError", "CompileError", "InvalidArgument", "IOFailure", "KernelError", "NotFound",
    "Unavailable", "cache_info", "call", "configure", "configured", "load_cuda_file", "load_dir",
    "load_file", "ops", "runtime_report", "shutdown", "targets",
    # the simulator (simulator.py) and its plots (plot.py)
    "Configuration", "Model", "RuntimeConfig", "Signals", "TraceSpec", "construct", "plot",
    "simulate", "trace_to_signals",
]

# The NumPy types a becore tensor can hold (be::DType); anything else is refused before a call.
_DTYPES = {np.dtype(t) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                                 np.uint16, np.uint32, np.uint64, np.float16, np.float32,
                                 np.float64)}

# The call's own keywords, which therefore cannot name attrs.
_CALL_KEYWORDS = ("rets", "device")


def _load_options(include_dirs: Iterable[os.PathLike | str], flags: Iterable[str],
                 cuda_arch: str, replace: bool) -> dict[str, Any]:
    return {"replace": replace, "include_dirs": [Path(d) for d in include_dirs],
            "flags": list(flags), "cuda_arch": cuda_arch}


def load_file(path: os.PathLike | str, prefix: str = "", *, replace: bool = False,
              include_dirs: Iterable[os.PathLike | str] = (), flags: Iterable[str] = (),
              cuda_arch: str = "") -> list[dict]:
    """Loads one annotated ``.cpp`` or ``.cu`` file (compiling it unless the cache has it) under
    ``prefix`` (default: the file's stem); returns its load report, one dict in a list. A file
    that fails to compile raises CompileError with clang's or NVRTC's diagnostics."""
    return _becore.load_file(Path(path), prefix, _load_options(include_dirs, flags, cuda_arch,
                                                               replace))


def load_cuda_file(path: os.PathLike | str, target_prefix: str = "", **options) -> list[dict]:
    """The seed's name for shipping a ``.cu`` file beside a Python module::

        becore.load_cuda_file(Path(__file__).parent / "my_kernels.cu",
                              target_prefix="my_module.my_kernels")

    load_file under ``target_prefix``; without a GPU (or ``cuda_arch``) the targets still run
    in the CUDA emulation, ``call(..., device="cuda-emu")``."""
    path = Path(path)
    if path.suffix != ".cu":
        raise InvalidArgument(f"load_cuda_file({path}): not a .cu file")
    return load_file(path, target_prefix, **options)


def load_dir(path: os.PathLike | str, prefix: str, *, replace: bool = False,
             include_dirs: Iterable[os.PathLike | str] = (), flags: Iterable[str] = (),
             cuda_arch: str = "") -> list[dict]:
    """Loads every ``.cpp`` and ``.cu`` file of a directory under one prefix, in parallel; one
    report per file. The first file that fails raises (the others are loaded)."""
    return _becore.load_dir(Path(path), prefix, _load_options(include_dirs, flags, cuda_arch,
                                                              replace))


def _contiguous(a: Any, what: str) -> np.ndarray:
    array = np.asarray(a)
    if array.dtype not in _DTYPES:
        raise InvalidArgument(f"{what} has dtype {array.dtype}, which becore has no type for "
                              "(bool, int8..int64, uint8..uint64, float16, float32, float64)")
    # No copy when already C-contiguous (the kernel reads the caller's memory).
    return np.ascontiguousarray(array)


def _ret_array(spec: Any, what: str) -> np.ndarray:
    if isinstance(spec, np.ndarray):
        # Updated in place: a copy would lose the update, so a strided array is refused.
        if not (spec.flags.c_contiguous and spec.flags.writeable):
            raise InvalidArgument(f"{what} is an array updated in place and must be C-contiguous "
                                  "and writeable")
        if spec.dtype not in _DTYPES:
            raise InvalidArgument(f"{what} has dtype {spec.dtype}, which becore has no type for")
        return spec
    try:
        shape, dtype = spec
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)
        dtype = np.dtype(dtype)
    except (TypeError, ValueError) as e:
        raise InvalidArgument(f"{what} must be (shape, dtype) or a NumPy array, not {spec!r}") \
            from e
    if any(d < 0 for d in shape):
        raise InvalidArgument(f"{what} has a negative dimension: {shape}")
    if dtype not in _DTYPES:
        raise InvalidArgument(f"{what} has dtype {dtype}, which becore has no type for")
    return np.zeros(shape, dtype)  # rets start zero-filled, as with `kernelctl call`


def call(name: str, *args: Any, rets: Sequence[Any] | None = None, device: str = "cpu",
         **attrs: Any) -> list[np.ndarray]:
    """Calls the target ``name`` with the arrays ``args`` and returns its rets as new NumPy
    arrays (zero-filled before the call), in order.

    ``rets``: one ``(shape, dtype)`` per ret, or an existing C-contiguous array that the kernel
    updates in place (returned as is). For the built-in event and JITC targets (``ops()``) it may
    be left out: their shape rules give the rets from the args and attrs. ``attrs``: the target's
    scalar attrs by name (bool, int, float, NumPy scalars). C-contiguous args are passed without a
    copy; any other array (strided, Fortran-ordered, a list) is copied to a C-contiguous one
    first. ``device``: ``"cpu"``, or ``"cuda-emu"`` to run a ``.cu`` kernel in the CUDA
    emulation. The target's own checks (counts, dtypes, attrs; its BE_CHECKs on shapes) and, for
    the ops, the op table's shape rules raise InvalidArgument / KernelError with their message
    before the kernel runs.
    """
    arg_arrays = [_contiguous(a, f"call({name}): arg {i}") for i, a in enumerate(args)]
    if rets is None:
        rets = _becore.op_rets(name, arg_arrays, attrs)
    if isinstance(rets, tuple) and len(rets) == 2 and not isinstance(rets[0], np.ndarray) \
            and not isinstance(rets[1], (tuple, list, np.ndarray)):
        raise InvalidArgument(f"call({name}): rets is a list of (shape, dtype), e.g. "
                              f"rets=[{rets!r}]")
    ret_arrays = [_ret_array(r, f"call({name}): ret {i}") for i, r in enumerate(rets)]
    _becore.call(name, arg_arrays, ret_arrays, attrs, device)
    return ret_arrays


def ops() -> list[dict]:
    """The built-in event and JITC ops (the op table): target, format, op, encoding, dtype, and
    the args, rets (name, dtype, in place) and attrs (name, type) in call order."""
    return _becore.ops()


def targets(*, pending: bool = False) -> list[dict]:
    """The loaded targets: name, file, line, params (kind, name, dtype), devices, launch clause,
    load error. Built-ins (``be.*``) are loaded by need and listed once called; ``pending=True``
    loads every pending built-in first (the first time, that compiles them all)."""
    return _becore.targets(pending)


def cache_info() -> dict:
    """The process's kernel cache: directory (None in memory), persistent, writable, warning,
    max_size, stats (entries, bytes, hits, misses, compiles, ...) and the read-only layers."""
    return _becore.cache_info()


def runtime_report() -> dict:
    """becore's runtime report (devices, CPU target, CUDA and NVRTC status, versions, cache)
    plus the seed's keys: becore_version, numpy_version, python_version, jax_version (None
    without JAX), platform, available_devices, default_device."""
    report = _becore.runtime_report()
    jax = sys.modules.get("jax")
    if jax is None:
        try:
            import jax  # noqa: F401  (only its version is read)
        except ImportError:
            jax = None
    report.update({
        "becore_version": report["version"],
        "numpy_version": np.__version__,
        "python_version": _platform.python_version(),
        "jax_version": getattr(jax, "__version__", None),
        "package_dir": str(Path(__file__).parent),
        "home": str(_becore.home()),
    })
    return report


_log_sink: Callable[[str, str], None] | None = None


def configure(**settings: Any) -> None:
    """Changes the process's settings; the others keep theirs (``None`` unsets one: the
    environment decides again). ``cache_dir``, ``disk_cache`` (False: in memory only),
    ``cache_max_size`` (bytes), ``kernel_path`` (':'-separated files or directories) are read
    when the process registry is created (the first load or call), so changing them later
    raises InvalidArgument: call shutdown() first. ``log_level`` ("warn", "info", "debug"),
    ``log_sink`` (a callable ``(level, message)`` receiving becore's messages instead of
    stderr, from any thread), ``threads`` and ``cpu_target`` apply at once."""
    global _log_sink
    merged: dict[str, Any] = dict(_becore.configured())
    sink = settings.pop("log_sink", _log_sink)
    merged.update(settings)
    merged = {k: v for k, v in merged.items() if v is not None}
    if sink is not None:
        merged["log_sink"] = sink
    _becore.configure(merged)
    _log_sink = sink


def configured() -> dict:
    """The settings given to configure() (those unset are left to the environment)."""
    out = dict(_becore.configured())
    if _log_sink is not None:
        out["log_sink"] = _log_sink
    return out


def shutdown() -> None:
    """Destroys the process registry (kernels unloaded, cache statistics flushed) and returns the
    settings to the environment's; the next load or call starts afresh. Registered with atexit,
    so that becore lets go of a Python log sink while the interpreter still runs."""
    global _log_sink
    _becore.shutdown()
    _log_sink = None


atexit.register(shutdown)
