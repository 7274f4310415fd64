// The `// @BE` annotation parser (registry/src/annotation.cpp over cpp_lex/cpp_scan), the line
// scan that indexes built-ins by need (annotated_names) and calls_cuda_launch, over one source.
// A source naming __global__ is read with .cu rules, any other with .cpp rules, so the real kernel
// files of the tree serve as seeds as they are.
#include "fuzz_check.h"

#include <becore/registry/annotation.h>

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view source = fuzz::text(data, size);
    const auto kind = source.find("__global__") != std::string_view::npos ? be::SourceKind::cuda
                                                                           : be::SourceKind::cpp;
    auto parsed = be::parse_annotations(source, "fuzz.cu", kind);
    const auto names = be::annotated_names(source);
    (void)be::calls_cuda_launch(source);
    if (!parsed) {
        FUZZ_CHECK(fuzz::starts_with(parsed.error().message, "parse_annotations(fuzz.cu:"));
        return 0;
    }
    // Loading by need finds a target's file through annotated_names: a target the parser yields
    // that the scan misses (or puts on another line) could never be loaded by name.
    for (const auto& signature : *parsed)
        FUZZ_CHECK(std::find(names.begin(), names.end(),
                             std::pair(signature.name, signature.line)) != names.end());
    return 0;
}
