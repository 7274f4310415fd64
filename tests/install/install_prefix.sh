#!/usr/bin/env bash
# Installs a becore build into a prefix and checks the installed layout:
#
#   install_prefix.sh BUILD_DIR PREFIX
#
# Runs `cmake --install BUILD_DIR --prefix PREFIX` (with the warm step when the build has
# BECORE_INSTALL_WARM_CACHE=ON) and fails naming the first file missing from PREFIX, a warmed
# cache others could write, or an installed file that names the build tree or PREFIX by its
# absolute path (a prefix that could not move). Prints the seconds the install took and, last,
# "libdir=<dir> datadir=<dir>" (relative to PREFIX). Shared by the install tests
# (tests/install/CMakeLists.txt).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR PREFIX" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
prefix=$2
case "$prefix" in /*) ;; *) prefix="$PWD/$prefix" ;; esac
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# A built-in that an older version installed and this one no longer has (jitc.cpp before its
# split): the install must remove it, or loading the built-ins would define its targets twice.
stale="share/becore/kernels/builtin/stale_removed_builtin.cpp"
mkdir -p "$prefix/$(dirname "$stale")"
printf '// from an older install\n' >"$prefix/$stale"
started=$(date +%s)
cmake --install "$build" --prefix "$prefix" >"$prefix.install.log" 2>&1 || {
  cat "$prefix.install.log" >&2
  fail "cmake --install $build --prefix $prefix failed"
}
echo "install: $(($(date +%s) - started)) s (cmake --install $build --prefix $prefix)"
grep "becore: " "$prefix.install.log" || true

# The layout's directories as installed (lib or lib/<multiarch>; share), from the files that
# mark them.
relative_dir_of() {
  local found
  found=$(cd "$prefix" && find . -path "./*$1" | head -1)
  [ -n "$found" ] || fail "no $1 below $prefix"
  found=${found#./}
  echo "${found%/$1}"
}
libdir=$(relative_dir_of libbecore_runtime.so)
datadir=$(relative_dir_of becore/kernels/include/be/be.h)

expected=(
  bin/kernelctl bin/besim
  include/becore/runtime/paths.h include/becore/cache/kernel_cache.h
  include/becore/registry/registry.h include/becore/frontends/simulator.h
  "$libdir"/libbecore_runtime.so "$libdir"/libbecore_cache.so "$libdir"/libbecore_registry.so
  "$libdir"/libbecore_frontends.so
  "$libdir"/becore/libbecore_clang_plugin.so "$libdir"/becore/liborc_rt.a
  "$libdir"/cmake/becore/becoreConfig.cmake "$libdir"/cmake/becore/becoreConfigVersion.cmake
  "$libdir"/cmake/becore/becoreTargets.cmake "$libdir"/pkgconfig/becore.pc
  "$datadir"/becore/kernels/include/be/be.h "$datadir"/becore/kernels/include/be/tensor.h
  "$datadir"/becore/kernels/builtin/kuramoto.cpp "$datadir"/becore/kernels/builtin/kuramoto.cu
)
[ "$datadir" != share ] || [ ! -e "$prefix/$stale" ] || fail "$prefix/$stale (not a built-in any more) survived the install"
for f in "${expected[@]}"; do
  [ -e "$prefix/$f" ] || fail "$prefix/$f was not installed"
done

if grep -qx 'BECORE_INSTALL_WARM_CACHE:BOOL=ON' "$build/CMakeCache.txt"; then
  cache="$prefix/$datadir/becore/cache"
  compgen -G "$cache/v*/index.sqlite3" >/dev/null || fail "no warmed cache index in $cache"
  blobs=$(find "$cache" -type f ! -name 'index.sqlite3*' | wc -l)
  [ "$blobs" -gt 0 ] || fail "the warmed cache $cache holds no entries"
  # The trust rule for read-only layers (docs/cache.md): writable by the owner alone.
  others_write=$(find "$cache" -perm /022 | head -3)
  [ -z "$others_write" ] || fail "writable by group or others in the warmed cache: $others_write"
  unreadable=$(find "$cache" ! -perm -004 | head -3)
  [ -z "$unreadable" ] || fail "not readable by others in the warmed cache: $unreadable"
  echo "warmed cache: $blobs files, $(du -sh "$cache" | cut -f1)"
fi

# Relocatable: no installed text file (CMake package, becore.pc) and no RUNPATH names the build
# tree or the prefix. (Debug information keeps source paths; the cache's blobs are checked by
# running from a moved copy.)
for where in "$build" "$prefix"; do
  named=$(grep -rlIF "$where" "$prefix" | head -3 || true)
  [ -z "$named" ] || fail "installed files name $where: $named"
done
while IFS= read -r -d '' f; do
  runpath=$(readelf -d "$f" 2>/dev/null | grep -E 'R(UN)?PATH' || true)
  case "$runpath" in
    *"$build"* | *"$prefix"*) fail "$f: absolute RUNPATH: $runpath" ;;
  esac
done < <(find "$prefix/bin" "$prefix/$libdir" -type f \( -name '*.so*' -o -perm -100 \) -print0)
echo "libdir=$libdir datadir=$datadir"
