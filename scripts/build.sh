#!/usr/bin/env bash
# Configures and builds becore into ${BUILD_DIR:-build}; with BECORE_PYTHON_EXECUTABLE (a Python
# that has nanobind), the Python extension too.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  ${BECORE_PYTHON_EXECUTABLE:+"-DPython_EXECUTABLE=$BECORE_PYTHON_EXECUTABLE" -DBECORE_PYTHON=ON}
cmake --build "$build_dir" -j "$(nproc)"
