// Registry: loading sources into targets (parse → cache lookup → compile on a miss → link) and
// the name table. Names: a file loaded with prefix P yields "P.<name>"; names ending in a dtype
// suffix also answer to the bare name (see find).
#include "kernel_headers.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/annotation.h>
#include <becore/registry/registry.h>
#include <becore/registry/trampoline.h>
#include <becore/runtime/cpu_backend.h>
#include <becore/runtime/log.h>

#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

namespace be {
namespace {

Result<std::string> read_text(const std::filesystem::path& file, const std::string& op) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return make_error(op + ": cannot read the file");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return make_error(op + ": I/O error while reading the file");
    return text.str();
}

std::string content_key(const CacheKeyInputs& inputs, const std::string& prefix) {
    XXH3_state_t* state = XXH3_createState();
    XXH3_128bits_reset(state);
    auto add = [&](const std::string& field) {
        uint64_t size = field.size();
        XXH3_128bits_update(state, &size, sizeof size);
        XXH3_128bits_update(state, field.data(), field.size());
    };
    add(prefix);
    add(inputs.source_text);
    for (const auto& flag : inputs.flags)
        add(flag);
    XXH128_hash_t hash = XXH3_128bits_digest(state);
    XXH3_freeState(state);
    char text[33];
    std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(hash.high64),
                  static_cast<unsigned long long>(hash.low64));
    return text;
}

std::string metadata_for(const std::vector<Signature>& signatures) {
    std::string names;
    for (const auto& s : signatures)
        names += (names.empty() ? "" : ",") + s.name;
    return names;
}

double elapsed_ms(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

} // namespace

Registry::Registry(std::shared_ptr<KernelCache> cache) : cache_(std::move(cache)) {}

Registry::~Registry() = default;

Registry& Registry::global() {
    // Destroyed at exit, which unloads the kernels (running their static destructors) and
    // flushes the cache's statistics once.
    static Registry registry(KernelCache::open_default());
    static std::once_flag kernel_path_loaded;
    std::call_once(kernel_path_loaded, [] {
        if (const char* path = std::getenv("BECORE_KERNEL_PATH"); path && *path)
            registry.load_kernel_path(path);
    });
    return registry;
}

void Registry::load_kernel_path(const std::string& path) {
    // Every file on the path (or in a directory on it) is loaded under its own stem; a failure
    // is reported and does not stop the others.
    std::stringstream entries(path);
    std::string entry;
    while (std::getline(entries, entry, ':')) {
        if (entry.empty()) continue;
        std::vector<std::filesystem::path> files;
        std::error_code ec;
        if (std::filesystem::is_directory(entry, ec)) {
            for (const auto& f : std::filesystem::directory_iterator(entry, ec))
                if (f.path().extension() == ".cpp") files.push_back(f.path());
            std::sort(files.begin(), files.end());
        } else {
            files.push_back(entry);
        }
        for (const auto& file : files)
            if (auto report = load_cpp_file(file); !report)
                log_warn("BECORE_KERNEL_PATH: " + report.error().full());
    }
}

Result<LoadReport> Registry::load_cpp_file(const std::filesystem::path& file,
                                           const LoadOptions& options) {
    auto source = read_text(file, "load_cpp_file(" + file.string() + ")");
    if (!source) return source.error();
    std::error_code ec;
    auto absolute = std::filesystem::absolute(file, ec);
    LoadOptions effective = options;
    if (effective.prefix.empty()) effective.prefix = file.stem().string();
    return load_source(ec ? file : absolute, *source, effective, false);
}

Result<LoadReport> Registry::load_cpp_inline(const std::string& name, const std::string& source,
                                             const std::string& prefix) {
    LoadOptions options;
    options.prefix = prefix.empty() ? name : prefix;
    return load_source(std::filesystem::current_path() / (name + ".cpp"), source, options, true);
}

Result<std::vector<LoadReport>> Registry::load_dir(const std::filesystem::path& dir,
                                                   const std::string& prefix,
                                                   const LoadOptions& options) {
    const std::string op = "load_dir(" + dir.string() + ")";
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".cpp")
            files.push_back(entry.path());
    if (ec) return make_error(op + ": " + ec.message());
    std::sort(files.begin(), files.end());

    // A name defined by two files of the directory is an error naming both, found before any
    // compile by parsing alone.
    std::map<std::string, std::string> defined_by;
    for (const auto& file : files) {
        auto text = read_text(file, op);
        if (!text) return text.error();
        auto signatures = parse_annotations(*text, file.string(), SourceKind::cpp);
        if (!signatures) continue; // reported by the file's own load below
        for (const auto& s : *signatures) {
            auto location = file.string() + ":" + std::to_string(s.line);
            auto [it, inserted] = defined_by.emplace(s.name, location);
            if (!inserted)
                return make_error(op + ": target '" + prefix + "." + s.name +
                                  "' is defined by both " + it->second + " and " + location);
        }
    }

    std::vector<LoadReport> reports;
    LoadOptions per_file = options;
    per_file.prefix = prefix;
    for (const auto& file : files) {
        auto report = load_cpp_file(file, per_file);
        if (report) {
            reports.push_back(std::move(report.value()));
        } else {
            LoadReport failed;
            failed.file = file.string();
            failed.error = report.error();
            reports.push_back(std::move(failed));
        }
    }
    return reports;
}

Result<LoadReport> Registry::load_source(const std::filesystem::path& path,
                                         const std::string& source, const LoadOptions& options,
                                         bool inline_source) {
    const auto start = std::chrono::steady_clock::now();
    const std::string display =
        inline_source ? "<inline " + path.stem().string() + ">" : path.string();
    const std::string op = (inline_source ? "load_cpp_inline(" : "load_cpp_file(") + display + ")";

    auto signatures = parse_annotations(source, display, SourceKind::cpp);
    if (!signatures) return signatures.error();

    std::vector<std::filesystem::path> include_dirs;
    for (const auto& dir : options.include_dirs)
        include_dirs.push_back(std::filesystem::absolute(dir));
    CpuCompileRequest request{path, source + "\n" + generate_cpp_trampolines(*signatures),
                              include_dirs, options.flags};
    CacheKeyInputs inputs;
    inputs.backend = "cpu";
    inputs.source_text = request.source;
    inputs.source_display = display;
    inputs.flags = cpu_compile_flags(request);
    inputs.target = cpu_target_description();
    inputs.toolchain = cpu_toolchain_identity();
    inputs.kernel_headers_hash = kernel_headers_hash();
    inputs.include_roots.push_back(path.parent_path());
    for (const auto& dir : include_dirs)
        inputs.include_roots.push_back(dir);

    LoadReport report;
    report.file = display;
    for (const auto& s : *signatures)
        report.targets.push_back(options.prefix + "." + s.name);
    const std::string key = content_key(inputs, options.prefix);
    {
        std::shared_lock lock(mutex_);
        bool all_present = !signatures->empty();
        for (const auto& name : report.targets) {
            auto it = targets_.find(name);
            all_present = all_present && it != targets_.end() && it->second->content_key_ == key &&
                          !it->second->load_error_;
        }
        if (all_present) {
            report.unchanged = true;
            report.cache_hit = true;
            report.milliseconds = elapsed_ms(start);
            return report;
        }
    }

    std::shared_ptr<JitModule> module;
    if (auto hit = cache_->lookup(inputs)) {
        auto loaded = load_cpu_object(hit->blob, display);
        if (loaded) {
            module = *loaded;
            report.cache_hit = true;
        } else {
            log_warn(op + ": the cached object did not link (" + loaded.error().message +
                     "); recompiling");
        }
    }
    std::optional<Error> failure;
    if (!module) {
        auto compiled = compile_cpp(request);
        if (!compiled) {
            failure = make_error(op + ": compilation failed", compiled.error().log);
        } else {
            if (!compiled->diagnostics.empty()) log_info(op + ": " + compiled->diagnostics);
            auto stored = cache_->store(inputs, compiled->headers_read, compiled->object,
                                        compiled->seconds, metadata_for(*signatures));
            if (!stored) log_warn(op + ": not cached: " + stored.error().message);
            auto loaded = load_cpu_object(compiled->object, display);
            if (loaded)
                module = *loaded;
            else
                failure = make_error(op + ": " + loaded.error().message, loaded.error().log);
        }
    }

    std::vector<std::shared_ptr<Target>> targets;
    for (const auto& s : *signatures) {
        auto target = std::make_shared<Target>();
        target->name_ = options.prefix + "." + s.name;
        target->signature_ = s;
        target->content_key_ = key;
        target->module_ = module;
        target->load_error_ = failure;
        if (module && !failure) {
            auto symbol = module->symbol(entry_symbol(s));
            if (!symbol) {
                failure = make_error(op + ": " + symbol.error().message);
                target->load_error_ = failure;
            } else {
                target->entry_ = reinterpret_cast<Target::Entry>(*symbol);
            }
        }
        targets.push_back(std::move(target));
    }
    if (failure)
        for (auto& t : targets)
            t->load_error_ = failure;

    if (auto published = publish(std::move(targets), options.replace); !published)
        return published.error();
    report.error = failure;
    report.milliseconds = elapsed_ms(start);
    if (failure) return *failure;
    return report;
}

Result<void> Registry::publish(std::vector<std::shared_ptr<Target>> targets, bool replace) {
    std::unique_lock lock(mutex_);
    for (const auto& t : targets) {
        auto it = targets_.find(t->name_);
        if (it == targets_.end() || replace || it->second->load_error_ ||
            it->second->content_key_ == t->content_key_)
            continue;
        const auto& old = it->second->signature_;
        return make_error("load(" + t->signature_.file + ":" + std::to_string(t->signature_.line) +
                          "): target '" + t->name_ + "' is already defined by " + old.file + ":" +
                          std::to_string(old.line) +
                          " with different content (load with replace to redefine it)");
    }
    // Callers holding the previous targets keep them (and their code) alive until they drop them.
    for (auto& t : targets)
        targets_[t->name_] = std::move(t);
    return {};
}

std::shared_ptr<const Target> Registry::find(std::string_view name) const {
    std::shared_lock lock(mutex_);
    auto it = targets_.find(name);
    return it == targets_.end() ? nullptr : it->second;
}

std::shared_ptr<const Target> Registry::find(std::string_view name, BE::DType ret_dtype) const {
    if (auto exact = find(name)) return exact;
    static const std::pair<BE::DType, const char*> suffixes[] = {{BE::DType::float32, "_f32"},
                                                                 {BE::DType::float64, "_f64"},
                                                                 {BE::DType::float16, "_f16"},
                                                                 {BE::DType::bfloat16, "_bf16"}};
    for (const auto& [dtype, suffix] : suffixes)
        if (dtype == ret_dtype) return find(std::string(name) + suffix);
    return nullptr;
}

Result<void> Registry::call(std::string_view name, std::span<const BE::Tensor> args,
                            std::span<BE::Tensor> rets, const AttrMap& attrs,
                            int64_t stream) const {
    auto target = rets.empty() ? find(name) : find(name, rets[0].dtype());
    if (!target) return make_error("call(" + std::string(name) + "): no such target");
    return target->call(args, rets, attrs, stream);
}

std::vector<std::string> Registry::names() const {
    std::shared_lock lock(mutex_);
    std::vector<std::string> names;
    for (const auto& [name, target] : targets_)
        names.push_back(name);
    return names;
}

std::optional<std::pair<std::string, BE::DType>> split_dtype_suffix(std::string_view name) {
    static const std::pair<const char*, BE::DType> suffixes[] = {{"_bf16", BE::DType::bfloat16},
                                                                 {"_f16", BE::DType::float16},
                                                                 {"_f32", BE::DType::float32},
                                                                 {"_f64", BE::DType::float64}};
    for (const auto& [suffix, dtype] : suffixes) {
        std::string_view s(suffix);
        if (name.size() > s.size() && name.substr(name.size() - s.size()) == s)
            return std::make_pair(std::string(name.substr(0, name.size() - s.size())), dtype);
    }
    return std::nullopt;
}

} // namespace be
