// Registry: names, loading sources through the backends (backend.h: cpu_loader.cpp,
// cuda_loader.cpp), publishing targets and lookup. Names: a file loaded with prefix P yields
// "P.<name>"; names ending in a dtype suffix also answer to the bare name (see find).
//
// Devices: a target holds one implementation per device. A `.cu` source serves device cuda and,
// through its CUDA emulation (emu_loader.cpp, compiled on first use), cuda-emu; a `.cpp` source
// serves cpu, or cuda and cuda-emu when it orchestrates CUDA kernels (calls_cuda_launch). A
// `.cpp` and a `.cu` defining one name under one prefix form a single target if their signatures
// agree (parameter kinds, dtypes, attr names); two sources serving the same device under one name
// are the usual "already defined" conflict unless the content is the same or replace is asked.
#include "backend.h"
#include "by_need.h"

#include <becore/registry/annotation.h>
#include <becore/runtime/settings.h>
#include <becore/runtime/threads.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

namespace be {

using detail::TargetImpl;

namespace {

Result<std::string> read_text(const std::filesystem::path& file, const std::string& op) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return make_error(ErrorCode::not_found, op + ": cannot read the file");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return make_error(ErrorCode::io, op + ": I/O error while reading the file");
    return text.str();
}

double elapsed_ms(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

bool is_kernel_file(const std::filesystem::path& path) {
    return path.extension() == ".cpp" || path.extension() == ".cu";
}

std::string location(const Signature& s) {
    return s.file + ":" + std::to_string(s.line);
}

std::string render(const Signature& s) {
    std::string text;
    for (const auto& p : s.params) {
        text += (text.empty() ? "" : ", ") + std::string(param_kind_name(p.kind)) + " " + p.name;
        if (p.dtype) text += ":" + std::string(dtype_name(*p.dtype));
    }
    return text;
}

// Why two implementations of one target cannot be twins, if they cannot: callers pass the same
// tensors and attrs to either, so kinds, dtypes and attr names must agree (tensor parameter
// names may differ).
std::optional<std::string> signature_mismatch(const Signature& a, const Signature& b) {
    bool agree = a.params.size() == b.params.size();
    for (size_t i = 0; agree && i < a.params.size(); ++i) {
        const Param &p = a.params[i], &q = b.params[i];
        agree = p.kind == q.kind && p.dtype == q.dtype &&
                (p.kind != ParamKind::attr || p.name == q.name);
    }
    if (agree) return std::nullopt;
    return "(" + render(a) + ") vs (" + render(b) + ")";
}

// Every live registry, for BE::cuda_launch names resolved outside any call (e.g. on a thread a
// host kernel started); the calling registry is preferred when there is one.
struct LiveRegistries {
    std::mutex mutex;
    std::vector<const Registry*> list;
};

LiveRegistries& live_registries() {
    static auto* live = new LiveRegistries(); // used by registries destroyed at exit
    return *live;
}

// A target named by BE::cuda_launch: in the calling registry, else in any live one.
std::shared_ptr<const Target> find_launched(std::string_view name) {
    std::shared_ptr<const Target> target;
    if (const Registry* calling = detail::calling_registry()) target = calling->find(name);
    if (!target) {
        LiveRegistries& live = live_registries();
        std::lock_guard lock(live.mutex);
        for (const Registry* r : live.list)
            if ((target = r->find(name))) break;
    }
    return target;
}

const TargetImpl* impl_for(const Target& target, Device device) {
    for (const auto& impl : detail::TargetAccess::impls(target))
        if (impl->device == device) return impl.get();
    return nullptr;
}

Result<CudaKernelRef> resolve_cuda_kernel(std::string_view name) {
    auto target = find_launched(name);
    if (!target) return make_error(ErrorCode::not_found, "no such target");
    if (const TargetImpl* impl = impl_for(*target, Device::cuda))
        return impl->cuda_kernel(target->name());
    if (const TargetImpl* impl = impl_for(*target, Device::cuda_emu)) {
        // Loaded for the emulation only (LoadOptions::emulation_only): a handle that serves
        // launches on cuda-emu tensors.
        CudaKernelRef ref;
        ref.target = target->name();
        ref.param_codes = detail::launch_param_codes(impl->signature);
        ref.unavailable = "'" + target->name() + "' was loaded for cuda-emu only";
        return ref;
    }
    return make_error(ErrorCode::not_found, "'" + target->name() + "' has no CUDA implementation");
}

// Launches on cuda-emu tensors (runtime/src/cuda_launch.cpp); compiles the emulation if needed.
Result<EmuKernelRef> resolve_emu_kernel(std::string_view name) {
    auto target = find_launched(name);
    if (!target) return make_error(ErrorCode::not_found, "no such target");
    if (const TargetImpl* impl = impl_for(*target, Device::cuda_emu))
        return impl->emu_kernel(target->name());
    return make_error(ErrorCode::not_found,
                      "'" + target->name() + "' has no CUDA emulation (cuda-emu implementation)");
}

// The device a source's targets serve (the first of devices_of).
Device device_of(const std::string& source, bool cuda) {
    return cuda || calls_cuda_launch(source) ? Device::cuda : Device::cpu;
}

// Every device a `.cpp` source's targets serve: host orchestration of CUDA kernels serves cuda
// and cuda-emu (BE::cuda_launch dispatches on its tensors' device).
std::vector<Device> devices_of(const std::string& source) {
    if (calls_cuda_launch(source)) return {Device::cuda, Device::cuda_emu};
    return {Device::cpu};
}

} // namespace

Registry::Registry(std::shared_ptr<KernelCache> cache)
    : cache_(std::move(cache)), by_need_(std::make_unique<detail::ByNeed>()) {
    LiveRegistries& live = live_registries();
    std::lock_guard lock(live.mutex);
    live.list.push_back(this);
    set_cuda_kernel_resolver(&resolve_cuda_kernel);
    set_emu_kernel_resolver(&resolve_emu_kernel);
}

Registry::~Registry() {
    LiveRegistries& live = live_registries();
    std::lock_guard lock(live.mutex);
    live.list.erase(std::remove(live.list.begin(), live.list.end(), this), live.list.end());
}

namespace {

// The process registry: created on first use with the settings of that moment, destroyed by
// be::shutdown() or at exit (which unloads the kernels, running their static destructors, and
// flushes the cache's statistics once).
struct GlobalRegistry {
    std::mutex mutex;
    std::atomic<Registry*> current{nullptr};
    std::atomic<uint64_t> generation{0};
    std::unique_ptr<Registry> owned;

    ~GlobalRegistry() { destroy(); }
    void destroy() {
        std::unique_ptr<Registry> gone;
        {
            std::lock_guard lock(mutex);
            current = nullptr;
            gone = std::move(owned);
        }
    }
};

GlobalRegistry& global_registry() {
    static GlobalRegistry holder;
    return holder;
}

} // namespace

Registry& Registry::global() {
    GlobalRegistry& g = global_registry();
    if (Registry* registry = g.current.load(std::memory_order_acquire)) return *registry;
    // Created and its kernel path loaded under the lock: other first users wait for both.
    std::lock_guard lock(g.mutex);
    if (Registry* registry = g.current.load(std::memory_order_relaxed)) return *registry;
    const Settings settings = detail::acquire_registry_settings();
    g.owned = std::make_unique<Registry>(KernelCache::open_default());
    ++g.generation;
    detail::on_shutdown([] { global_registry().destroy(); });
    std::string path = settings.kernel_path.value_or("");
    if (!settings.kernel_path)
        if (const char* env = std::getenv("BECORE_KERNEL_PATH")) path = env;
    if (!path.empty()) g.owned->load_kernel_path(path);
    g.current.store(g.owned.get(), std::memory_order_release);
    return *g.owned;
}

uint64_t Registry::global_generation() {
    return global_registry().generation.load(std::memory_order_acquire);
}

void Registry::load_kernel_path(const std::string& path) {
    // Every file on the path (or in a directory on it) is loaded under its own stem, in parallel
    // (load_files); a failure is reported, in path order, and does not stop the others.
    std::stringstream entries(path);
    std::string entry;
    std::vector<FileLoad> loads;
    while (std::getline(entries, entry, ':')) {
        if (entry.empty()) continue;
        std::vector<std::filesystem::path> files;
        std::error_code ec;
        if (std::filesystem::is_directory(entry, ec)) {
            for (const auto& f : std::filesystem::directory_iterator(entry, ec))
                if (is_kernel_file(f.path())) files.push_back(f.path());
            std::sort(files.begin(), files.end());
        } else {
            files.push_back(entry);
        }
        for (auto& file : files)
            loads.push_back({std::move(file), {}});
    }
    for (const auto& report : load_files(loads))
        if (report.error) log_warn("BECORE_KERNEL_PATH: " + report.error->full());
}

Result<LoadReport> Registry::load_file(const std::filesystem::path& file,
                                       const LoadOptions& options) {
    if (file.extension() == ".cu") return load_cuda_file(file, options);
    if (file.extension() == ".cpp") return load_cpp_file(file, options);
    return make_error(ErrorCode::invalid_argument,
                      "load_file(" + file.string() + "): not a kernel source (.cpp or .cu)");
}

Result<LoadReport> Registry::load_cpp_file(const std::filesystem::path& file,
                                           const LoadOptions& options) {
    return commit(stage_file(file, options, false));
}

Result<LoadReport> Registry::load_cpp_inline(const std::string& name, const std::string& source,
                                             const std::string& prefix) {
    LoadOptions options;
    options.prefix = prefix.empty() ? name : prefix;
    return load_source(std::filesystem::current_path() / (name + ".cpp"), source, options, false,
                       true);
}

Result<LoadReport> Registry::load_cuda_file(const std::filesystem::path& file,
                                            const LoadOptions& options) {
    return commit(stage_file(file, options, true));
}

Result<LoadReport> Registry::load_cuda_inline(const std::string& name, const std::string& source,
                                              const std::string& prefix,
                                              const LoadOptions& options) {
    LoadOptions effective = options;
    effective.prefix = prefix.empty() ? name : prefix;
    return load_source(std::filesystem::current_path() / (name + ".cu"), source, effective, true,
                       true);
}

detail::StagedLoad Registry::stage_file(const std::filesystem::path& file,
                                        const LoadOptions& options, bool cuda) {
    auto source = read_text(file, std::string(cuda ? "load_cuda_file(" : "load_cpp_file(") +
                                      file.string() + ")");
    if (!source) return detail::staged_done(source.error());
    std::error_code ec;
    auto absolute = std::filesystem::absolute(file, ec);
    LoadOptions effective = options;
    if (effective.prefix.empty()) effective.prefix = file.stem().string();
    return stage_source(ec ? file : absolute, *source, effective, cuda, false);
}

Result<std::vector<FileLoad>> Registry::dir_loads(const std::filesystem::path& dir,
                                                  const std::string& prefix,
                                                  const LoadOptions& options) {
    add_kit_cache_layer(dir);
    auto index = detail::index_kernel_dir(dir, prefix, "load_dir(" + dir.string() + ")");
    if (!index) return index.error();
    std::vector<FileLoad> loads;
    for (const auto& file : index->files) {
        loads.push_back({file.path, options});
        loads.back().options.prefix = prefix;
    }
    return loads;
}

Result<std::vector<LoadReport>> Registry::load_dir(const std::filesystem::path& dir,
                                                   const std::string& prefix,
                                                   const LoadOptions& options) {
    auto loads = dir_loads(dir, prefix, options);
    if (!loads) return loads.error();
    return load_files(*loads);
}

std::vector<LoadReport> Registry::load_files(const std::vector<FileLoad>& files) {
    auto stage = [&](const FileLoad& load) {
        const auto& path = load.path;
        if (path.extension() != ".cpp" && path.extension() != ".cu")
            return detail::staged_done(
                make_error(ErrorCode::invalid_argument,
                           "load_file(" + path.string() + "): not a kernel source (.cpp or .cu)"));
        return stage_file(path, load.options, path.extension() == ".cu");
    };
    // Staged in parallel, largest file first (the long compiles start early); a file given again
    // is staged at its turn in the commits, so that it sees the first one published.
    std::vector<std::optional<detail::StagedLoad>> staged(files.size());
    std::vector<std::pair<std::uintmax_t, size_t>> parallel; // (size, index)
    std::set<std::filesystem::path> seen;
    for (size_t i = 0; i < files.size(); ++i) {
        std::error_code ec;
        if (!seen.insert(std::filesystem::absolute(files[i].path, ec).lexically_normal()).second)
            continue;
        const auto size = std::filesystem::file_size(files[i].path, ec);
        parallel.emplace_back(ec ? 0 : size, i);
    }
    std::stable_sort(parallel.begin(), parallel.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    run_bounded(parallel.size(), [&](size_t k) {
        const size_t i = parallel[k].second;
        LogCapture capture;
        staged[i] = stage(files[i]);
        staged[i]->messages = capture.take();
    });
    std::vector<LoadReport> reports;
    for (size_t i = 0; i < files.size(); ++i) {
        if (!staged[i]) staged[i] = stage(files[i]);
        log_replay(staged[i]->messages);
        reports.push_back(
            detail::as_report(files[i].path, commit(std::move(*staged[i])), files[i].options));
    }
    return reports;
}

void Registry::add_kit_cache_layer(const std::filesystem::path& dir) {
    // A downstream install ships warmed entries in a becore-cache/ folder beside its kernel
    // directory: a read-only layer of the cache, used when present and trusted.
    std::error_code ec;
    auto kernel_dir = std::filesystem::absolute(dir, ec).lexically_normal();
    if (kernel_dir.filename().empty()) kernel_dir = kernel_dir.parent_path();
    cache_->add_read_only_layer(kernel_dir.parent_path() / "becore-cache");
}

namespace detail {

LoadReport as_report(const std::filesystem::path& file, Result<LoadReport> loaded,
                     const LoadOptions& options) {
    if (loaded) return std::move(loaded.value());
    LoadReport failed;
    failed.file = file.string();
    failed.backend = file.extension() != ".cu" ? "cpu"
                     : options.emulation_only  ? "cuda-emu"
                                               : "cuda";
    failed.error = loaded.error();
    return failed;
}

Result<DirIndex> index_kernel_dir(const std::filesystem::path& dir, const std::string& prefix,
                                  const std::string& op) {
    DirIndex index;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.is_regular_file() && is_kernel_file(entry.path()))
            index.files.push_back({entry.path(), {}});
    if (ec) return make_error(ErrorCode::io, op + ": " + ec.message());
    std::sort(index.files.begin(), index.files.end(),
              [](const auto& a, const auto& b) { return a.path < b.path; });

    // A name served for one device by two files of the directory is an error naming both, found
    // before any compile by a line scan of the annotations. A .cpp and a .cu twin serve different
    // devices.
    std::map<std::pair<std::string, Device>, std::string> defined_by;
    for (auto& file : index.files) {
        auto text = read_text(file.path, op);
        if (!text) return text.error();
        const Device device = device_of(*text, file.path.extension() == ".cu");
        for (const auto& [name, line] : annotated_names(*text)) {
            auto where = file.path.string() + ":" + std::to_string(line);
            auto [it, inserted] = defined_by.emplace(std::pair(name, device), where);
            if (!inserted)
                return make_error(ErrorCode::invalid_argument, op + ": target '" + prefix + "." +
                                                                   name + "' is defined by both " +
                                                                   it->second + " and " + where);
            file.names.push_back(prefix + "." + name);
        }
    }
    return index;
}

} // namespace detail

Result<LoadReport> Registry::load_source(const std::filesystem::path& path,
                                         const std::string& source, const LoadOptions& options,
                                         bool cuda, bool inline_source) {
    return commit(stage_source(path, source, options, cuda, inline_source));
}

detail::StagedLoad Registry::stage_source(const std::filesystem::path& path,
                                          const std::string& source, const LoadOptions& options,
                                          bool cuda, bool inline_source) {
    const auto start = std::chrono::steady_clock::now();
    detail::SourceUnit unit;
    unit.path = path;
    unit.display = inline_source ? "<inline " + path.stem().string() + ">" : path.string();
    unit.op = std::string(cuda ? "load_cuda_" : "load_cpp_") +
              (inline_source ? "inline(" : "file(") + unit.display + ")";
    unit.source = source;
    unit.options = options;
    auto signatures =
        parse_annotations(source, unit.display, cuda ? SourceKind::cuda : SourceKind::cpp);
    if (!signatures) return detail::staged_done(signatures.error());
    unit.signatures = std::move(*signatures);
    // A `.cu` source has two loaders: NVRTC's (device cuda) and the CUDA emulation's (cuda-emu,
    // compiled on first use); emulation_only keeps the second alone and compiles it now. The
    // first loader is the one the report describes.
    std::vector<std::unique_ptr<detail::SourceLoader>> loaders;
    if (!cuda) {
        loaders.push_back(detail::make_cpu_loader(*cache_, unit, devices_of(source)));
    } else {
        if (!options.emulation_only) loaders.push_back(detail::make_cuda_loader(cache_, unit));
        loaders.push_back(detail::make_emu_loader(cache_, unit, options.emulation_only));
    }
    LoadReport report;
    report.file = unit.display;
    report.backend = loaders.front()->backend();
    for (const auto& s : unit.signatures)
        report.targets.push_back(options.prefix + "." + s.name);
    {
        // Unchanged when every target already has, for every device the loaders serve, an
        // implementation of the same content that has not failed (and, for a loader that
        // compiles at load, one that is compiled: the emulation with emulation_only, a `.cu`
        // file loaded eagerly after a load that left its targets to compile on use).
        std::shared_lock lock(mutex_);
        bool all_present = !unit.signatures.empty();
        for (const auto& name : report.targets) {
            auto it = targets_.find(name);
            for (const auto& loader : loaders)
                for (Device device : loader->devices()) {
                    bool present = false;
                    if (it != targets_.end())
                        for (const auto& impl : it->second->impls_) {
                            const TargetImpl::State state = impl->state();
                            present |=
                                impl->device == device &&
                                impl->content_key == loader->content_key() &&
                                state != TargetImpl::State::failed &&
                                (!loader->compiles_at_load() || state == TargetImpl::State::ready);
                        }
                    all_present = all_present && present;
                }
        }
        if (all_present) {
            report.unchanged = true;
            report.cache_hit = true;
            report.milliseconds = elapsed_ms(start);
            return detail::staged_done(std::move(report));
        }
    }

    detail::StagedLoad staged;
    for (size_t i = 0; i < loaders.size(); ++i) {
        detail::SourceBuild built = loaders[i]->build();
        staged.impls.insert(staged.impls.end(), built.impls.begin(), built.impls.end());
        if (i == 0) {
            report.cache_hit = built.cache_hit;
            report.phases = built.phases;
            report.arch = built.arch;
            report.error = built.failure;
            report.deferred = built.deferred;
        }
    }
    report.milliseconds = elapsed_ms(start);
    staged.report = std::move(report);
    staged.prefix = options.prefix;
    staged.replace = options.replace;
    return staged;
}

Result<LoadReport> Registry::commit(detail::StagedLoad staged) {
    if (staged.done) return std::move(*staged.done);
    const auto start = std::chrono::steady_clock::now();
    // Published together, so that a conflict leaves the registry as it was.
    if (auto published = publish(std::move(staged.impls), staged.prefix, staged.replace);
        !published)
        return published.error();
    LoadReport& report = staged.report;
    report.milliseconds += elapsed_ms(start);
    if (report.error) return *report.error;
    return std::move(report);
}

Result<void> Registry::publish(std::vector<std::shared_ptr<TargetImpl>> impls,
                               const std::string& prefix, bool replace) {
    std::unique_lock lock(mutex_);
    for (const auto& impl : impls) {
        const std::string name = prefix + "." + impl->signature.name;
        auto it = targets_.find(name);
        if (it == targets_.end()) continue;
        for (const auto& old : it->second->impls_) {
            if (old->device == impl->device) {
                if (replace || old->state() == TargetImpl::State::failed ||
                    old->content_key == impl->content_key)
                    continue;
                return make_error(ErrorCode::invalid_argument,
                                  "load(" + location(impl->signature) + "): target '" + name +
                                      "' is already defined by " + location(old->signature) +
                                      " with different content (load with replace to redefine it)");
            }
            if (replace) continue;
            if (auto why = signature_mismatch(old->signature, impl->signature))
                return make_error(ErrorCode::invalid_argument,
                                  "load(" + location(impl->signature) + "): target '" + name +
                                      "' is also defined for " +
                                      std::string(device_name(old->device)) + " by " +
                                      location(old->signature) + " with another signature " + *why +
                                      "; twins must agree on parameter kinds, dtypes and attr "
                                      "names");
        }
    }
    // Callers holding the previous targets keep them (and their code) alive until they drop them.
    for (auto& impl : impls) {
        const std::string name = prefix + "." + impl->signature.name;
        auto target = std::make_shared<Target>();
        target->name_ = name;
        target->registry_ = this;
        if (auto it = targets_.find(name); it != targets_.end())
            for (const auto& old : it->second->impls_)
                if (old->device != impl->device &&
                    !signature_mismatch(old->signature, impl->signature)) // replace drops the rest
                    target->impls_.push_back(old);
        target->impls_.push_back(std::move(impl));
        std::sort(target->impls_.begin(), target->impls_.end(),
                  [](const auto& a, const auto& b) { return a->device < b->device; });
        for (const auto& i : target->impls_)
            if (i->load_error && !target->load_error_) target->load_error_ = i->load_error;
        targets_[name] = std::move(target);
    }
    return {};
}

const Signature& Target::signature() const {
    return impls_.front()->signature;
}

std::vector<Device> Target::devices() const {
    std::vector<Device> devices;
    for (const auto& impl : impls_)
        devices.push_back(impl->device);
    return devices;
}

std::string Target::backend(Device device) const {
    for (const auto& impl : impls_)
        if (impl->device == device) return impl->backend;
    return {};
}

Result<void> Registry::call(std::string_view name, std::span<const BE::Tensor> args,
                            std::span<BE::Tensor> rets, const AttrMap& attrs,
                            int64_t stream) const {
    auto target =
        lookup(name, rets.empty() ? std::nullopt : std::optional(rets[0].dtype()), "call");
    if (!target) return target.error();
    return (*target)->call(args, rets, attrs, stream);
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
