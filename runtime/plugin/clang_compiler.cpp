// The clang compiler plugin: compiles one C++ source in memory to an ELF object with clang's
// driver and front end running in-process (no subprocess, no temporary files).
//
// The source lives in an in-memory file system overlaid on the real one, at the file's real
// path, so `#include "x.h"` resolves beside the user's file while the text compiled is the
// source plus becore's generated trampolines. Headers read are collected for the cache's
// direct mode; system headers are skipped (the toolchain identity covers them).
#include "compiler_plugin_api.h"

#include <clang/Basic/Diagnostic.h>
#include <clang/Basic/DiagnosticOptions.h>
#include <clang/CodeGen/CodeGenAction.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/CompilerInvocation.h>
#include <clang/Frontend/TextDiagnosticPrinter.h>
#include <clang/Frontend/Utils.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/VirtualFileSystem.h>
#include <llvm/Support/raw_ostream.h>

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

void initialise_llvm_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        llvm::InitializeNativeTarget();
        llvm::InitializeNativeTargetAsmPrinter();
        llvm::InitializeNativeTargetAsmParser();
    });
}

void compile(const be::plugin::CompileJob& job, be::plugin::CompileOutput& out) {
    initialise_llvm_once();
    std::string diagnostics;
    llvm::raw_string_ostream diag_stream(diagnostics);

    auto memory_fs = llvm::makeIntrusiveRefCnt<llvm::vfs::InMemoryFileSystem>();
    memory_fs->addFile(job.path, 0, llvm::MemoryBuffer::getMemBufferCopy(job.source, job.path));
    auto overlay = llvm::makeIntrusiveRefCnt<llvm::vfs::OverlayFileSystem>(llvm::vfs::getRealFileSystem());
    overlay->pushOverlay(memory_fs);

    auto diag_options = llvm::makeIntrusiveRefCnt<clang::DiagnosticOptions>();
    diag_options->ShowColors = false;
    diag_options->ShowPresumedLoc = true; // honour #line: trampoline errors point at annotations
    auto* printer = new clang::TextDiagnosticPrinter(diag_stream, diag_options.get());
    auto diags = clang::CompilerInstance::createDiagnostics(diag_options.get(), printer, true);

    std::vector<const char*> argv{BECORE_CLANG_DRIVER};
    for (const auto& a : job.arguments) argv.push_back(a.c_str());
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
    clang::EmitObjAction action(&context);
    bool ok = instance.ExecuteAction(action) && !instance.getDiagnostics().hasErrorOccurred();
    diag_stream.flush();

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
