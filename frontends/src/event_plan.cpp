// Prepared event products (event_plan.h): the target and attrs of be::event_matvec resolved once
// (event_call.h, shared with the allocating operators), a PreparedCall of the built-in, and the
// connectivity's views kept for run().
#include "event_call.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/event_plan.h>

#include <memory>
#include <vector>

namespace be {

namespace detail {

struct EventPlanAccess {
    static EventMatvecPlan make(OpCall call, DType spike_dtype, Device device) {
        EventMatvecPlan plan;
        if (call.conn_args.size() > EventMatvecPlan::k_max_conn_args)
            fail(call.where + ": too many connectivity tensors for a plan");
        std::vector<TensorSpec> conn_specs;
        for (const BE::Tensor& t : call.conn_args)
            conn_specs.push_back(tensor_spec(t));
        auto sizes = product_sizes(*call.op, conn_specs, call.attrs);
        if (!sizes) rethrow_at(call.where, sizes.error());
        std::vector<DType> arg_dtypes;
        for (const OpTensor& arg : call.op->args)
            arg_dtypes.push_back(arg.dtype);
        const DType ret_dtypes[] = {call.op->dtype};
        auto prepared =
            builtin_registry().prepare(call.op->target, device, arg_dtypes, ret_dtypes, call.attrs);
        if (!prepared) throw Exception(prepared.error());
        plan.call_ = std::move(*prepared);
        plan.n_conn_args_ = static_cast<int>(call.conn_args.size());
        for (int i = 0; i < plan.n_conn_args_; ++i)
            plan.args_[i] = call.conn_args[i];
        plan.n_in_ = sizes->n_in;
        plan.n_out_ = sizes->n_out;
        plan.spike_dtype_ = spike_dtype;
        plan.out_dtype_ = call.op->dtype;
        plan.device_ = device;
        plan.where_ = call.where + " plan (" + call.op->target + ")";
        return plan;
    }
};

} // namespace detail

namespace {

bool is_vector(const BE::Tensor& t, int64_t n) {
    return t.rank == 1 && t.shape[0] == n && (t.strides[0] == 1 || n <= 1);
}

std::string describe(const BE::Tensor& t) {
    std::string text = std::string(dtype_name(t.dtype())) + " [";
    for (int i = 0; i < t.rank; ++i)
        text += (i ? ", " : "") + std::to_string(t.shape[i]);
    return text + "]";
}

} // namespace

void EventMatvecPlan::run(const BE::Tensor& spikes, BE::Tensor& out) const {
    if (!call_)
        throw Exception(
            make_error(ErrorCode::invalid_argument, "be::EventMatvecPlan::run: the plan is empty"));
    if (!is_vector(spikes, n_in_) || !is_vector(out, n_out_)) [[unlikely]]
        throw Exception(make_error(ErrorCode::invalid_argument,
                                   where_ + ": spikes must be a contiguous [" +
                                       std::to_string(n_in_) + "] and out a contiguous [" +
                                       std::to_string(n_out_) + "], not " + describe(spikes) +
                                       " and " + describe(out)));
    // The connectivity's views and the spikes side by side; copied, not zero-filled first.
    union Args {
        Args() {}
        BE::Tensor t[k_max_conn_args + 1];
    } args;
    for (int i = 0; i < n_conn_args_; ++i)
        std::construct_at(&args.t[i], args_[i]);
    std::construct_at(&args.t[n_conn_args_], spikes);
    auto done = call_.invoke(std::span<const BE::Tensor>(args.t, n_conn_args_ + 1),
                             std::span<BE::Tensor>(&out, 1));
    if (!done) [[unlikely]]
        throw Exception(done.error());
}

void EventMatvecPlan::run(const HostArray& spikes, HostArray& out) const {
    BE::Tensor o = detail::host_view(where_, out, device_);
    run(detail::host_view(where_, spikes, device_), o);
}

namespace {

template <typename C>
EventMatvecPlan prepare(const C& conn, DType spike_dtype, bool transpose, Device device) {
    detail::OpCall call = detail::product_call("event_matvec", spike_dtype,
                                               detail::op_connectivity(conn), transpose, device);
    return detail::EventPlanAccess::make(std::move(call), spike_dtype, device);
}

} // namespace

template <Connectivity C>
EventMatvecPlan prepare_event_matvec(const C& conn, DType spike_dtype, bool transpose,
                                     Device device) {
    return prepare(conn, spike_dtype, transpose, device);
}
template EventMatvecPlan prepare_event_matvec(const Dense&, DType, bool, Device);
template EventMatvecPlan prepare_event_matvec(const Csr&, DType, bool, Device);
template EventMatvecPlan prepare_event_matvec(const FixedPostNum&, DType, bool, Device);
template EventMatvecPlan prepare_event_matvec(const FixedPreNum&, DType, bool, Device);

EventMatvecPlan prepare_event_matvec(const Jitc& conn, DType spike_dtype, bool transpose,
                                     Device device) {
    return prepare(conn, spike_dtype, transpose, device);
}

} // namespace be
