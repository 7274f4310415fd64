// The registry: named targets compiled from `// @BE`-annotated sources, and calls to them.
//
//   be::Registry& registry = be::Registry::global();
//   registry.load_cpp_file("kernels/scale.cpp").value();      // targets "scale.<name>"
//   registry.call("scale.scale_f32", {x}, {y}, {{"alpha", 2.0}}).value();
//
// Loading parses the annotations (text only), then finds the object in the kernel cache or
// compiles it (the compiler plugin is loaded only on a miss), links it and registers one Target
// per annotation. The registry is safe to use from several threads.
#pragma once

#include <becore/registry/signature.h>
#include <becore/runtime/error.h>

#include <be/tensor.h>

#include <filesystem>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace be {

class KernelCache;
class JitModule;

// A scalar given for an attr; converted to the declared type with range checks at call time.
using AttrValue = std::variant<bool, int64_t, uint64_t, double>;
using AttrMap = std::map<std::string, AttrValue, std::less<>>;

// One callable entry point.
class Target {
  public:
    const std::string& name() const { return name_; }
    const Signature& signature() const { return signature_; }
    // The error of the file's compile when it failed (the target then cannot be called).
    const std::optional<Error>& load_error() const { return load_error_; }

    // Validates counts, dtypes, devices and attr types, then runs the kernel. A failing
    // BE_CHECK or an exception inside the kernel comes back as an Error naming the target.
    Result<void> call(std::span<const BE::Tensor> args, std::span<BE::Tensor> rets,
                      const AttrMap& attrs = {}, int64_t stream = 0) const;

  private:
    friend class Registry;
    using Entry = int (*)(void* const*, void*);
    std::string name_;
    Signature signature_;
    std::string content_key_; // identifies the compiled content, for "same content is a no-op"
    std::shared_ptr<JitModule> module_;
    Entry entry_ = nullptr;
    std::optional<Error> load_error_;
};

struct LoadOptions {
    std::string prefix;                             // default: the file's stem
    bool replace = false;                           // allow different content under taken names
    std::vector<std::filesystem::path> include_dirs; // extra -I directories
    std::vector<std::string> flags;                   // extra compiler flags, e.g. "-DWIDTH=4"
};

// What one file's load did, per target; `kernelctl build --json` prints this.
struct LoadReport {
    std::string file;
    std::vector<std::string> targets; // full names, in annotation order
    bool cache_hit = false;
    bool unchanged = false; // the same content was already loaded: nothing was done
    double milliseconds = 0;
    std::optional<Error> error; // compile failure: the targets are registered and report it
};

class Registry {
  public:
    // A registry over the given cache. Most programs use global().
    explicit Registry(std::shared_ptr<KernelCache> cache);
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    // The process's registry, over the user cache (BECORE_CACHE_DIR, BECORE_CACHE=off, ...).
    // The first call loads the files and directories on BECORE_KERNEL_PATH.
    static Registry& global();

    Result<LoadReport> load_cpp_file(const std::filesystem::path& file, const LoadOptions& = {});
    Result<LoadReport> load_cpp_inline(const std::string& name, const std::string& source,
                                       const std::string& prefix);
    // Every .cpp file in `dir` (not recursive), all under `prefix`; a name collision between two
    // files is an error naming both. A file that fails does not stop the others.
    Result<std::vector<LoadReport>> load_dir(const std::filesystem::path& dir,
                                             const std::string& prefix,
                                             const LoadOptions& = {});

    // The target called `name`, or for a dtype-suffix group (`x_f32`, `x_f64`, ...) the member
    // matching `ret_dtype`. nullptr when absent.
    std::shared_ptr<const Target> find(std::string_view name) const;
    std::shared_ptr<const Target> find(std::string_view name, BE::DType ret_dtype) const;
    Result<void> call(std::string_view name, std::span<const BE::Tensor> args,
                      std::span<BE::Tensor> rets, const AttrMap& attrs = {},
                      int64_t stream = 0) const;
    std::vector<std::string> names() const;
    KernelCache& cache() const { return *cache_; }

    // Loads every file named by a BECORE_KERNEL_PATH-style list (files or directories, ':'
    // separated), each under its stem. global() does this once with the environment's value.
    void load_kernel_path(const std::string& path);

  private:
    Result<LoadReport> load_source(const std::filesystem::path& path, const std::string& source,
                                   const LoadOptions& options, bool inline_source);
    Result<void> publish(std::vector<std::shared_ptr<Target>> targets, bool replace);

    std::shared_ptr<KernelCache> cache_;
    mutable std::shared_mutex mutex_;
    std::map<std::string, std::shared_ptr<const Target>, std::less<>> targets_;
};

// Parses the text form of an attr (as given to `kernelctl call --attr k=v`) by its declared
// type: true/false/1/0 for bool, decimal integers, decimal or exponent floats.
Result<AttrValue> parse_attr_value(const Param& param, std::string_view text);

// Splits "name_f32" into ("name", float32); nullopt when the name has no dtype suffix.
std::optional<std::pair<std::string, BE::DType>> split_dtype_suffix(std::string_view name);

} // namespace be
