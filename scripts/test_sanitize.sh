#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer: configures
# ${SANITIZE_BUILD_DIR:-build-sanitize} with the `sanitize` preset (CMakePresets.json: clang 16,
# BECORE_SANITIZE=address,undefined, no bench programs), builds it and runs every test except those
# labelled no_sanitize. Not part of scripts/test.sh (CI) yet. What is instrumented and what is
# not: docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${SANITIZE_BUILD_DIR:-build-sanitize}
cmake --preset sanitize -B "$build_dir"
cmake --build "$build_dir" -j "$(nproc)"
# Any finding ends the process with an error (UBSan's -fno-sanitize-recover does the same at
# compile time). Leak checking is off: what JIT-compiled code keeps (the ORC runtime's and kernels'
# globals) is referenced from JIT-linked memory, which LeakSanitizer does not scan, so it reports
# those blocks, through frames of JIT code that no suppression can name (docs/testing.md).
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=0:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
cd "$build_dir"
ctest --output-on-failure -j "$(nproc)" --timeout 1200 -LE no_sanitize
