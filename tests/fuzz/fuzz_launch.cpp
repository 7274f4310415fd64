// The launch clause of `.cu` annotations (registry/src/launch.cpp), parsed against a fixed
// parameter list that has every kind of name an expression can use.
#include "fuzz_check.h"

#include <becore/registry/launch.h>
#include <becore/runtime/array.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::vector<be::Param> params = [] {
        std::vector<be::Param> p(4);
        p[0].kind = be::ParamKind::arg;
        p[0].name = "x";
        p[1].kind = be::ParamKind::ret;
        p[1].name = "y";
        p[2].kind = be::ParamKind::attr;
        p[2].name = "n";
        p[2].dtype = be::DType::int64;
        p[3].kind = be::ParamKind::attr;
        p[3].name = "scale";
        p[3].dtype = be::DType::float32;
        return p;
    }();
    auto clause = be::parse_launch_clause(fuzz::text(data, size), params);
    if (!clause) return 0;
    FUZZ_CHECK(clause->block >= 1 && clause->block <= 1024);
    // Evaluated as a call would, with large extents, so that the arithmetic on the way to the
    // grid (ceil division, the 2^31-1 limit) meets values near its bounds.
    static float storage[1];
    static const BE::Tensor x = be::make_tensor_view(storage, be::DType::float32, {1 << 20, 4096});
    static const BE::Tensor y = be::make_tensor_view(storage, be::DType::float32, {3});
    const int64_t n = INT64_MAX;
    const float scale = 1.5f;
    const void* values[] = {&x, &y, &n, &scale};
    auto geometry = be::evaluate_launch(*clause, params, values);
    if (geometry) FUZZ_CHECK(geometry->block == static_cast<uint32_t>(clause->block));
    return 0;
}
