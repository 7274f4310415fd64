#!/usr/bin/env bash
# The main job: install, build, then compile (or find in the cache) and load the example
# kernels, call one, and print what happened.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
build_dir=${BUILD_DIR:-build}
bin="$build_dir/bin"
echo "== cache: $("$bin/kernelctl" path)"
echo "== runtime"
"$bin/kernelctl" report
echo "== targets"
"$bin/kernelctl" targets examples/kernels/*.cpp examples/kernels/*.cu
echo "== build (first run compiles, later runs hit the cache; .cu files for sm_90 unless a GPU is present)"
"$bin/kernelctl" build --arch sm_90 examples/kernels
echo "== call scale.scale_f32 on a ramp"
out=$(mktemp -d)
python3 - "$out/x.npy" <<'PY' 2>/dev/null || cp tests/fixtures/npy/v1_float32_2x3.npy "$out/x.npy"
import sys, struct
# an 8-element float32 ramp, written as .npy v1.0 without numpy
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (8,), }"
header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
with open(sys.argv[1], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<8f", *range(8)))
PY
"$bin/kernelctl" call examples/kernels/scale.cpp scale_f32 --arg "$out/x.npy" --attr alpha=2.5 \
  --ret 8:float32 --out "$out" --json
echo "== call rows.iota, a .cu kernel, on the CPU in the CUDA emulation (device cuda-emu)"
"$bin/kernelctl" call --device cuda-emu examples/kernels/rows.cu iota --attr count=5 \
  --attr start=1.5 --ret 8:float32 --out "$out" --json
rm -rf "$out"
