// What a `// @BE` annotation declares: a target's name, its parameters in call order, and
// where it came from. Produced by the textual parser (annotation.h), consumed by the trampoline
// generator, call validation and `kernelctl targets`.
#pragma once

#include <becore/runtime/dtype.h>

#include <cstdint>
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

// The launch clause of `.cu` entries, `launch(threads=EXPR | blocks=EXPR [, block=INT]
// [, smem=INT])`, parsed when the annotation is (registry/include/becore/registry/launch.h
// documents the grammar and evaluates it at call time).
struct LaunchExpr {
    enum class Kind { constant, attr, numel, size };
    Kind kind = Kind::constant;
    int64_t value = 0; // constant: the number; size: the dimension d of `<param>.size(d)`
    std::string name;  // attr: its name; numel/size: the tensor parameter's name
    size_t param = 0;  // attr/numel/size: index into Signature::params
};

struct LaunchClause {
    std::string text;       // what stands between the parentheses, trimmed
    bool per_thread = true; // threads=EXPR: ceil(EXPR / block) blocks; blocks=EXPR: EXPR blocks
    LaunchExpr count;
    int block = 256;      // threads per block
    int shared_bytes = 0; // dynamic shared memory per block (smem=)
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
