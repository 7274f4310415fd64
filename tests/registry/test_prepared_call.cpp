// The prepared call (PreparedCall, docs/prepared-call.md): prepare + invoke gives what call
// gives, every mismatch gives call's error, attrs can change between invokes, and an invoke
// allocates nothing (this binary counts operator new: alloc_counter.h).
#include "alloc_counter.h"
#include "test_support.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>
#include <becore/runtime/array.h>

#include <gtest/gtest.h>

namespace be {
namespace {

const std::filesystem::path k_examples = BECORE_EXAMPLES_DIR;

// The message without its operation prefix ("call(x): ", "prepare(x): ").
std::string body(const Error& e) {
    const size_t colon = e.message.find("): ");
    return colon == std::string::npos ? e.message : e.message.substr(colon + 3);
}

class PreparedCallTest : public ::testing::Test {
  protected:
    test::TempDir cache_dir;
    Registry registry{KernelCache::open(cache_dir.path())};

    void SetUp() override {
        auto report = registry.load_cpp_file(k_examples / "scale.cpp");
        ASSERT_TRUE(report) << report.error().full();
        auto noop = registry.load_cpp_inline("noop", R"(
            // @BE noop
            void noop(const BE::Tensor& x, BE::Tensor& y, int64_t step) {}
            // @BE fill
            void fill(BE::Tensor& out, int8_t small, uint32_t big, bool flag) {
                auto* p = out.data_ptr<int64_t>();
                p[0] = small; p[1] = big; p[2] = flag;
            }
        )",
                                             "noop");
        ASSERT_TRUE(noop) << noop.error().full();
    }

    static HostArray ramp(DType dtype, int64_t n) {
        auto a = HostArray::create(dtype, {n}).value();
        for (int64_t i = 0; i < n; ++i) {
            if (dtype == DType::float32) a.data_as<float>()[i] = static_cast<float>(i);
            if (dtype == DType::float64) a.data_as<double>()[i] = static_cast<double>(i);
        }
        return a;
    }
};

TEST_F(PreparedCallTest, InvokeGivesWhatCallGives) {
    auto x = ramp(DType::float32, 16);
    auto by_call = HostArray::create(DType::float32, {16}).value();
    auto by_invoke = HostArray::create(DType::float32, {16}).value();
    BE::Tensor args[] = {x.view()}, call_rets[] = {by_call.view()},
               invoke_rets[] = {by_invoke.view()};
    ASSERT_TRUE(registry.call("scale.scale_f32", args, call_rets, {{"alpha", 2.5}}));
    const DType f32[] = {DType::float32};
    auto prepared = registry.prepare("scale.scale_f32", Device::cpu, f32, f32, {{"alpha", 2.5}});
    ASSERT_TRUE(prepared) << prepared.error().full();
    EXPECT_EQ(prepared->target_name(), "scale.scale_f32");
    EXPECT_EQ(prepared->device(), Device::cpu);
    for (int repeat = 0; repeat < 3; ++repeat) {
        auto invoked = prepared->invoke(args, invoke_rets);
        ASSERT_TRUE(invoked) << invoked.error().full();
    }
    for (int i = 0; i < 16; ++i)
        EXPECT_EQ(by_invoke.data_as<float>()[i], by_call.data_as<float>()[i]) << i;

    // From sample tensors, and through the Target.
    auto target = registry.find("scale.scale_f32");
    ASSERT_TRUE(target);
    auto sampled = target->prepare(args, invoke_rets, {{"alpha", 2.5}});
    ASSERT_TRUE(sampled) << sampled.error().full();
    ASSERT_TRUE(sampled->invoke(args, invoke_rets));
    EXPECT_EQ(by_invoke.data_as<float>()[15], 2.5f * 15);
}

TEST_F(PreparedCallTest, DtypeSuffixGroupDispatchesOnFirstRetDtype) {
    const DType f64[] = {DType::float64};
    auto prepared = registry.prepare("scale.scale", Device::cpu, f64, f64, {{"alpha", int64_t{3}}});
    ASSERT_TRUE(prepared) << prepared.error().full();
    EXPECT_EQ(prepared->target_name(), "scale.scale_f64");
    auto x = ramp(DType::float64, 5), y = ramp(DType::float64, 5);
    BE::Tensor args[] = {x.view()}, rets[] = {y.view()};
    ASSERT_TRUE(prepared->invoke(args, rets));
    EXPECT_DOUBLE_EQ(y.data_as<double>()[4], 12.0);
    auto sampled = registry.prepare("scale.scale", args, rets, {{"alpha", 1.0}});
    ASSERT_TRUE(sampled) << sampled.error().full();
    EXPECT_EQ(sampled->target_name(), "scale.scale_f64");
}

// Each mismatch call rejects, prepare (or, for what only a tensor shows, invoke) rejects with the
// same message; only the operation differs ("prepare(...)" vs "call(...)").
TEST_F(PreparedCallTest, EveryMismatchGivesCallsError) {
    auto x32 = ramp(DType::float32, 4), y32 = ramp(DType::float32, 4),
         x64 = ramp(DType::float64, 4);
    BE::Tensor args[] = {x32.view()}, rets[] = {y32.view()}, wrong[] = {x64.view()};
    const DType f32[] = {DType::float32}, f64[] = {DType::float64};
    struct Case {
        const char* what;
        Result<void> call;
        Result<PreparedCall> prepared;
        const char* fragment;
    };
    std::vector<Case> cases;
    cases.push_back({"count", registry.call("scale.scale_f32", {}, rets, {{"alpha", 1.0}}),
                     registry.prepare("scale.scale_f32", Device::cpu, {}, f32, {{"alpha", 1.0}}),
                     "expected 1 args and 1 rets, got 0 args and 1 rets"});
    cases.push_back({"dtype", registry.call("scale.scale_f32", wrong, rets, {{"alpha", 1.0}}),
                     registry.prepare("scale.scale_f32", Device::cpu, f64, f32, {{"alpha", 1.0}}),
                     "arg 0 ('x') has dtype float64 but the target requires float32"});
    cases.push_back({"missing attr", registry.call("scale.scale_f32", args, rets, {}),
                     registry.prepare("scale.scale_f32", Device::cpu, f32, f32, {}),
                     "missing attr 'alpha'"});
    cases.push_back({"unknown attr",
                     registry.call("scale.scale_f32", args, rets, {{"alpha", 1.0}, {"beta", 1.0}}),
                     registry.prepare("scale.scale_f32", Device::cpu, f32, f32,
                                      {{"alpha", 1.0}, {"beta", 1.0}}),
                     "unknown attr 'beta'"});
    cases.push_back({"attr type", registry.call("scale.scale_f32", args, rets, {{"alpha", true}}),
                     registry.prepare("scale.scale_f32", Device::cpu, f32, f32, {{"alpha", true}}),
                     "not a number"});
    cases.push_back({"attr range", registry.call("scale.axpy", args, rets, {{"a", 1e300}}),
                     registry.prepare("scale.axpy", Device::cpu, f32, f32, {{"a", 1e300}}),
                     "out of float32 range"});
    auto out = HostArray::create(DType::int64, {3}).value();
    BE::Tensor fill_rets[] = {out.view()};
    const DType i64[] = {DType::int64};
    const AttrMap too_small{{"small", int64_t{128}}, {"big", uint64_t{1}}, {"flag", false}};
    cases.push_back({"integer range", registry.call("noop.fill", {}, fill_rets, too_small),
                     registry.prepare("noop.fill", Device::cpu, {}, i64, too_small),
                     "attr 'small' is int8 but got 128 (out of range)"});
    BE::Tensor on_gpu[] = {x32.view()}, gpu_rets[] = {y32.view()};
    on_gpu[0].device_ = gpu_rets[0].device_ = BE::Device::cuda;
    cases.push_back({"device", registry.call("scale.scale_f32", on_gpu, gpu_rets, {{"alpha", 1.0}}),
                     registry.prepare("scale.scale_f32", Device::cuda, f32, f32, {{"alpha", 1.0}}),
                     "the tensors are on cuda, but the target has implementations for cpu"});
    cases.push_back({"name", registry.call("scale.nope", args, rets),
                     registry.prepare("scale.nope", Device::cpu, f32, f32), "no such target"});
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        ASSERT_FALSE(c.call.ok());
        ASSERT_FALSE(c.prepared.ok());
        EXPECT_NE(c.call.error().message.find(c.fragment), std::string::npos)
            << c.call.error().message;
        EXPECT_EQ(body(c.prepared.error()), body(c.call.error()));
        EXPECT_EQ(c.call.error().message.rfind("call(scale.", 0) == 0 ||
                      c.call.error().message.rfind("call(noop.", 0) == 0,
                  true)
            << c.call.error().message;
        EXPECT_EQ(c.prepared.error().message.rfind("prepare(", 0), 0u)
            << c.prepared.error().message;
    }
}

TEST_F(PreparedCallTest, InvokeChecksCountDtypeRankDeviceAndData) {
    auto x32 = ramp(DType::float32, 4), y32 = ramp(DType::float32, 4),
         x64 = ramp(DType::float64, 4);
    auto matrix = HostArray::create(DType::float32, {2, 2}).value();
    BE::Tensor args[] = {x32.view()}, rets[] = {y32.view()};
    auto prepared = registry.prepare("scale.scale_f32", args, rets, {{"alpha", 1.0}});
    ASSERT_TRUE(prepared) << prepared.error().full();
    auto expect = [](const Result<void>& r, const std::string& message) {
        ASSERT_FALSE(r.ok()) << message;
        EXPECT_EQ(r.error().message, message);
    };
    expect(prepared->invoke({}, rets),
           "call(scale.scale_f32): expected 1 args and 1 rets, got 0 args and 1 rets");
    // The same wrong count through call: the same message.
    expect(registry.call("scale.scale_f32", {}, rets, {{"alpha", 1.0}}),
           "call(scale.scale_f32): expected 1 args and 1 rets, got 0 args and 1 rets");
    BE::Tensor wrong_dtype[] = {x64.view()};
    expect(prepared->invoke(wrong_dtype, rets),
           "call(scale.scale_f32): arg 0 ('x') has dtype float64 but the target requires float32");
    BE::Tensor wrong_rank[] = {matrix.view()};
    expect(prepared->invoke(wrong_rank, rets),
           "call(scale.scale_f32): arg 0 ('x') has rank 2 but the call was prepared for rank 1");
    BE::Tensor wrong_device[] = {x32.view()};
    wrong_device[0].device_ = BE::Device::cuda;
    expect(
        prepared->invoke(wrong_device, rets),
        "call(scale.scale_f32): arg 0 ('x') is on device cuda:0 but the call was prepared for cpu");
    BE::Tensor no_data[] = {x32.view()};
    no_data[0].data = nullptr;
    expect(prepared->invoke(no_data, rets), "call(scale.scale_f32): arg 0 ('x') has no data");
    expect(registry.call("scale.scale_f32", no_data, rets, {{"alpha", 1.0}}),
           "call(scale.scale_f32): arg 0 ('x') has no data");

    // Prepared from dtypes: ranks are free, as for call. An untyped parameter is fixed to the
    // dtype it was prepared for.
    const DType f32[] = {DType::float32};
    auto free_rank = registry.prepare("scale.axpy", Device::cpu, f32, f32, {{"a", 1.0}});
    ASSERT_TRUE(free_rank) << free_rank.error().full();
    auto m2 = HostArray::create(DType::float32, {2, 2}).value();
    BE::Tensor m_rets[] = {m2.view()};
    EXPECT_TRUE(free_rank->invoke(wrong_rank, m_rets).ok());
    BE::Tensor y64[] = {x64.view()};
    expect(free_rank->invoke(wrong_dtype, y64),
           "call(scale.axpy): arg 0 ('x') has dtype float64 but the call was prepared for float32");

    // A kernel's BE_CHECK comes back as from call.
    auto y5 = ramp(DType::float32, 5);
    BE::Tensor short_rets[] = {y5.view()};
    auto failed = prepared->invoke(args, short_rets);
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().message,
              registry.call("scale.scale_f32", args, short_rets, {{"alpha", 1.0}}).error().message);

    PreparedCall empty;
    EXPECT_FALSE(empty);
    ASSERT_FALSE(empty.invoke(args, rets).ok());
    EXPECT_NE(empty.invoke(args, rets).error().message.find("empty"), std::string::npos);
}

TEST_F(PreparedCallTest, SetAttrChangesLaterInvokesWithCallsChecks) {
    auto out = HostArray::create(DType::int64, {3}).value();
    BE::Tensor rets[] = {out.view()};
    const DType i64[] = {DType::int64};
    auto prepared =
        registry.prepare("noop.fill", Device::cpu, {}, i64,
                         {{"small", int64_t{1}}, {"big", uint64_t{2}}, {"flag", false}});
    ASSERT_TRUE(prepared) << prepared.error().full();
    ASSERT_TRUE(prepared->set_attr("small", int64_t{-7}));
    auto big = prepared->attr_index("big");
    ASSERT_TRUE(big) << big.error().full();
    EXPECT_EQ(*big, 1u);
    ASSERT_TRUE(prepared->set_attr(*big, uint64_t{4000000000u}));
    ASSERT_TRUE(prepared->invoke({}, rets));
    EXPECT_EQ(out.data_as<int64_t>()[0], -7);
    EXPECT_EQ(out.data_as<int64_t>()[1], 4000000000);
    EXPECT_EQ(out.data_as<int64_t>()[2], 0);

    // A copy is independent.
    PreparedCall copy = *prepared;
    ASSERT_TRUE(copy.set_attr("flag", true));
    ASSERT_TRUE(prepared->invoke({}, rets));
    EXPECT_EQ(out.data_as<int64_t>()[2], 0);
    ASSERT_TRUE(copy.invoke({}, rets));
    EXPECT_EQ(out.data_as<int64_t>()[2], 1);

    // Errors name the target and the attr, and leave the value as it was.
    auto bad = prepared->set_attr("small", int64_t{300});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message,
              "set_attr(noop.fill): attr 'small' is int8 but got 300 (out of range)");
    bad = prepared->set_attr("flag", 1.5);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("not a boolean"), std::string::npos);
    bad = prepared->set_attr("nope", 1.0);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message, "set_attr(noop.fill): unknown attr 'nope'");
    bad = prepared->set_attr(size_t{3}, 1.0);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("out of range (the target has 3 attrs)"), std::string::npos);
    EXPECT_FALSE(prepared->attr_index("nope").ok());
    ASSERT_TRUE(prepared->invoke({}, rets));
    EXPECT_EQ(out.data_as<int64_t>()[0], -7);
}

TEST_F(PreparedCallTest, KeepsTheImplementationAliveAfterReplace) {
    auto loaded = registry.load_cpp_inline("swap", R"(
        // @BE value
        void value(BE::Tensor& out) { out.data_ptr<int32_t>()[0] = 1; }
    )",
                                           "swap");
    ASSERT_TRUE(loaded) << loaded.error().full();
    const DType i32[] = {DType::int32};
    auto prepared = registry.prepare("swap.value", Device::cpu, {}, i32);
    ASSERT_TRUE(prepared) << prepared.error().full();
    LoadOptions replace;
    replace.prefix = "swap";
    replace.replace = true;
    // load_cpp_inline has no options: replace through a file.
    test::TempDir dir;
    test::write_file(dir / "swap.cpp", R"(
        // @BE value
        void value(BE::Tensor& out) { out.data_ptr<int32_t>()[0] = 2; }
    )");
    ASSERT_TRUE(registry.load_cpp_file(dir / "swap.cpp", replace));
    auto out = HostArray::create(DType::int32, {1}).value();
    BE::Tensor rets[] = {out.view()};
    ASSERT_TRUE(prepared->invoke({}, rets));
    EXPECT_EQ(out.data_as<int32_t>()[0], 1); // the prepared (old) implementation
    ASSERT_TRUE(registry.call("swap.value", {}, rets));
    EXPECT_EQ(out.data_as<int32_t>()[0], 2);
}

// The point of the prepared call: an invoke of a no-op kernel allocates nothing.
TEST_F(PreparedCallTest, InvokeAllocatesNothing) {
    auto x = ramp(DType::float32, 8), y = ramp(DType::float32, 8);
    BE::Tensor args[] = {x.view()}, rets[] = {y.view()};
    const DType f32[] = {DType::float32};
    auto prepared = registry.prepare("noop.noop", Device::cpu, f32, f32, {{"step", int64_t{0}}});
    ASSERT_TRUE(prepared) << prepared.error().full();
    ASSERT_TRUE(prepared->invoke(args, rets)); // warm
    const auto attr = prepared->attr_index("step").value();
    constexpr int k_calls = 1000;
    const uint64_t before = test::allocations();
    for (int i = 0; i < k_calls; ++i) {
        if (!prepared->set_attr(attr, int64_t{i})) FAIL() << "set_attr failed";
        if (!prepared->invoke(args, rets)) FAIL() << "invoke failed";
    }
    EXPECT_EQ(test::allocations() - before, 0u);
}

// A call by name formats its messages on failure only, and once a by-need name's file has loaded
// it is a flag check: with the attrs built once, Registry::call and Target::call allocate nothing
// either, for a name longer than std::string's inline buffer.
TEST_F(PreparedCallTest, CallByNameAllocatesNothing) {
    test::TempDir dir;
    test::write_file(dir / "noop.cpp", R"(
        // @BE noop
        void noop(const BE::Tensor& x, BE::Tensor& y, int64_t step) {}
    )");
    ASSERT_TRUE(registry.load_dir_by_need(dir.path(), "a_prefix_past_inline_strings", {}));
    const std::string name = "a_prefix_past_inline_strings.noop";
    auto x = ramp(DType::float32, 8), y = ramp(DType::float32, 8);
    BE::Tensor args[] = {x.view()}, rets[] = {y.view()};
    const AttrMap attrs{{"step", int64_t{1}}};
    auto first = registry.call(name, args, rets, attrs); // loads the file
    ASSERT_TRUE(first) << first.error().full();
    auto target = registry.find(name);
    ASSERT_TRUE(target);
    constexpr int k_calls = 1000;
    const uint64_t before = test::allocations();
    for (int i = 0; i < k_calls; ++i) {
        if (!registry.call(name, args, rets, attrs)) FAIL() << "Registry::call failed";
        if (!target->call(args, rets, attrs)) FAIL() << "Target::call failed";
    }
    EXPECT_EQ(test::allocations() - before, 0u);
    // The counter sees the registry's allocations: a failing call formats its message.
    const uint64_t failing = test::allocations();
    auto missing = registry.call(name, args, rets, {});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message,
              "call(a_prefix_past_inline_strings.noop): missing attr 'step'");
    EXPECT_GT(test::allocations() - failing, 0u);
}

} // namespace
} // namespace be
