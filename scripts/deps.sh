#!/usr/bin/env bash
# Installs becore's build and test dependencies on Debian 12 (apt). Does nothing when they are
# all present already.
set -euo pipefail
packages=(cmake make g++ llvm-16-dev libclang-16-dev clang-16 libtbb-dev libsqlite3-dev
          googletest libgtest-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev libxxhash-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
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
