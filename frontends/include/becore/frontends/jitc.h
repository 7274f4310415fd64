// Just-in-time connectivity (JITC): random matrices M [n_pre, n_post] described by their
// generator (probability p, weight distribution, seed) and regenerated inside the kernels, never
// stored, so memory does not grow with the number of synapses.
//
//   be::JitcScalar conn(100'000, 100'000, /*p=*/0.01, /*weight=*/0.5, /*seed=*/0);
//   auto i_syn = be::event_matvec(spikes, conn);         // spikes @ M, [n_pre] -> [n_post]
//   auto back  = be::event_matvec(post, conn, true);      // M @ spikes
//
// Orientation: R (row-generated, the default) is M = R(seed, n_pre x n_post), row i drawn from
// (seed, i); C is M = C(seed, n_pre x n_post) = R(seed, n_post x n_pre)ᵀ, column j drawn from
// (seed, j). So a C matrix has the same entries as the transpose of the R matrix with the
// shape swapped. spikes @ M is event-driven (cost ∝ active rows) for R; M @ spikes for C. The
// other direction regenerates every generated row. The exact generation algorithm is documented
// in kernels/include/be/jitc.h; it is not seed-compatible with brainevent or other libraries.
//
// Weights: JitcScalar (one weight), JitcNormal (mean, stddev ≥ 0), JitcUniform ([low, high)).
// Entries are connected with probability p in (0, 1]; sizes must be in [1, 2^31); parameters
// finite. Invalid parameters throw be::Exception naming the class. Operations (results bitwise
// independent of BECORE_THREADS): event_matvec (bool / float / uint32 bit-packed spikes, as
// event_ops.h), matvec (float x), todense, and generate(i): the i-th generated line as a dense
// vector (row i of M for R, column i of M for C). `device`: cpu (the TBB kernels) or cuda-emu
// (the jitc.cu twin in emulation on the same host memory, bitwise equal to cpu; it is slow: a
// scatter thread regenerates every active row). event_matmat / matmat take a batch [batch, n],
// one vector per row. Scalar weights with event spikes give count * w rounded once (exact,
// order-free: be_jitc::scaled_count); other products sum in ascending input order.
#pragma once

#include <becore/runtime/array.h>

#include <cstdint>
#include <string>

namespace be {

enum class JitcOrientation { R, C };

class Jitc {
  public:
    int64_t rows() const { return rows_; } // n_pre
    int64_t cols() const { return cols_; } // n_post
    double p() const { return p_; }
    uint64_t seed() const { return seed_; }
    DType dtype() const { return dtype_; }
    JitcOrientation orientation() const { return orientation_; }
    // "scalar", "normal" or "uniform": the kernel family (be.jitc_<kind>_...).
    const std::string& kind() const { return kind_; }
    // The weight parameters as the kernels take them: (w, 0), (mean, stddev), (low, high).
    double w0() const { return w0_; }
    double w1() const { return w1_; }

  protected:
    Jitc(std::string kind, int64_t n_pre, int64_t n_post, double p, double w0, double w1,
         uint64_t seed, JitcOrientation orientation, DType dtype);

  private:
    std::string kind_;
    int64_t rows_, cols_;
    double p_, w0_, w1_;
    uint64_t seed_;
    JitcOrientation orientation_;
    DType dtype_;
};

class JitcScalar : public Jitc {
  public:
    JitcScalar(int64_t n_pre, int64_t n_post, double p, double weight, uint64_t seed,
               JitcOrientation orientation = JitcOrientation::R, DType dtype = DType::float32);
};
class JitcNormal : public Jitc {
  public:
    JitcNormal(int64_t n_pre, int64_t n_post, double p, double mean, double stddev, uint64_t seed,
               JitcOrientation orientation = JitcOrientation::R, DType dtype = DType::float32);
};
class JitcUniform : public Jitc {
  public:
    JitcUniform(int64_t n_pre, int64_t n_post, double p, double low, double high, uint64_t seed,
                JitcOrientation orientation = JitcOrientation::R, DType dtype = DType::float32);
};

// transpose = false: spikes @ M ([n_pre] -> [n_post]); true: M @ spikes ([n_post] -> [n_pre]).
HostArray event_matvec(const HostArray& spikes, const Jitc& conn, bool transpose = false,
                       Device device = Device::cpu);
HostArray matvec(const HostArray& x, const Jitc& conn, bool transpose = false,
                 Device device = Device::cpu);
// A batch [batch, n] of vectors, one per row -> [batch, n_out]; row b is bitwise equal to the
// matvec of that row alone; cpu or cuda-emu like the vector products.
HostArray event_matmat(const HostArray& spikes, const Jitc& conn, bool transpose = false,
                       Device device = Device::cpu);
HostArray matmat(const HostArray& x, const Jitc& conn, bool transpose = false,
                 Device device = Device::cpu);
// The products written into `out` (the result's dtype and shape) instead of a new array; the
// kernels overwrite out, as event_ops.h says. For a loop: be::prepare_event_matvec (event_plan.h).
void event_matvec_into(const HostArray& spikes, const Jitc& conn, HostArray& out,
                       bool transpose = false, Device device = Device::cpu);
void matvec_into(const HostArray& x, const Jitc& conn, HostArray& out, bool transpose = false,
                 Device device = Device::cpu);
void event_matmat_into(const HostArray& spikes, const Jitc& conn, HostArray& out,
                       bool transpose = false, Device device = Device::cpu);
void matmat_into(const HostArray& x, const Jitc& conn, HostArray& out, bool transpose = false,
                 Device device = Device::cpu);
// The same on views, on the views' device: cpu, cuda-emu (emu views) or cuda (device memory,
// the jitc.cu twin compiled by NVRTC for the device).
void event_matvec_into(const BE::Tensor& spikes, const Jitc& conn, BE::Tensor& out,
                       bool transpose = false);
void matvec_into(const BE::Tensor& x, const Jitc& conn, BE::Tensor& out, bool transpose = false);
void event_matmat_into(const BE::Tensor& spikes, const Jitc& conn, BE::Tensor& out,
                       bool transpose = false);
void matmat_into(const BE::Tensor& x, const Jitc& conn, BE::Tensor& out, bool transpose = false);
// M [n_pre, n_post] (Mᵀ with transpose) as a dense array: for tests and small matrices.
HostArray todense(const Jitc& conn, bool transpose = false, Device device = Device::cpu);
// The i-th generated line, dense: row i of M ([n_post]) for R, column i of M ([n_pre]) for C.
HostArray generate(const Jitc& conn, int64_t i, Device device = Device::cpu);

} // namespace be
