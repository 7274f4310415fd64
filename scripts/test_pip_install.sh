#!/usr/bin/env bash
# `pip install .` into a fresh virtual environment, then the installed package used from outside
# the repository: it finds its files relative to itself (runtime_report's home is the package),
# calls a built-in (compiled from the installed kernels into a fresh cache) and a kernel file.
# Not part of scripts/test.sh (it compiles the C++ libraries once more: docs/python.md gives the
# cost); CMAKE_CXX_COMPILER_LAUNCHER=ccache in the environment makes a repeated run cheap.
# usage: test_pip_install.sh [WORK_DIR]   (default: a temp dir, removed afterwards)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=${1:-}
if [ -z "$work" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/becore-pip.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
/usr/bin/python3 -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install -q --disable-pip-version-check "nanobind>=2.0" "scikit-build-core>=0.10" numpy
start=$(date +%s)
"$py" -m pip install -q --disable-pip-version-check --no-build-isolation "$repo"
echo "pip install: $(( $(date +%s) - start )) s"
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
print("installed package works:", package)
PY
