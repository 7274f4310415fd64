#include <becore/frontends/connectivity.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

namespace be {

namespace {

[[noreturn]] void fail(const std::string& message) {
    throw Exception(make_error(ErrorCode::invalid_argument, message));
}

HostArray make_array(DType dtype, std::vector<int64_t> shape) {
    auto array = HostArray::create(dtype, std::move(shape));
    if (!array) throw Exception(array.error());
    return std::move(*array);
}

void check_weight_dtype(const std::string& op, const HostArray& weights) {
    if (weights.dtype() != DType::float32 && weights.dtype() != DType::float64)
        fail(op + ": weights must be float32 or float64, not " +
             std::string(dtype_name(weights.dtype())));
}

double weight_at(const HostArray& w, int64_t i) {
    return w.dtype() == DType::float32 ? w.data_as<float>()[i] : w.data_as<double>()[i];
}
void set_weight(HostArray& w, int64_t i, double v) {
    if (w.dtype() == DType::float32)
        w.data_as<float>()[i] = static_cast<float>(v);
    else
        w.data_as<double>()[i] = v;
}

// Sorts each of `rows` rows of k indices (and their weights, unless homogeneous) ascending and
// checks the range: the scatter kernels binary-search the rows (sparse_rows.h).
void sort_fixed_rows(const std::string& op, HostArray& indices, HostArray& weights, int64_t bound) {
    if (indices.dtype() != DType::int32 || indices.ndim() != 2)
        fail(op + ": indices must be int32 [rows, k]");
    check_weight_dtype(op, weights);
    const int64_t rows = indices.shape()[0], k = indices.shape()[1];
    const bool per_synapse = weights.numel() == rows * k;
    if (!per_synapse && weights.numel() != 1)
        fail(op + ": weights must be [rows, k] (" + shape_string(indices.shape()) + ") or [1]");
    int32_t* idx = indices.data_as<int32_t>();
    std::vector<int64_t> order(k);
    std::vector<int32_t> idx_row(k);
    std::vector<double> w_row(k);
    for (int64_t i = 0; i < rows; ++i) {
        int32_t* row = idx + i * k;
        for (int64_t q = 0; q < k; ++q)
            if (row[q] < 0 || row[q] >= bound)
                fail(op + ": index " + std::to_string(row[q]) + " in row " + std::to_string(i) +
                     " is out of range [0, " + std::to_string(bound) + ")");
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(),
                         [&](int64_t a, int64_t b) { return row[a] < row[b]; });
        for (int64_t q = 0; q < k; ++q) {
            idx_row[q] = row[order[q]];
            if (per_synapse) w_row[q] = weight_at(weights, i * k + order[q]);
        }
        for (int64_t q = 0; q < k; ++q) {
            row[q] = idx_row[q];
            if (per_synapse) set_weight(weights, i * k + q, w_row[q]);
        }
    }
}

} // namespace

Dense::Dense(HostArray weights) : weights_(std::move(weights)) {
    check_weight_dtype("Dense", weights_);
    if (weights_.ndim() != 2) fail("Dense: weights must be [n_pre, n_post]");
}

Csr::Csr(int64_t rows, int64_t cols, HostArray indptr, HostArray indices, HostArray weights)
    : rows_(rows), cols_(cols), indptr_(std::move(indptr)), indices_(std::move(indices)),
      weights_(std::move(weights)) {
    check_weight_dtype("Csr", weights_);
    if (rows < 0 || cols < 0 || cols > INT32_MAX) fail("Csr: invalid shape");
    if (indptr_.dtype() != DType::int64 || indptr_.numel() != rows + 1)
        fail("Csr: indptr must be int64 [rows + 1]");
    if (indices_.dtype() != DType::int32 || indices_.ndim() != 1)
        fail("Csr: indices must be int32 [nnz]");
    const int64_t* ptr = indptr_.data_as<int64_t>();
    const int32_t* idx = indices_.data_as<int32_t>();
    if (ptr[0] != 0 || ptr[rows] != indices_.numel())
        fail("Csr: indptr must start at 0 and end at nnz");
    for (int64_t i = 0; i < rows; ++i) {
        if (ptr[i + 1] < ptr[i])
            fail("Csr: indptr must not decrease (row " + std::to_string(i) + ")");
        for (int64_t k = ptr[i]; k < ptr[i + 1]; ++k) {
            if (idx[k] < 0 || idx[k] >= cols)
                fail("Csr: column index " + std::to_string(idx[k]) + " in row " +
                     std::to_string(i) + " is out of range");
            if (k > ptr[i] && idx[k] <= idx[k - 1])
                fail("Csr: column indices must be strictly ascending within a row (row " +
                     std::to_string(i) + ")");
        }
    }
    if (weights_.numel() != indices_.numel() && weights_.numel() != 1)
        fail("Csr: weights must be [nnz] or [1]");
}

Csr Csr::from_coo(int64_t rows, int64_t cols, std::span<const int64_t> row,
                  std::span<const int64_t> col, const HostArray& weights) {
    check_weight_dtype("Csr::from_coo", weights);
    if (row.size() != col.size()) fail("Csr::from_coo: row and col differ in length");
    const int64_t n = static_cast<int64_t>(row.size());
    const bool homogeneous = weights.numel() == 1 && n != 1;
    if (!homogeneous && weights.numel() != n) fail("Csr::from_coo: weights must be [nnz] or [1]");
    for (int64_t e = 0; e < n; ++e)
        if (row[e] < 0 || row[e] >= rows || col[e] < 0 || col[e] >= cols)
            fail("Csr::from_coo: triplet " + std::to_string(e) + " is out of range");
    // Stable: duplicates keep the given order, so their sum is the same on every run.
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return row[a] != row[b] ? row[a] < row[b] : col[a] < col[b];
    });
    std::vector<int64_t> keep; // first triplet of each distinct (row, col)
    std::vector<double> sums;
    bool duplicates = false;
    for (int64_t q = 0; q < n; ++q) {
        const int64_t e = order[q];
        const double w = weight_at(weights, homogeneous ? 0 : e);
        if (!keep.empty() && row[keep.back()] == row[e] && col[keep.back()] == col[e]) {
            sums.back() += w;
            duplicates = true;
        } else {
            keep.push_back(e);
            sums.push_back(w);
        }
    }
    const int64_t nnz = static_cast<int64_t>(keep.size());
    auto indptr = make_array(DType::int64, {rows + 1});
    auto indices = make_array(DType::int32, {nnz});
    const bool one_weight = homogeneous && !duplicates;
    auto w = make_array(weights.dtype(), {one_weight ? 1 : nnz});
    int64_t* ptr = indptr.data_as<int64_t>();
    for (int64_t q = 0; q < nnz; ++q) {
        ++ptr[row[keep[q]] + 1];
        indices.data_as<int32_t>()[q] = static_cast<int32_t>(col[keep[q]]);
        if (!one_weight) set_weight(w, q, sums[q]);
    }
    if (one_weight) set_weight(w, 0, weight_at(weights, 0));
    for (int64_t i = 0; i < rows; ++i)
        ptr[i + 1] += ptr[i];
    return Csr(rows, cols, std::move(indptr), std::move(indices), std::move(w));
}

Csr Csr::from_dense(const HostArray& dense) {
    check_weight_dtype("Csr::from_dense", dense);
    if (dense.ndim() != 2) fail("Csr::from_dense: the matrix must be 2-D");
    const int64_t rows = dense.shape()[0], cols = dense.shape()[1];
    std::vector<int64_t> r, c;
    std::vector<double> v;
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j)
            if (const double x = weight_at(dense, i * cols + j); x != 0) {
                r.push_back(i);
                c.push_back(j);
                v.push_back(x);
            }
    auto w = make_array(dense.dtype(), {static_cast<int64_t>(v.size())});
    for (size_t q = 0; q < v.size(); ++q)
        set_weight(w, static_cast<int64_t>(q), v[q]);
    return from_coo(rows, cols, r, c, w);
}

Csr Csr::transposed() const {
    std::vector<int64_t> r, c;
    const int64_t* ptr = indptr_.data_as<int64_t>();
    for (int64_t i = 0; i < rows_; ++i)
        for (int64_t k = ptr[i]; k < ptr[i + 1]; ++k) {
            r.push_back(indices_.data_as<int32_t>()[k]);
            c.push_back(i);
        }
    auto w = make_array(weights_.dtype(), {weights_.numel()});
    std::memcpy(w.data(), weights_.data(), weights_.nbytes());
    return from_coo(cols_, rows_, r, c, w);
}

FixedPostNum::FixedPostNum(int64_t n_pre, int64_t n_post, HostArray indices, HostArray weights)
    : FixedNum(n_pre, n_post, std::move(indices), std::move(weights)) {
    sort_fixed_rows("FixedPostNum", indices_, weights_, n_post);
    if (indices_.shape()[0] != n_pre) fail("FixedPostNum: indices must be [n_pre, k]");
}

FixedPreNum::FixedPreNum(int64_t n_pre, int64_t n_post, HostArray indices, HostArray weights)
    : FixedNum(n_pre, n_post, std::move(indices), std::move(weights)) {
    sort_fixed_rows("FixedPreNum", indices_, weights_, n_pre);
    if (indices_.shape()[0] != n_post) fail("FixedPreNum: indices must be [n_post, k]");
}

} // namespace be
