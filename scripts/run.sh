#!/usr/bin/env bash
# The main job: install, build, then simulate a network — the coba-auryn preset (the
# Vogels-Abbott network as the Auryn simulator builds it: 4000 conductance-based LIF neurons) for
# one biological second — printing the rate of each population, the wall time and the real-time
# factor. Before it, a short kernel call shows the runtime underneath. Outputs stay in out/
# (git-ignored). The first run on an empty kernel cache compiles the built-in kernels (tens of
# seconds); later runs find them in the cache.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
build_dir=${BUILD_DIR:-build}
bin="$build_dir/bin"
out=out
mkdir -p "$out"
echo "== cache: $("$bin/kernelctl" path)"
echo "== a kernel: scale.scale_f32 (y = alpha * x, alpha = 2.5) on examples/data/ramp_f32_8.npy"
"$bin/kernelctl" call examples/kernels/scale.cpp scale_f32 --arg examples/data/ramp_f32_8.npy \
  --attr alpha=2.5 --ret 8:float32 --out "$out/scale"
echo "== the simulation: besim run --preset coba-auryn --duration-ms 1000 (Auryn fires at ~17 Hz)"
"$bin/besim" run --preset coba-auryn --duration-ms 1000 --out "$out/coba-auryn" --force
echo "== outputs kept in $out/coba-auryn/: $(cd "$out/coba-auryn" && ls | tr '\n' ' ')"
