// `.npy` I/O: round trips through write_npy/read_npy, files written by real NumPy (golden
// fixtures, see tests/fixtures/npy/README.md; no Python at test time) and every error path.
#include <becore/runtime/array.h>
#include <becore/runtime/npy.h>

#include "test_support.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using be::DType;
using be::HostArray;

fs::path fixture(const std::string& name) {
    return fs::path(BECORE_TEST_FIXTURES) / "npy" / name;
}

// A version `major`.0 file around a hand-written header dict, padded as NumPy pads it.
std::string make_npy(const std::string& dict, const std::string& data = {}, int major = 1) {
    const size_t len_size = major == 1 ? 2 : 4;
    std::string header = dict;
    const size_t unpadded = 8 + len_size + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';
    std::string file = "\x93NUMPY";
    file += char(major);
    file += char(0);
    for (size_t i = 0; i < len_size; ++i)
        file += char((header.size() >> (8 * i)) & 0xFF);
    return file + header + data;
}

HostArray read_ok(const fs::path& path) {
    auto result = be::read_npy(path);
    if (!result.ok()) ADD_FAILURE() << result.error().full();
    return result.ok() ? std::move(result).value() : HostArray();
}

std::string read_error(const fs::path& path) {
    auto result = be::read_npy(path);
    if (result.ok()) {
        ADD_FAILURE() << "read_npy(" << path << ") unexpectedly succeeded";
        return {};
    }
    return result.error().message;
}

std::string read_prefix(const fs::path& path) {
    return "read_npy(" + path.string() + "): ";
}

template <typename T> std::vector<T> values_of(const HostArray& array) {
    const T* data = array.data_as<T>();
    return std::vector<T>(data, data + array.numel());
}

// ---------------------------------------------------------------------------------------------
// Round trips

class NpyRoundTrip : public ::testing::TestWithParam<DType> {};

TEST_P(NpyRoundTrip, ShapesIncludingScalarAndEmpty) {
    const DType dtype = GetParam();
    be::test::TempDir dir;
    const std::vector<std::vector<int64_t>> shapes = {{}, {0}, {7}, {2, 3, 4}, {3, 0, 2}, {1, 5}};
    for (const auto& shape : shapes) {
        SCOPED_TRACE(be::shape_string(shape));
        auto created = HostArray::create(dtype, shape);
        ASSERT_TRUE(created.ok());
        HostArray array = std::move(created).value();
        auto* bytes = static_cast<unsigned char*>(array.data());
        for (int64_t i = 0; i < array.nbytes(); ++i) {
            // bool stays 0/1 so the file is also valid for NumPy.
            bytes[i] =
                dtype == DType::bool_ ? (i % 3 == 0) : static_cast<unsigned char>(i * 37 + 11);
        }
        const fs::path path = dir / "a.npy";
        auto written = be::write_npy(path, array.view());
        ASSERT_TRUE(written.ok()) << written.error().message;
        HostArray back = read_ok(path);
        EXPECT_EQ(back.dtype(), dtype);
        EXPECT_EQ(back.shape(), shape);
        ASSERT_EQ(back.nbytes(), array.nbytes());
        EXPECT_EQ(std::memcmp(back.data(), array.data(), array.nbytes()), 0);
    }
}

INSTANTIATE_TEST_SUITE_P(Npy, NpyRoundTrip,
                         ::testing::Values(DType::bool_, DType::int8, DType::int16, DType::int32,
                                           DType::int64, DType::uint8, DType::uint16, DType::uint32,
                                           DType::uint64, DType::float16, DType::float32,
                                           DType::float64),
                         [](const auto& info) { return std::string(be::dtype_name(info.param)); });

TEST(NpyWrite, Version1HeaderAlignedTo64) {
    be::test::TempDir dir;
    std::vector<float> values = {1, 2, 3, 4, 5, 6};
    ASSERT_TRUE(
        be::write_npy(dir / "f.npy", be::make_tensor_view(values.data(), DType::float32, {2, 3}))
            .ok());
    const std::string file = be::test::read_file(dir / "f.npy");
    ASSERT_GE(file.size(), 10u);
    EXPECT_EQ(file.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
    const size_t header_len = uint8_t(file[8]) | (uint8_t(file[9]) << 8);
    EXPECT_EQ((10 + header_len) % 64, 0u);
    EXPECT_EQ(file[10 + header_len - 1], '\n');
    EXPECT_EQ(file.size(), 10 + header_len + 24);
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    EXPECT_EQ(file.substr(10, dict.size()), dict);
    EXPECT_EQ(std::memcmp(file.data() + 10 + header_len, values.data(), 24), 0);
}

TEST(NpyWrite, OverwritesExistingFile) {
    be::test::TempDir dir;
    be::test::write_file(dir / "x.npy", std::string(5000, 'z'));
    int32_t value = 7;
    ASSERT_TRUE(be::write_npy(dir / "x.npy", be::make_tensor_view(&value, DType::int32, {})).ok());
    HostArray back = read_ok(dir / "x.npy");
    EXPECT_EQ(back.shape(), std::vector<int64_t>{});
    EXPECT_EQ(*back.data_as<int32_t>(), 7);
}

TEST(NpyWrite, RejectsBfloat16) {
    be::test::TempDir dir;
    uint16_t raw[2] = {0x3FC0, 0x4000};
    auto result = be::write_npy(dir / "b.npy", be::make_tensor_view(raw, DType::bfloat16, {2}));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message.rfind("write_npy(" + (dir / "b.npy").string() + "): ", 0), 0u);
    EXPECT_NE(result.error().message.find("bfloat16 has no .npy descr"), std::string::npos);
    EXPECT_FALSE(fs::exists(dir / "b.npy"));
}

TEST(NpyWrite, RejectsNonCpuAndNonContiguous) {
    be::test::TempDir dir;
    std::vector<float> values(12);
    BE::Tensor t = be::make_tensor_view(values.data(), DType::float32, {3, 4});
    t.device_ = BE::Device::cuda;
    auto on_gpu = be::write_npy(dir / "g.npy", t);
    ASSERT_FALSE(on_gpu.ok());
    EXPECT_NE(on_gpu.error().message.find("device cuda"), std::string::npos);

    BE::Tensor transposed = be::make_tensor_view(values.data(), DType::float32, {4, 3});
    transposed.strides[0] = 1;
    transposed.strides[1] = 4;
    auto strided = be::write_npy(dir / "t.npy", transposed);
    ASSERT_FALSE(strided.ok());
    EXPECT_NE(strided.error().message.find("not C-contiguous"), std::string::npos);
}

TEST(NpyWrite, UnwritablePath) {
    be::test::TempDir dir;
    int8_t value = 1;
    const fs::path path = dir / "missing-dir" / "x.npy";
    auto result = be::write_npy(path, be::make_tensor_view(&value, DType::int8, {1}));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message.rfind("write_npy(" + path.string() + "): cannot open", 0), 0u);
}

// ---------------------------------------------------------------------------------------------
// Files written by NumPy

TEST(NpyNumpyFiles, Version1Dtypes) {
    HostArray f32 = read_ok(fixture("v1_f32_2x3.npy"));
    EXPECT_EQ(f32.dtype(), DType::float32);
    EXPECT_EQ(f32.shape(), (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(values_of<float>(f32), (std::vector<float>{-0.5f, -0.25f, 0.f, 0.25f, 0.5f, 0.75f}));

    HostArray i64 = read_ok(fixture("v1_i64_5.npy"));
    EXPECT_EQ(i64.dtype(), DType::int64);
    EXPECT_EQ(values_of<int64_t>(i64), (std::vector<int64_t>{-2, -1, 0, 1, int64_t(1) << 40}));

    HostArray flags = read_ok(fixture("v1_bool_4.npy"));
    EXPECT_EQ(flags.dtype(), DType::bool_);
    EXPECT_EQ(values_of<uint8_t>(flags), (std::vector<uint8_t>{1, 0, 0, 1}));

    HostArray half = read_ok(fixture("v1_f16_3.npy"));
    EXPECT_EQ(half.dtype(), DType::float16);
    // IEEE half bit patterns of 0.5, -2.0 and 65504 (the largest finite half).
    EXPECT_EQ(values_of<uint16_t>(half), (std::vector<uint16_t>{0x3800, 0xC000, 0x7BFF}));

    HostArray i8 = read_ok(fixture("v1_i8_2x2x2.npy"));
    EXPECT_EQ(i8.dtype(), DType::int8);
    EXPECT_EQ(i8.shape(), (std::vector<int64_t>{2, 2, 2}));
    EXPECT_EQ(values_of<int8_t>(i8), (std::vector<int8_t>{-4, -3, -2, -1, 0, 1, 2, 3}));
}

TEST(NpyNumpyFiles, RankZeroAndZeroLength) {
    HostArray scalar = read_ok(fixture("v1_u16_scalar.npy"));
    EXPECT_EQ(scalar.dtype(), DType::uint16);
    EXPECT_TRUE(scalar.shape().empty());
    EXPECT_EQ(*scalar.data_as<uint16_t>(), 65535);

    HostArray empty = read_ok(fixture("v1_u8_0x3.npy"));
    EXPECT_EQ(empty.dtype(), DType::uint8);
    EXPECT_EQ(empty.shape(), (std::vector<int64_t>{0, 3}));
    EXPECT_EQ(empty.numel(), 0);
}

TEST(NpyNumpyFiles, BigEndianIsSwapped) {
    HostArray be32 = read_ok(fixture("v1_u32_be_3.npy"));
    EXPECT_EQ(be32.dtype(), DType::uint32);
    EXPECT_EQ(values_of<uint32_t>(be32), (std::vector<uint32_t>{1, 256, 0xDEADBEEF}));
}

TEST(NpyNumpyFiles, Version2And3) {
    HostArray v2 = read_ok(fixture("v2_i32_3x2.npy"));
    EXPECT_EQ(v2.dtype(), DType::int32);
    EXPECT_EQ(v2.shape(), (std::vector<int64_t>{3, 2}));
    EXPECT_EQ(values_of<int32_t>(v2), (std::vector<int32_t>{-3, -2, -1, 0, 1, 2}));

    HostArray v3 = read_ok(fixture("v3_f64_4.npy"));
    EXPECT_EQ(v3.dtype(), DType::float64);
    EXPECT_EQ(values_of<double>(v3), (std::vector<double>{0.1, 0.2, -0.3, 1e300}));
}

// write_npy copies NumPy's header layout exactly, so a file NumPy wrote survives a
// read/write cycle unchanged (version 1.0, little-endian, C order).
TEST(NpyNumpyFiles, RewriteIsByteIdentical) {
    be::test::TempDir dir;
    for (const char* name : {"v1_f32_2x3.npy", "v1_i64_5.npy", "v1_bool_4.npy", "v1_f16_3.npy",
                             "v1_i8_2x2x2.npy", "v1_u16_scalar.npy", "v1_u8_0x3.npy"}) {
        SCOPED_TRACE(name);
        HostArray array = read_ok(fixture(name));
        auto written = be::write_npy(dir / name, array.view());
        ASSERT_TRUE(written.ok()) << written.error().message;
        EXPECT_EQ(be::test::read_file(dir / name), be::test::read_file(fixture(name)));
    }
}

TEST(NpyNumpyFiles, TolerantHeaderDict) {
    be::test::TempDir dir;
    const std::string data("\x01\x00\x02\x00\x03\x00\x04\x00\x05\x00\x06\x00", 12);
    for (const char* dict : {
             "{'shape': (2, 3), 'fortran_order': False, 'descr': '<i2'}",
             "{ \"descr\" : \"<i2\" ,\"fortran_order\":False,'shape':( 2 ,3 , ) , }",
             "{'descr': '<i2', 'fortran_order': False, 'shape': (2L, 3L), }",
             "{'descr':'<i2','fortran_order':False,'shape':(2,3)}\n\n",
         }) {
        SCOPED_TRACE(dict);
        be::test::write_file(dir / "h.npy", make_npy(dict, data));
        HostArray array = read_ok(dir / "h.npy");
        EXPECT_EQ(array.dtype(), DType::int16);
        EXPECT_EQ(array.shape(), (std::vector<int64_t>{2, 3}));
        EXPECT_EQ(values_of<int16_t>(array), (std::vector<int16_t>{1, 2, 3, 4, 5, 6}));
    }
    // "(5)" is an int in Python, but its meaning is clear; trailing bytes are ignored as NumPy
    // does.
    be::test::write_file(
        dir / "p.npy",
        make_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (5)}", "abcdeXYZ"));
    EXPECT_EQ(read_ok(dir / "p.npy").shape(), std::vector<int64_t>{5});
}

// ---------------------------------------------------------------------------------------------
// Errors

TEST(NpyErrors, FortranOrder) {
    const fs::path path = fixture("v1_f32_fortran_2x3.npy");
    EXPECT_EQ(read_error(path), read_prefix(path) + "Fortran-order arrays are not supported; "
                                                    "save with np.ascontiguousarray");
}

TEST(NpyErrors, TruncatedData) {
    be::test::TempDir dir;
    const std::string good = be::test::read_file(fixture("v1_f32_2x3.npy"));
    const fs::path path = dir / "short.npy";
    be::test::write_file(path, good.substr(0, good.size() - 4));
    EXPECT_EQ(read_error(path),
              read_prefix(path) + "truncated data (expected 24 bytes for 2x3 float32, found 20)");
}

// A corrupt header claiming a huge array is reported as truncated, not allocated first.
TEST(NpyErrors, HugeShapeInShortFile) {
    be::test::TempDir dir;
    const fs::path path = dir / "huge.npy";
    be::test::write_file(
        path, make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000)}",
                       std::string(8, '\0')));
    EXPECT_EQ(read_error(path), read_prefix(path) + "truncated data (expected 8000000000000 "
                                                    "bytes for 1000000x1000000 float64, found 8)");
}

// Found by Fuzz.npy (tests/fuzz/crashes/npy/overflow-shape-with-zero): a shape with no elements
// whose other dimensions multiply past int64 overflowed BE::Tensor's arithmetic; numpy refuses such
// a shape too. The byte count's overflow is refused the same way.
TEST(NpyErrors, ShapeWhoseByteCountOverflows) {
    be::test::TempDir dir;
    const fs::path path = dir / "overflow.npy";
    be::test::write_file(path, make_npy("{'descr': '|i1', 'fortran_order': False, "
                                        "'shape': (0, 8888888888882, 8888888888882, 3)}"));
    EXPECT_EQ(read_error(path), read_prefix(path) +
                                    "shape 0x8888888888882x8888888888882x3 of int8 "
                                    "is too large (its byte count overflows int64)");
    be::test::write_file(path, make_npy("{'descr': '<f8', 'fortran_order': False, "
                                        "'shape': (2, 1152921504606846976)}"));
    EXPECT_EQ(read_error(path), read_prefix(path) + "shape 2x1152921504606846976 of float64 is "
                                                    "too large (its byte count overflows int64)");
    // Small non-zero dimensions beside a zero one are an empty array, as in numpy.
    be::test::write_file(path, make_npy("{'descr': '<f8', 'fortran_order': False, "
                                        "'shape': (0, 1000000, 1000000)}"));
    auto empty = be::read_npy(path);
    ASSERT_TRUE(empty.ok()) << empty.error().message;
    EXPECT_EQ(empty->numel(), 0);
    EXPECT_EQ(empty->shape(), (std::vector<int64_t>{0, 1000000, 1000000}));
}

// A damaged header length must not allocate it (up to 4 GiB) before noticing the file is short.
TEST(NpyErrors, HugeHeaderLengthInShortFile) {
    be::test::TempDir dir;
    const fs::path path = dir / "long_header.npy";
    const std::string bytes("\x93NUMPY\x02\x00\xf0\xff\xff\xff{'d", 15);
    be::test::write_file(path, bytes);
    const std::string expected = "truncated header (expected 4294967280 bytes, found 3)";
    EXPECT_EQ(read_error(path), read_prefix(path) + expected);
    auto parsed = be::parse_npy(bytes, "mem");
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().message, "read_npy(mem): " + expected);
}

TEST(NpyErrors, TruncatedHeader) {
    be::test::TempDir dir;
    const std::string good = be::test::read_file(fixture("v2_i32_3x2.npy"));
    const fs::path path = dir / "short.npy";
    be::test::write_file(path, good.substr(0, 40));
    EXPECT_EQ(read_error(path).rfind(read_prefix(path) + "truncated header", 0), 0u);
    be::test::write_file(path, good.substr(0, 10));
    EXPECT_EQ(read_error(path).rfind(read_prefix(path) + "truncated header", 0), 0u);
}

TEST(NpyErrors, BadMagic) {
    be::test::TempDir dir;
    const fs::path path = dir / "zip.npy";
    const std::string expected =
        read_prefix(path) + "not a .npy file (bad magic; expected \"\\x93NUMPY\")";
    be::test::write_file(path, std::string("PK\x03\x04", 4) + std::string(200, '\0'));
    EXPECT_EQ(read_error(path), expected);
    be::test::write_file(path, "");
    EXPECT_EQ(read_error(path), expected);
    be::test::write_file(path, "\x93NUMP");
    EXPECT_EQ(read_error(path), expected);
}

TEST(NpyErrors, UnsupportedVersion) {
    be::test::TempDir dir;
    std::string file = be::test::read_file(fixture("v1_i64_5.npy"));
    file[6] = 4;
    const fs::path path = dir / "v4.npy";
    be::test::write_file(path, file);
    EXPECT_EQ(read_error(path),
              read_prefix(path) + "unsupported format version 4.0 (supported: 1.0, 2.0, 3.0)");
}

TEST(NpyErrors, UnknownDescr) {
    be::test::TempDir dir;
    const fs::path path = dir / "d.npy";
    for (const char* descr : {"<c8", "<V2", "|V2", "<f3", "f4", "<U5", "|O", "<i16", "<M8[ns]"}) {
        SCOPED_TRACE(descr);
        be::test::write_file(path, make_npy(std::string("{'descr': '") + descr +
                                                "', 'fortran_order': False, 'shape': (1,), }",
                                            std::string(16, '\0')));
        EXPECT_EQ(
            read_error(path).rfind(read_prefix(path) + "unsupported descr '" + descr + "'", 0), 0u);
    }
}

TEST(NpyErrors, MalformedDict) {
    be::test::TempDir dir;
    const fs::path path = dir / "m.npy";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "expected '{'"},
        {"'descr': '<f4'", "expected '{'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", "expected ',' or '}'"},
        {"{'descr': '<f4', 'fortran_order': False}", "missing key 'shape'"},
        {"{'fortran_order': False, 'shape': (2,)}", "missing key 'descr'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", "unexpected key 'x'"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}",
         "duplicate key 'descr'"},
        {"{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}", "expected True or False"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1)}",
         "expected a non-negative integer in 'shape'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}", "expected ',' or ')'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", "expected '('"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}",
         "dimension too large"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}",
         "structured dtypes are not supported"},
        {"{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}", "expected ',' or '}'"},
        {"{'descr' '<f4', 'fortran_order': False, 'shape': (2,)}", "expected ':'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x}", "unterminated string"},
        {"{descr: '<f4', 'fortran_order': False, 'shape': (2,)}", "expected a quoted key"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk", "unexpected text after"},
    };
    for (const auto& [dict, expected] : cases) {
        SCOPED_TRACE(dict);
        be::test::write_file(path, make_npy(dict, std::string(64, '\0')));
        const std::string message = read_error(path);
        EXPECT_EQ(message.rfind(read_prefix(path) + "malformed header dict: ", 0), 0u) << message;
        EXPECT_NE(message.find(expected), std::string::npos) << message;
    }
}

TEST(NpyErrors, RankAboveMaximum) {
    be::test::TempDir dir;
    const fs::path path = dir / "deep.npy";
    be::test::write_file(
        path,
        make_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1)}", "x"));
    EXPECT_EQ(read_error(path), read_prefix(path) + "rank 9 exceeds the maximum of 8");
}

TEST(NpyErrors, MissingFile) {
    be::test::TempDir dir;
    const fs::path path = dir / "nope.npy";
    EXPECT_EQ(read_error(path), read_prefix(path) + "cannot open: No such file or directory");
}

// parse_npy reads what read_npy reads, from memory; npy_header is the head write_npy writes, so
// header + data of a NumPy-written file is that file again.
TEST(NpyBytes, ParseMatchesReadAndHeaderMatchesWrite) {
    for (const auto& entry : fs::directory_iterator(fs::path(BECORE_TEST_FIXTURES) / "npy")) {
        if (entry.path().extension() != ".npy") continue;
        SCOPED_TRACE(entry.path().filename().string());
        const std::string bytes = be::test::read_file(entry.path());
        auto from_file = be::read_npy(entry.path());
        auto from_bytes = be::parse_npy(bytes, entry.path().string());
        ASSERT_EQ(from_file.ok(), from_bytes.ok());
        if (!from_file.ok()) {
            EXPECT_EQ(from_file.error().message, from_bytes.error().message);
            continue;
        }
        EXPECT_EQ(from_bytes->dtype(), from_file->dtype());
        EXPECT_EQ(from_bytes->shape(), from_file->shape());
        const auto* data = static_cast<const char*>(from_bytes->data());
        const std::string payload(data, static_cast<size_t>(from_bytes->nbytes()));
        EXPECT_EQ(payload, std::string(static_cast<const char*>(from_file->data()),
                                       static_cast<size_t>(from_file->nbytes())));
        auto header = be::npy_header(from_bytes->view());
        ASSERT_TRUE(header.ok()) << header.error().message;
        // NumPy's own layout for version 1.0 little-endian files (RewriteIsByteIdentical).
        if (bytes[6] == 1 && bytes.find("'>") == std::string::npos) {
            EXPECT_EQ(*header + payload, bytes);
        }
    }
}

} // namespace
