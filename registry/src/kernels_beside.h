// The manifest beside a library that ships kernel files (its grammar is at the top of
// kernels_beside.cpp). Parsed apart from finding the library so that a fuzzer can call it.
#pragma once

#include <becore/runtime/error.h>

#include <filesystem>
#include <string>
#include <vector>

namespace be::detail {

struct KernelManifest {
    std::string library, prefix;
    std::filesystem::path dir; // as written: relative to the manifest's directory
    std::vector<std::string> files;
};

// `where` names the manifest in messages ("<where>:<line>: ...").
Result<KernelManifest> parse_kernel_manifest(const std::string& text, const std::string& where);

} // namespace be::detail
