#!/usr/bin/env bash
# The whole test suite from a fresh Debian 12 machine: install, build, run every test; then the
# suite again under ASan + UBSan with the fuzzers (scripts/test_sanitize.sh;
# BECORE_SANITIZE_TESTS=0 skips that stage for a quick local run, CI always runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
build_dir=${BUILD_DIR:-build}
# The Python package and its pytest suite are built and run with the rest (ctest Python.pytest).
bash scripts/python_env.sh "$build_dir/python-venv"
BECORE_PYTHON_EXECUTABLE="$PWD/$build_dir/python-venv/bin/python" bash scripts/build.sh
(cd "$build_dir" && ctest --output-on-failure -j "$(nproc)" --timeout 600)
if [ "${BECORE_SANITIZE_TESTS:-1}" != 0 ]; then
  started=$(date +%s)
  bash scripts/test_sanitize.sh
  echo "sanitizer stage: $(($(date +%s) - started)) s"
fi
