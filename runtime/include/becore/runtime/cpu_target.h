// The CPU that `.cpp` kernels (and the CUDA emulation, which compiles with the CPU backend) are
// compiled for: this host's own CPU ("native", the default) or an x86-64 micro-architecture level
// of the x86-64 psABI, which any CPU with that level's features runs, so that a cache warmed on
// one machine also serves another (docs/cache.md, "CPU targets").
//
//   BECORE_CPU_TARGET / LoadOptions::cpu_target / kernelctl build --cpu-target
//     native      -march=native, key target "<triple>;<cpu name>;+feature,..."
//     portable    = x86-64-v3
//     x86-64-v2   -march=x86-64-v2, key target "<triple>;x86-64-v2"  (and so on for v3, v4)
//
// Feature sets of the levels (x86-64 psABI, as GCC 11+ and clang 12+ define -march=x86-64-vN),
// in LLVM's feature names; each level includes the one below, and x86-64 itself (cmov, cx8,
// fxsr, mmx, sse, sse2) is implied by the triple:
//   x86-64-v2  cx16 popcnt sahf sse3 sse4.1 sse4.2 ssse3
//   x86-64-v3  avx avx2 bmi bmi2 f16c fma lzcnt movbe xsave
//   x86-64-v4  avx512f avx512bw avx512cd avx512dq avx512vl
#pragma once

#include <becore/runtime/error.h>

#include <array>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace be {

inline constexpr std::string_view k_cpu_native = "native";
// The levels, highest first: the order a native-setting lookup tries them in.
inline constexpr std::array<std::string_view, 3> k_cpu_levels{"x86-64-v4", "x86-64-v3",
                                                              "x86-64-v2"};
// What `portable` names: the level a WARM install and an export compile for by default (AVX2 and
// FMA, which every x86-64 server CPU since 2013–2015 has).
inline constexpr std::string_view k_cpu_portable_level = "x86-64-v3";

// native, portable, x86-64-v2, x86-64-v3 or x86-64-v4 → the canonical target ("portable" →
// "x86-64-v3"); anything else is an error listing the accepted values.
Result<std::string> parse_cpu_target(std::string_view text);
// The target that applies: `requested` (LoadOptions::cpu_target) when not empty, else
// Settings::cpu_target (becore/runtime/settings.h), else BECORE_CPU_TARGET (read at every call),
// else native. Errors name where the value came from
// ("BECORE_CPU_TARGET=avx2: ..."), and a level on a host that is not x86-64 is one.
Result<std::string> resolve_cpu_target(std::string_view requested = {});

// The levels a CPU with `features` (LLVM's names, as llvm::sys::getHostCPUFeatures reports the
// enabled ones) runs, highest first; none when `triple` is not x86-64.
std::vector<std::string> cpu_levels_supported(std::string_view triple,
                                              const std::set<std::string>& features);
// The same for this host (computed once).
const std::vector<std::string>& host_cpu_levels();
// Whether this host can run code compiled for `target` (native: always).
bool host_runs_cpu_target(std::string_view target);

// The key's target field: native → "<triple>;<host cpu>;+feature,...,", a level →
// "<triple>;<level>".
std::string cpu_target_description(std::string_view target = k_cpu_native);

} // namespace be
