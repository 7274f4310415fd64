#!/usr/bin/env bash
# Runs the code blocks of README.md as written, so the README cannot drift from the code.
#
#   test_readme.sh BIN_DIR SOURCE_DIR MODE [WARM_CACHE] [CXX_FILE]
#
# BIN_DIR holds kernelctl and besim; SOURCE_DIR is the repository (README.md, examples/).
# BECORE_README=<file> tests another file instead of SOURCE_DIR/README.md (to see the test fail).
#
# Fenced blocks, by language tag:
#   ```cpp   with a `// @BE` line: a kernel file, written to a temp dir as .cu when it contains
#            __global__, else .cpp; `kernelctl targets` must parse it and `kernelctl build`
#            compile it (.cu: `kernelctl build --device cuda-emu`, the CUDA emulation).  MODE kernels
#   ```cpp   without `// @BE`: host code using becore's C++ API. Each block becomes the body of
#            one function (its #include lines go to the top of the file), all blocks one program
#            compiled against the build tree (CXX_FILE, written by tests/docs/CMakeLists.txt) and
#            run; compiler errors name README.md's lines.                              MODE cpp
#   ```sh    shell commands, run with `bash -euo pipefail`, in order, in one work directory
#            holding a copy of examples/, with BIN_DIR first on PATH.                 MODE shell
#   ```python  Python using the package becore, each block a script run in order with
#            $BECORE_README_PYTHON (its PYTHONPATH finding the build's package) in one work
#            directory holding a copy of examples/.                                     MODE python
#   ```text  synopses, diagrams, output: not run.
# A block right after a line `<!-- readme-test: skip -->` is not run (e.g. the quick start, which
# installs packages and builds). A fence with any other tag, or none, is an error: tag it.
#
# Caches: every mode uses a fresh temp cache (BECORE_CACHE_DIR). The cpp and shell modes, which
# call the built-in kernels, read WARM_CACHE (the suite's cache, warmed by the BuiltinCacheWarm
# fixture) as a read-only layer (BECORE_SYSTEM_CACHE), so they never compile the built-ins cold.
set -uo pipefail

if [ $# -lt 3 ]; then
  echo "usage: $0 BIN_DIR SOURCE_DIR kernels|cpp|shell|python [WARM_CACHE] [CXX_FILE]" >&2
  exit 2
fi
bin_dir=$(cd "$1" && pwd)
src_dir=$(cd "$2" && pwd)
mode=$3
warm_cache=${4:-}
cxx_file=${5:-}
readme=${BECORE_README:-$src_dir/README.md}

work=$(mktemp -d "${TMPDIR:-/tmp}/becore-readme.XXXXXX")
trap 'rm -rf "$work"' EXIT
export BECORE_CACHE_DIR="$work/cache"
export PATH="$bin_dir:$PATH"
if [ -n "$warm_cache" ] && [ -d "$warm_cache" ]; then
  export BECORE_SYSTEM_CACHE="$warm_cache"
fi

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# Split the README into $work/blocks/<n>: line 1 of the index file $work/blocks/index holds
# "<n> <lang> <first body line> <skip>" per block.
mkdir -p "$work/blocks"
awk -v dir="$work/blocks" '
  /^<!-- readme-test: skip -->[[:space:]]*$/ { skip_next = 1; next }
  !inside && /^```/ {
    lang = substr($0, 4); sub(/[[:space:]]+$/, "", lang)
    inside = 1; n++; file = dir "/" n
    printf "" > file
    print n, (lang == "" ? "-" : lang), NR + 1, skip_next > (dir "/index")
    skip_next = 0; next
  }
  inside && /^```[[:space:]]*$/ { inside = 0; close(file); next }
  inside { print > file; next }
  /[^[:space:]]/ { skip_next = 0 }
  END { if (inside) { print "unterminated fence" > "/dev/stderr"; exit 1 } }
' "$readme" || { echo "FAIL: cannot parse $readme" >&2; exit 1; }
[ -f "$work/blocks/index" ] || { echo "FAIL: no code blocks in $readme" >&2; exit 1; }

is_kernel() { grep -q '^[[:space:]]*//[[:space:]]*@BE' "$1"; }
# Rewrites "<file>:<k>" in kernelctl's messages as "README.md:<line + k - 1>".
to_readme_lines() {
  awk -v file="$1" -v first="$2" '{
    out = ""
    while ((i = index($0, file ":")) > 0) {
      rest = substr($0, i + length(file) + 1)
      if (match(rest, /^[0-9]+/)) {
        out = out substr($0, 1, i - 1) "README.md:" (first + substr(rest, 1, RLENGTH) - 1)
        $0 = substr(rest, RLENGTH + 1)
      } else {
        out = out substr($0, 1, i + length(file)); $0 = rest
      }
    }
    print out $0
  }'
}

# Runs a block ("$@": the interpreter and the block) in $work/<kind>, which holds a copy of
# examples/, printing its output; the shell blocks' commands are printed first.
run_in_copy() {
  local kind=$1 where=$2 out
  shift 2
  mkdir -p "$work/$kind"
  [ -d "$work/$kind/examples" ] || cp -r "$src_dir/examples" "$work/$kind/examples"
  ran=$((ran + 1))
  echo "== $where: $kind block"
  [ "$kind" = shell ] && sed 's/^/   $ /' "${@: -1}"
  if ! out=$(cd "$work/$kind" && "$@" 2>&1); then
    fail "$where: the $kind block fails:"
    echo "$out" >&2
    return
  fi
  echo "$out"
}

ran=0
declare -a host_blocks=()
while read -r n lang line skip; do
  block="$work/blocks/$n"
  where="README.md:$line"
  if [ "$skip" = 1 ]; then continue; fi
  case "$lang" in
  cpp)
    if is_kernel "$block"; then
      [ "$mode" = kernels ] || continue
      ext=cpp
      grep -q '__global__' "$block" && ext=cu
      file="$work/kernels/readme_$line.$ext"
      mkdir -p "$work/kernels"
      cp "$block" "$file"
      ran=$((ran + 1))
      echo "== $where: kernel block ($ext)"
      if ! out=$(kernelctl targets "$file" 2>&1); then
        fail "$where: kernelctl targets rejects the block:"
        echo "$out" | to_readme_lines "$file" "$line" >&2
        continue
      fi
      echo "$out"
      build=(kernelctl build "$file")
      [ "$ext" = cu ] && build=(kernelctl build --device cuda-emu "$file")
      if ! out=$("${build[@]}" 2>&1); then
        fail "$where: ${build[*]} fails:"
        echo "$out" | to_readme_lines "$file" "$line" >&2
        continue
      fi
      echo "$out"
    else
      [ "$mode" = cpp ] && host_blocks+=("$n:$line")
    fi
    ;;
  sh)
    [ "$mode" = shell ] || continue
    run_in_copy shell "$where" bash -euo pipefail "$block"
    ;;
  python)
    [ "$mode" = python ] || continue
    run_in_copy python "$where" "${BECORE_README_PYTHON:?the python mode needs BECORE_README_PYTHON}" "$block"
    ;;
  text) ;;
  *)
    fail "$where: a fence tagged '$lang': tag it cpp, sh, python or text, or put <!-- readme-test: skip --> before it"
    ;;
  esac
done <"$work/blocks/index"

# All host blocks make one program: block_<line>() per block, main() runs them in order.
if [ "$mode" = cpp ] && [ ${#host_blocks[@]} -gt 0 ]; then
  [ -n "$cxx_file" ] && [ -f "$cxx_file" ] || { echo "FAIL: no compiler description ($cxx_file)" >&2; exit 1; }
  cxx=""
  declare -a flags=(-std=c++20 -O0 -pthread) libs=()
  while read -r kind value; do
    case "$kind" in
    CXX) cxx=$value ;;
    F) flags+=("$value") ;;
    I) [ -n "$value" ] && [ "$value" != /usr/include ] && flags+=("-I$value") ;;
    L) libs+=("$value") ;;
    R) libs+=("-Wl,-rpath,$value") ;;
    esac
  done <"$cxx_file"
  program="$work/readme_blocks.cpp"
  {
    echo "// Generated from README.md by tests/docs/test_readme.sh."
    for entry in "${host_blocks[@]}"; do grep -h '^[[:space:]]*#include' "$work/blocks/${entry%%:*}"; done | sort -u
    echo "#include <cstdio>"
    echo "#include <exception>"
    for entry in "${host_blocks[@]}"; do
      n=${entry%%:*} line=${entry#*:}
      echo "static void block_$line() {"
      echo "#line $line \"README.md\""
      sed 's/^[[:space:]]*#include.*$//' "$work/blocks/$n"
      echo "}"
    done
    echo "int main() {"
    echo "    int failed = 0;"
    for entry in "${host_blocks[@]}"; do
      line=${entry#*:}
      echo "    try { block_$line(); std::printf(\"README.md:$line: ok\\n\"); }"
      echo "    catch (const std::exception& e) { std::fprintf(stderr, \"README.md:$line: %s\\n\", e.what()); failed = 1; }"
    done
    echo "    return failed;"
    echo "}"
  } >"$program"
  ran=$((ran + ${#host_blocks[@]}))
  echo "== compiling the ${#host_blocks[@]} C++ blocks as one program"
  if ! "$cxx" "${flags[@]}" -o "$work/readme_blocks" "$program" "${libs[@]}" 2>&1; then
    fail "the C++ blocks do not compile (the messages above name README.md's lines)"
  else
    mkdir -p "$work/cpp"
    cp -r "$src_dir/examples" "$work/cpp/examples"
    if ! (cd "$work/cpp" && "$work/readme_blocks"); then
      fail "a C++ block failed (see README.md:<line> above)"
    fi
  fi
fi

if [ "$failures" -gt 0 ]; then
  echo "$failures README block(s) failed in mode $mode" >&2
  exit 1
fi
if [ "$ran" -eq 0 ]; then
  echo "FAIL: no README block ran in mode $mode" >&2
  exit 1
fi
echo "README: $ran block(s) ran in mode $mode"
