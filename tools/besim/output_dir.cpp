// Atomic output directories for besim commands (output_dir.h).
#include "output_dir.h"

#include "besim.h"

#include <becore/runtime/npy.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>

namespace besim {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int error) {
    return std::strerror(error);
}

// fsync of a file or directory; errors are reported (a rename without them proves nothing).
void sync_path(const fs::path& path, bool directory) {
    const int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(k_exit_failed, "cannot open " + path.string() + ": " + errno_text(errno));
    const int rc = ::fsync(fd);
    const int saved = errno;
    ::close(fd);
    // Some file systems refuse fsync on a directory (EINVAL); the data itself was synced.
    if (rc != 0 && !(directory && saved == EINVAL))
        fail(k_exit_failed, "cannot sync " + path.string() + ": " + errno_text(saved));
}

// Swaps two paths atomically where the kernel and file system allow it.
bool exchange(const fs::path& a, const fs::path& b) {
#ifdef RENAME_EXCHANGE
    return ::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0;
#else
    (void)a;
    (void)b;
    errno = ENOSYS;
    return false;
#endif
}

fs::path sibling(const fs::path& dir, const char* what) {
    static std::atomic<unsigned> counter{0};
    return dir.parent_path() / ("." + dir.filename().string() + ".besim-" + what + "-" +
                                std::to_string(::getpid()) + "-" + std::to_string(counter++));
}

// The absolute path without a trailing separator, so that "out/" names "out" (its parent and
// filename are what the staging directory needs).
fs::path normalised(const fs::path& dir) {
    fs::path p = fs::absolute(dir).lexically_normal();
    if (!p.has_filename() && p.has_relative_path()) p = p.parent_path();
    return p;
}

} // namespace

void check_output_dir(const fs::path& dir, bool force) {
    if (dir.empty()) fail(k_exit_invalid, "--out must not be empty");
    std::error_code ec;
    const auto link = fs::symlink_status(dir, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
        fail(k_exit_invalid, "cannot inspect --out " + dir.string() + ": " + ec.message());
    if (!fs::exists(link)) return;
    if (fs::is_symlink(link))
        fail(k_exit_invalid,
             "--out " + dir.string() + " is a symbolic link; give the directory it points to");
    if (!fs::is_directory(link))
        fail(k_exit_invalid, "--out " + dir.string() + " exists and is not a directory");
    if (force) return;
    const bool empty = fs::is_empty(dir, ec);
    if (ec) fail(k_exit_invalid, "cannot read --out " + dir.string() + ": " + ec.message());
    if (!empty)
        fail(k_exit_invalid,
             "--out " + dir.string() + " is not empty; give a new or empty directory, or --force");
}

void write_outputs_atomically(const fs::path& out, bool force,
                              const std::function<void(const fs::path&)>& writer) {
    check_output_dir(out, force);
    const fs::path dir = normalised(out);
    std::error_code ec;
    fs::create_directories(dir.parent_path(), ec);
    if (ec)
        fail(k_exit_invalid,
             "cannot create the parent of --out " + out.string() + ": " + ec.message());
    const fs::path staging = sibling(dir, "tmp");
    if (!fs::create_directory(staging, ec) || ec)
        fail(k_exit_failed, "cannot create " + staging.string() + ": " +
                                (ec ? ec.message() : std::string("it exists")));
    try {
        writer(staging);
        for (const auto& entry : fs::directory_iterator(staging))
            if (entry.is_regular_file()) sync_path(entry.path(), false);
        sync_path(staging, true);

        if (!fs::exists(fs::symlink_status(dir))) {
            fs::rename(staging, dir); // throws filesystem_error
        } else if (fs::is_empty(dir)) {
            fs::rename(staging, dir); // replaces an empty directory
        } else if (exchange(staging, dir)) {
            fs::remove_all(staging, ec); // now the old content; best effort
        } else {
            // No atomic exchange here: move the old DIR aside, the new one in, then drop the old.
            const fs::path old = sibling(dir, "old");
            fs::rename(dir, old);
            try {
                fs::rename(staging, dir);
            } catch (...) {
                fs::rename(old, dir, ec);
                throw;
            }
            fs::remove_all(old, ec);
        }
        sync_path(dir.parent_path(), true);
    } catch (...) {
        fs::remove_all(staging, ec);
        try {
            throw;
        } catch (const fs::filesystem_error& e) {
            fail(k_exit_failed,
                 "cannot put the output in place at " + out.string() + ": " + e.what());
        }
    }
}

void write_npy(const fs::path& path, const be::HostArray& array) {
    if (auto written = be::write_npy(path, array.view()); !written)
        fail(k_exit_failed, written.error().message);
}

void write_npy(const fs::path& path, const std::vector<double>& values) {
    auto array =
        be::HostArray::create(be::DType::float64, {static_cast<int64_t>(values.size())}).value();
    if (!values.empty()) std::memcpy(array.data(), values.data(), values.size() * sizeof(double));
    write_npy(path, array);
}

void write_npy(const fs::path& path, const std::vector<int32_t>& values) {
    auto array =
        be::HostArray::create(be::DType::int32, {static_cast<int64_t>(values.size())}).value();
    if (!values.empty()) std::memcpy(array.data(), values.data(), values.size() * sizeof(int32_t));
    write_npy(path, array);
}

void write_json(const fs::path& path, const nlohmann::json& document) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << document.dump(2) << "\n";
    file.close();
    if (!file) fail(k_exit_failed, "cannot write " + path.string());
}

std::vector<std::string> write_signals(const fs::path& dir, const be::Signals& signals) {
    std::vector<std::string> names;
    auto put = [&](const std::string& name, auto&& write) {
        write(dir / name);
        names.push_back(name);
    };
    put("spikes_t_ms.npy", [&](const fs::path& p) { write_npy(p, signals.spike_times_ms); });
    put("spikes_i.npy", [&](const fs::path& p) { write_npy(p, signals.spike_ids); });
    const std::pair<const char*, const be::HostArray*> probes[] = {
        {"v_m.npy", &signals.v_m},
        {"lfp_proxy.npy", &signals.lfp_proxy},
        {"csd_proxy.npy", &signals.csd_proxy}};
    for (const auto& [name, array] : probes) {
        const bool absent = array->ndim() == 1 && array->shape()[0] == 0;
        if (!absent) put(name, [&](const fs::path& p) { write_npy(p, *array); });
    }
    put("metadata.json", [&](const fs::path& p) { write_json(p, signals.metadata); });
    return names;
}

} // namespace besim
