// The textual `// @BE` annotation parser (docs/architecture.md, "Kernel conventions"). It reads a
// kernel source without a compiler and returns one Signature per annotation, in file order.
// Mistakes the text reveals (unknown or mistyped tokens, a token list that does not fit the
// function that follows) are reported here with file:line; what only a compiler can see (the
// type of a function named by an `=` expression) is checked by the static_asserts of the
// generated trampolines (trampoline.h).
#pragma once

#include <becore/registry/signature.h>
#include <becore/runtime/error.h>

#include <string>
#include <string_view>
#include <vector>

namespace be {

// `.cpp` entries are host functions taking `const BE::Tensor&` / `BE::Tensor&`; `.cu` entries
// are `__global__` kernels taking `BE::Tensor` by value and may carry a launch clause.
enum class SourceKind { cpp, cuda };

// All annotations of `source`, in order. `file` is only used in messages and Signature::file.
// A source without annotations gives an empty vector. The first error (by line) is returned,
// worded "parse_annotations(<file>:<line>): <what>" with the offending token in quotes.
Result<std::vector<Signature>> parse_annotations(std::string_view source, const std::string& file,
                                                 SourceKind kind);

// The target names of the `// @BE` lines of `source`, with their line numbers, found by a plain
// line scan (no lexing, no checks): what parse_annotations names, plus any `// @BE` line inside a
// block comment or a raw string. For indexing files by name before loading them.
std::vector<std::pair<std::string, int>> annotated_names(std::string_view source);

// Whether a `.cpp` source is host orchestration of CUDA kernels: its code (not a comment or a
// string) names BE::cuda_launch or BE::cuda_function. Its targets then take tensors on the cuda
// device and run on the host (kernels/include/be/cuda_launch.h).
bool calls_cuda_launch(std::string_view source);

} // namespace be
