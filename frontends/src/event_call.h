// How the frontends' products become built-in target calls (event_ops.cpp: the stored formats,
// jitc.cpp: JITC), shared by the allocating operators, the *_into variants and the prepared
// plans (event_plan.cpp). Private to frontends/.
#pragma once

#include <becore/frontends/event_ops.h>
#include <becore/frontends/jitc.h>
#include <becore/registry/registry.h>

#include <string>
#include <vector>

namespace be::detail {

// One product resolved for an input dtype: the target, its attrs, the connectivity's tensors
// (the args before the input) and the sizes the input and output must have.
struct ProductCall {
    std::string where; // message prefix: "be::event_matvec", "be::matvec(... JITC)"
    std::string name;  // built-in target without "be.", dtype suffix included
    AttrMap attrs;
    std::vector<BE::Tensor> conn_args; // on the call's device
    int64_t n_in = 0;                  // entries per input vector (uint32 words for bit-packed)
    int64_t n_out = 0;                 // entries per output vector
    DType out_dtype = DType::float32;
    int rank = 1; // 1: a vector [n]; 2: a batch [batch, n]
};

// op: "event_matvec", "event_matmat", "matvec" or "matmat". Throws be::Exception (a wrong spike
// encoding or x dtype, a device other than cpu or cuda-emu).
template <Connectivity C>
ProductCall product_call(const std::string& op, DType input, const C& conn, bool transpose,
                         Device device);
ProductCall product_call(const std::string& op, DType input, const Jitc& conn, bool transpose,
                         Device device);

// The host memory as a view on `device` (cpu, or cuda-emu for the `.cu` twins' emulation).
BE::Tensor host_view(const HostArray& a, Device device);

// Checks `input` and `out` against the call (rank, sizes, out's dtype), then runs it.
void run_product(const ProductCall& call, const HostArray& input, HostArray& out, Device device);
// The output shape for `input`.
std::vector<int64_t> product_out_shape(const ProductCall& call, const HostArray& input);
// Throws unless `input` has the call's rank and entries per vector.
void check_product_input(const ProductCall& call, const std::vector<int64_t>& shape);

} // namespace be::detail
