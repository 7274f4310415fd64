// Helpers shared by the cache test files.
#pragma once

#include <becore/cache/kernel_cache.h>

#include <filesystem>
#include <string>
#include <vector>

namespace be::test {

inline CacheKeyInputs sample_inputs(const std::filesystem::path& source_dir = {}) {
    CacheKeyInputs inputs;
    inputs.backend = "cpu";
    inputs.source_text = "// @BE add\nvoid add(const BE::Tensor& a, BE::Tensor& b) {}\n";
    inputs.source_display = "kernels/add.cpp";
    inputs.flags = {"-O3", "-std=c++20", "-ffp-contract=off"};
    inputs.target = "x86_64-pc-linux-gnu;cpu=sapphirerapids;+avx512f";
    inputs.toolchain = "clang 16.0.6;libstdc++ 20230528;tbb 2021.8";
    inputs.kernel_headers_hash = "0123456789abcdef0123456789abcdef";
    if (!source_dir.empty()) inputs.include_roots = {source_dir};
    return inputs;
}

inline std::vector<char> bytes_of(const std::string& text) {
    return std::vector<char>(text.begin(), text.end());
}

inline std::filesystem::path blob_path(const std::filesystem::path& cache_dir,
                                       const std::string& key) {
    return cache_dir / "v1" / "blobs" / key.substr(0, 2) / key;
}

} // namespace be::test
