// The process's one LLJIT: JITLink (ObjectLinkingLayer) with the ELFNix platform, so that
// static constructors and destructors of kernel objects run, and only the host symbols that
// kernels may call (kernel_symbols.h: libstdc++, libm, libc, TBB, becore's entry points), found
// through those libraries whether becore was linked or dlopen'ed. Each loaded object gets its own
// JITDylib, so two files may define the same helper names and a replaced file can be unloaded.
#include "kernel_symbols.h"

#include <becore/runtime/cpu_backend.h>
#include <becore/runtime/log.h>
#include <becore/runtime/paths.h>
#include <becore/runtime/threads.h>

// LLVM is linked statically and privately (runtime/CMakeLists.txt): its inline functions and
// template instances emitted here must not be exported either, or the libLLVM-16.so that the
// compiler plugin loads could bind to them.
// Two classes LLVM marks visible by attribute are forward-declared by earlier LLVM headers; clang
// (unlike gcc) rejects the hidden forward declaration followed by the visible definition, so they
// are declared visible first.
#include <llvm/Support/Compiler.h>
namespace llvm {
class LLVM_EXTERNAL_VISIBILITY Function;
class LLVM_EXTERNAL_VISIBILITY Module;
} // namespace llvm
#pragma GCC visibility push(hidden)
#include <llvm/Demangle/Demangle.h>
#include <llvm/ExecutionEngine/JITLink/JITLinkMemoryManager.h>
#include <llvm/ExecutionEngine/Orc/ELFNixPlatform.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h>
#include <llvm/Support/Host.h>
#include <llvm/Support/MemoryBuffer.h>
#pragma GCC visibility pop

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <utility>
#include <unistd.h>

namespace be {
namespace {

using namespace llvm;
using namespace llvm::orc;

std::string to_text(llvm::Error error) { return toString(std::move(error)); }

// A missing host symbol is a kernel calling outside kernel_symbols.h: say so, and name it.
std::string describe(llvm::Error error) {
    std::string text;
    handleAllErrors(
        std::move(error),
        [&](const SymbolsNotFound& missing) {
            text = "the kernel calls host symbols that kernels may not use (only libstdc++, "
                   "libm, libc, TBB and becore's kernel entry points; docs/architecture.md, "
                   "\"Host symbols\"):";
            for (const auto& symbol : missing.getSymbols()) {
                std::string mangled = (*symbol).str();
                std::string readable = llvm::demangle(mangled);
                text += " " + (readable == mangled ? mangled : readable + " [" + mangled + "]");
            }
        },
        [&](const ErrorInfoBase& other) { text = other.message(); });
    return text;
}

// JITLink reports why an object failed to link to the session's error reporter, and the lookup
// that triggered the link gets only "failed to materialize". Linking runs on the thread that
// looks up (LLJIT's default in-place dispatcher), so the reporter leaves the cause here for that
// lookup's error (with_link_failure).
thread_local std::string t_link_failure;

std::string with_link_failure(llvm::Error error) {
    std::string cause = std::exchange(t_link_failure, {});
    if (cause.empty()) return describe(std::move(error));
    consumeError(std::move(error));
    return cause;
}

// Writes /tmp/perf-<pid>.map lines "<start hex> <size hex> <name>" so `perf report` names JIT
// code (BECORE_PERF_MAP=1).
class PerfMapPlugin : public ObjectLinkingLayer::Plugin {
  public:
    PerfMapPlugin() {
        auto path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
        file_ = std::fopen(path.c_str(), "a");
        if (file_ == nullptr) log_warn("BECORE_PERF_MAP: cannot open " + path);
    }
    ~PerfMapPlugin() override {
        if (file_ != nullptr) std::fclose(file_);
    }
    void modifyPassConfig(MaterializationResponsibility&, jitlink::LinkGraph&,
                          jitlink::PassConfiguration& config) override {
        config.PostFixupPasses.push_back([this](jitlink::LinkGraph& graph) {
            if (file_ == nullptr) return llvm::Error::success();
            std::lock_guard lock(mutex_);
            for (auto* symbol : graph.defined_symbols())
                if (symbol->hasName() && symbol->isCallable() && symbol->getSize() > 0)
                    std::fprintf(file_, "%llx %llx %s\n",
                                 static_cast<unsigned long long>(symbol->getAddress().getValue()),
                                 static_cast<unsigned long long>(symbol->getSize()),
                                 symbol->getName().str().c_str());
            std::fflush(file_);
            return llvm::Error::success();
        });
    }
    llvm::Error notifyFailed(MaterializationResponsibility&) override { return llvm::Error::success(); }
    llvm::Error notifyRemovingResources(JITDylib&, ResourceKey) override { return llvm::Error::success(); }
    void notifyTransferringResources(JITDylib&, ResourceKey, ResourceKey) override {}

  private:
    std::FILE* file_ = nullptr;
    std::mutex mutex_;
};

// Defines, on demand, the host symbols that kernels may call (kernel_symbols.h); the JIT reports
// any other as missing (describe).
class KernelSymbolGenerator : public DefinitionGenerator {
  public:
    explicit KernelSymbolGenerator(KernelSymbols symbols) : symbols_(std::move(symbols)) {}
    llvm::Error tryToGenerate(LookupState&, LookupKind, JITDylib& dylib, JITDylibLookupFlags,
                              const SymbolLookupSet& wanted) override {
        SymbolMap found;
        for (const auto& [name, flags] : wanted)
            if (void* address = symbols_.find((*name).str().c_str()))
                found[name] = JITEvaluatedSymbol(pointerToJITTargetAddress(address),
                                                 JITSymbolFlags::Exported);
        return found.empty() ? llvm::Error::success()
                             : dylib.define(absoluteSymbols(std::move(found)));
    }

  private:
    KernelSymbols symbols_;
};

// The runtime only links objects; it never compiles IR. LLJIT still wants a compile function for
// its IR layer: this one refuses, so no LLVM target (code generator) is registered or linked.
class NoIRCompiler : public IRCompileLayer::IRCompiler {
  public:
    NoIRCompiler() : IRCompiler(IRSymbolMapper::ManglingOptions()) {}
    Expected<std::unique_ptr<MemoryBuffer>> operator()(Module&) override {
        return llvm::make_error<StringError>("becore's JIT links objects only; it cannot compile IR",
                                       inconvertibleErrorCode());
    }
};

// x86-64 ELF (the only host becore supports: the ORC runtime is liborc_rt-x86_64.a). Set
// explicitly because deriving it would need the X86 target registered. This is LLVM 16's layout
// for x86_64-*-linux-*; it only feeds LLJIT's global prefix ('\0' for ELF) and its unused IR
// layer.
constexpr const char* k_host_data_layout =
    "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128";
#if !defined(__x86_64__) || !defined(__linux__)
#error "cpu_jit.cpp: k_host_data_layout describes x86_64 Linux only"
#endif

class CpuJit {
  public:
    static Result<std::shared_ptr<CpuJit>> instance() {
        static std::mutex mutex;
        static std::shared_ptr<CpuJit> jit;
        static std::string failure;
        std::lock_guard lock(mutex);
        if (jit) return jit;
        if (!failure.empty()) return make_error(ErrorCode::unavailable, failure);
        auto created = create();
        if (!created) {
            failure = created.error().message;
            return created.error();
        }
        jit = std::move(created.value());
        return jit;
    }

    ~CpuJit() {
        if (auto error = jit_->deinitialize(jit_->getMainJITDylib()))
            log_warn("cpu backend: deinitialising the JIT: " + to_text(std::move(error)));
    }

    Result<JITDylib*> link(const std::vector<char>& object, const std::string& name) {
        std::lock_guard lock(mutex_);
        auto library = jit_->createJITDylib(name + "#" + std::to_string(++counter_));
        if (!library)
            return make_error(ErrorCode::unavailable,
                              "load_cpu_object(" + name + "): " + to_text(library.takeError()));
        JITDylib& dylib = *library;
        dylib.addToLinkOrder(jit_->getMainJITDylib());
        auto buffer = MemoryBuffer::getMemBufferCopy(StringRef(object.data(), object.size()), name);
        if (auto error = jit_->addObjectFile(dylib, std::move(buffer))) {
            discard(dylib);
            return make_error(ErrorCode::compile_failed, "load_cpu_object(" + name + "): " +
                                                             with_link_failure(std::move(error)));
        }
        if (auto error = jit_->initialize(dylib)) {
            discard(dylib);
            return make_error(ErrorCode::compile_failed, "load_cpu_object(" + name +
                                                             "): linking or running static "
                                                             "constructors failed: " +
                                                             with_link_failure(std::move(error)));
        }
        return &dylib;
    }

    Result<void*> lookup(JITDylib& dylib, std::string_view symbol) {
        auto address = jit_->lookup(dylib, StringRef(symbol.data(), symbol.size()));
        if (!address) {
            // Linking the object (on its first lookup) failed, or the object lacks the symbol.
            auto code = t_link_failure.empty() ? ErrorCode::not_found : ErrorCode::compile_failed;
            return make_error(code, "symbol '" + std::string(symbol) +
                                        "': " + with_link_failure(address.takeError()));
        }
        return address->toPtr<void*>();
    }

    void unload(JITDylib& dylib) {
        std::lock_guard lock(mutex_);
        if (auto error = jit_->deinitialize(dylib))
            log_warn("cpu backend: running static destructors of " + dylib.getName() + ": " +
                     to_text(std::move(error)));
        discard(dylib);
    }

  private:
    static Result<std::unique_ptr<CpuJit>> create() {
        apply_thread_limit();
        auto symbols = KernelSymbols::open();
        if (!symbols) return symbols.error();
        auto orc_runtime = private_library_dir() / "liborc_rt.a";
        if (!std::filesystem::exists(orc_runtime))
            return make_error(ErrorCode::unavailable,
                              "cpu backend: the ORC runtime " + orc_runtime.string() +
                                  " is missing (set BECORE_HOME to becore's install prefix)");
        bool perf_map = [] {
            const char* value = std::getenv("BECORE_PERF_MAP");
            return value != nullptr && std::string(value) == "1";
        }();
        auto built =
            LLJITBuilder()
                .setJITTargetMachineBuilder(
                    JITTargetMachineBuilder(Triple(llvm::sys::getProcessTriple())))
                .setDataLayout(DataLayout(k_host_data_layout))
                .setCompileFunctionCreator([](JITTargetMachineBuilder)
                                               -> Expected<std::unique_ptr<IRCompileLayer::IRCompiler>> {
                    return std::make_unique<NoIRCompiler>();
                })
                .setObjectLinkingLayerCreator([perf_map](ExecutionSession& session, const Triple&)
                                                  -> Expected<std::unique_ptr<ObjectLayer>> {
                    auto memory = jitlink::InProcessMemoryManager::Create();
                    if (!memory) return memory.takeError();
                    auto layer = std::make_unique<ObjectLinkingLayer>(session, std::move(*memory));
                    if (perf_map) layer->addPlugin(std::make_unique<PerfMapPlugin>());
                    return layer;
                })
                .setPlatformSetUp([orc_runtime, &symbols](LLJIT& jit) -> llvm::Error {
                    auto& session = jit.getExecutionSession();
                    session.setErrorReporter(
                        [](llvm::Error error) { t_link_failure = describe(std::move(error)); });
                    auto& main = jit.getMainJITDylib();
                    main.addGenerator(std::make_unique<KernelSymbolGenerator>(std::move(*symbols)));
                    auto platform = ELFNixPlatform::Create(
                        session, cast<ObjectLinkingLayer>(jit.getObjLinkingLayer()), main,
                        orc_runtime.c_str());
                    if (!platform) return platform.takeError();
                    session.setPlatform(std::move(*platform));
                    return setUpOrcPlatform(jit);
                })
                .create();
        if (!built)
            return make_error(ErrorCode::unavailable,
                              "cpu backend: creating the JIT: " + to_text(built.takeError()));
        auto jit = std::unique_ptr<CpuJit>(new CpuJit());
        jit->jit_ = std::move(*built);
        if (auto error = jit->jit_->initialize(jit->jit_->getMainJITDylib()))
            return make_error(ErrorCode::unavailable,
                              "cpu backend: initialising the JIT: " + to_text(std::move(error)));
        return jit;
    }

    void discard(JITDylib& dylib) {
        if (auto error = jit_->getExecutionSession().removeJITDylib(dylib))
            log_warn("cpu backend: removing " + dylib.getName() + ": " + to_text(std::move(error)));
    }

    std::unique_ptr<LLJIT> jit_;
    std::mutex mutex_;
    uint64_t counter_ = 0;
};

class LinkedModule : public JitModule {
  public:
    LinkedModule(std::shared_ptr<CpuJit> jit, JITDylib* dylib) : jit_(std::move(jit)), dylib_(dylib) {}
    ~LinkedModule() override { jit_->unload(*dylib_); }
    Result<void*> symbol(std::string_view name) override { return jit_->lookup(*dylib_, name); }

  private:
    std::shared_ptr<CpuJit> jit_;
    JITDylib* dylib_;
};

} // namespace

Result<std::shared_ptr<JitModule>> load_cpu_object(const std::vector<char>& object,
                                                   const std::string& name) {
    auto jit = CpuJit::instance();
    if (!jit) return jit.error();
    auto dylib = (*jit)->link(object, name);
    if (!dylib) return dylib.error();
    return std::shared_ptr<JitModule>(std::make_shared<LinkedModule>(*jit, *dylib));
}

} // namespace be
