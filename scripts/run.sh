#!/usr/bin/env bash
# The main job: install, build, then compile (or find in the cache), load and call the example
# kernels, printing each call's inputs and results. Outputs stay in out/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
build_dir=${BUILD_DIR:-build}
bin="$build_dir/bin"
out=out
mkdir -p "$out"
echo "== cache: $("$bin/kernelctl" path)"
echo "== runtime"
"$bin/kernelctl" report
echo "== targets"
"$bin/kernelctl" targets examples/kernels/*.cpp examples/kernels/*.cu
echo "== build (the first run compiles, later runs hit the cache; .cu files for sm_90 when no GPU is present)"
"$bin/kernelctl" build --arch sm_90 examples/kernels
echo "== call scale.scale_f32 (y = alpha * x, alpha = 2.5) on examples/data/ramp_f32_8.npy"
"$bin/kernelctl" call examples/kernels/scale.cpp scale_f32 --arg examples/data/ramp_f32_8.npy \
  --attr alpha=2.5 --ret 8:float32 --out "$out/scale"
echo "== call rows.iota (out[i] = start + i for i < count; count = 5, start = 1.5), a .cu kernel,"
echo "   on the CPU in the CUDA emulation (device cuda-emu)"
"$bin/kernelctl" call --device cuda-emu examples/kernels/rows.cu iota --attr count=5 \
  --attr start=1.5 --ret 8:float32 --out "$out/iota"
echo "== outputs kept in $out/: $(cd "$out" && find . -name '*.npy' | sort | tr '\n' ' ')"
