// Event-driven operators on stored connectivity, over the built-in kernels (prefix "be"):
//
//   be::Csr conn = be::Csr::from_coo(n_pre, n_post, rows, cols, weights);
//   auto i_syn = be::event_matvec(spikes, conn);        // spikes @ M: [n_pre] -> [n_post]
//   auto back  = be::event_matvec(post_spikes, conn, /*transpose=*/true);  // M @ s
//
// Spikes are a HostArray whose dtype says the encoding: bool; float32/float64 (the weights'
// dtype; active if > 0, the value is not used); uint32 bit-packed (bit i of word w is neuron
// 32w+i, LSB first; [ceil(n/32)] words, see pack_spikes). A matvec takes a vector [n], a matmat a
// batch [batch, n] of spike vectors (one row each) and returns [batch, n_out].
// transpose = false: spikes @ M (n = n_pre, n_out = n_post); true: M @ spikes.
// matvec/matmat are the float (non-event) products: every entry of x, weighted by its value.
// Results are bitwise independent of BECORE_THREADS (kernels/builtin/event_common.h).
// `device`: cpu (the TBB kernels) or cuda-emu (the `.cu` twins run in the CUDA emulation on the
// same host memory: for testing the twins; bitwise equal to cpu).
// The targets and their shape rules come from the op table (op_table.h), which checks every call
// before a kernel runs. Errors (mismatched shapes or dtypes, a failing kernel) throw
// be::Exception.
#pragma once

#include <becore/frontends/connectivity.h>

#include <concepts>

namespace be {

// The connectivity classes of connectivity.h; the operators are instantiated for these only.
template <typename C>
concept Connectivity = std::same_as<C, Dense> || std::same_as<C, Csr> ||
    std::same_as<C, FixedPostNum> || std::same_as<C, FixedPreNum>;

template <Connectivity C>
HostArray event_matvec(const HostArray& spikes, const C& conn, bool transpose = false,
                       Device device = Device::cpu);
template <Connectivity C>
HostArray event_matmat(const HostArray& spikes, const C& conn, bool transpose = false,
                       Device device = Device::cpu);
template <Connectivity C>
HostArray matvec(const HostArray& x, const C& conn, bool transpose = false,
                 Device device = Device::cpu);
template <Connectivity C>
HostArray matmat(const HostArray& x, const C& conn, bool transpose = false,
                 Device device = Device::cpu);
// The same products written into `out` instead of a new array: `out` must already have the
// result's dtype (the weights') and shape ([n_out], or [batch, n_out] for the matmats). The
// kernels OVERWRITE out (every entry is set, inactive outputs to 0); they never add to it. To
// accumulate (a delay ring buffer), write into a scratch array and add it. For a loop, prepare
// the call once instead (event_plan.h: be::prepare_event_matvec), which allocates nothing per run.
template <Connectivity C>
void event_matvec_into(const HostArray& spikes, const C& conn, HostArray& out,
                       bool transpose = false, Device device = Device::cpu);
template <Connectivity C>
void event_matmat_into(const HostArray& spikes, const C& conn, HostArray& out,
                       bool transpose = false, Device device = Device::cpu);
template <Connectivity C>
void matvec_into(const HostArray& x, const C& conn, HostArray& out, bool transpose = false,
                 Device device = Device::cpu);
template <Connectivity C>
void matmat_into(const HostArray& x, const C& conn, HostArray& out, bool transpose = false,
                 Device device = Device::cpu);
// The same on views, on the views' device: cpu, or cuda-emu (emu views). The connectivity's
// arrays are host memory, so cuda views are rejected here; for device memory use JITC (jitc.h),
// or call the op table (op_table.h: be::call_op) with device copies of the arrays.
template <Connectivity C>
void event_matvec_into(const BE::Tensor& spikes, const C& conn, BE::Tensor& out,
                       bool transpose = false);
template <Connectivity C>
void event_matmat_into(const BE::Tensor& spikes, const C& conn, BE::Tensor& out,
                       bool transpose = false);
template <Connectivity C>
void matvec_into(const BE::Tensor& x, const C& conn, BE::Tensor& out, bool transpose = false);
template <Connectivity C>
void matmat_into(const BE::Tensor& x, const C& conn, BE::Tensor& out, bool transpose = false);
// M [n_pre, n_post] as a dense array (Mᵀ with transpose).
template <Connectivity C>
HostArray todense(const C& conn, bool transpose = false, Device device = Device::cpu);

// Packs bool spikes [n] or [batch, n] into uint32 words [.., ceil(n/32)] (LSB first).
HostArray pack_spikes(const HostArray& spikes);

// Pair-based STDP (kernels/builtin/stdp.cpp): for each synapse i -> j, a pre spike subtracts
// a_minus * post_trace[j], then a post spike adds a_plus * pre_trace[i]; changed weights are
// clipped to [w_min, w_max]. Traces are given (the caller decays them); weights change in place
// and must be per synapse.
struct StdpParams {
    double a_plus = 0.01, a_minus = 0.012;
    double w_min = 0.0, w_max = 1.0;
};
void stdp_update(Csr& conn, const HostArray& pre_spikes, const HostArray& post_spikes,
                 const HostArray& pre_trace, const HostArray& post_trace, const StdpParams& params,
                 Device device = Device::cpu);

} // namespace be
