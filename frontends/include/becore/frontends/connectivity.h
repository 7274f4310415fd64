// Stored connectivity for the event-driven operators (event_ops.h): owning host arrays in the
// layouts the built-in kernels read (kernels/builtin/{dense,csr,fixed_num}.cpp).
//
// Every class describes a matrix M [n_pre, n_post] (rows = pre-synaptic, cols = post-synaptic
// neurons) with float32 or float64 weights, either one per connection or one homogeneous weight
// (a weights array of one element). Constructors validate once (index ranges, shapes, dtypes)
// and sort each row's column indices, which the kernels rely on and never re-check; they throw
// be::Exception on invalid input.
#pragma once

#include <becore/runtime/array.h>

#include <cstdint>
#include <span>
#include <utility>

namespace be {

// A dense weight matrix [n_pre, n_post].
class Dense {
  public:
    explicit Dense(HostArray weights);
    int64_t rows() const { return weights_.shape()[0]; }
    int64_t cols() const { return weights_.shape()[1]; }
    DType dtype() const { return weights_.dtype(); }
    const HostArray& weights() const { return weights_; }
    HostArray& weights() { return weights_; }

  private:
    HostArray weights_;
};

// Compressed sparse rows: indptr int64 [rows + 1], indices int32 [nnz] (ascending within each
// row, no duplicates), weights [nnz] or [1]. The CSC of M is the Csr of Mᵀ (transposed()).
class Csr {
  public:
    Csr(int64_t rows, int64_t cols, HostArray indptr, HostArray indices, HostArray weights);
    // From COO triplets (any order); duplicates are summed in the order given. `weights` is
    // [nnz] or [1] (homogeneous; duplicates then make the weights per connection).
    static Csr from_coo(int64_t rows, int64_t cols, std::span<const int64_t> row,
                        std::span<const int64_t> col, const HostArray& weights);
    // The nonzero entries of a dense [rows, cols] float32/float64 matrix, per connection.
    static Csr from_dense(const HostArray& dense);
    // The CSR of Mᵀ (the CSC of M): event-driven in the other direction.
    Csr transposed() const;

    int64_t rows() const { return rows_; }
    int64_t cols() const { return cols_; }
    int64_t nnz() const { return indices_.numel(); }
    DType dtype() const { return weights_.dtype(); }
    bool homogeneous() const { return weights_.numel() == 1 && nnz() != 1; }
    const HostArray& indptr() const { return indptr_; }
    const HostArray& indices() const { return indices_; }
    const HostArray& weights() const { return weights_; }
    HostArray& weights() { return weights_; } // plasticity updates them in place

  private:
    int64_t rows_ = 0, cols_ = 0;
    HostArray indptr_, indices_, weights_;
};

// The storage of a fixed-number connectivity: k connections per line, indices int32 [lines, k]
// (sorted per line on construction, weights with them), weights [lines, k] or [1].
class FixedNum {
  public:
    int64_t rows() const { return rows_; }
    int64_t cols() const { return cols_; }
    DType dtype() const { return weights_.dtype(); }
    const HostArray& indices() const { return indices_; }
    const HostArray& weights() const { return weights_; }

  protected:
    FixedNum(int64_t n_pre, int64_t n_post, HostArray indices, HostArray weights)
        : rows_(n_pre), cols_(n_post), indices_(std::move(indices)), weights_(std::move(weights)) {}

    int64_t rows_ = 0, cols_ = 0;
    HostArray indices_, weights_;
};

// A fixed number k of post-synaptic targets per pre-synaptic neuron: indices [n_pre, k] (the
// targets of each pre neuron).
class FixedPostNum : public FixedNum {
  public:
    FixedPostNum(int64_t n_pre, int64_t n_post, HostArray indices, HostArray weights);
};

// A fixed number k of pre-synaptic sources per post-synaptic neuron: indices [n_post, k] (the
// sources of each post neuron, i.e. the rows of Mᵀ).
class FixedPreNum : public FixedNum {
  public:
    FixedPreNum(int64_t n_pre, int64_t n_post, HostArray indices, HostArray weights);
};

} // namespace be
