#!/usr/bin/env bash
# `pip install .` into a fresh virtual environment (pip's build isolation fetches scikit-build-core
# and nanobind, as for any user), then the installed package used from outside the repository: it
# finds its files relative to itself (runtime_report's home is the package), calls a built-in
# (compiled from the installed kernels into a fresh cache) and a kernel file, from NumPy and, with
# the extra "jax", under jax.jit through the XLA FFI handler.
#
# The build compiles the C++ libraries once more (docs/python.md gives the cost). scripts/test.sh
# (CI) runs it after the normal build with that build's compiler cache (ccache, in the
# environment as CMAKE_CXX_COMPILER_LAUNCHER) and its build type, so the libraries' objects come
# from the cache and only the extension is compiled anew.
# usage: test_pip_install.sh [--build-type TYPE] [--build-dir DIR] [WORK_DIR]
#   --build-type  CMAKE_BUILD_TYPE for the package (default: pyproject.toml's, Release)
#   --build-dir   scikit-build-core's build directory (default: a temp dir of pip's)
#   WORK_DIR      the venv and the cache (default: a temp dir, removed afterwards)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
settings=()
work=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build-type | --build-dir)
      if [ $# -lt 2 ] || [ -z "$2" ]; then
        echo "test_pip_install.sh: $1 needs a value (see --help)" >&2
        exit 2
      fi ;;
  esac
  case "$1" in
    --build-type) settings+=("--config-settings=cmake.build-type=$2"); shift 2 ;;
    --build-dir) settings+=("--config-settings=build-dir=$2"); shift 2 ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "test_pip_install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) work=$1; shift ;;
  esac
done
if [ -z "$work" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/becore-pip.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
/usr/bin/python3 -m venv "$work/venv"
py="$work/venv/bin/python"
start=$(date +%s)
# Unix Makefiles, as scripts/build.sh: scikit-build-core would pick Ninja where it is installed,
# and the compiler cache only answers for the same command lines. PYTHONCOERCECLOCALE=0: in the C
# locale (CI's bare environment) Python would export LC_CTYPE=C.UTF-8 to the compilers it starts
# (PEP 538), and ccache keys on the locale variables, so no object of the build before would match
# (Python still reads UTF-8 there: PEP 540's UTF-8 mode).
PYTHONCOERCECLOCALE=0 CMAKE_GENERATOR=${CMAKE_GENERATOR:-Unix Makefiles} \
  "$py" -m pip install -q --disable-pip-version-check ${settings[@]+"${settings[@]}"} "$repo[jax]"
echo "pip install: $(($(date +%s) - start)) s"
cd "$work"
BECORE_CACHE_DIR="$work/cache" "$py" - "$repo" <<'PY'
import sys
from pathlib import Path

import numpy as np

import becore

repo = Path(sys.argv[1])
package = Path(becore.__file__).parent
assert package.parent.name == "site-packages", package
report = becore.runtime_report()
assert Path(report["home"]) == package, (report["home"], package)
assert (package / "share/becore/kernels/include/be/tensor.h").is_file()
assert (package / "lib/becore/libbecore_clang_plugin.so").is_file()
becore.load_file(repo / "examples/kernels/scale.cpp")
x = np.arange(5, dtype=np.float64)
(y,) = becore.call("scale.scale_f64", x, rets=[(5, np.float64)], alpha=3.0)
assert np.array_equal(y, 3 * x), y
w = np.arange(6, dtype=np.float64).reshape(2, 3)
(dense,) = becore.call("be.dense_todense_f64", w, rets=[((3, 2), np.float64)], transpose=True)
assert np.array_equal(dense, w.T), dense
import jax
import jax.numpy as jnp

import becore.jax as bj

assert (package / "jax" / "__init__.py").is_file()
twice = jax.jit(lambda v: bj.call("scale.scale_f32", v, alpha=2.0,
                                  result_shape_dtypes=jax.ShapeDtypeStruct(v.shape, v.dtype)))
v = jnp.arange(4, dtype=jnp.float32)
assert np.array_equal(np.asarray(twice(v)), 2 * np.arange(4, dtype=np.float32))
print("installed package works, with becore.jax:", package)
PY
