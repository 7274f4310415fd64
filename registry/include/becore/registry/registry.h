// The registry: named targets compiled from `// @BE`-annotated sources, and calls to them.
//
//   be::Registry& registry = be::Registry::global();
//   registry.load_cpp_file("kernels/scale.cpp").value();      // targets "scale.<name>"
//   registry.call("scale.scale_f32", {x}, {y}, {{"alpha", 2.0}}).value();
//
// Loading parses the annotations (text only), then finds the binary in the kernel cache or
// compiles it (the compiler is loaded only on a miss), links or loads it and registers one
// Target per annotation. A target holds one implementation per device: a `.cpp` and a `.cu` file
// defining the same name under the same prefix (a CPU and a CUDA twin) form one target, and a
// call runs the implementation of the device its tensors are on. The registry is safe to use
// from several threads.
#pragma once

#include <becore/registry/signature.h>
#include <becore/runtime/cpu_backend.h>
#include <becore/runtime/error.h>

#include <be/tensor.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace be {

class KernelCache;
class Registry;
namespace detail {
class TargetImpl;
struct ByNeed;
struct StagedLoad;
struct TargetAccess;
struct PreparedAccess;
} // namespace detail

// A scalar given for an attr; converted to the declared type with range checks at call time.
using AttrValue = std::variant<bool, int64_t, uint64_t, double>;
using AttrMap = std::map<std::string, AttrValue, std::less<>>;

// A call of one target prepared once and made many times (a simulator's time step): the
// implementation resolved for a device, the attrs converted and range-checked, the parameter
// layout fixed (docs/prepared-call.md). invoke() checks only what can change between calls, with
// integer compares: the tensor counts and each tensor's dtype, rank (when prepare() fixed it),
// device and data; then runs the implementation. It allocates nothing and formats text only on
// failure; its errors are Target::call's ("call(<target>): ..."). It keeps the implementation
// (and its code) alive, like a held Target. A default-constructed or moved-from PreparedCall is
// empty: invoke() reports that. invoke() may run on several threads at once; set_attr() must not
// overlap an invoke() of the same object (copies are independent).
class PreparedCall {
  public:
    PreparedCall();
    ~PreparedCall();
    PreparedCall(PreparedCall&&) noexcept;
    PreparedCall& operator=(PreparedCall&&) noexcept;
    PreparedCall(const PreparedCall&); // copies the attrs: set_attr on one leaves the other as is
    PreparedCall& operator=(const PreparedCall&);

    Result<void> invoke(std::span<const BE::Tensor> args, std::span<BE::Tensor> rets) const;

    // Changes one attr for the following invokes (a step counter, a seed), with call's
    // conversion and range checks; on error the attr keeps its value. By name, or by position
    // among the target's attrs (attr_index: resolve the name once, outside the loop).
    Result<void> set_attr(std::string_view name, const AttrValue& value);
    Result<void> set_attr(size_t attr_index, const AttrValue& value);
    Result<size_t> attr_index(std::string_view name) const;

    const std::string& target_name() const; // empty when empty
    Device device() const;                  // cpu when empty
    explicit operator bool() const { return state_ != nullptr; }

  private:
    friend struct detail::PreparedAccess;
    struct State;
    std::unique_ptr<State> state_;
};

// One callable entry point, with an implementation per device (cpu, cuda, cuda-emu).
class Target {
  public:
    const std::string& name() const { return name_; }
    // The signature of the first implementation (twins agree on kinds, dtypes and attr names).
    const Signature& signature() const;
    // The first error among the implementations' loads (a failed compile, no CUDA architecture);
    // that implementation cannot be called, the others still can. The CUDA emulation is compiled
    // on its first use: its errors come back from that call (unless loaded emulation_only).
    const std::optional<Error>& load_error() const { return load_error_; }
    // The devices the target has an implementation for, cpu first.
    std::vector<Device> devices() const;
    // "cpu", "cuda" or "cuda-emu": the backend that built the implementation for `device` (empty
    // if none). A host `.cpp` that orchestrates CUDA kernels is the cpu backend serving devices
    // cuda and cuda-emu.
    std::string backend(Device device) const;

    // Validates counts, devices, dtypes and attr types, then runs the implementation of the
    // device the tensors are on (all of them must be on one device). A failing BE_CHECK or an
    // exception inside a host kernel comes back as an Error naming the target. A `.cu` kernel is
    // launched asynchronously on `stream` with the geometry of its launch clause; on cuda-emu
    // tensors (host memory) it is emulated on the CPU, synchronously, with the same geometry.
    Result<void> call(std::span<const BE::Tensor> args, std::span<BE::Tensor> rets,
                      const AttrMap& attrs = {}, int64_t stream = 0) const;

    // Prepares calls on `device` with tensors of these dtypes (one per arg and per ret, in
    // order): resolves the implementation, checks the counts and the dtypes against the
    // signature, converts and range-checks the attrs, with call's rules and messages (they start
    // "prepare(<target>)"). Ranks are free, as for call. `.cu` kernels launch on `stream`.
    Result<PreparedCall> prepare(Device device, std::span<const DType> arg_dtypes,
                                 std::span<const DType> ret_dtypes, const AttrMap& attrs = {},
                                 int64_t stream = 0) const;
    // The same from sample tensors: the device, the dtypes and the ranks are theirs (invoke then
    // also requires those ranks). The samples' data is not used.
    Result<PreparedCall> prepare(std::span<const BE::Tensor> args, std::span<const BE::Tensor> rets,
                                 const AttrMap& attrs = {}, int64_t stream = 0) const;

  private:
    friend class Registry;
    friend struct detail::TargetAccess;
    std::string name_;
    std::vector<std::shared_ptr<const detail::TargetImpl>> impls_; // sorted by device
    std::optional<Error> load_error_;
    const Registry* registry_ = nullptr; // resolves BE::cuda_launch names during calls
};

struct LoadOptions {
    std::string prefix;                             // default: the file's stem
    bool replace = false;                           // allow different content under taken names
    std::vector<std::filesystem::path> include_dirs; // extra -I directories
    std::vector<std::string> flags;                   // extra compiler flags, e.g. "-DWIDTH=4"
    // `.cu` sources: the architecture to compile for ("sm_80") when no device is present (a
    // device's own architecture always wins), else BECORE_CUDA_ARCH. With none known the targets
    // are registered uncompiled (see LoadReport::deferred).
    std::string cuda_arch;
    // `.cu` sources: compile each target on its first use (a call or prepare on cuda, or
    // BE::cuda_launch resolving it), one NVRTC program and cache entry per name expression,
    // instead of the whole file now; a whole-file cache entry the load finds (kernelctl build
    // --arch) still serves every target. A target's compile error then comes back from its first
    // use (not from the load, nor Target::load_error), and its file's other targets still work.
    // load_dir_by_need sets it: a program that needs one kernel of a large file compiles that one.
    bool cuda_compile_on_use = false;
    // `.cu` sources also get a CUDA emulation (device cuda-emu), compiled by the CPU backend on
    // its first use, so a load costs NVRTC's compile only. emulation_only loads the emulation
    // alone (no NVRTC, no architecture needed) and compiles it now; the report then describes
    // it (backend "cuda-emu"). `kernelctl build|call --device cuda-emu` do this.
    bool emulation_only = false;
    // The CPU `.cpp` sources and the CUDA emulation compile for: "native", "portable" or an x86-64
    // level (becore/runtime/cpu_target.h); empty = BECORE_CPU_TARGET, else native. With native, a
    // load whose native entry is missing uses an entry of a level this CPU runs before compiling.
    // A level this CPU cannot run is compiled (or found) and cached but not loaded: the load
    // succeeds with LoadReport::deferred saying so, and calling its targets reports it.
    std::string cpu_target;
};

// What one file's load did, per target; `kernelctl build --json` prints this.
struct LoadReport {
    std::string file;
    std::vector<std::string> targets; // full names, in annotation order
    std::string backend;              // "cpu", "cuda" or "cuda-emu" (emulation_only)
    std::string arch;                 // cuda: the architecture compiled for
    bool cache_hit = false;
    bool unchanged = false; // the same content was already loaded: nothing was done
    double milliseconds = 0;
    // Where the time of a compile went (clang for cpu and cuda-emu, NVRTC for cuda); absent on a
    // hit.
    std::optional<CompilePhases> phases;
    std::optional<Error> error; // compile failure: the targets are registered and report it
    // Not loaded, and not a failure of the load: the targets are registered and calling them
    // reports this. cuda: nothing was compiled because no CUDA architecture is known (no device,
    // no BECORE_CUDA_ARCH, no LoadOptions::cuda_arch). cpu, cuda-emu: compiled (or found) and
    // cached for a CPU level this CPU cannot run (LoadOptions::cpu_target).
    std::optional<Error> deferred;
};

// One file of a batch load (Registry::load_files).
struct FileLoad {
    std::filesystem::path path;
    LoadOptions options;
};

class Registry {
  public:
    // A registry over the given cache. Most programs use global().
    explicit Registry(std::shared_ptr<KernelCache> cache);
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    // The process's registry, over the user cache (BECORE_CACHE_DIR, BECORE_CACHE=off, ...).
    // The first call loads the files and directories on BECORE_KERNEL_PATH. Both as configured
    // (be::configure, becore/runtime/settings.h) when it is created; be::shutdown() destroys it
    // and the next call creates another.
    static Registry& global();
    // Counts the registries global() has created: what was set up once per process registry
    // (builtin_registry's index) is set up again when it changes.
    static uint64_t global_generation();

    Result<LoadReport> load_cpp_file(const std::filesystem::path& file, const LoadOptions& = {});
    Result<LoadReport> load_cpp_inline(const std::string& name, const std::string& source,
                                       const std::string& prefix);
    Result<LoadReport> load_cuda_file(const std::filesystem::path& file, const LoadOptions& = {});
    Result<LoadReport> load_cuda_inline(const std::string& name, const std::string& source,
                                        const std::string& prefix, const LoadOptions& = {});
    // load_cpp_file or load_cuda_file by the extension (.cpp, .cu); another one is an error.
    Result<LoadReport> load_file(const std::filesystem::path& file, const LoadOptions& = {});
    // Every .cpp and .cu file in `dir` (not recursive), all under `prefix`. A name defined by two
    // files for the same device is an error naming both; a .cpp and a .cu defining one name
    // form one target with two implementations. A file that fails does not stop the others.
    // The files compile in parallel, as load_files.
    Result<std::vector<LoadReport>> load_dir(const std::filesystem::path& dir,
                                             const std::string& prefix,
                                             const LoadOptions& = {});
    // What load_dir(dir, prefix, options) loads, checked as it checks it (an error naming both
    // files for a name defined twice for one device), its `becore-cache` layer added: for a
    // batch of several directories and files (kernelctl build).
    Result<std::vector<FileLoad>> dir_loads(const std::filesystem::path& dir,
                                            const std::string& prefix, const LoadOptions& = {});
    // load_file of each of `files`, up to BECORE_THREADS compiling at once (the largest files
    // start first). Targets are published, messages logged and reports returned in the order
    // given, as loading them one after another would: the same targets, errors and reports
    // whatever the thread count (a failed load is a report with error, as for load_dir). A file
    // given twice loads the second time after the first is published.
    std::vector<LoadReport> load_files(const std::vector<FileLoad>& files);

    // Registers the .cpp and .cu files of `dir` (not recursive) under `prefix` to be loaded by
    // need: each file's `// @BE` lines are scanned for names now (no compile), and the first
    // find, call or prepare of a name a file defines loads that file (and its twin of the other
    // extension) with load_file, once per process. A `.cu` file loads with
    // LoadOptions::cuda_compile_on_use: each of its targets compiles when first used. A name
    // defined twice for one device is an error now, as for load_dir; a file that fails to compile
    // or whose annotations are wrong reports that, naming the file, at the call. Until loaded, a
    // file's targets are absent from names().
    Result<void> load_dir_by_need(const std::filesystem::path& dir, const std::string& prefix,
                                  const LoadOptions& = {});
    // Loads every by-need file not loaded yet (to list all targets); one report per file loaded
    // by this call, a failed load as a report with error, as load_dir.
    std::vector<LoadReport> load_pending();

    // The target called `name`, or for a dtype-suffix group (`x_f32`, `x_f64`, ...) the member
    // matching `ret_dtype`, loading the by-need file that defines it. nullptr when absent.
    std::shared_ptr<const Target> find(std::string_view name) const;
    std::shared_ptr<const Target> find(std::string_view name, BE::DType ret_dtype) const;
    Result<void> call(std::string_view name, std::span<const BE::Tensor> args,
                      std::span<BE::Tensor> rets, const AttrMap& attrs = {},
                      int64_t stream = 0) const;
    // find() (a dtype-suffix group dispatches on the first ret dtype, as call does) then
    // Target::prepare; an unknown name is "prepare(<name>): no such target".
    Result<PreparedCall> prepare(std::string_view name, Device device,
                                 std::span<const DType> arg_dtypes,
                                 std::span<const DType> ret_dtypes, const AttrMap& attrs = {},
                                 int64_t stream = 0) const;
    Result<PreparedCall> prepare(std::string_view name, std::span<const BE::Tensor> args,
                                 std::span<const BE::Tensor> rets, const AttrMap& attrs = {},
                                 int64_t stream = 0) const;
    std::vector<std::string> names() const;
    KernelCache& cache() const { return *cache_; }

    // The kernel files a downstream library ships (CMake: becore_add_kernels), found from the
    // address of any symbol defined in that library or executable: its file (dladdr) → the
    // manifest `<file>.becore-kernels` beside it (format: registry/src/kernels_beside.cpp) → the
    // listed files, loaded under the manifest's prefix, with the `becore-cache` folder beside
    // their directory as a read-only cache layer. Works alike in the build tree and in any
    // install prefix, moved or not. Errors name the library and the file: no manifest, a listed
    // file missing, a file that fails to compile (after the other files loaded), a prefix
    // already claimed by another library's kernels. `options.prefix` must be empty (the
    // manifest's prefix is used). Loading again from the same library is a no-op.
    Result<std::vector<LoadReport>> load_kernels_beside(const void* symbol_in_library,
                                                        const LoadOptions& options = {});

    // Loads every file named by a BECORE_KERNEL_PATH-style list (files or directories, ':'
    // separated), each under its stem. global() does this once with the environment's value.
    void load_kernel_path(const std::string& path);

  private:
    Result<LoadReport> load_source(const std::filesystem::path& path, const std::string& source,
                                   const LoadOptions& options, bool cuda, bool inline_source);
    // A load in two steps: stage (parse, check what is loaded, compile; any thread) and commit
    // (publish; in the order of the loads).
    detail::StagedLoad stage_file(const std::filesystem::path& file, const LoadOptions& options,
                                  bool cuda);
    detail::StagedLoad stage_source(const std::filesystem::path& path, const std::string& source,
                                    const LoadOptions& options, bool cuda, bool inline_source);
    Result<LoadReport> commit(detail::StagedLoad staged);
    // find(), with an error worded "<verb>(<name>): ..." instead of nullptr: "no such target", or
    // why the by-need file defining the name failed to load. The text is formatted on failure
    // only: a call by name allocates nothing here.
    Result<std::shared_ptr<const Target>>
    lookup(std::string_view name, std::optional<BE::DType> ret_dtype, std::string_view verb) const;
    std::shared_ptr<const Target> find_loaded(std::string_view name) const;
    // Loads the by-need files defining `name` (if any, once); the first failure.
    std::optional<Error> load_needed(std::string_view name) const;
    void add_kit_cache_layer(const std::filesystem::path& dir);
    Result<void> publish(std::vector<std::shared_ptr<detail::TargetImpl>> impls,
                         const std::string& prefix, bool replace);

    std::shared_ptr<KernelCache> cache_;
    std::mutex claims_mutex_; // held across a whole load_kernels_beside
    std::map<std::string, std::filesystem::path, std::less<>> prefix_claims_; // prefix → library
    mutable std::shared_mutex mutex_;
    std::map<std::string, std::shared_ptr<const Target>, std::less<>> targets_;
    std::unique_ptr<detail::ByNeed> by_need_;
};

// Registry::global().load_kernels_beside(symbol_in_library, options): the start-up call of a
// library that ships kernel files (docs/downstream.md). Pass the address of something the library
// itself defines; a variable with internal linkage is safest, since the address of an exported
// function may be resolved to a stub in the executable.
Result<std::vector<LoadReport>> load_kernels_beside(const void* symbol_in_library,
                                                    const LoadOptions& options = {});

// Parses the text form of an attr (as given to `kernelctl call --attr k=v`) by its declared
// type: true/false/1/0 for bool, decimal integers, decimal or exponent floats.
Result<AttrValue> parse_attr_value(const Param& param, std::string_view text);

// Splits "name_f32" into ("name", float32); nullopt when the name has no dtype suffix.
std::optional<std::pair<std::string, BE::DType>> split_dtype_suffix(std::string_view name);

} // namespace be
