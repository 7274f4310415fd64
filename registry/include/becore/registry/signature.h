// What a `// @BE` annotation declares: a target's name, its parameters in call order, and
// where it came from. Produced by the textual parser (annotation.h), consumed by the trampoline
// generator, call validation and `kernelctl targets`.
#pragma once

#include <becore/runtime/dtype.h>

#include <optional>
#include <string>
#include <vector>

namespace be {

enum class ParamKind { arg, ret, stream, attr };

// Scalar attribute types: bool, int8..int64, uint8..uint64, float16, bfloat16, float32, float64
// (the same codes as tensor dtypes).
struct Param {
    ParamKind kind = ParamKind::arg;
    std::string name;            // the C++ parameter name if known, else "arg0", "ret1", ...; attr: <n>
    std::optional<DType> dtype;  // arg/ret: the optional :dtype constraint; attr: its type (always set)
};

// The launch clause of `.cu` entries (CUDA backend), kept as text until that backend parses it:
// what stands between the parentheses of `launch(...)`, trimmed ("threads=x.numel(), block=128").
struct LaunchClause {
    std::string text;
};

struct Signature {
    std::string name;        // annotation name, without the file's prefix
    std::string function;    // the C++ callee: a function name or a template instantiation
    bool bound_expression = false; // the `name = expression` form
    std::vector<Param> params;
    std::optional<LaunchClause> launch;
    std::string file; // path as given to the loader
    int line = 0;     // 1-based line of the annotation
};

const char* param_kind_name(ParamKind kind);

} // namespace be
