#!/usr/bin/env bash
# Installs becore's build, test and main-job dependencies on Debian 12 (apt, without
# recommended packages, so that every package needed is named here). Does nothing when they are
# all present already. `deps.sh --list` prints the packages, one a line, and installs nothing:
# the Deps test (tests/deps) checks that every file the CMake configure step took from the
# system belongs to one of them or to a package they hard-depend on.
set -euo pipefail
packages=(
  cmake make g++                            # the build
  llvm-16-dev libclang-16-dev clang-16      # in-process clang, ORC (LLVM pinned to 16)
  libclang-rt-16-dev                        # liborc_rt-x86_64.a, the ORC runtime (static ctors in JIT code);
                                            # libclang_rt.fuzzer, what BECORE_FUZZ's -fsanitize=fuzzer links
  zlib1g-dev                                # LLVM's static libraries link ZLIB::ZLIB; no listed package depends on it
  libtbb-dev libsqlite3-dev libxxhash-dev   # kernels' threads, the cache index, cache keys
  libcli11-dev nlohmann-json3-dev           # kernelctl, besim
  libtomlplusplus-dev                       # the simulator's TOML configurations (besim run)
  googletest libgtest-dev                   # tests
  pkg-config                                # tests/install: a program built with `pkg-config becore`
  python3-dev python3-venv                  # the Python package (scripts/python_env.sh makes its venv)
  ccache                                    # scripts/test.sh: the pip stage reuses the build's objects
  libopenmpi-dev openmpi-bin                # BECORE_MPI: besim run under mpirun (optional component)
)
if [ "${1:-}" = "--list" ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi
missing=()
for p in "${packages[@]}"; do
  # dpkg -s also answers for a package that was removed but left its configuration behind.
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = "installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
