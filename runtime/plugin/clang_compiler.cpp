// The clang compiler plugin: compiles one C++ source in memory to an ELF object with clang's
// driver and front end running in-process (no subprocess, no temporary files).
//
// The source lives in an in-memory file system overlaid on the real one, at the file's real
// path, so `#include "x.h"` resolves beside the user's file while the text compiled is the
// source plus becore's generated trampolines. Headers read are collected for the cache's
// direct mode; system headers are skipped (the toolchain identity covers them).
//
// A prelude job compiles the prelude's text to a precompiled header (GeneratePCHAction) without
// timestamps, so the PCH stays valid while the headers keep their sizes (the cache key covers
// their contents); a compile with a prelude reads the PCH and its text from an in-memory file
// system kept for the next compiles with the same prelude (prelude_files). Phase times come from
// clang's own time-trace scopes, totalled per name.
#include "compiler_plugin_api.h"

#include <clang/Basic/Diagnostic.h>
#include <clang/Basic/DiagnosticOptions.h>
#include <clang/CodeGen/CodeGenAction.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/CompilerInvocation.h>
#include <clang/Frontend/FrontendActions.h>
#include <clang/Frontend/MultiplexConsumer.h>
#include <clang/Frontend/TextDiagnosticPrinter.h>
#include <clang/Frontend/Utils.h>
#include <clang/Lex/Preprocessor.h>
#include <clang/Serialization/ASTWriter.h>
#include <clang/Serialization/PCHContainerOperations.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/Support/JSON.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/Path.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/TimeProfiler.h>
#include <llvm/Support/VirtualFileSystem.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <mutex>
#include <set>

namespace {

class HeaderCollector : public clang::DependencyCollector {
  public:
    explicit HeaderCollector(std::string main_file) : main_file_(std::move(main_file)) {}
    bool sawDependency(llvm::StringRef filename, bool, bool is_system, bool, bool) override {
        return !is_system && filename != main_file_;
    }
    bool needSystemDependencies() override { return false; }

  private:
    std::string main_file_;
};

// GeneratePCHAction writes to the output file it names (stdout here); this one writes the PCH to
// the compiler instance's output stream, in memory, as EmitObjAction does the object.
class GeneratePchInMemory : public clang::GeneratePCHAction {
  public:
    explicit GeneratePchInMemory(std::string pch_path) : pch_path_(std::move(pch_path)) {}

  protected:
    std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance& ci,
                                                          llvm::StringRef in_file) override {
        std::string sysroot;
        if (!ComputeASTConsumerArguments(ci, sysroot)) return nullptr;
        auto buffer = std::make_shared<clang::PCHBuffer>();
        const auto& options = ci.getFrontendOpts();
        std::vector<std::unique_ptr<clang::ASTConsumer>> consumers;
        consumers.push_back(std::make_unique<clang::PCHGenerator>(
            ci.getPreprocessor(), ci.getModuleCache(), pch_path_, sysroot, buffer,
            options.ModuleFileExtensions, /*AllowASTWithErrors=*/false, options.IncludeTimestamps));
        consumers.push_back(ci.getPCHContainerWriter().CreatePCHContainerGenerator(
            ci, in_file.str(), pch_path_, ci.takeOutputStream(), buffer));
        return std::make_unique<clang::MultiplexConsumer>(std::move(consumers));
    }

  private:
    std::string pch_path_;
};

// The prelude's files as a layer of a compile's file system, shared with other compiles running at
// the same time. It answers for its own directory only, so that the headers clang looks up (it
// checks every header the PCH names) reach the real file system without a search of this layer,
// and the working directory is the compile's own (the files served have absolute paths): the
// overlay sets it when the layer is pushed, which must not change what another compile sees.
class SharedFiles : public llvm::vfs::ProxyFileSystem {
  public:
    SharedFiles(llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> files, std::string directory)
        : ProxyFileSystem(std::move(files)), directory_(std::move(directory)) {}
    llvm::ErrorOr<llvm::vfs::Status> status(const llvm::Twine& path) override {
        if (!mine(path)) return std::make_error_code(std::errc::no_such_file_or_directory);
        return ProxyFileSystem::status(path);
    }
    llvm::ErrorOr<std::unique_ptr<llvm::vfs::File>>
    openFileForRead(const llvm::Twine& path) override {
        if (!mine(path)) return std::make_error_code(std::errc::no_such_file_or_directory);
        return ProxyFileSystem::openFileForRead(path);
    }
    std::error_code setCurrentWorkingDirectory(const llvm::Twine&) override { return {}; }

  private:
    // The directory itself (clang looks it up before a file in it) or a path under it.
    bool mine(const llvm::Twine& path) const {
        llvm::SmallString<256> text;
        const llvm::StringRef p = path.toStringRef(text);
        return p.startswith(directory_) &&
               (p.size() == directory_.size() || p[directory_.size()] == '/');
    }
    std::string directory_;
};

// The prelude's text and PCH as an in-memory file system, kept for the next compiles with the
// same prelude: adding a file to an InMemoryFileSystem hashes its contents (for the file's unique
// ID): 4.7 million instructions for the 5 MB PCH of be/be.h, 15 million for TBB's 16 MB, on
// every compile. The last few preludes are kept, each with its PCH (the key is the PCH's address,
// which stays valid while it is held here). Lookups do not modify an InMemoryFileSystem, so
// compiles on several threads read one at once.
llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> prelude_files(const be::plugin::CompileJob& job,
                                                              const std::string& pch_path) {
    struct Entry {
        std::shared_ptr<const std::vector<char>> pch;
        std::string path, source;
        llvm::IntrusiveRefCntPtr<llvm::vfs::InMemoryFileSystem> files;
    };
    constexpr size_t k_kept = 4;
    static std::mutex mutex;
    static std::vector<Entry> kept; // most recently used first
    std::lock_guard lock(mutex);
    auto found = std::find_if(kept.begin(), kept.end(), [&](const Entry& e) {
        return e.pch == job.prelude_pch && e.path == job.prelude_path &&
               e.source == job.prelude_source;
    });
    if (found == kept.end()) {
        auto files = llvm::makeIntrusiveRefCnt<llvm::vfs::InMemoryFileSystem>();
        files->addFile(job.prelude_path, 0,
                       llvm::MemoryBuffer::getMemBufferCopy(job.prelude_source, job.prelude_path));
        files->addFile(pch_path, 0,
                       llvm::MemoryBuffer::getMemBuffer(
                           llvm::StringRef(job.prelude_pch->data(), job.prelude_pch->size()),
                           pch_path, /*RequiresNullTerminator=*/false));
        if (kept.size() == k_kept) kept.pop_back();
        found = kept.insert(kept.begin(),
                            {job.prelude_pch, job.prelude_path, job.prelude_source, files});
    }
    std::rotate(kept.begin(), found, found + 1);
    return kept.front().files;
}

void initialise_llvm_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        llvm::InitializeNativeTarget();
        llvm::InitializeNativeTargetAsmPrinter();
        llvm::InitializeNativeTargetAsmParser();
    });
}

// Collects the totals of clang's time-trace scopes over one compile on this thread. The scopes
// cost nothing measurable; the granularity keeps the profiler from storing single events.
class PhaseTimer {
  public:
    PhaseTimer() { llvm::timeTraceProfilerInitialize(k_granularity_us, "becore"); }
    ~PhaseTimer() { llvm::timeTraceProfilerCleanup(); }
    PhaseTimer(const PhaseTimer&) = delete;
    PhaseTimer& operator=(const PhaseTimer&) = delete;

    // "Frontend" (parse, sema, IR generation), "Optimizer" (the LLVM pipeline), "CodeGenPasses"
    // (instruction selection to the object) are the scopes clang 16 opens around each phase.
    void read(be::plugin::CompileOutput& out) {
        llvm::SmallVector<char, 0> text;
        llvm::raw_svector_ostream stream(text);
        llvm::timeTraceProfilerWrite(stream);
        const llvm::StringRef trace(text.data(), text.size());
        out.frontend_seconds = total_seconds(trace, "Frontend");
        out.optimise_seconds = total_seconds(trace, "Optimizer");
        out.emit_seconds = total_seconds(trace, "CodeGenPasses");
    }

  private:
    // The "dur" of the "Total <scope>" event. Only that event's object is parsed: the whole
    // trace (about 140 totals) cost more to parse than a small kernel's front end to run.
    static double total_seconds(llvm::StringRef trace, llvm::StringRef scope) {
        const std::string name = "\"name\":\"Total " + scope.str() + "\"";
        const size_t at = trace.find(name);
        const size_t start = at == llvm::StringRef::npos ? at : trace.rfind('{', at);
        if (start == llvm::StringRef::npos) return 0;
        // The event's own fields come before "name"; "args" after it is the one nested object.
        size_t end = start;
        for (int depth = 0; end < trace.size(); ++end) {
            depth += trace[end] == '{' ? 1 : trace[end] == '}' ? -1 : 0;
            if (depth == 0) break;
        }
        auto event = llvm::json::parse(trace.slice(start, end + 1));
        if (!event) {
            llvm::consumeError(event.takeError());
            return 0;
        }
        const auto* object = event->getAsObject();
        auto microseconds = object != nullptr ? object->getNumber("dur") : std::nullopt;
        return microseconds ? *microseconds * 1e-6 : 0;
    }

    static constexpr unsigned k_granularity_us = 1u << 30;
};

void compile(const be::plugin::CompileJob& job, be::plugin::CompileOutput& out) {
    initialise_llvm_once();
    PhaseTimer timer;
    std::string diagnostics;
    llvm::raw_string_ostream diag_stream(diagnostics);

    auto memory_fs = llvm::makeIntrusiveRefCnt<llvm::vfs::InMemoryFileSystem>();
    memory_fs->addFile(job.path, 0, llvm::MemoryBuffer::getMemBufferCopy(job.source, job.path));
    const std::string pch_path = (job.generate_prelude ? job.path : job.prelude_path) + ".pch";
    auto overlay = llvm::makeIntrusiveRefCnt<llvm::vfs::OverlayFileSystem>(llvm::vfs::getRealFileSystem());
    if (job.prelude_pch != nullptr)
        overlay->pushOverlay(llvm::makeIntrusiveRefCnt<SharedFiles>(
            prelude_files(job, pch_path), llvm::sys::path::parent_path(job.prelude_path).str()));
    overlay->pushOverlay(memory_fs);

    auto diag_options = llvm::makeIntrusiveRefCnt<clang::DiagnosticOptions>();
    diag_options->ShowColors = false;
    diag_options->ShowPresumedLoc = true; // honour #line: trampoline errors point at annotations
    auto* printer = new clang::TextDiagnosticPrinter(diag_stream, diag_options.get());
    auto diags = clang::CompilerInstance::createDiagnostics(diag_options.get(), printer, true);

    std::vector<const char*> argv{BECORE_CLANG_DRIVER};
    for (const auto& a : job.arguments)
        argv.push_back(a.c_str());
    if (job.prelude_pch != nullptr) {
        argv.push_back("-include-pch");
        argv.push_back(pch_path.c_str());
    }
    // A later -x wins over the `-x c++` of an emulation source.
    if (job.generate_prelude) argv.insert(argv.end(), {"-x", "c++-header"});
    argv.push_back("-c");
    argv.push_back(job.path.c_str());

    clang::CreateInvocationOptions options;
    options.Diags = diags;
    options.VFS = overlay;
    std::shared_ptr<clang::CompilerInvocation> invocation = clang::createInvocation(argv, options);
    if (!invocation) {
        diag_stream.flush();
        out.diagnostics = diagnostics.empty() ? "clang could not build an invocation" : diagnostics;
        return;
    }
    // The driver passes -disable-free (a compiler process exits right after), which leaks the
    // AST, Sema and the target machine of every compilation; this process goes on running
    // (LeakSanitizer counted ~1 MB per kernel file).
    invocation->getFrontendOpts().DisableFree = false;
    invocation->getCodeGenOpts().DisableFree = false;
    // Sizes, not times, are checked when the PCH is read: a header touched without a change (a
    // package reinstalled) keeps the prelude valid; a changed one changes the cache key.
    if (job.generate_prelude) invocation->getFrontendOpts().IncludeTimestamps = false;

    clang::CompilerInstance instance;
    instance.setInvocation(invocation);
    instance.createDiagnostics(printer, false);
    instance.createFileManager(overlay);
    // "N errors generated." goes with the diagnostics, not to the process's stderr.
    instance.setVerboseOutputStream(diag_stream);
    auto collector = std::make_shared<HeaderCollector>(job.path);
    instance.addDependencyCollector(collector);

    llvm::SmallVector<char, 0> object;
    instance.setOutputStream(std::make_unique<llvm::raw_svector_ostream>(object));
    llvm::LLVMContext context;
    clang::EmitObjAction emit_object(&context);
    GeneratePchInMemory generate_pch(pch_path);
    clang::FrontendAction& action =
        job.generate_prelude ? static_cast<clang::FrontendAction&>(generate_pch) : emit_object;
    bool ok = instance.ExecuteAction(action) && !instance.getDiagnostics().hasErrorOccurred();
    diag_stream.flush();
    timer.read(out);

    out.diagnostics = std::move(diagnostics);
    out.ok = ok && !object.empty();
    if (out.ok) out.object.assign(object.begin(), object.end());
    std::set<std::string> unique(collector->getDependencies().begin(),
                                 collector->getDependencies().end());
    out.headers_read.assign(unique.begin(), unique.end());
}

} // namespace

extern "C" int becore_plugin_api_version() { return be::plugin::k_api_version; }

extern "C" void becore_plugin_compile(const be::plugin::CompileJob* job,
                                      be::plugin::CompileOutput* output) {
    compile(*job, *output);
}
