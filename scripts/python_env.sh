#!/usr/bin/env bash
# Creates (once) the Python virtual environment the build and the tests use: Debian's python3
# (3.11, with python3-venv and python3-dev from scripts/deps.sh) and, from PyPI, what the
# extension is built with (nanobind, scikit-build-core; jax[cpu] for the FFI headers of
# becore.jax) and what its tests run with (NumPy, pytest, JAX). An existing DIR without jax gets
# it added. usage: python_env.sh DIR; prints nothing more when DIR already has them all.
set -euo pipefail
venv=${1:?usage: python_env.sh DIR}
packages=("nanobind>=2.0" "scikit-build-core>=0.10" "numpy>=1.24" "pytest>=7" "jax[cpu]>=0.5")
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import nanobind, scikit_build_core, numpy, pytest, jax" 2>/dev/null; then
  echo "python_env: installing ${packages[*]} into $venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "${packages[@]}"
fi
