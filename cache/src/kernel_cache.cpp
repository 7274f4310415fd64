// KernelCache: opening a cache directory (trust, read-only and full directories, network file
// systems, a missing or corrupt index), the environment, and the public methods, which forward
// to CacheImpl (cache_impl.cpp and friends).
//
// Opening the user directory, in order:
//   1. create it (mode 0700, parents with the default mode) if missing;
//   2. trust it (untrusted_directory_reason): else in memory, one warning, nothing created in it;
//   3. writable? (access W_OK, free space): create v1/{blobs,tmp,locks} (0700); if not, it is
//      read through an immutable SQLite connection and stores stay in memory (one warning);
//   4. the index: WAL, or a rollback journal on a network file system (one warning); a missing
//      index with blobs beside it is started anew (one warning); a corrupt one (not a database,
//      malformed) is moved to index.sqlite3.corrupt and started anew (one warning), under the
//      index lock so concurrent openers repair it once. An index that fails for any other
//      reason (I/O error, newer schema) is never touched: the cache works in memory.
#include "cache_impl.h"

#include <becore/cache/filesystem.h>
#include <becore/cache/units.h>
#include <becore/runtime/log.h>
#include <becore/runtime/paths.h>
#include <becore/runtime/settings.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <pwd.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace be {

namespace fs = std::filesystem;

namespace cache_detail {

namespace {

std::string nonempty_env(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : "";
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Why the cache must not write into `dir`, or empty.
std::string not_writable_reason(const fs::path& dir) {
    if (::access(dir.c_str(), W_OK) != 0) return std::strerror(errno);
    struct statvfs info {};
    if (::statvfs(dir.c_str(), &info) == 0 && info.f_bavail == 0) return "the file system is full";
    return {};
}

// Creates `dir` with mode 0700 (its parents with the default mode) unless it exists.
Result<void> create_cache_directory(const fs::path& dir) {
    std::error_code ec;
    if (fs::exists(dir, ec)) return {};
    if (dir.has_parent_path() && dir.parent_path() != dir) {
        fs::create_directories(dir.parent_path(), ec);
        if (ec)
            return make_error(ErrorCode::io,
                              "cannot create " + dir.parent_path().string() + ": " + ec.message());
    }
    return make_directory(dir, 0700);
}

void remember_inode(Layer& layer) {
    struct stat info {};
    if (::stat(layer.index_path.c_str(), &info) == 0) {
        layer.index_device = static_cast<uint64_t>(info.st_dev);
        layer.index_inode = static_cast<uint64_t>(info.st_ino);
    }
}

void remove_journal_files(const fs::path& index_path) {
    ::unlink((index_path.string() + "-wal").c_str());
    ::unlink((index_path.string() + "-shm").c_str());
    ::unlink((index_path.string() + "-journal").c_str());
}

// Opens the writable index, starting a new one when it is missing or corrupt. `warnings` gets
// what was repaired; `problem` the kind of an unrepaired failure.
Result<std::unique_ptr<Index>> open_writable_index(const fs::path& versioned, bool wal,
                                                   std::vector<std::string>& warnings,
                                                   Problem& problem) {
    const fs::path path = versioned / "index.sqlite3";
    IndexOptions options;
    options.wal = wal;
    std::error_code ec;
    bool missing = !fs::exists(path, ec);
    if (!missing) {
        auto index = Index::open(path.string(), options, &problem);
        if (index || problem != Problem::corrupt) return index;
    }
    // A new index must be created, or a corrupt one replaced: one process at a time, and each
    // re-checks under the lock what the previous holder may already have done.
    bool ok = false;
    std::string why;
    auto lock =
        FileLock::acquire(versioned / "locks" / "index", std::chrono::seconds(10), true, ok, why);
    missing = !fs::exists(path, ec);
    if (missing) {
        // Leftovers of a deleted index would be replayed into the new one.
        remove_journal_files(path);
        bool had_blobs = false;
        for (auto it = fs::directory_iterator(versioned / "blobs", ec);
             !ec && it != fs::directory_iterator(); it.increment(ec))
            had_blobs = true;
        if (had_blobs)
            warnings.push_back("cache index " + path.string() +
                               " was missing; started a new one (the blobs it indexed are "
                               "orphans, removed by trimming or `kernelctl verify --fix` once an "
                               "hour old)");
        return Index::open(path.string(), options, &problem);
    }
    auto index = Index::open(path.string(), options, &problem);
    if (index || problem != Problem::corrupt) return index;
    const std::string damage = index.error().message;
    fs::path aside = path.string() + ".corrupt";
    if (::rename(path.c_str(), aside.c_str()) != 0) {
        problem = Problem::other;
        return make_error(ErrorCode::io,
                          "cache index " + path.string() + " is corrupt (" + damage +
                              ") and cannot be moved aside: " + std::strerror(errno));
    }
    remove_journal_files(path);
    warnings.push_back("cache index " + path.string() + " was corrupt (" + damage + "); moved to " +
                       aside.string() + " and started a new one");
    return Index::open(path.string(), options, &problem);
}

uint64_t configured_max_size() {
    if (auto bound = configured().cache_max_size) return *bound;
    std::string text = nonempty_env("BECORE_CACHE_MAX_SIZE");
    if (text.empty()) return k_default_cache_max_size;
    auto size = parse_size(text);
    if (size) return *size;
    log_warn("BECORE_CACHE_MAX_SIZE: " + size.error().message + "; using 2G");
    return k_default_cache_max_size;
}

} // namespace

} // namespace cache_detail

using cache_detail::CacheImpl;
using cache_detail::Layer;

KernelCache::KernelCache(std::unique_ptr<CacheImpl> impl) : impl_(std::move(impl)) {}

KernelCache::~KernelCache() {
    flush_stats();
}

std::shared_ptr<KernelCache> KernelCache::open(const fs::path& dir,
                                               const CacheOpenOptions& options) {
    auto memory_instead = [&](const std::string& why) {
        std::string warning = "cache directory " + (dir.empty() ? "(none)" : dir.string()) +
                              " is not used (" + why + "); caching in memory only";
        log_warn(warning);
        auto impl = std::make_unique<CacheImpl>(Layer::in_memory(), warning, true);
        impl->set_max_size(cache_detail::configured_max_size());
        return std::shared_ptr<KernelCache>(new KernelCache(std::move(impl)));
    };
    if (dir.empty()) return memory_instead("no cache directory: set BECORE_CACHE_DIR or HOME");
    std::error_code ec;
    fs::path absolute = fs::absolute(dir, ec).lexically_normal();
    if (ec) return memory_instead(ec.message());
    if (absolute.has_relative_path() && absolute.filename().empty())
        absolute = absolute.parent_path();
    if (auto created = cache_detail::create_cache_directory(absolute); !created)
        return memory_instead(created.error().message);
    // The trust check comes before anything is created inside the directory.
    if (auto why = untrusted_directory_reason(absolute, false)) return memory_instead(*why);
    const fs::path versioned = absolute / ("v" + std::to_string(k_cache_format_version));

    std::vector<std::string> warnings;
    std::string read_only = cache_detail::not_writable_reason(absolute);
    if (read_only.empty()) {
        for (const fs::path& sub :
             {versioned, versioned / "blobs", versioned / "tmp", versioned / "locks"}) {
            int error = 0;
            auto made = cache_detail::make_directory(sub, 0700, &error);
            if (made) continue;
            if (cache_detail::problem_from_errno(error) == cache_detail::Problem::other)
                return memory_instead(made.error().message);
            read_only = std::strerror(error);
            break;
        }
    }
    if (fs::exists(versioned, ec))
        if (auto why = untrusted_directory_reason(versioned, false))
            return memory_instead(versioned.string() + ": " + *why);
    for (const char* name : {"index.sqlite3", "index.sqlite3-wal", "index.sqlite3-shm"})
        if (auto why = untrusted_file_reason(versioned / name, false))
            return memory_instead((versioned / name).string() + ": " + *why);

    auto layer = std::make_unique<Layer>();
    layer->configured = absolute;
    layer->dir = versioned;
    layer->index_path = versioned / "index.sqlite3";
    const std::string fs_type =
        filesystem_type_of(absolute, cache_detail::read_text(options.mountinfo));
    const bool wal = !wal_unsafe_filesystem(fs_type);
    layer->wal = wal;
    if (!wal)
        warnings.push_back("cache directory " + absolute.string() +
                           " is on a network file system (" + fs_type +
                           "): the index uses a rollback journal, since SQLite's WAL "
                           "needs shared memory that does not work across machines");
    if (read_only.empty()) {
        cache_detail::Problem problem = cache_detail::Problem::none;
        auto index = cache_detail::open_writable_index(versioned, wal, warnings, problem);
        if (index) {
            layer->index = std::move(index.value());
        } else if (problem == cache_detail::Problem::no_space ||
                   problem == cache_detail::Problem::read_only) {
            read_only = index.error().message;
        } else {
            return memory_instead(index.error().message);
        }
    }
    if (!read_only.empty()) {
        const std::string unwritable = "it cannot be written (" + read_only + ")";
        if (!fs::exists(layer->index_path, ec))
            return memory_instead(unwritable + " and holds no cache");
        // Immutable (no -shm file created, no locks) unless the WAL holds commits the main file
        // lacks yet, as a process that filled the disk leaves it: those need a read-only
        // connection through the existing -shm file.
        cache_detail::IndexOptions ro;
        ro.mode = cache_detail::OpenMode::immutable;
        const fs::path wal_file = layer->index_path.string() + "-wal";
        const fs::path shm_file = layer->index_path.string() + "-shm";
        auto index =
            Result<std::unique_ptr<cache_detail::Index>>(make_error(ErrorCode::io, "not opened"));
        std::error_code wal_error;
        const auto wal_size = fs::file_size(wal_file, wal_error);
        if (!wal_error && wal_size > 0 && fs::exists(shm_file, ec)) {
            cache_detail::IndexOptions through_wal;
            through_wal.mode = cache_detail::OpenMode::read_only;
            index = cache_detail::Index::open(layer->index_path.string(), through_wal);
        }
        if (!index) index = cache_detail::Index::open(layer->index_path.string(), ro);
        if (!index) {
            // An index the disk filled up before its schema was written holds nothing either.
            bool empty = fs::file_size(layer->index_path, ec) == 0 ||
                         index.error().message.find("no schema") != std::string::npos;
            return memory_instead(
                unwritable + (empty ? " and holds no cache"
                                    : ", and its index cannot be read: " + index.error().message));
        }
        layer->index = std::move(index.value());
        layer->read_only = true;
        warnings.push_back("cache directory " + absolute.string() + " cannot be written (" +
                           read_only +
                           "): reading it, not writing; what this process compiles "
                           "stays in memory");
    }
    cache_detail::remember_inode(*layer);
    auto blobs = std::make_unique<cache_detail::DiskBlobStore>(versioned);
    layer->disk = blobs.get();
    layer->blobs = std::move(blobs);

    std::string warning;
    for (const auto& w : warnings) {
        log_warn(w);
        warning += (warning.empty() ? "" : "; ") + w;
    }
    auto impl = std::make_unique<CacheImpl>(std::move(layer), warning, true);
    impl->set_max_size(cache_detail::configured_max_size());
    // The read-only warning is already out: a later "full" must not print another.
    if (!read_only.empty()) impl->mark_warned("not-writable");
    return std::shared_ptr<KernelCache>(new KernelCache(std::move(impl)));
}

std::shared_ptr<KernelCache> KernelCache::in_memory() {
    return std::shared_ptr<KernelCache>(
        new KernelCache(std::make_unique<CacheImpl>(Layer::in_memory(), std::string(), false)));
}

std::shared_ptr<KernelCache> KernelCache::open_default() {
    const std::string mode = cache_detail::nonempty_env("BECORE_CACHE");
    const bool disk =
        configured().disk_cache.value_or(!(mode == "off" || mode == "0" || mode == "false"));
    if (!disk) return in_memory();
    auto cache = open(default_directory());
    std::stringstream system(cache_detail::nonempty_env("BECORE_SYSTEM_CACHE"));
    std::string entry;
    while (std::getline(system, entry, ':'))
        if (!entry.empty()) cache->add_read_only_layer(entry);
    cache->add_read_only_layer(becore_data_dir() / "cache");
    return cache;
}

fs::path KernelCache::default_directory() {
    if (auto dir = configured().cache_dir) return *dir;
    if (auto dir = cache_detail::nonempty_env("BECORE_CACHE_DIR"); !dir.empty()) return dir;
    // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
    if (auto xdg = cache_detail::nonempty_env("XDG_CACHE_HOME");
        !xdg.empty() && fs::path(xdg).is_absolute())
        return fs::path(xdg) / "becore";
    std::string home = cache_detail::nonempty_env("HOME");
    if (home.empty()) {
        if (const passwd* entry = ::getpwuid(::getuid()); entry != nullptr && entry->pw_dir)
            home = entry->pw_dir;
    }
    if (home.empty()) return {};
    return fs::path(home) / ".cache" / "becore";
}

fs::path KernelCache::directory() const {
    return impl_->directory();
}
bool KernelCache::persistent() const {
    return !impl_->directory().empty();
}
void KernelCache::set_follower(bool follower) {
    impl_->follower = follower;
}
bool KernelCache::follower() const {
    return impl_->follower;
}

bool KernelCache::writable() const {
    return impl_->writable();
}
const std::string& KernelCache::warning() const {
    return impl_->warning();
}
bool KernelCache::add_read_only_layer(const fs::path& dir) {
    return impl_->add_layer(dir);
}
std::vector<CacheLayerInfo> KernelCache::layers() const {
    return impl_->layer_infos();
}
uint64_t KernelCache::max_size() const {
    return impl_->max_size();
}
void KernelCache::set_max_size(uint64_t bytes) {
    impl_->set_max_size(bytes);
}

std::optional<CacheHit> KernelCache::lookup(const CacheKeyInputs& inputs, bool count_miss) {
    return impl_->lookup(inputs, count_miss);
}

KernelCache::CompileLock KernelCache::lock_for_compile(const CacheKeyInputs& inputs,
                                                       std::chrono::milliseconds timeout) {
    return CompileLock(impl_->lock_for_compile(inputs, timeout));
}

KernelCache::CompileLock::~CompileLock() {
    release();
}
KernelCache::CompileLock::CompileLock(CompileLock&& other) noexcept : fd_(other.fd_) {
    other.fd_ = -1;
}
KernelCache::CompileLock& KernelCache::CompileLock::operator=(CompileLock&& other) noexcept {
    if (this != &other) {
        release();
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}
void KernelCache::CompileLock::release() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

Result<std::string> KernelCache::store(const CacheKeyInputs& inputs,
                                       const std::vector<fs::path>& headers_read,
                                       const std::vector<char>& blob, double compile_seconds,
                                       const std::string& metadata) {
    return impl_->store(inputs, headers_read, blob, compile_seconds, metadata);
}

std::vector<CacheEntryInfo> KernelCache::list() const {
    return impl_->list();
}
CacheStats KernelCache::stats() const {
    return impl_->stats();
}
Result<uint64_t> KernelCache::clear(bool dry_run) {
    return impl_->clear(dry_run);
}
Result<void> KernelCache::zero_stats() {
    return impl_->zero_stats();
}
void KernelCache::flush_stats() {
    impl_->flush_stats();
}
Result<CacheEntryDetail> KernelCache::show(const std::string& key_prefix) const {
    return impl_->show(key_prefix);
}
CacheExplanation KernelCache::explain(const CacheKeyInputs& inputs) const {
    return impl_->explain(inputs);
}
Result<VerifyReport> KernelCache::verify(const VerifyOptions& options) {
    return impl_->verify(options);
}
Result<EvictReport> KernelCache::trim(uint64_t max_bytes) {
    return impl_->trim(max_bytes, true);
}
Result<EvictReport> KernelCache::evict_older_than(std::chrono::seconds age) {
    return impl_->evict_older_than(age);
}
Result<EvictReport> KernelCache::evict_stale(const std::vector<StaleCriteria>& current) {
    return impl_->evict_stale(current);
}

Result<ExportReport> KernelCache::export_to(const fs::path& file, const ExportOptions& options) {
    return impl_->export_to(file, options);
}

Result<ImportReport> KernelCache::import_entries(const std::vector<ExportedEntry>& entries,
                                                 const ImportOptions& options) {
    return impl_->import_entries(entries, options);
}

bool VerifyReport::clean() const {
    for (const auto& finding : findings)
        if (!finding.fixed) return false;
    return true;
}

} // namespace be
