// Readouts: an LFP proxy and a CSD proxy over a laminar column of point neurons.
//
// PROXIES, NOT FIELD SOLUTIONS. Nothing here solves for an extracellular potential: there is no
// volume conductor (no conductivity, no 1/r), no dendritic geometry, no return currents, no
// units. They are the depth-smoothed source of the neurons and its second spatial difference,
// useful to see where and when a column is active, not to compare amplitudes with recordings.
// docs/readouts.md says the same with the formulas.
//
// Geometry. Every neuron n has a depth z_n in [0, 1] (layer_depths: uniform within its layer's
// band). C contacts sit at z_c = c / (C - 1), c = 0 .. C - 1 (linspace(0, 1, C)).
//
// LFP proxy.  LFP_c(t) = Σ_n w_cn s_n(t),  w_cn = g(z_c − z_n) / Σ_m g(z_c − z_m),
//             g(d) = exp(−d² / (2σ²)),
// so the weights of every contact sum to 1 (the Gaussian's own constant cancels): a contact reads
// the Gaussian-weighted mean of the sources around it, and a source common to all neurons reads
// the same at every contact. The weights are computed once, with the exponent shifted by the
// contact's nearest neuron so that no contact's sum underflows to 0 for small σ. s_n is whatever
// the caller passes: the simulator passes each neuron's synaptic current, the trace bridge a
// voltage deviation. The proxy keeps the source's sign (a physical extracellular potential of an
// inward current would be negative; no sign flip is applied).
//
// CSD proxy.  CSD_c = −(LFP_{c+1} − 2 LFP_c + LFP_{c−1}) / Δz²,  Δz = 1 / (C − 1),
// on the C − 2 interior contacts (column j of the result is contact j + 1). Sign convention: that
// of CSD = −σ ∂²φ/∂z² with σ = 1, where negative values are sinks and positive values sources:
// a local maximum of the LFP proxy gives a positive CSD proxy, a local minimum a negative one.
//
// Determinism. Every sum runs in ascending neuron order into a double accumulator, so results do
// not depend on threads; depths are drawn by a counter-based generator keyed by (seed, stream,
// neuron), so they do not depend on how neurons are split across threads or processes.
//
// Errors (a bad option, depth or shape) are thrown as be::Exception naming the field.
#pragma once

#include <becore/runtime/array.h>

#include <cstdint>
#include <vector>

namespace be {

struct ReadoutOptions {
    int64_t contacts = 16; // C >= 3 (the CSD needs an interior contact)
    double sigma = 0.1;    // Gaussian width in depth units (the column is [0, 1]), > 0
};

// The Philox stream of the depth draws: counter {0, neuron_lo, neuron_hi, k_depth_stream}, key
// {seed_lo, seed_hi} (kernels/include/be/jitc.h's philox4x32_10; JITC uses streams 0 and 1).
// The ASCII of "DEPT".
inline constexpr uint32_t k_depth_stream = 0x44455054u;

// Depths of n neurons in `layers` layers: layer l of L covers the band [l/L, (l+1)/L) of [0, 1];
// the neurons are split in id order into L contiguous groups whose sizes differ by at most one
// (the first n mod L layers hold one neuron more). Neuron i's depth is lo + (hi − lo) u_i in its
// band [lo, hi), with u_i in [0, 1) taken from the first Philox block of (seed, k_depth_stream,
// i): u = ((x0 << 21) | (x1 >> 11)) · 2⁻⁵³ (53 bits from the block's words 0 and 1). So u_i
// depends on seed and i only, never on n, threads or ranks. n >= 0, layers >= 1.
std::vector<double> layer_depths(int64_t n, int64_t layers, uint64_t seed);
// The same with explicit layer sizes: layer l holds the next layer_sizes[l] neuron ids (sizes
// >= 0, at least one layer).
std::vector<double> layer_depths(const std::vector<int64_t>& layer_sizes, uint64_t seed);

// The LFP proxy of a fixed set of neurons: the weights once, then one row per step.
class LfpProxy {
  public:
    // depths: N >= 1 values in [0, 1].
    explicit LfpProxy(std::vector<double> depths, const ReadoutOptions& options = {});

    int64_t contacts() const { return contacts_; }
    int64_t neurons() const { return static_cast<int64_t>(depths_.size()); }
    const std::vector<double>& depths() const { return depths_; }
    double contact_depth(int64_t c) const;     // z_c = c / (C − 1)
    double weight(int64_t c, int64_t n) const; // w_cn

    // lfp_row[c] = Σ_n w_cn source[n] for c < C, from source[0 .. N): one call per time step.
    // Allocates nothing; source and lfp_row must not overlap. Cost: C·N multiply-adds, ~2 ns
    // per neuron for C = 16 on one core (x86-64 baseline SSE2).
    void record(const float* source, double* lfp_row) const;
    void record(const double* source, double* lfp_row) const;

  private:
    std::vector<double> depths_;
    int64_t contacts_ = 0;
    // Blocks of k_block contacts, each [N, k_block] (neuron-major; the last block padded with
    // zero weights), so that a step streams through each block once with its k_block sums in
    // registers.
    static constexpr int64_t k_block = 8;
    std::vector<double> weights_;
};

// The LFP proxy of sources [T, N] (float32 or float64): [T, C] float64.
HostArray lfp_proxy(const HostArray& sources, const std::vector<double>& depths,
                    const ReadoutOptions& options = {});

// The CSD proxy of lfp [T, C] (float64 or float32, C >= 3): [T, C − 2] float64.
HostArray csd_proxy(const HostArray& lfp);

} // namespace be
