#include <downstream/downstream.h>

namespace downstream {

namespace {
// An address inside this library, from which becore finds the library's file and the kernel
// manifest beside it. Internal linkage: the address of an exported function could resolve to a
// stub in the executable.
const int anchor = 0;
} // namespace

be::Result<std::vector<be::LoadReport>> load_kernels() {
    return be::load_kernels_beside(&anchor);
}

be::Result<void> window_sum(BE::Tensor x, BE::Tensor y, int64_t width) {
    BE::Tensor args[] = {x}, rets[] = {y};
    return be::Registry::global().call("downstream.window_sum", args, rets, {{"width", width}});
}

be::Result<void> affine(BE::Tensor x, BE::Tensor y, float a, float b) {
    BE::Tensor args[] = {x}, rets[] = {y};
    return be::Registry::global().call("downstream.affine", args, rets,
                                       {{"a", double{a}}, {"b", double{b}}});
}

} // namespace downstream
