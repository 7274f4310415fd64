// The launch clause of `.cu` entries: parsed with the annotation (so a malformed clause is an
// error naming file:line before anything compiles), evaluated at every call from the actual
// tensors and attrs.
//
//   clause := item ("," item)*                      each key at most once, in any order
//   item   := "threads" "=" expr                    ceil(expr / block) blocks
//           | "blocks" "=" expr                     expr blocks
//           | "block" "=" integer                   threads per block, 1..1024 (default 256)
//           | "smem" "=" integer                    dynamic shared bytes, 0..2^31-1 (default 0)
//   expr   := integer                               a positive constant
//           | name                                  an integer attr of the target
//           | name "." "numel" "(" ")"              elements of a tensor parameter (arg or ret)
//           | name "." "size" "(" integer ")"        its extent in dimension 0..7
//   integer := decimal digits (no sign)
// Exactly one of threads= and blocks=. Blanks may stand between any two tokens.
#pragma once

#include <becore/registry/signature.h>
#include <becore/runtime/error.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace be {

// Parses the text between the parentheses against the target's parameters (names are the
// parameters' names). The error says what is wrong, quoting the offending part, without the
// file:line (the annotation parser adds it).
Result<LaunchClause> parse_launch_clause(std::string_view text, const std::vector<Param>& params);

struct LaunchGeometry {
    uint32_t blocks = 0; // 0: nothing to do, the launch is skipped
    uint32_t block = 256;
    uint32_t shared_bytes = 0;
};

// The geometry of one call. values[i] points at the i-th parameter's value as marshalled for
// the call (a BE::Tensor for arg/ret, a scalar of the attr's declared type). Errors: a size(d)
// beyond the tensor's rank, a negative attr, a grid beyond CUDA's 2^31-1 blocks.
Result<LaunchGeometry> evaluate_launch(const LaunchClause& clause, const std::vector<Param>& params,
                                       const void* const* values);

} // namespace be
