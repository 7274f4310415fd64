// JITC (frontends/include/becore/frontends/jitc.h, kernels/builtin/jitc_products.h): the Philox
// known answers, parameter validation, and that every way of producing the matrix gives the same
// entries: R vs C vs transposes vs todense vs single-line generation, and todense vs the event
// and float products (bitwise: the kernels and the dense reference both sum each output from 0
// in ascending input order, without FP contraction).
#include "event_test_util.h"
#include "nvrtc_build.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/jitc.h>

#include <be/jitc.h>

#include <cmath>
#include <memory>

namespace be::test {
namespace {

// Random123's published known-answer vectors for philox4x32_10 (kat_vectors).
TEST(JitcPhilox, MatchesRandom123KnownAnswers) {
    struct Kat {
        be_jitc::U32x4 ctr;
        uint32_t k0, k1;
        be_jitc::U32x4 want;
    };
    const Kat kats[] = {
        {{{0, 0, 0, 0}}, 0, 0, {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}},
        {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}},
         0xffffffff,
         0xffffffff,
         {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}},
        {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}},
         0xa4093822,
         0x299f31d0,
         {{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}},
    };
    for (const Kat& k : kats) {
        const be_jitc::U32x4 got = be_jitc::philox4x32_10(k.ctr, k.k0, k.k1);
        for (int q = 0; q < 4; ++q)
            EXPECT_EQ(got.v[q], k.want.v[q]) << "word " << q;
    }
}

TEST(JitcMath, LogFixedIsAccurate) {
    for (double x : {1.0, 0.5, 2.3283064365386963e-10, 0.999, 0.123456789, 1e-300, 1.0 - 1e-12})
        EXPECT_NEAR(be_jitc::log_fixed(x), std::log(x),
                    4e-16 * std::max(1.0, std::fabs(std::log(x))))
            << x;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// RowGen's batched, vectorised skips against the definition written out serially (jitc.h):
// per tile t of T columns, stream (row, t, 0) word by word, u = (x + 1) 2^-32,
// k = floor(log_fixed(u) / log(1 - p)), the tile's columns from t T on up to its end.
TEST(JitcMath, BatchedRowGenerationMatchesTheSerialDefinition) {
    for (double p : {0.05, 0.5, 0.001}) {
        const int64_t cols = 200000;
        const be_jitc::Params prm(0x1234567890abcdefull, cols, p, 0.3, 0.0);
        int64_t tile = 256; // the smallest power of two >= 256 / p
        while (static_cast<double>(tile) < 256.0 / p)
            tile *= 2;
        ASSERT_EQ(prm.tile, tile) << "p " << p;
        const double inv = 1.0 / be_jitc::log_fixed(1.0 - p);
        for (int64_t row : {int64_t{0}, int64_t{5}, (int64_t{1} << 31) - 1}) {
            be_jitc::RowGen<be_jitc::ScalarW> g(prm, row);
            int64_t entries = 0;
            for (int64_t first = 0; first < cols; first += tile) {
                be_jitc::Stream words(0x1234567890abcdefull, static_cast<uint64_t>(row),
                                      static_cast<uint32_t>(first / tile), 0u);
                const int64_t end = std::min(cols, first + tile);
                for (int64_t col = first - 1;;) {
                    const double u = (static_cast<double>(words.next()) + 1.0) / 4294967296.0;
                    const double k = std::floor(be_jitc::log_fixed(u) * inv);
                    if (k >= static_cast<double>(cols)) break;
                    col += 1 + static_cast<int64_t>(k);
                    if (col >= end) break;
                    ASSERT_TRUE(g.next()) << "p " << p << " row " << row << " entry " << entries;
                    ASSERT_EQ(g.col, col) << "p " << p << " row " << row << " entry " << entries;
                    ++entries;
                }
            }
            EXPECT_FALSE(g.next());
            EXPECT_NEAR(static_cast<double>(entries), cols * p, 6 * std::sqrt(cols * p) + 1);
        }
    }
}

// The tile width: a power of two, at least 256 columns and 256 / p, one tile once it reaches
// cols (a row of at most 256 / p columns keeps the single-stream definition).
TEST(JitcMath, TileWidthFollowsTheExpectedEntries) {
    EXPECT_EQ(be_jitc::tile_columns(1.0, 100000), 256);
    EXPECT_EQ(be_jitc::tile_columns(0.1, 100000), 4096);
    EXPECT_EQ(be_jitc::tile_columns(0.02, 100000), 16384);
    EXPECT_EQ(be_jitc::tile_columns(0.02, 4000), 4096); // >= cols: one tile
    EXPECT_EQ(be_jitc::tile_columns(1e-6, 1000), 1024);
}

// A window [lo, hi) of a row sees exactly the whole row's entries and weights in it, through
// next(), for_each and next_columns, for windows inside a tile, across tiles, at the row's
// ends, and empty ones.
template <typename Kind> void expect_windows_match_the_row(double w0, double w1) {
    const int64_t cols = 30000;
    const be_jitc::Params prm(0xabcdef12345ull, cols, 0.03, w0, w1); // T = 16384: two tiles
    ASSERT_EQ(prm.tile, 16384);
    for (int64_t row : {int64_t{0}, int64_t{11}}) {
        std::vector<std::pair<int64_t, double>> all;
        be_jitc::RowGen<Kind> whole(prm, row);
        while (whole.next())
            all.emplace_back(whole.col, whole.weight);
        const std::pair<int64_t, int64_t> windows[] = {
            {0, cols},      {0, 1},        {1, 7000},     {7000, 16384}, {16383, 16385},
            {10000, 20000}, {16384, cols}, {29999, cols}, {5, 5},        {20000, 100000}};
        for (const auto& [lo, hi] : windows) {
            std::vector<std::pair<int64_t, double>> want, by_next, by_each, by_batch;
            for (const auto& e : all)
                if (e.first >= lo && e.first < hi) want.push_back(e);
            be_jitc::RowGen<Kind> a(prm, row, lo, hi), b(prm, row, lo, hi), c(prm, row, lo, hi);
            while (a.next())
                by_next.emplace_back(a.col, a.weight);
            b.for_each([&](int64_t col, double w) { by_each.emplace_back(col, w); });
            int32_t batch[be_jitc::k_batch_words];
            for (int n; (n = c.next_columns(batch)) > 0;)
                for (int t = 0; t < n; ++t)
                    by_batch.emplace_back(batch[t], c.draw_weight());
            EXPECT_EQ(by_next, want) << "row " << row << " [" << lo << ", " << hi << ")";
            EXPECT_EQ(by_each, want) << "row " << row << " [" << lo << ", " << hi << ")";
            EXPECT_EQ(by_batch, want) << "row " << row << " [" << lo << ", " << hi << ")";
        }
    }
}

TEST(JitcMath, ColumnWindowsGiveTheRowsEntries) {
    expect_windows_match_the_row<be_jitc::ScalarW>(0.5, 0.0);
    expect_windows_match_the_row<be_jitc::NormalW>(0.2, 1.3);
    expect_windows_match_the_row<be_jitc::UniformW>(-1.0, 1.0);
}

// The CPU's batched weights (Kind::fill over k_batch_words words) against the serial draws from
// stream 1 (Kind::draw, one Stream word at a time, as the GPU does), through next(), for_each
// and next_columns; rows long enough for several weight batches and, for the polar method,
// rejected pairs inside a batch.
template <typename Kind> void expect_serial_weights(double w0, double w1) {
    const uint64_t seed = 0xfeedbeefcafe1234ull;
    const be_jitc::Params prm(seed, 5000, 0.1, w0, w1);
    ASSERT_EQ(prm.tile, 4096); // two tiles: the weights' stream restarts at column 4096
    for (int64_t row : {int64_t{0}, int64_t{3}, (int64_t{1} << 31) - 1}) {
        std::vector<double> serial;
        be_jitc::Stream ws(seed, static_cast<uint64_t>(row), 0u, 1u);
        be_jitc::RowGen<Kind> g(prm, row);
        bool second_tile = false;
        while (g.next()) {
            if (g.col >= 4096 && !second_tile) {
                ws = be_jitc::Stream(seed, static_cast<uint64_t>(row), 1u, 1u);
                second_tile = true;
            }
            serial.push_back(Kind::draw(ws, w0, w1));
            ASSERT_EQ(g.weight, serial.back()) << "row " << row << " entry " << serial.size();
        }
        ASSERT_GT(serial.size(), 400u);
        std::vector<double> visited, batched;
        be_jitc::RowGen<Kind> f(prm, row);
        f.for_each([&](int64_t, double w) { visited.push_back(w); });
        be_jitc::RowGen<Kind> b(prm, row);
        int32_t cols[be_jitc::k_batch_words];
        for (int n; (n = b.next_columns(cols)) > 0;)
            for (int t = 0; t < n; ++t)
                batched.push_back(b.draw_weight());
        EXPECT_EQ(visited, serial) << "row " << row;
        EXPECT_EQ(batched, serial) << "row " << row;
    }
}

TEST(JitcMath, BatchedWeightsMatchTheSerialDraws) {
    expect_serial_weights<be_jitc::UniformW>(-0.5, 2.0);
    expect_serial_weights<be_jitc::NormalW>(0.2, 1.3);
}

// One generator walked partly with next(), then next_columns(), then for_each(): the same
// entries as next() alone, across batch boundaries (the switch points are inside a batch).
TEST(JitcMath, MixedWalksOfOneRowGiveTheSameEntries) {
    const be_jitc::Params prm(99, 20000, 0.05, -1.0, 3.0);
    std::vector<std::pair<int64_t, double>> all, mixed;
    be_jitc::RowGen<be_jitc::UniformW> a(prm, 7), b(prm, 7);
    while (a.next())
        all.emplace_back(a.col, a.weight);
    for (int t = 0; t < 37 && b.next(); ++t)
        mixed.emplace_back(b.col, b.weight);
    int32_t cols[be_jitc::k_batch_words];
    for (int round = 0; round < 3; ++round) {
        const int n = b.next_columns(cols);
        for (int t = 0; t < n; ++t)
            mixed.emplace_back(cols[t], b.draw_weight());
    }
    for (int t = 0; t < 5 && b.next(); ++t)
        mixed.emplace_back(b.col, b.weight);
    b.for_each([&](int64_t c, double w) { mixed.emplace_back(c, w); });
    EXPECT_FALSE(b.next());
    EXPECT_EQ(b.next_columns(cols), 0);
    ASSERT_GT(all.size(), 900u);
    EXPECT_EQ(mixed, all);
}

TEST(JitcValidation, RejectsInvalidParametersWithClearErrors) {
    auto message = [](auto make) -> std::string {
        try {
            make();
        } catch (const Exception& e) {
            return e.what();
        }
        return "no error";
    };
    EXPECT_PRED2(contains, message([] { JitcScalar(0, 5, 0.1, 1.0, 0); }), std::string("n_pre"));
    EXPECT_PRED2(contains, message([] { JitcScalar(5, 5, 0.0, 1.0, 0); }), std::string("p must"));
    EXPECT_PRED2(contains, message([] { JitcScalar(5, 5, 1.5, 1.0, 0); }), std::string("p must"));
    EXPECT_PRED2(contains, message([] { JitcScalar(5, 5, 0.5, NAN, 0); }), std::string("finite"));
    EXPECT_PRED2(contains, message([] { JitcNormal(5, 5, 0.5, 0.0, -1.0, 0); }),
                 std::string("stddev must be >= 0"));
    EXPECT_PRED2(contains, message([] { JitcNormal(5, 5, 0.5, INFINITY, 1.0, 0); }),
                 std::string("finite"));
    EXPECT_PRED2(contains, message([] { JitcUniform(5, 5, 0.5, 2.0, 1.0, 0); }),
                 std::string("low must be <= high"));
    EXPECT_EQ(message([] { JitcScalar(5, 5, 1.0, 1.0, 0); }), "no error");
    const JitcScalar ok(5, 7, 0.5, 1.0, 3);
    EXPECT_PRED2(contains, message([&] { event_matvec(array(DType::bool_, {7}), ok); }),
                 std::string("needs 5"));
    EXPECT_PRED2(contains, message([&] { generate(ok, 5); }), std::string("out of range"));
}

std::unique_ptr<Jitc> make(const std::string& kind, int64_t m, int64_t n, double p, uint64_t seed,
                           JitcOrientation o, DType dtype) {
    if (kind == "scalar") return std::make_unique<JitcScalar>(m, n, p, 0.75, seed, o, dtype);
    if (kind == "normal") return std::make_unique<JitcNormal>(m, n, p, 0.2, 1.3, seed, o, dtype);
    return std::make_unique<JitcUniform>(m, n, p, -0.5, 2.0, seed, o, dtype);
}

HostArray transpose_of(const HostArray& d) {
    const int64_t r = d.shape()[0], c = d.shape()[1];
    HostArray t = array(d.dtype(), {c, r});
    for (int64_t i = 0; i < r; ++i)
        for (int64_t j = 0; j < c; ++j)
            put(t, j * r + i, get(d, i * c + j));
    return t;
}

struct JitcCase {
    std::string kind;
    DType dtype;
    double p;
};
void PrintTo(const JitcCase& c, std::ostream* os) {
    *os << c.kind << "_" << dtype_name(c.dtype) << "_p" << c.p;
}

class JitcEntries : public ::testing::TestWithParam<JitcCase> {};

TEST_P(JitcEntries, AllViewsAndProductsAgree) {
    const auto [kind, dtype, p] = GetParam();
    // 5000 columns span two output chunks of event_common.h, so the scatter's chunk search runs.
    const int64_t m = 41, n = 5000;
    const auto r = make(kind, m, n, p, 11, JitcOrientation::R, dtype);
    const auto c = make(kind, n, m, p, 11, JitcOrientation::C, dtype); // = R(seed, m x n)ᵀ
    const HostArray d = todense(*r);
    ASSERT_EQ(d.shape(), (std::vector<int64_t>{m, n}));
    EXPECT_TRUE(same_bits(todense(*r, true), transpose_of(d)));
    EXPECT_TRUE(same_bits(todense(*c), transpose_of(d)));
    EXPECT_TRUE(same_bits(todense(*c, true), d));
    int64_t nnz = 0;
    for (int64_t i = 0; i < m; ++i) {
        const HostArray row = generate(*r, i);
        for (int64_t j = 0; j < n; ++j) {
            ASSERT_EQ(get(row, j), get(d, i * n + j)) << "row " << i << " col " << j;
            nnz += get(d, i * n + j) != 0;
        }
        EXPECT_TRUE(same_bits(generate(*c, i), row)) << "C line " << i;
    }
    EXPECT_GT(nnz, 0);
    if (p == 1.0) EXPECT_EQ(nnz, m * n) << "p = 1 connects everything (weights are nonzero here)";
    std::mt19937_64 rng(5);
    for (bool transpose : {false, true}) {
        const int64_t n_in = transpose ? n : m;
        const HostArray spikes = random_bool(rng, 0, n_in, 0.3);
        const HostArray x = random_float(rng, dtype, 0, n_in, 0.5);
        const HostArray want = reference(d, spikes, transpose, false);
        EXPECT_TRUE(same_bits(event_matvec(spikes, *r, transpose), want)) << transpose;
        EXPECT_TRUE(same_bits(event_matvec(pack_spikes(spikes), *r, transpose), want));
        EXPECT_TRUE(same_bits(event_matvec(x, *r, transpose), reference(d, x, transpose, false)));
        EXPECT_TRUE(same_bits(matvec(x, *r, transpose), reference(d, x, transpose, true)));
        // The C matrix of the swapped shape is Rᵀ: its products are R's with transpose flipped.
        EXPECT_TRUE(same_bits(event_matvec(spikes, *c, !transpose), want));
        EXPECT_TRUE(same_bits(matvec(x, *c, !transpose), reference(d, x, transpose, true)));
    }
}

INSTANTIATE_TEST_SUITE_P(Kinds, JitcEntries,
                         ::testing::Values(JitcCase{"scalar", DType::float32, 0.05},
                                           JitcCase{"scalar", DType::float64, 1.0},
                                           JitcCase{"normal", DType::float32, 0.02},
                                           JitcCase{"normal", DType::float64, 0.3},
                                           JitcCase{"uniform", DType::float32, 0.1},
                                           JitcCase{"uniform", DType::float64, 0.001}));

// The jitc.cu twin in emulation (device cuda-emu) against the CPU kernels, through the frontend:
// bitwise, every kind, both dtypes and orientations (EmuRegistry covers every target too).
TEST(JitcEmu, EmulatedTwinMatchesCpuBitwise) {
    std::mt19937_64 rng(8);
    for (const char* kind : {"scalar", "normal", "uniform"})
        for (DType dtype : {DType::float32, DType::float64})
            for (JitcOrientation o : {JitcOrientation::R, JitcOrientation::C}) {
                SCOPED_TRACE(std::string(kind) + " " + std::string(dtype_name(dtype)));
                const auto conn = make(kind, 23, 700, 0.5, 21, o, dtype); // R: 2 tiles a row
                const Device emu = Device::cuda_emu;
                EXPECT_TRUE(same_bits(todense(*conn, false, emu), todense(*conn)));
                EXPECT_TRUE(same_bits(todense(*conn, true, emu), todense(*conn, true)));
                EXPECT_TRUE(same_bits(generate(*conn, 3, emu), generate(*conn, 3)));
                for (bool transpose : {false, true}) {
                    const int64_t n_in = transpose ? 700 : 23;
                    const HostArray s = random_bool(rng, 0, n_in, 0.3);
                    const HostArray x = random_float(rng, dtype, 0, n_in, 0.5);
                    EXPECT_TRUE(same_bits(event_matvec(s, *conn, transpose, emu),
                                          event_matvec(s, *conn, transpose)));
                    EXPECT_TRUE(same_bits(event_matvec(pack_spikes(s), *conn, transpose, emu),
                                          event_matvec(s, *conn, transpose)));
                    EXPECT_TRUE(
                        same_bits(matvec(x, *conn, transpose, emu), matvec(x, *conn, transpose)));
                    const HostArray sb = random_bool(rng, 3, n_in, 0.3);
                    const HostArray xb = random_float(rng, dtype, 3, n_in, 0.5);
                    EXPECT_TRUE(same_bits(event_matmat(sb, *conn, transpose, emu),
                                          event_matmat(sb, *conn, transpose)));
                    EXPECT_TRUE(
                        same_bits(matmat(xb, *conn, transpose, emu), matmat(xb, *conn, transpose)));
                }
            }
}

// The simulator's delivery target be.sim_jitc_<kind>_deliver (a process's columns [col0, col1)
// of spikes @ R) against those columns of the whole product (event_matvec over whole rows), bit
// for bit, on cpu and on the jitc.cu twin in emulation: R with 3 tiles of 1024 columns per row
// (p = 0.3), windows inside one tile, across tiles, at the ends and the blocks of 4 processes;
// every output is one window's or another's, never a neighbour's.
TEST(JitcWindow, DeliveryWindowsEqualTheWholeProductsColumns) {
    std::mt19937_64 rng(17);
    const int64_t rows = 150, cols = 3000;
    for (const char* kind : {"scalar", "normal", "uniform"})
        for (DType dtype : {DType::float32, DType::float64}) {
            SCOPED_TRACE(std::string(kind) + " " + std::string(dtype_name(dtype)));
            const auto conn = make(kind, rows, cols, 0.3, 5, JitcOrientation::R, dtype);
            const HostArray s = random_bool(rng, 0, rows, 0.2);
            const HostArray whole = event_matvec(s, *conn);
            const std::string target = "sim_jitc_" + std::string(kind) + "_deliver" +
                                       (dtype == DType::float32 ? "_f32" : "_f64");
            const std::pair<int64_t, int64_t> windows[] = {{0, cols},    {0, 750},     {750, 1500},
                                                           {1500, 2250}, {2250, cols}, {100, 900},
                                                           {1000, 2100}, {2999, cols}};
            for (const auto& [col0, col1] : windows)
                for (Device device : {Device::cpu, Device::cuda_emu}) {
                    HostArray out = array(dtype, {col1 - col0});
                    BE::Tensor in_view = s.view(), out_view = out.view();
                    in_view.device_ = out_view.device_ = device;
                    call_builtin(target, {&in_view, 1}, {&out_view, 1},
                                 {{"seed", int64_t{5}},
                                  {"rows", rows},
                                  {"cols", cols},
                                  {"p", 0.3},
                                  {"w0", conn->w0()},
                                  {"w1", conn->w1()},
                                  {"col0", col0},
                                  {"col1", col1}});
                    for (int64_t j = col0; j < col1; ++j)
                        ASSERT_EQ(get(out, j - col0), get(whole, j))
                            << device_name(device) << " [" << col0 << ", " << col1 << ") col " << j;
                }
        }
}

// Every jitc.cu target (vector and batched products, todense, row, each kind and dtype) through
// NVRTC to PTX and CUBIN.
TEST(JitcCudaTwin, CompilesWithNvrtc) {
    BE_SKIP_WITHOUT_NVRTC();
    const auto result = build_builtin_cu({"jitc.cu"});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    for (const char* name : {"be.jitc_scalar_event_matvec_bits_f32", "be.jitc_normal_matmat_f64",
                             "be.jitc_uniform_event_matmat_float_f32", "be.jitc_normal_todense_f32",
                             "be.jitc_uniform_row_f64"})
        EXPECT_NE(result.output.find(name), std::string::npos) << name << "\n" << result.output;
}

// Row b of a [batch, n] array as a vector [n] (bool, uint32 or float entries).
HostArray row_of(const HostArray& a, int64_t b) {
    const int64_t n = a.shape()[1];
    HostArray r = array(a.dtype(), {n});
    for (int64_t i = 0; i < n; ++i) {
        if (a.dtype() == DType::bool_)
            r.data_as<bool>()[i] = a.data_as<bool>()[b * n + i];
        else if (a.dtype() == DType::uint32)
            r.data_as<uint32_t>()[i] = a.data_as<uint32_t>()[b * n + i];
        else
            put(r, i, get(a, b * n + i));
    }
    return r;
}

// The batched products (cpu only): each row of the [batch, n_out] result is bitwise equal to the
// single-vector product of that input row, every kind, encoding, dtype, orientation, transpose.
TEST(JitcMatmat, EveryBatchRowEqualsTheSingleVectorProduct) {
    std::mt19937_64 rng(9);
    const int64_t batch = 4;
    for (const char* kind : {"scalar", "normal", "uniform"})
        for (DType dtype : {DType::float32, DType::float64})
            for (JitcOrientation o : {JitcOrientation::R, JitcOrientation::C})
                for (bool transpose : {false, true}) {
                    SCOPED_TRACE(std::string(kind) + " " + std::string(dtype_name(dtype)) +
                                 (o == JitcOrientation::R ? " R" : " C") +
                                 (transpose ? " transpose" : ""));
                    const auto conn = make(kind, 29, 45, 0.2, 31, o, dtype);
                    const int64_t n_in = transpose ? 45 : 29, n_out = transpose ? 29 : 45;
                    const HostArray s = random_bool(rng, batch, n_in, 0.3);
                    const HostArray bits = pack_spikes(s);
                    const HostArray f = random_float(rng, dtype, batch, n_in, 0.4);
                    const HostArray x = random_float(rng, dtype, batch, n_in, 0.5);
                    const HostArray ys = event_matmat(s, *conn, transpose);
                    const HostArray yb = event_matmat(bits, *conn, transpose);
                    const HostArray yf = event_matmat(f, *conn, transpose);
                    const HostArray yx = matmat(x, *conn, transpose);
                    for (const HostArray* y : {&ys, &yb, &yf, &yx}) {
                        ASSERT_EQ(y->shape(), (std::vector<int64_t>{batch, n_out}));
                        ASSERT_EQ(y->dtype(), dtype);
                    }
                    for (int64_t b = 0; b < batch; ++b) {
                        SCOPED_TRACE("row " + std::to_string(b));
                        EXPECT_TRUE(
                            same_bits(row_of(ys, b), event_matvec(row_of(s, b), *conn, transpose)));
                        EXPECT_TRUE(same_bits(row_of(yb, b),
                                              event_matvec(row_of(bits, b), *conn, transpose)));
                        EXPECT_TRUE(same_bits(row_of(yb, b), row_of(ys, b)));
                        EXPECT_TRUE(
                            same_bits(row_of(yf, b), event_matvec(row_of(f, b), *conn, transpose)));
                        EXPECT_TRUE(
                            same_bits(row_of(yx, b), matvec(row_of(x, b), *conn, transpose)));
                    }
                }
}

TEST(JitcMatmat, RejectsBadShapes) {
    auto message = [](auto&& f) -> std::string {
        try {
            f();
        } catch (const Exception& e) {
            return e.what();
        }
        return "no error";
    };
    const JitcScalar ok(5, 7, 0.5, 1.0, 3);
    EXPECT_PRED2(contains, message([&] {
                     event_matmat(array(DType::bool_, {2, 7}), ok);
                 }),
                 std::string("needs 5"));
    EXPECT_PRED2(contains, message([&] { matmat(array(DType::float32, {5}), ok); }),
                 std::string("[batch, n]"));
    EXPECT_PRED2(contains, message([&] {
                     event_matmat(array(DType::bool_, {2, 5}), ok, false, Device::cuda);
                 }),
                 std::string("device must be cpu or cuda-emu"));
}

// Scalar weights with event spikes: each output is count * w rounded once (be_jitc::scaled_count),
// here with w = 0.1 and hundreds to thousands of terms per output, where a float running sum
// drifts by many ulp: the test also checks that the running sum differs, so it can tell the two
// apart. The cases reach the scatter's uint16 counts (900 active rows) and int32 counts (70000
// active rows), on one thread or split across threads, and the gather.
TEST(JitcEntries, ScalarEventProductsAreCountTimesWeightRoundedOnce) {
    struct Case {
        int64_t m, n;
        double p, active;
        bool gather;
    };
    std::mt19937_64 rng(17);
    for (const Case& k : {Case{1000, 300, 0.5, 0.9, true}, Case{70000, 40, 0.05, 1.0, false}})
        for (DType dtype : {DType::float32, DType::float64}) {
            const JitcScalar r(k.m, k.n, k.p, 0.1, 7, JitcOrientation::R, dtype);
            const HostArray d = todense(r);
            for (bool transpose : {false, true}) {
                if (transpose && !k.gather) continue;
                SCOPED_TRACE(std::to_string(k.m) + " x " + std::to_string(k.n) + " " +
                             std::string(dtype_name(dtype)) + (transpose ? " transpose" : ""));
                const int64_t n_in = transpose ? k.n : k.m, n_out = transpose ? k.m : k.n;
                const HostArray s = random_bool(rng, 0, n_in, k.active);
                const HostArray got = event_matvec(s, r, transpose);
                const HostArray running = reference(d, s, transpose, false);
                int64_t drifted = 0;
                for (int64_t o = 0; o < n_out; ++o) {
                    int64_t count = 0;
                    for (int64_t i = 0; i < n_in; ++i)
                        count += s.data_as<bool>()[i] &&
                                 get(d, transpose ? o * k.n + i : i * k.n + o) != 0.0;
                    const double w = dtype == DType::float32 ? double(0.1f) : 0.1;
                    const double want = dtype == DType::float32
                                            ? double(static_cast<float>(double(count) * w))
                                            : double(count) * w;
                    ASSERT_EQ(get(got, o), want) << "output " << o << " count " << count;
                    drifted += get(running, o) != want;
                }
                EXPECT_GT(drifted, n_out / 10) << "a running sum would have given the same bits";
            }
        }
}

TEST(JitcEntries, SeedsGiveDifferentMatricesAndTheSameSeedTheSame) {
    const JitcScalar a(50, 60, 0.2, 1.0, 1), b(50, 60, 0.2, 1.0, 2), a2(50, 60, 0.2, 1.0, 1);
    EXPECT_TRUE(same_bits(todense(a), todense(a2)));
    EXPECT_FALSE(same_bits(todense(a), todense(b)));
}

} // namespace
} // namespace be::test
