// Loading by need (by_need.h) and the lookups that trigger it. A lookup that misses the loaded
// targets loads the files defining the name, each under its own mutex: two threads asking for
// names of different files load them concurrently, two asking for one file load it once, and a
// file loads in full (all its targets) whatever name asked for it; a `.cu` file's targets then
// compile each on its first use (LoadOptions::cuda_compile_on_use, cuda_loader.cpp).
#include "by_need.h"

#include <algorithm>

namespace be {

Result<void> Registry::load_dir_by_need(const std::filesystem::path& dir, const std::string& prefix,
                                        const LoadOptions& options) {
    auto index = detail::index_kernel_dir(dir, prefix, "load_dir_by_need(" + dir.string() + ")");
    if (!index) return index.error();
    add_kit_cache_layer(dir);
    std::lock_guard lock(by_need_->mutex);
    for (auto& indexed : index->files) {
        auto file = std::make_unique<detail::ByNeed::File>();
        file->path = indexed.path;
        file->options = options;
        file->options.prefix = prefix;
        file->options.cuda_compile_on_use = true;
        for (const auto& name : indexed.names)
            by_need_->by_name[name].push_back(file.get());
        by_need_->files.push_back(std::move(file));
    }
    return {};
}

namespace {

// Runs the file's load unless it ran; true when this call ran it.
bool load_once(Registry& registry, detail::ByNeed::File& file, LoadReport* report) {
    std::lock_guard lock(file.mutex);
    if (file.loaded) return false;
    auto loaded = registry.load_file(file.path, file.options);
    if (!loaded) file.error = loaded.error();
    file.loaded = true;
    if (report) *report = detail::as_report(file.path, std::move(loaded), file.options);
    return true;
}

} // namespace

std::vector<LoadReport> Registry::load_pending() {
    std::vector<detail::ByNeed::File*> files;
    {
        std::lock_guard lock(by_need_->mutex);
        for (const auto& file : by_need_->files)
            files.push_back(file.get());
    }
    // The files no other thread is loading are claimed (their mutexes held) and loaded together
    // in parallel (load_files); a lookup of one of them meanwhile waits for its file. The files
    // being loaded elsewhere are waited for afterwards.
    std::vector<std::unique_lock<std::mutex>> claims;
    std::vector<detail::ByNeed::File*> claimed, busy;
    std::vector<FileLoad> loads;
    for (auto* file : files) {
        std::unique_lock lock(file->mutex, std::try_to_lock);
        if (!lock.owns_lock()) {
            busy.push_back(file);
        } else if (!file->loaded) {
            claimed.push_back(file);
            claims.push_back(std::move(lock));
            loads.push_back({file->path, file->options});
        }
    }
    std::vector<LoadReport> reports = load_files(loads);
    for (size_t i = 0; i < claimed.size(); ++i) {
        claimed[i]->error = reports[i].error;
        claimed[i]->loaded = true;
        claims[i].unlock();
    }
    for (auto* file : busy) {
        LoadReport report;
        if (load_once(*this, *file, &report)) reports.push_back(std::move(report));
    }
    return reports;
}

std::optional<Error> Registry::load_needed(std::string_view name) const {
    std::vector<detail::ByNeed::File*> files;
    {
        std::lock_guard lock(by_need_->mutex);
        auto it = by_need_->by_name.find(name);
        if (it == by_need_->by_name.end()) return std::nullopt;
        // Every call after the first: the files have loaded, so a flag per file, without a copy
        // of the list or the files' mutexes.
        if (std::all_of(it->second.begin(), it->second.end(),
                        [](const detail::ByNeed::File* file) { return file->loaded.load(); })) {
            for (const auto* file : it->second)
                if (file->error) return file->error;
            return std::nullopt;
        }
        files = it->second;
    }
    // Loading changes what the registry holds, not what it answers: a name's target is the same
    // whether its file was loaded earlier or now, so find() stays const.
    auto& self = const_cast<Registry&>(*this);
    std::optional<Error> failure;
    for (auto* file : files) {
        load_once(self, *file, nullptr);
        std::lock_guard lock(file->mutex);
        if (file->error && !failure) failure = file->error;
    }
    return failure;
}

std::shared_ptr<const Target> Registry::find_loaded(std::string_view name) const {
    std::shared_lock lock(mutex_);
    auto it = targets_.find(name);
    return it == targets_.end() ? nullptr : it->second;
}

Result<std::shared_ptr<const Target>> Registry::lookup(std::string_view name,
                                                       std::optional<BE::DType> ret_dtype,
                                                       std::string_view verb) const {
    std::optional<Error> failure;
    // The files defining a name are loaded even when the name is already served: another file
    // may have published it for one device (jitc.cu serves every jitc target on cuda, while each
    // weight kind's .cpp serves its own on the CPU). Once loaded this is a flag check per file.
    auto exact = [&](std::string_view candidate) -> std::shared_ptr<const Target> {
        auto error = load_needed(candidate);
        if (error && !failure) failure = error;
        return find_loaded(candidate);
    };
    if (auto target = exact(name)) return target;
    static const std::pair<BE::DType, const char*> suffixes[] = {{BE::DType::float32, "_f32"},
                                                                 {BE::DType::float64, "_f64"},
                                                                 {BE::DType::float16, "_f16"},
                                                                 {BE::DType::bfloat16, "_bf16"}};
    if (ret_dtype)
        for (const auto& [dtype, suffix] : suffixes)
            if (dtype == *ret_dtype)
                if (auto target = exact(std::string(name) + suffix)) return target;
    const std::string op = std::string(verb) + "(" + std::string(name) + ")";
    if (failure) return make_error(failure->code(), op + ": " + failure->message, failure->log);
    return make_error(ErrorCode::not_found, op + ": no such target");
}

std::shared_ptr<const Target> Registry::find(std::string_view name) const {
    auto target = lookup(name, std::nullopt, "find");
    return target ? *target : nullptr;
}

std::shared_ptr<const Target> Registry::find(std::string_view name, BE::DType ret_dtype) const {
    auto target = lookup(name, ret_dtype, "find");
    return target ? *target : nullptr;
}

} // namespace be
