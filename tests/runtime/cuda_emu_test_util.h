// Builds `.cu`-style sources for the CUDA emulation the way the registry will: parse the
// annotations, prepare the source, append the emulation trampolines, compile with the emulation
// pre-include, load with ORC — then launch targets through be::emulate_launch.
#pragma once

#include <becore/registry/annotation.h>
#include <becore/registry/trampoline.h>
#include <becore/runtime/array.h>
#include <becore/runtime/cpu_backend.h>
#include <becore/runtime/cuda_emu.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace be::test {

class EmuModule {
  public:
    static Result<EmuModule> build(const std::string& source, const std::string& file) {
        auto signatures = parse_annotations(source, file, SourceKind::cuda);
        if (!signatures) return signatures.error();
        auto prepared = prepare_emulation_source(source, file);
        if (!prepared) return prepared.error();
        CpuCompileRequest request{"/becore-test/" + file,
                                  *prepared + generate_emu_trampolines(*signatures),
                                  {},
                                  {},
                                  emulation_pre_includes()};
        auto compiled = compile_cpp(request);
        if (!compiled) return compiled.error();
        auto module = load_cpu_object(compiled->object, file);
        if (!module) return module.error();
        EmuModule result;
        result.module_ = *module;
        result.signatures_ = std::move(*signatures);
        return result;
    }

    // Runs target `name` (its annotation name) with `params` (pointers to each parameter's value).
    Result<void> launch(const std::string& name, const EmuLaunch& geometry,
                        std::vector<void*> params) const {
        for (const auto& s : signatures_) {
            if (s.name != name) continue;
            auto symbol = module_->symbol(emu_entry_symbol(s));
            if (!symbol) return symbol.error();
            return emulate_launch(geometry, name, reinterpret_cast<EmuKernelBody>(*symbol),
                                  params.data());
        }
        return make_error(ErrorCode::not_found, "no target " + name);
    }

  private:
    std::shared_ptr<JitModule> module_;
    std::vector<Signature> signatures_;
};

inline EmuLaunch geometry(uint32_t blocks, uint32_t threads, size_t shared_bytes = 0) {
    return EmuLaunch{{blocks, 1, 1}, {threads, 1, 1}, shared_bytes};
}

inline HostArray make_array(DType dtype, std::vector<int64_t> shape) {
    return HostArray::create(dtype, std::move(shape)).value();
}

// Compiles a source whose kernels are all expected to work; fails the test otherwise.
#define EMU_BUILD(var, source, file)                                                               \
    auto var##_built = ::be::test::EmuModule::build(source, file);                                 \
    ASSERT_TRUE(var##_built.ok()) << var##_built.error().full();                                   \
    const ::be::test::EmuModule& var = var##_built.value()

} // namespace be::test
