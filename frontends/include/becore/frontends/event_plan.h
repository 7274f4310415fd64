// Event products prepared once and run every time step (a simulator's synaptic delivery):
//
//   be::EventMatvecPlan plan = be::prepare_event_matvec(conn, DType::bool_);   // once
//   for (step ...) plan.run(spikes, i_syn);   // spikes bool [n_pre] -> i_syn [n_post], no
//   allocation
//
// prepare_event_matvec does what be::event_matvec does on each call — picks the built-in target
// by format, spike encoding and weight dtype, converts the attrs, checks the signature — once
// (a PreparedCall, docs/prepared-call.md). run() checks the sizes and dtypes with integer
// compares and invokes the kernel; it allocates nothing on the heap (the kernel itself may, see
// docs/prepared-call.md) and throws be::Exception on an error, as the other operators do.
//
// The kernels OVERWRITE `out` (every entry, inactive outputs set to 0); they never add to it.
// `out` may be any contiguous view of the right size and dtype, e.g. one slot (row) of a delay
// ring buffer [delays, n_post] — but a slot written by several pathways needs a scratch output
// per pathway and an add.
//
// The plan keeps views of the connectivity's arrays: the connectivity must outlive the plan and
// keep its storage (in-place weight updates, e.g. STDP, are seen by the plan). JITC plans keep
// the generator's parameters (nothing to outlive). A plan may run on several threads at once.
#pragma once

#include <becore/frontends/event_ops.h>
#include <becore/frontends/jitc.h>
#include <becore/registry/registry.h>

#include <string>

namespace be {

namespace detail {
struct EventPlanAccess;
}

class EventMatvecPlan {
  public:
    EventMatvecPlan() = default; // empty: run() throws

    // out = spikes @ M (transpose: M @ spikes). spikes [n_in] of the prepared dtype (uint32
    // words [ceil(n/32)] for bit-packed spikes), out [n_out] of the weights' dtype.
    void run(const HostArray& spikes, HostArray& out) const;
    // The same on views (on the prepared device: cpu, cuda-emu for emu views, cuda), e.g. a row of
    // a larger array.
    void run(const BE::Tensor& spikes, BE::Tensor& out) const;

    int64_t n_in() const { return n_in_; } // spike entries (words when bit-packed)
    int64_t n_out() const { return n_out_; }
    DType spike_dtype() const { return spike_dtype_; }
    DType out_dtype() const { return out_dtype_; }
    Device device() const { return device_; }
    // The prepared call of the built-in target ("be.csr_event_matvec_bool_f32", ...).
    const PreparedCall& prepared() const { return call_; }

  private:
    friend struct detail::EventPlanAccess;
    static constexpr int k_max_conn_args = 3;

    PreparedCall call_;
    BE::Tensor args_[k_max_conn_args + 1] = {}; // the connectivity's tensors, then the spikes
    int n_conn_args_ = 0;
    int64_t n_in_ = 0, n_out_ = 0;
    DType spike_dtype_ = DType::bool_, out_dtype_ = DType::float32;
    Device device_ = Device::cpu;
    std::string where_; // "be::event_matvec plan (be.csr_event_matvec_bool_f32)"
};

// spike_dtype: bool, uint32 (bit-packed) or the weights' dtype (float spikes), as event_matvec.
// device: cpu or cuda-emu; JITC plans also cuda (run them on device views). Throws be::Exception
// (wrong spike dtype or device, a built-in that does not load).
template <Connectivity C>
EventMatvecPlan prepare_event_matvec(const C& conn, DType spike_dtype, bool transpose = false,
                                     Device device = Device::cpu);
EventMatvecPlan prepare_event_matvec(const Jitc& conn, DType spike_dtype, bool transpose = false,
                                     Device device = Device::cpu);

} // namespace be
