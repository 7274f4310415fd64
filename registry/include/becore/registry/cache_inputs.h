// The cache key inputs of a load, computed without compiling: what `kernelctl explain` shows and
// compares with the cache's entries, and what `kernelctl evict --stale` takes as "current".
#pragma once

#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>
#include <becore/runtime/error.h>

#include <filesystem>
#include <string>
#include <vector>

namespace be {

// The inputs Registry::load_cpp_file(file, options) looks up for a `.cpp` source with this text
// (generated entry trampolines included). An annotation error is returned as the load would.
Result<CacheKeyInputs> cpu_cache_inputs(const std::filesystem::path& file,
                                        const std::string& source, const LoadOptions& options = {});

// What such a load looks up, in order: cpu_cache_inputs first; then, when the CPU target is native
// (LoadOptions::cpu_target, BECORE_CPU_TARGET), the same source compiled for each x86-64 level
// this CPU runs, highest first. A load compiles (natively) only when all of them miss.
Result<std::vector<CacheKeyInputs>> cpu_cache_lookup_order(const std::filesystem::path& file,
                                                           const std::string& source,
                                                           const LoadOptions& options = {});

// The inputs the CUDA emulation of a `.cu` source (device cuda-emu) looks up when it is compiled:
// backend "cuda-emu", the source after prepare_emulation_source plus the emulation trampolines,
// the emulation pre-include among the flags. An annotation error or a construct the emulation
// rejects is returned as the emulated build would.
Result<CacheKeyInputs> emu_cache_inputs(const std::filesystem::path& file,
                                        const std::string& source, const LoadOptions& options = {});

} // namespace be
