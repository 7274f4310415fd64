// The op table's shape checks (op_table.h: check_op) in a form that allocates nothing when the
// args pass, for the operators' per-call path (event_ops.cpp). Private to frontends/.
#pragma once

#include <becore/frontends/op_table.h>

#include <optional>
#include <span>
#include <string>

namespace be::detail {

// A tensor's dtype and shape, pointing into a TensorSpec or a BE::Tensor.
struct ShapeRef {
    DType dtype = DType::float32;
    std::span<const int64_t> dims;
};
inline ShapeRef shape_ref(const BE::Tensor& t) {
    return {t.dtype(), {t.shape, static_cast<size_t>(t.rank)}};
}

// The ret of an op (every op has exactly one): its dtype and shape, of rank 1 or 2.
struct RetShape {
    DType dtype = DType::float32;
    int rank = 0;
    int64_t dims[2] = {};
    std::span<const int64_t> shape() const { return {dims, static_cast<size_t>(rank)}; }
};

// "float32 [4x6]", as the checks' messages write a tensor.
std::string describe(DType dtype, std::span<const int64_t> dims);

// check_op's checks: its error, or nullopt with the ret's dtype and shape in `ret`.
std::optional<Error> check_shapes(const OpDesc& op, std::span<const ShapeRef> args,
                                  const AttrMap& attrs, RetShape& ret);

} // namespace be::detail
