#!/usr/bin/env bash
# The whole test suite from a fresh Debian 12 machine: install, build, run every test; then
# `pip install .` into a fresh venv (scripts/test_pip_install.sh); then the suite again under
# ASan + UBSan with the fuzzers (scripts/test_sanitize.sh). BECORE_PIP_TEST=0 and
# BECORE_SANITIZE_TESTS=0 skip those two stages for a quick local run; CI always runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
build_dir=${BUILD_DIR:-build}
build_path=$build_dir
[[ $build_path = /* ]] || build_path=$PWD/$build_dir
# The build goes through ccache (its cache inside the build directory unless CCACHE_DIR says
# otherwise) so that the pip stage, which compiles the same libraries in its own tree, takes
# their objects from it: paths relative to the repository, the working directory left out of
# the hash (it only differs in the debug info's compilation directory).
export CCACHE_DIR=${CCACHE_DIR:-$build_path/ccache} CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache
# The Python package and its pytest suite are built and run with the rest (ctest Python.pytest).
bash scripts/python_env.sh "$build_dir/python-venv"
BECORE_PYTHON_EXECUTABLE="$PWD/$build_dir/python-venv/bin/python" bash scripts/build.sh
(cd "$build_dir" && ctest --output-on-failure -j "$(nproc)" --timeout 600)
if [ "${BECORE_PIP_TEST:-1}" != 0 ]; then
  # The compilers and build type of the build above (scikit-build-core would otherwise take
  # Python's idea of the compiler, x86_64-linux-gnu-g++, whose objects ccache keeps apart).
  cached() { sed -n "s/^$1:[A-Z]*=//p" "$build_dir/CMakeCache.txt"; }
  CC=$(cached CMAKE_C_COMPILER) CXX=$(cached CMAKE_CXX_COMPILER) bash scripts/test_pip_install.sh \
    --build-type "$(cached CMAKE_BUILD_TYPE)" --build-dir "$build_dir-pip"
fi
unset CMAKE_CXX_COMPILER_LAUNCHER CMAKE_C_COMPILER_LAUNCHER
if [ "${BECORE_SANITIZE_TESTS:-1}" != 0 ]; then
  started=$(date +%s)
  bash scripts/test_sanitize.sh
  echo "sanitizer stage: $(($(date +%s) - started)) s"
fi
