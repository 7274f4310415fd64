#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer: configures
# ${SANITIZE_BUILD_DIR:-build-sanitize} with the `sanitize` preset (CMakePresets.json: clang 16,
# BECORE_SANITIZE=address,undefined, BECORE_FUZZ=ON, no bench programs), builds it and runs every
# test except those labelled no_sanitize and the slow ones listed below: the fuzzers too (label
# fuzz, BECORE_FUZZ_SECONDS each, 10 here). scripts/test.sh (CI) runs it after the normal suite.
# What is instrumented, what is left out and why: docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${SANITIZE_BUILD_DIR:-build-sanitize}
cmake --preset sanitize -B "$build_dir" -DBECORE_FUZZ_SECONDS="${BECORE_FUZZ_SECONDS:-10}"
cmake --build "$build_dir" -j "$(nproc)"
# Any finding ends the process with an error (UBSan's -fno-sanitize-recover does the same at
# compile time). Leak checking is off: what JIT-compiled code keeps (the ORC runtime's and kernels'
# globals) is referenced from JIT-linked memory, which LeakSanitizer does not scan, so it reports
# those blocks, through frames of JIT code that no suppression can name (docs/testing.md).
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=0:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# The slowest tests under the sanitizers whose time goes to code that is not instrumented (the
# in-process clang, NVRTC, JIT-compiled kernels) or to repeating what other tests run once; the
# plain run (scripts/test.sh) runs them. Kept out so that CI stays within its 30 minutes.
slow=(
  SimPresets.PublishedRegimes             # long simulations: the work is in JIT-compiled kernels
  JitcDeterminism.ThreadsAndProcessesGiveIdenticalBits  # the *Child tests, run again 3 times
  EventDeterminism.ThreadsAndProcessesGiveIdenticalBits # to compare bits of kernels' results
  '.*CudaTwin.CompilesWithNvrtc'          # NVRTC compiles; test_nvrtc.cpp covers becore's side
  CacheConcurrency.SixProcessesOnAnEmptyCacheCompileEachKernelOnce  # 20 rounds of 6 processes
  CacheConcurrency.KillNineDuringBuildsNeverLeavesADamagedEntry    # 50 kill -9 iterations
  'Prelude.SameObject.*'                  # clang's output compared byte for byte
  KernelctlParallel.DirectoryBuildIsTheSameWithOneAndTwoThreads    # the same, for a directory
  BesimMpi.Brunel2000SpikesAreTheSameForOneToFourRanks  # 10 runs of the simulator loop; the
                                          # coba and every-format cases run the same exchange
)
skip="^($(IFS='|'; echo "${slow[*]}"))\$"
cd "$build_dir"
ctest --output-on-failure -j "$(nproc)" --timeout 1200 -LE no_sanitize -E "$skip"
