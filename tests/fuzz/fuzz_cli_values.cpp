// What kernelctl and besim parse from their command lines and the environment: shapes and dtypes
// of `--ret SHAPE:DTYPE`, `--attr NAME=VALUE` for each attr type, devices, sizes and durations
// (BECORE_CACHE_MAX_SIZE, `kernelctl trim --max-age`). The first byte picks the parser (and the
// attr's type); parsers that have an inverse must read it back to the same value.
#include "fuzz_check.h"

#include <becore/cache/units.h>
#include <becore/registry/registry.h>
#include <becore/runtime/array.h>
#include <becore/runtime/dtype.h>

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::string_view text = fuzz::text(data + 1, size - 1);
    switch (data[0] % 6) {
    case 0: {
        auto shape = be::parse_shape(text);
        if (shape) {
            auto again = be::parse_shape(be::shape_string(*shape));
            FUZZ_CHECK(again.ok() && *again == *shape);
        }
        break;
    }
    case 1: {
        // kernelctl splits --ret at the last ':'.
        const size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) break;
        (void)be::parse_shape(text.substr(0, colon));
        if (auto dtype = be::parse_dtype(text.substr(colon + 1)))
            FUZZ_CHECK(be::parse_dtype(be::dtype_name(*dtype)) == dtype);
        break;
    }
    case 2: {
        be::Param param;
        param.kind = be::ParamKind::attr;
        param.name = "a";
        param.dtype = static_cast<be::DType>(data[0] / 6 % 13);
        (void)be::parse_attr_value(param, text);
        break;
    }
    case 3:
        if (auto device = be::parse_device(text))
            FUZZ_CHECK(be::parse_device(be::device_name(*device)).value() == *device);
        break;
    case 4:
        (void)be::parse_size(text);
        break;
    default:
        (void)be::parse_duration(text);
        break;
    }
    return 0;
}
