// The CUDA backend's loader: a `.cu` source → the kernel cache or NVRTC (CUBIN + PTX for the
// target architecture, one name expression per target) → a driver module on device 0 when a
// device is present → one launchable entry per target.
//
// Without a device the binary is still compiled and cached (kernelctl build --arch works
// offline); calling then says there is no CUDA device. Without an architecture (no device, no
// BECORE_CUDA_ARCH, no --arch) nothing is compiled: the targets are registered with a deferred
// error that calls report.
//
// Cache key: backend "cuda", the program text NVRTC compiles (pre-include, #line, rewritten
// includes), cuda_compile_flags (name expressions included), target "sm_XX", toolchain
// "nvrtc <major>.<minor>;<hash of libnvrtc>", becore's kernel-headers hash, and the user headers
// through the manifest. Blob: pack_cuda_binary (runtime/src/cuda_binary.cpp).
#include "backend.h"
#include "kernel_headers.h"

#include <becore/registry/launch.h>

#include <algorithm>

namespace be::detail {
namespace {

class CudaImpl : public TargetImpl {
  public:
    std::shared_ptr<const CudaBinary> binary;
    std::shared_ptr<CudaModule> module; // null without a device
    std::string lowered_name;

    Result<void> invoke(const std::string& target, void* const* params, int64_t stream,
                        int device_index) const override {
        auto geometry = call_geometry(target, signature, params);
        if (!geometry) return geometry.error();
        if (auto ready = usable(); !ready)
            return make_error(ready.error().code(), call_prefix(target) + ready.error().message);
        auto function = module->function(lowered_name, device_index);
        if (!function)
            return make_error(function.error().code(),
                              call_prefix(target) + function.error().message, function.error().log);
        // CUDA rejects an empty grid; a launch with nothing to do is skipped, after the checks
        // above so that a call on empty tensors fails exactly where a full one would.
        if (geometry->blocks == 0) return {};
        CudaLaunchConfig config;
        config.grid[0] = geometry->blocks;
        config.block[0] = geometry->block;
        config.shared_bytes = geometry->shared_bytes;
        config.stream = stream;
        config.device = device_index;
        auto launched = cuda_launch_function(*function, config, const_cast<void**>(params));
        if (!launched)
            return make_error(launched.error().code(),
                              call_prefix(target) + launched.error().message);
        return {};
    }

    Result<CudaKernelRef> cuda_kernel(const std::string& target) const override {
        CudaKernelRef ref;
        ref.target = target;
        ref.module = module;
        ref.lowered_name = lowered_name;
        ref.param_codes = launch_param_codes(signature);
        if (load_error)
            ref.unavailable =
                "unavailable because its source failed to load: " + load_error->message;
        else if (auto ready = usable(); !ready)
            ref.unavailable = ready.error().message;
        return ref;
    }

  private:
    Result<void> usable() const {
        if (module) return {};
        const CudaStatus& status = cuda_status();
        return make_error(ErrorCode::unavailable, status.available
                                                      ? "the kernel's module is not loaded"
                                                      : "no CUDA device: " + status.reason);
    }
};

// What loading one blob gives: the binary, and its module when a device is present.
struct LoadedBinary {
    std::shared_ptr<const CudaBinary> binary;
    std::shared_ptr<CudaModule> module;
};

class CudaLoader : public SourceLoader {
  public:
    CudaLoader(KernelCache& cache, const SourceUnit& unit) : cache_(cache), unit_(unit) {
        inputs_.backend = "cuda";
        inputs_.source_text = unit.source;
        inputs_.source_display = unit.display;
        auto arch = resolve_cuda_arch(unit.options.cuda_arch);
        if (!arch) {
            setup_error_ = make_error(arch.error().code(), unit.op + ": " + arch.error().message);
        } else if (!*arch) {
            // The reason there is no device is said once elsewhere (runtime_report, kernelctl).
            deferred_ = make_error(ErrorCode::unavailable,
                                   unit.op + ": no CUDA architecture: there is no CUDA device to "
                                             "take it from; set BECORE_CUDA_ARCH or pass --arch "
                                             "(e.g. kernelctl build --arch sm_90)");
        } else {
            prepare(**arch);
        }
        key_ = source_content_key(inputs_, unit.options.prefix);
    }

    std::vector<Device> devices() const override { return {Device::cuda}; }
    std::string backend() const override { return "cuda"; }
    const std::string& content_key() const override { return key_; }

    SourceBuild build() override {
        SourceBuild build;
        build.arch = request_.arch;
        for (const auto& s : unit_.signatures)
            add_impl<CudaImpl>(build, Device::cuda, "cuda", s, key_);
        if (setup_error_) {
            fail_build(build, *setup_error_);
            return build;
        }
        if (deferred_) {
            build.deferred = deferred_;
            fail_all(build, *deferred_);
            return build;
        }
        auto compile = [&]() -> Result<CompiledBlob> {
            auto compiled = compile_cuda(request_, program_);
            if (!compiled) return retag(compiled.error());
            if (!compiled->diagnostics.empty()) log_info(unit_.op + ": " + compiled->diagnostics);
            return CompiledBlob{pack_cuda_binary(compiled->binary), program_.user_headers,
                                compiled->seconds, compiled->phases};
        };
        auto load = [&](const std::vector<char>& blob) { return load_binary(blob); };
        auto loaded = obtain<LoadedBinary>(cache_, inputs_, unit_.op,
                                           metadata_for(unit_.options.prefix, unit_.signatures),
                                           compile, load);
        if (!loaded) {
            fail_build(build, loaded.error());
            return build;
        }
        build.cache_hit = loaded->cache_hit;
        build.phases = loaded->phases;
        for (auto& impl : build.impls) {
            auto& cuda = static_cast<CudaImpl&>(*impl);
            cuda.binary = loaded->value.binary;
            cuda.module = loaded->value.module;
            cuda.lowered_name = loaded->value.binary->lowered_names.at(cuda.signature.function);
        }
        return build;
    }

  private:
    void prepare(const std::string& arch) {
        request_.path = unit_.path;
        request_.source = unit_.source;
        for (const auto& dir : unit_.options.include_dirs)
            request_.include_dirs.push_back(std::filesystem::absolute(dir));
        request_.extra_flags = unit_.options.flags;
        for (const auto& s : unit_.signatures)
            if (std::find(request_.name_expressions.begin(), request_.name_expressions.end(),
                          s.function) == request_.name_expressions.end())
                request_.name_expressions.push_back(s.function);
        request_.arch = arch;
        auto program = prepare_cuda_program(request_);
        if (!program) {
            setup_error_ =
                make_error(program.error().code(), unit_.op + ": " + program.error().message);
            return;
        }
        program_ = std::move(*program);
        auto identity = cuda_toolchain_identity();
        if (!identity) {
            setup_error_ =
                make_error(identity.error().code(), unit_.op + ": " + identity.error().message);
            return;
        }
        inputs_.source_text = program_.text;
        inputs_.flags = cuda_compile_flags(request_);
        inputs_.target = arch;
        inputs_.toolchain = *identity;
        inputs_.kernel_headers_hash = kernel_headers_hash();
        inputs_.include_roots.push_back(unit_.path.parent_path());
        for (const auto& dir : request_.include_dirs)
            inputs_.include_roots.push_back(dir);
    }

    Result<LoadedBinary> load_binary(const std::vector<char>& blob) const {
        auto unpacked = unpack_cuda_binary(blob);
        if (!unpacked) return unpacked.error();
        auto binary = std::make_shared<const CudaBinary>(std::move(*unpacked));
        for (const auto& expression : request_.name_expressions)
            if (!binary->lowered_names.count(expression))
                return make_error(ErrorCode::not_found,
                                  "the binary has no entry for '" + expression + "'");
        LoadedBinary loaded{binary, nullptr};
        if (!cuda_status().available) return loaded;
        auto module = load_cuda_module(binary, unit_.display, 0);
        if (!module) return module.error();
        loaded.module = *module;
        return loaded;
    }

    // "compile_cuda(<file>:<line>): <error>" → "load_cuda_file(<file>:<line>): compilation
    // failed: <error>", so the message starts with the user's operation and points at the line.
    Error retag(const Error& error) const {
        const std::string verb = unit_.op.substr(0, unit_.op.find('('));
        const std::string prefix = "compile_cuda(";
        const size_t close = error.message.find("): ");
        if (error.message.rfind(prefix, 0) == 0 && close != std::string::npos)
            return make_error(ErrorCode::compile_failed,
                              verb + "(" +
                                  error.message.substr(prefix.size(), close - prefix.size()) +
                                  "): compilation failed: " + error.message.substr(close + 3),
                              error.log);
        return make_error(ErrorCode::compile_failed,
                          unit_.op + ": compilation failed: " + error.message, error.log);
    }

    KernelCache& cache_;
    const SourceUnit& unit_;
    CudaCompileRequest request_;
    CudaProgram program_;
    CacheKeyInputs inputs_;
    std::string key_;
    std::optional<Error> setup_error_, deferred_;
};

} // namespace

std::unique_ptr<SourceLoader> make_cuda_loader(KernelCache& cache, const SourceUnit& unit) {
    return std::make_unique<CudaLoader>(cache, unit);
}

} // namespace be::detail
