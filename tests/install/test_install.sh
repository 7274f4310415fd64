#!/usr/bin/env bash
# Install.RelocatablePrefix: copies the installed prefix INSTALLED (the fixture Install.Prefix
# installed it with install_prefix.sh: the warm step and the layout) to <tmp>/a, then, from
# another working directory and with an empty user cache each time:
#   - runs the installed besim (a Kuramoto solve, a short spiking network) and checks with the
#     installed `kernelctl stats --json` that nothing was compiled: every kernel came from the
#     install's warmed cache layer;
#   - moves the prefix to <tmp>/b and runs them again;
#   - builds a program against the moved prefix with find_package(becore) and with
#     `pkg-config becore`, and runs both (same output, home = the moved prefix, nothing compiled).
#
#   test_install.sh SOURCE_DIR INSTALLED
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 SOURCE_DIR INSTALLED" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
installed=$(cd "$2" && pwd)
here="$src/tests/install"
work=$(cd "$(mktemp -d "${TMPDIR:-/tmp}/becore-install.XXXXXX")" && pwd -P)
trap 'rm -rf "$work"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# Nothing of the caller's (or of ctest's) environment may point into the build or a cache.
unset BECORE_HOME BECORE_SYSTEM_CACHE BECORE_CACHE XDG_CACHE_HOME LD_LIBRARY_PATH
started=$(date +%s)

cp -a "$installed" "$work/a"
eval "$(tail -1 "$installed.out")" # libdir=... datadir=... (install_prefix.sh's last line)
mkdir -p "$work/elsewhere"
cd "$work/elsewhere"

# A JSON number or string field of kernelctl's one-line-per-field output.
json_field() { sed -n "s/^ *\"$1\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" <<<"$2" | head -1; }

# check_nothing_compiled PREFIX USER_CACHE WHAT: the user cache's counters after WHAT ran.
check_nothing_compiled() {
  local stats
  stats=$(BECORE_CACHE_DIR="$2" "$1/bin/kernelctl" stats --json) || fail "kernelctl stats: $stats"
  local compiles misses hits
  compiles=$(json_field compiles "$stats")
  misses=$(json_field misses "$stats")
  hits=$(json_field hits "$stats")
  [ "$compiles" = 0 ] && [ "$misses" = 0 ] && [ "${hits:-0}" -gt 0 ] ||
    fail "$3 with an empty user cache: $compiles compiles, $misses misses, $hits hits" \
      "(expected every kernel from $1/$datadir/becore/cache):"$'\n'"$stats"
  grep -qF "\"directory\": \"$1/$datadir/becore/cache\"" <<<"$stats" ||
    fail "$3: the install's cache layer is not $1/$datadir/becore/cache:"$'\n'"$stats"
  echo "$3: $hits cache hits, 0 compiles"
}

# run_besim PREFIX NAME: the installed besim, from elsewhere, on an empty user cache.
run_besim() {
  local cache="$work/usercache-$2"
  BECORE_CACHE_DIR="$cache" "$1/bin/besim" kuramoto --n 64 --steps 20 --dt 0.01 --seed 1 \
    --out "$work/out-$2/kuramoto" >"$work/besim-$2.log" 2>&1 ||
    fail "besim kuramoto from $1: $(cat "$work/besim-$2.log")"
  BECORE_CACHE_DIR="$cache" "$1/bin/besim" run --preset coba --duration-ms 5 --quiet \
    --out "$work/out-$2/coba" >>"$work/besim-$2.log" 2>&1 ||
    fail "besim run --preset coba from $1: $(cat "$work/besim-$2.log")"
  check_nothing_compiled "$1" "$cache" "besim from $1"
}

run_besim "$work/a" a
mv "$work/a" "$work/b"
run_besim "$work/b" b

# A consumer built against the moved prefix, with CMake and with pkg-config.
cmake -S "$here/consumer" -B "$work/consumer-cmake" -DCMAKE_PREFIX_PATH="$work/b" \
  >"$work/consumer.log" 2>&1 && cmake --build "$work/consumer-cmake" >>"$work/consumer.log" 2>&1 ||
  fail "find_package(becore) consumer: $(cat "$work/consumer.log")"
command -v pkg-config >/dev/null || fail "pkg-config not found (scripts/deps.sh installs it)"
export PKG_CONFIG_PATH="$work/b/$libdir/pkgconfig"
pc_libdir=$(pkg-config --variable=libdir becore)
[ "$(cd "$pc_libdir" && pwd -P)" = "$(cd "$work/b/$libdir" && pwd -P)" ] ||
  fail "becore.pc: libdir $pc_libdir is not $work/b/$libdir"
# shellcheck disable=SC2046 # the flags are words
c++ -o "$work/consumer-pc" "$here/consumer/main.cpp" $(pkg-config --cflags --libs becore) \
  -Wl,-rpath,"$pc_libdir" >>"$work/consumer.log" 2>&1 ||
  fail "pkg-config consumer: $(cat "$work/consumer.log")"
for consumer in "$work/consumer-cmake/consumer" "$work/consumer-pc"; do
  name=$(basename "$consumer")
  BECORE_CACHE_DIR="$work/usercache-$name" "$consumer" >"$work/$name.out" 2>&1 ||
    fail "$consumer: $(cat "$work/$name.out")"
  check_nothing_compiled "$work/b" "$work/usercache-$name" "$name"
done
grep -qxF "home $work/b" "$work/consumer.out" || fail "consumer: home is not $work/b: $(cat "$work/consumer.out")"
cmp -s "$work/consumer.out" "$work/consumer-pc.out" ||
  fail "the CMake and pkg-config consumers differ: $(cat "$work/consumer.out" "$work/consumer-pc.out")"
echo "Install.RelocatablePrefix: passed in $(($(date +%s) - started)) s"
