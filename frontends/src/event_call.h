// How the frontends' operators (event_ops.h, jitc.h, event_plan.h) become op-table calls
// (op_table.h): a connectivity is described once as a format, host arrays and attrs; the op
// table names the target and checks the shapes. Private to frontends/.
#pragma once

#include <becore/frontends/event_ops.h>
#include <becore/frontends/jitc.h>
#include <becore/frontends/op_table.h>

#include <string>
#include <vector>

namespace be::detail {

// Throw be::Exception (invalid_argument), or `error` with its code and `where` before its text.
[[noreturn]] void fail(const std::string& message);
[[noreturn]] void rethrow_at(const std::string& where, const Error& error);

// "bool", "bits" or "float" by the spikes' dtype (float spikes must have the weights' dtype);
// nullptr for any other dtype, which bad_spikes reports.
const char* encoding(DType spikes, DType weights);
[[noreturn]] void bad_spikes(const std::string& where, DType spikes, DType weights);

// A connectivity as the op table sees it: the kernels' matrix S (stored or generated R) as a
// format, its host arrays (none for JITC) and attrs, and whether the user's M is Sᵀ.
struct OpConnectivity {
    std::string format; // "dense", "csr", "fixed", "jitc_scalar", ...
    std::string label;  // appended to the operator's name in messages: "", "(scalar JITC)"
    std::vector<const HostArray*> arrays;
    AttrMap attrs;
    DType dtype = DType::float32;
    bool flip = false;
};
OpConnectivity op_connectivity(const Dense& c);
OpConnectivity op_connectivity(const Csr& c);
OpConnectivity op_connectivity(const FixedPostNum& c);
OpConnectivity op_connectivity(const FixedPreNum& c);
OpConnectivity op_connectivity(const Jitc& c); // jitc.cpp

// One op of a connectivity, resolved: the table's entry, the attrs, the connectivity's tensors on
// the call's device (the args before the input, if any).
struct OpCall {
    std::string where; // message prefix: "be::event_matvec", "be::todense(normal JITC)"
    const OpDesc* op = nullptr;
    AttrMap attrs;
    std::vector<BE::Tensor> conn_args;
};

// `name`: the operator's name in messages. `extra`: the op's own attrs, e.g. {"row", i}; the
// caller flips transpose by conn.flip. Throws be::Exception: an op the table lacks, a device the
// connectivity's arrays cannot be viewed on (cpu and cuda-emu only; JITC has no arrays).
OpCall op_call(const std::string& name, OpConnectivity conn, std::string_view op,
               std::string_view encoding, AttrMap extra, Device device);
// op: "event_matvec", "event_matmat", "matvec" or "matmat"; the encoding comes from `input`
// (bool, uint32 bit-packed, or the weights' dtype), which must suit the op.
OpCall product_call(const std::string& op, DType input, OpConnectivity conn, bool transpose,
                    Device device);

// The host memory as a view on `device` (cpu, or cuda-emu for the `.cu` twins' emulation).
BE::Tensor host_view(const std::string& where, const HostArray& a, Device device);

// Runs the call into `out`, which must have the op's output dtype and shape (checked).
void run_into(const OpCall& call, const BE::Tensor* input, BE::Tensor& out);
// Runs the call into a new host array on `device` (cpu or cuda-emu).
HostArray run_new(const OpCall& call, const BE::Tensor* input, Device device);

} // namespace be::detail
