// dtype/device names and HostArray: the vocabulary every other runtime test builds on.
#include <becore/runtime/array.h>
#include <becore/runtime/dtype.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <type_traits>
#include <vector>

namespace {

using be::Device;
using be::DType;
using be::HostArray;

const std::vector<DType> k_all_dtypes = {
    DType::bool_,    DType::int8,    DType::int16,   DType::int32,  DType::int64,
    DType::uint8,    DType::uint16,  DType::uint32,  DType::uint64, DType::float16,
    DType::bfloat16, DType::float32, DType::float64,
};

TEST(DTypeNames, CanonicalNames) {
    const std::vector<std::string_view> expected = {
        "bool",   "int8",   "int16",   "int32",    "int64",   "uint8",  "uint16",
        "uint32", "uint64", "float16", "bfloat16", "float32", "float64"};
    ASSERT_EQ(k_all_dtypes.size(), expected.size());
    for (size_t i = 0; i < k_all_dtypes.size(); ++i) {
        EXPECT_EQ(be::dtype_name(k_all_dtypes[i]), expected[i]);
        EXPECT_EQ(be::parse_dtype(expected[i]), k_all_dtypes[i]) << expected[i];
    }
    EXPECT_EQ(be::dtype_name(static_cast<DType>(99)), "invalid");
}

TEST(DTypeNames, SuffixAliases) {
    EXPECT_EQ(be::parse_dtype("f16"), DType::float16);
    EXPECT_EQ(be::parse_dtype("bf16"), DType::bfloat16);
    EXPECT_EQ(be::parse_dtype("f32"), DType::float32);
    EXPECT_EQ(be::parse_dtype("f64"), DType::float64);
}

TEST(DTypeNames, RejectsEverythingElse) {
    for (const char* text : {"", "float", "double", "F32", "fp32", "i32", "u8", "int", "bool_",
                             "float32 ", " float32", "bfloat"}) {
        EXPECT_FALSE(be::parse_dtype(text).has_value()) << "'" << text << "'";
    }
}

TEST(DTypeNames, SizeMatchesKernelHeader) {
    for (DType t : k_all_dtypes)
        EXPECT_EQ(be::dtype_size(t), BE::dtype_size(t));
    EXPECT_EQ(be::dtype_size(DType::bool_), 1);
    EXPECT_EQ(be::dtype_size(DType::bfloat16), 2);
    EXPECT_EQ(be::dtype_size(DType::float32), 4);
    EXPECT_EQ(be::dtype_size(DType::uint64), 8);
}

TEST(DTypeDevice, NamesAndParse) {
    EXPECT_EQ(be::device_name(Device::cpu), "cpu");
    EXPECT_EQ(be::device_name(Device::cuda), "cuda");
    EXPECT_EQ(be::device_name(Device::cuda_emu), "cuda-emu");
    for (Device d : {Device::cpu, Device::cuda, Device::cuda_emu}) {
        auto parsed = be::parse_device(be::device_name(d));
        ASSERT_TRUE(parsed.ok());
        EXPECT_EQ(parsed.value(), d);
    }
    auto gpu = be::parse_device("gpu");
    ASSERT_TRUE(gpu.ok());
    EXPECT_EQ(gpu.value(), Device::cuda);
}

TEST(DTypeDevice, UnknownDeviceMessage) {
    auto result = be::parse_device("tpu");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message,
              "parse_device: unknown device 'tpu' (expected cpu, cuda, gpu or cuda-emu)");
    for (const char* text : {"", "CPU", "cuda_emu", "cuda-emu ", "gpu0"}) {
        EXPECT_FALSE(be::parse_device(text).ok()) << "'" << text << "'";
    }
    EXPECT_THROW(be::parse_device("tpu").value(), be::Exception);
}

TEST(HostArrayCreate, ZeroedAlignedAndSized) {
    auto array = HostArray::create(DType::float64, {3, 5});
    ASSERT_TRUE(array.ok()) << array.error().message;
    EXPECT_EQ(array->dtype(), DType::float64);
    EXPECT_EQ(array->shape(), (std::vector<int64_t>{3, 5}));
    EXPECT_EQ(array->numel(), 15);
    EXPECT_EQ(array->nbytes(), 120);
    ASSERT_NE(array->data(), nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(array->data()) % 64, 0u);
    const double* values = array->data_as<double>();
    for (int i = 0; i < 15; ++i)
        EXPECT_EQ(values[i], 0.0);
}

TEST(HostArrayCreate, EveryDtypeIsZeroFilled) {
    for (DType t : k_all_dtypes) {
        auto array = HostArray::create(t, {7, 3});
        ASSERT_TRUE(array.ok());
        EXPECT_EQ(array->nbytes(), 21 * be::dtype_size(t));
        const auto* bytes = static_cast<const unsigned char*>(array->data());
        for (int64_t i = 0; i < array->nbytes(); ++i)
            ASSERT_EQ(bytes[i], 0) << i;
    }
}

TEST(HostArrayCreate, RankZeroAndZeroLength) {
    auto scalar = HostArray::create(DType::int32, {});
    ASSERT_TRUE(scalar.ok());
    EXPECT_EQ(scalar->numel(), 1);
    EXPECT_EQ(scalar->nbytes(), 4);
    EXPECT_EQ(scalar->view().ndim(), 0);
    EXPECT_EQ(*scalar->data_as<int32_t>(), 0);

    auto empty = HostArray::create(DType::uint8, {4, 0, 2});
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(empty->numel(), 0);
    EXPECT_EQ(empty->nbytes(), 0);
    EXPECT_NE(empty->data(), nullptr); // never null, so memcpy and kernels may take it
}

TEST(HostArrayCreate, RejectsBadShapes) {
    auto negative = HostArray::create(DType::float32, {2, -3});
    ASSERT_FALSE(negative.ok());
    EXPECT_EQ(negative.error().message,
              "HostArray::create: dimension 1 is negative (-3) in shape 2x-3");

    auto deep = HostArray::create(DType::float32, std::vector<int64_t>(9, 1));
    ASSERT_FALSE(deep.ok());
    EXPECT_EQ(deep.error().message,
              "HostArray::create: rank 9 exceeds the maximum of 8 (shape 1x1x1x1x1x1x1x1x1)");
    EXPECT_TRUE(HostArray::create(DType::float32, std::vector<int64_t>(8, 1)).ok());

    auto huge = HostArray::create(DType::float64, {int64_t(1) << 40, int64_t(1) << 30});
    ASSERT_FALSE(huge.ok());
    EXPECT_NE(huge.error().message.find("too large"), std::string::npos) << huge.error().message;

    // A zero dimension makes the element count 0, but the other dimensions must still multiply
    // without overflow (as in numpy): BE::Tensor's strides and is_contiguous() multiply them.
    auto empty = HostArray::create(DType::float64, {int64_t(1) << 20, 0, int64_t(1) << 20});
    ASSERT_TRUE(empty.ok()) << empty.error().message;
    EXPECT_EQ(empty->numel(), 0);
    EXPECT_TRUE(empty->view().is_contiguous());
    auto empty_huge = HostArray::create(DType::int8, {0, int64_t(1) << 40, int64_t(1) << 40});
    ASSERT_FALSE(empty_huge.ok());
    EXPECT_EQ(empty_huge.error().message, "HostArray::create: shape 0x1099511627776x1099511627776 "
                                          "of int8 is too large (byte count overflows)");
}

TEST(HostArrayMove, MoveOnlyAndTransfersOwnership) {
    static_assert(!std::is_copy_constructible_v<HostArray>);
    static_assert(!std::is_copy_assignable_v<HostArray>);
    static_assert(std::is_nothrow_move_constructible_v<HostArray>);
    static_assert(std::is_nothrow_move_assignable_v<HostArray>);

    auto created = HostArray::create(DType::int16, {4});
    ASSERT_TRUE(created.ok());
    HostArray a = std::move(created).value();
    a.data_as<int16_t>()[2] = 42;
    void* data = a.data();

    HostArray b(std::move(a));
    EXPECT_EQ(b.data(), data);
    EXPECT_EQ(b.data_as<int16_t>()[2], 42);
    EXPECT_EQ(a.data(), nullptr); // NOLINT(bugprone-use-after-move): the moved-from state
    EXPECT_EQ(a.numel(), 0);
    EXPECT_EQ(a.shape(), (std::vector<int64_t>{0}));

    HostArray c;
    c = std::move(b);
    EXPECT_EQ(c.data(), data);
    EXPECT_EQ(c.shape(), (std::vector<int64_t>{4}));
    EXPECT_EQ(c.dtype(), DType::int16);
}

TEST(HostArrayView, CContiguousOnCpu) {
    auto array = HostArray::create(DType::float32, {3, 4, 5});
    ASSERT_TRUE(array.ok());
    BE::Tensor t = array->view();
    EXPECT_EQ(t.data_ptr(), array->data());
    EXPECT_EQ(t.dtype(), DType::float32);
    EXPECT_EQ(t.device(), Device::cpu);
    EXPECT_EQ(t.device_index, 0);
    ASSERT_EQ(t.ndim(), 3);
    EXPECT_EQ(t.size(0), 3);
    EXPECT_EQ(t.size(1), 4);
    EXPECT_EQ(t.size(2), 5);
    EXPECT_EQ(t.stride(0), 20);
    EXPECT_EQ(t.stride(1), 5);
    EXPECT_EQ(t.stride(2), 1);
    EXPECT_TRUE(t.is_contiguous());
    EXPECT_EQ(t.numel(), 60);
    EXPECT_EQ(t.nbytes(), 240);

    // Writes through the view land in the array.
    t.data_ptr<float>()[23] = 1.5f;
    EXPECT_EQ(array->data_as<float>()[23], 1.5f);

    const HostArray& constant = *array;
    const BE::Tensor ct = constant.view();
    EXPECT_EQ(ct.data_ptr(), array->data());
    EXPECT_EQ(ct.stride(0), 20);
    EXPECT_EQ(ct.data_ptr<float>()[23], 1.5f);
}

TEST(HostArrayView, MakeTensorView) {
    std::vector<int64_t> storage(6, 7);
    BE::Tensor t = be::make_tensor_view(storage.data(), DType::int64, {2, 3});
    EXPECT_EQ(t.data_ptr(), storage.data());
    EXPECT_EQ(t.ndim(), 2);
    EXPECT_EQ(t.stride(0), 3);
    EXPECT_EQ(t.stride(1), 1);
    EXPECT_EQ(t.device(), Device::cpu);
    EXPECT_TRUE(t.is_contiguous());

    BE::Tensor scalar = be::make_tensor_view(storage.data(), DType::int64, {});
    EXPECT_EQ(scalar.ndim(), 0);
    EXPECT_EQ(scalar.numel(), 1);

    EXPECT_THROW(be::make_tensor_view(storage.data(), DType::int64, std::vector<int64_t>(9, 1)),
                 be::Exception);
    EXPECT_THROW(be::make_tensor_view(storage.data(), DType::int64, {-1}), be::Exception);
}

TEST(HostArrayShape, ShapeString) {
    EXPECT_EQ(be::shape_string({}), "scalar");
    EXPECT_EQ(be::shape_string({8}), "8");
    EXPECT_EQ(be::shape_string({4, 8}), "4x8");
    EXPECT_EQ(be::shape_string({0, 3}), "0x3");
    EXPECT_EQ(be::shape_string({2, 3, 4}), "2x3x4");
}

TEST(HostArrayShape, ParseShape) {
    const std::vector<std::vector<int64_t>> shapes = {{}, {8}, {4, 8}, {2, 3, 4}, {0}, {5, 0, 1}};
    for (const auto& shape : shapes) {
        auto parsed = be::parse_shape(be::shape_string(shape));
        ASSERT_TRUE(parsed.ok()) << parsed.error().message;
        EXPECT_EQ(parsed.value(), shape);
    }
    auto big = be::parse_shape("9223372036854775807");
    ASSERT_TRUE(big.ok());
    EXPECT_EQ(big.value()[0], INT64_MAX);
}

TEST(HostArrayShape, ParseShapeErrorsQuoteText) {
    for (const char* text : {"", "x", "4x", "x4", "4xx8", "4*8", "-1", "4x-8", "+4", " 4", "4 ",
                             "a", "9223372036854775808", "1x1x1x1x1x1x1x1x1"}) {
        auto parsed = be::parse_shape(text);
        ASSERT_FALSE(parsed.ok()) << "'" << text << "'";
        const std::string& message = parsed.error().message;
        EXPECT_EQ(message.rfind("parse_shape: invalid shape '" + std::string(text) + "'", 0), 0u)
            << message;
    }
    EXPECT_NE(be::parse_shape("4xy").error().message.find("'y' is not a non-negative integer"),
              std::string::npos);
    EXPECT_NE(be::parse_shape("1x1x1x1x1x1x1x1x1").error().message.find("rank 9"),
              std::string::npos);
}

} // namespace
