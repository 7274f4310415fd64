// The op table: every built-in event and JITC target (prefix "be") described once, for the C++
// operators (event_ops.h, jitc.h, event_plan.h) and for bindings that call targets by name
// (Python, XLA FFI handlers):
//
//   const be::OpDesc& op = be::find_op("csr", "event_matvec", "bool", DType::float32).value();
//   // op.target == "be.csr_event_matvec_bool_f32"; op.args: indptr, indices, weights, spikes
//   auto rets = be::check_op(op, arg_specs, attrs).value();  // the rets' dtypes and shapes
//   be::call_op(op, args, rets_views, attrs).value();           // checked, then the target runs
//
// An op is (format, op, encoding, dtype):
//   format    dense, csr, fixed (the stored layouts of connectivity.h; FixedPreNum is `fixed` on
//             Mᵀ), jitc_scalar, jitc_normal, jitc_uniform (generated R matrices, jitc.h)
//   op        event_matvec, event_matmat (spike vectors [n] / batches [batch, n]), matvec, matmat
//             (float inputs), todense, row (JITC: one generated row), stdp (csr: weights in place)
//   encoding  bool, float (the weights' dtype), bits (uint32 words, LSB first) for the event ops
//             and stdp; empty for the others
//   dtype     the weights' dtype, which is also the output's: float32 or float64
// The target name is be.<format>_<op>[_<encoding>]_<f32|f64>.
//
// Shapes. Each format describes a stored matrix S [rows, cols]: dense from weights [rows, cols];
// csr from indptr [rows + 1] and attr cols (indices [nnz], weights [nnz] or [1]); fixed from
// indices [rows, k] and attr cols (weights rows·k entries or [1]); jitc from attrs rows, cols.
// With attr transpose false a product takes inputs of n_in = rows entries and gives n_out = cols
// (true: the other way round); bit-packed inputs have ceil(n_in / 32) words. matvec ops take
// [n_in] and give [n_out]; matmat ops take [batch, n_in] and give [batch, n_out]. todense gives
// [rows, cols] ([cols, rows] with transpose), row [cols] (attr row in [0, rows)). stdp takes
// indptr, indices, pre_spikes [rows] and post_spikes [cols] (words when bit-packed), pre_trace
// [rows], post_trace [cols], and updates weights [nnz] in place.
#pragma once

#include <becore/registry/registry.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace be {

// One tensor of an op, in call order.
struct OpTensor {
    std::string name; // "indptr", "indices", "weights", "spikes", "x", "out", "pre_trace", ...
    DType dtype = DType::float32;
    // Rets only: the kernel reads the tensor and updates it (stdp's weights), so a binding must
    // pass the caller's contents (XLA: alias it with an input). Other rets are overwritten whole.
    bool in_place = false;
};

struct OpAttr {
    std::string name;
    DType type = DType::float64; // as declared by the annotation: bool, int64 or float64
};

struct OpDesc {
    std::string target;   // "be.csr_event_matvec_bool_f32"
    std::string format;   // dense, csr, fixed, jitc_scalar, jitc_normal, jitc_uniform
    std::string op;       // event_matvec, event_matmat, matvec, matmat, todense, row, stdp
    std::string encoding; // bool, float, bits; empty for the non-event ops
    DType dtype = DType::float32;
    std::vector<OpTensor> args, rets;
    std::vector<OpAttr> attrs; // in the annotation's order
};

// Every op, in a fixed order; the entries live as long as the process.
const std::vector<OpDesc>& op_table();

// The op for a combination, or for a target name ("be.jitc_scalar_event_matvec_bool_f32"); an
// unknown one is a not_found error naming what was asked.
Result<const OpDesc*> find_op(std::string_view format, std::string_view op,
                              std::string_view encoding, DType dtype);
Result<const OpDesc*> find_op(std::string_view target);

// A tensor's dtype and shape, without data (a binding's abstract value).
struct TensorSpec {
    DType dtype = DType::float32;
    std::vector<int64_t> shape;
    bool operator==(const TensorSpec&) const = default;
};
TensorSpec tensor_spec(const BE::Tensor& t);

// Checks the args (count, dtypes, ranks and sizes by the rules above) and the attrs the shapes
// depend on; returns the rets' dtypes and shapes. Errors (invalid_argument) start with
// "check_op(<target>)" and name the argument or attr, e.g. "arg 3 'spikes' has 6 entries per
// vector, the connectivity needs 4". Data are not read: what only data can show (indices in
// range, indptr[rows] = nnz) the kernels check.
Result<std::vector<TensorSpec>> check_op(const OpDesc& op, std::span<const TensorSpec> args,
                                         const AttrMap& attrs);
// The same for tensors, and each ret must have the dtype and shape check_op gives; every tensor
// must be contiguous.
Result<void> check_op(const OpDesc& op, std::span<const BE::Tensor> args,
                      std::span<const BE::Tensor> rets, const AttrMap& attrs);
// check_op, then the target runs (builtin_registry()) on the tensors' device: cpu, cuda-emu or
// cuda (`stream` for cuda). The registry checks the attrs' types and the devices.
Result<void> call_op(const OpDesc& op, std::span<const BE::Tensor> args, std::span<BE::Tensor> rets,
                     const AttrMap& attrs, int64_t stream = 0);
// A call by name as the bindings make it (Python's becore.call, becore.jax's handler): a target
// of the op table through call_op, any other through builtin_registry().call.
Result<void> call_target(std::string_view name, std::span<const BE::Tensor> args,
                         std::span<BE::Tensor> rets, const AttrMap& attrs, int64_t stream = 0);

// For the products (event_matvec, event_matmat, matvec, matmat): the entries of each input
// vector (uint32 words for bits) and of each output vector, from the connectivity's args (all
// args but the last, the input) and the attrs. Errors as check_op.
struct ProductSizes {
    int64_t n_in = 0, n_out = 0;
};
Result<ProductSizes> product_sizes(const OpDesc& op, std::span<const TensorSpec> conn_args,
                                   const AttrMap& attrs);

} // namespace be
