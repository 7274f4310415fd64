#!/usr/bin/env bash
# Install.Downstream: a library shipping kernel files (examples/downstream, becore_add_kernels
# ... WARM) built and installed against an installed becore, then run from elsewhere:
#   - copies the installed becore prefix (INSTALLED, the install fixture's) to <tmp>/a;
#   - configures examples/downstream with CMAKE_PREFIX_PATH=<tmp>/a, builds it, and runs
#     downstream_demo from its build tree (the staged kernels, compiled into a fresh cache);
#   - installs it into <tmp>/a (the WARM step compiles its kernels into the becore-cache layer)
#     and checks the layout, the layer's permissions, and that no installed file of it names
#     <tmp>/a;
#   - runs <tmp>/a/bin/downstream_demo from another working directory with an empty user cache:
#     its results are right and, by the demo's report and by `kernelctl stats --json` on that
#     cache, nothing was compiled;
#   - moves the prefix to <tmp>/b and runs it again the same way;
#   - removes one installed kernel file: the demo fails, naming the file and the library.
#
#   test_downstream.sh SOURCE_DIR INSTALLED
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 SOURCE_DIR INSTALLED" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
installed=$(cd "$2" && pwd)
work=$(cd "$(mktemp -d "${TMPDIR:-/tmp}/becore-downstream.XXXXXX")" && pwd -P)
trap 'rm -rf "$work"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
unset BECORE_HOME BECORE_SYSTEM_CACHE BECORE_CACHE BECORE_KERNEL_PATH BECORE_CACHE_SALT \
  XDG_CACHE_HOME LD_LIBRARY_PATH
started=$(date +%s)

cp -a "$installed" "$work/a"
# A GPU runs affine.cu as CUDA: warm its binary for that GPU's architecture too.
archs=""
if command -v nvidia-smi >/dev/null && cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1) && [ -n "$cap" ]; then
  archs="sm_${cap/./}"
fi
cmake -S "$src/examples/downstream" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$work/a" -DCMAKE_INSTALL_PREFIX="$work/a" \
  -DDOWNSTREAM_CUDA_ARCHS="$archs" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log" >&2; fail "configuring examples/downstream against $work/a"; }
cmake --build "$work/build" -j2 >"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; fail "building examples/downstream"; }
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:[A-Z]*=//p' "$work/build/CMakeCache.txt")
datadir=$(sed -n 's/^CMAKE_INSTALL_DATAROOTDIR:[A-Z]*=//p' "$work/build/CMakeCache.txt") # DATADIR defaults to it

# demo_ok OUTPUT_FILE: the demo's results were right.
demo_ok() {
  grep -qx 'window_sum (cpu): ok' "$1" && grep -Eqx 'affine \((cuda|cuda-emu)\): ok' "$1" ||
    { cat "$1" >&2; fail "downstream_demo's results are wrong"; }
}
mkdir -p "$work/elsewhere"
cd "$work/elsewhere"

# The build tree: the kernels staged beside the library, compiled on this first run.
BECORE_CACHE_DIR="$work/cache-build" "$work/build/downstream_demo" >"$work/run-build.out" 2>&1 ||
  { cat "$work/run-build.out" >&2; fail "downstream_demo from the build tree failed"; }
demo_ok "$work/run-build.out"
grep -q "becore_kernels/downstream_kernels/kernels/window_sum.cpp: compiled" "$work/run-build.out" ||
  { cat "$work/run-build.out" >&2; fail "the build tree's run did not load the staged window_sum.cpp"; }

cmake --install "$work/build" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "cmake --install of examples/downstream (WARM) failed"; }
for f in bin/downstream_demo "$libdir"/libdownstream_kernels.so \
  "$libdir"/libdownstream_kernels.so.becore-kernels \
  "$datadir"/downstream_kernels/kernels/window_sum.cpp \
  "$datadir"/downstream_kernels/kernels/affine.cu \
  "$datadir"/downstream_kernels/becore-cache/v1/index.sqlite3; do
  [ -e "$work/a/$f" ] || fail "$work/a/$f was not installed"
done
layer="$work/a/$datadir/downstream_kernels/becore-cache"
others_write=$(find "$layer" -perm /022 | head -3)
[ -z "$others_write" ] || fail "writable by group or others in the warmed layer: $others_write"
unreadable=$(find "$layer" ! -perm -004 | head -3)
[ -z "$unreadable" ] || fail "not readable by others in the warmed layer: $unreadable"
named=$(grep -lIF "$work/a" "$work/a/$libdir"/libdownstream_kernels.so.becore-kernels || true)
[ -z "$named" ] || fail "the installed manifest names the prefix by its absolute path: $named"

# run PREFIX NAME: the installed demo from elsewhere with an empty user cache; nothing compiled.
run() {
  local cache="$work/cache-$2" out="$work/run-$2.out"
  BECORE_CACHE_DIR="$cache" "$1/bin/downstream_demo" >"$out" 2>&1 ||
    { cat "$out" >&2; fail "$1/bin/downstream_demo ($2) failed"; }
  cat "$out"
  demo_ok "$out"
  grep -q "$1/$datadir/downstream_kernels/kernels/window_sum.cpp: cache hit" "$out" ||
    fail "$2: window_sum.cpp was not a cache hit from $1"
  grep -q ' 0 compiles$' "$out" || fail "$2: the demo compiled kernels (see above)"
  local stats
  stats=$(BECORE_CACHE_DIR="$cache" "$1/bin/kernelctl" stats --json)
  echo "$stats" | grep -Eq '"compiles": ?0([^0-9]|$)' && echo "$stats" | grep -Eq '"entries": ?0([^0-9]|$)' ||
    fail "$2: the user cache shows compiles: $stats"
}
run "$work/a" installed
mv "$work/a" "$work/b"
run "$work/b" moved

# A kernel file missing from the install: an error naming it and the library.
rm "$work/b/$datadir/downstream_kernels/kernels/affine.cu"
if BECORE_CACHE_DIR="$work/cache-missing" "$work/b/bin/downstream_demo" >"$work/run-missing.out" 2>&1; then
  fail "downstream_demo ran without affine.cu"
fi
grep -q "kernel file $work/b/$datadir/downstream_kernels/kernels/affine.cu of library 'downstream_kernels' is missing" \
  "$work/run-missing.out" || { cat "$work/run-missing.out" >&2; fail "the missing file's error"; }

echo "Install.Downstream: $(($(date +%s) - started)) s"
