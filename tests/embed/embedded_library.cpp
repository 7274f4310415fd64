// A shared library that uses becore the way a Python extension module would, behind a plain C
// interface: embed_main.c (linked to neither becore nor libstdc++, no --export-dynamic) dlopens
// it with RTLD_LOCAL | RTLD_NOW, as CPython loads extensions, so becore's runtime, libstdc++ and
// TBB are in no global scope that JIT code could search.
#include <becore/registry/registry.h>
#include <becore/runtime/array.h>

#include <cstring>
#include <string>

namespace {

int fail(const std::string& message, char* error, unsigned long capacity) {
    std::strncpy(error, message.c_str(), capacity - 1);
    error[capacity - 1] = '\0';
    return 1;
}

} // namespace

// Loads `file` under the prefix "embed" (a `.cu` file in the CUDA emulation only) and calls
// `target` with a float64 input of `shape` (rank 1 or 2) and a float64 output of `out_count`
// elements, plus the attr alpha when `alpha` is not NULL. 0 on success, else the error in
// `error`.
extern "C" int embedded_call(const char* file, const char* target, const long* shape, int rank,
                             const double* x, double* y, long out_count, const double* alpha,
                             char* error, unsigned long capacity) {
    be::LoadOptions options;
    options.prefix = "embed";
    options.emulation_only = std::string(file).ends_with(".cu");
    auto& registry = be::Registry::global();
    auto loaded = registry.load_file(file, options);
    if (!loaded) return fail(loaded.error().full(), error, capacity);
    if (loaded->error) return fail(loaded->error->full(), error, capacity);
    auto input = be::HostArray::create(be::DType::float64, {shape, shape + rank});
    auto output = be::HostArray::create(be::DType::float64, {out_count});
    if (!input || !output) return fail("cannot allocate the arrays", error, capacity);
    std::memcpy(input->data(), x, static_cast<size_t>(input->nbytes()));
    BE::Tensor args[] = {options.emulation_only ? input->emu_view() : input->view()};
    BE::Tensor rets[] = {options.emulation_only ? output->emu_view() : output->view()};
    be::AttrMap attrs;
    if (alpha != nullptr) attrs["alpha"] = *alpha;
    auto called = registry.call(target, args, rets, attrs);
    if (!called) return fail(called.error().full(), error, capacity);
    std::memcpy(y, output->data(), static_cast<size_t>(output->nbytes()));
    return 0;
}

// Loads `file` (prefix "embed"); 0 when it loads, else its error in `error`.
extern "C" int embedded_load(const char* file, char* error, unsigned long capacity) {
    be::LoadOptions options;
    options.prefix = "embed";
    auto loaded = be::Registry::global().load_file(file, options);
    if (!loaded) return fail(loaded.error().full(), error, capacity);
    if (loaded->error) return fail(loaded->error->full(), error, capacity);
    return 0;
}
