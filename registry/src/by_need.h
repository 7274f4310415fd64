// Kernel directories indexed by name and loaded file by file as their targets are asked for
// (Registry::load_dir_by_need; the built-ins use it). load_dir shares the index: it is the
// line scan that finds a name defined twice for one device before anything compiles.
#pragma once

#include <becore/registry/registry.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace be::detail {

// The kernel files of one directory (sorted) and, per file, the target names its `// @BE` lines
// give (with the prefix; annotated_names: the annotations are checked when the file loads).
struct DirIndex {
    struct File {
        std::filesystem::path path;
        std::vector<std::string> names;
    };
    std::vector<File> files;
};

// Reads and scans every `.cpp`/`.cu` file of `dir`. An unreadable directory
// or file, or a name that two files define for the same device, is an error worded
// "<op>: ...", naming both files for the latter. A .cpp and a .cu twin serve different devices.
Result<DirIndex> index_kernel_dir(const std::filesystem::path& dir, const std::string& prefix,
                                  const std::string& op);

// A load_file result as a report of a directory's load: a failure becomes a report with error.
LoadReport as_report(const std::filesystem::path& file, Result<LoadReport> loaded,
                     const LoadOptions& options);

// The files registered with load_dir_by_need, each loaded at most once (the first lookup of one
// of its names loads it; concurrent lookups of the same file wait for that load).
struct ByNeed {
    struct File {
        std::filesystem::path path;
        LoadOptions options;
        std::mutex mutex; // held while the file loads
        // Set under mutex once the load ran, after `error`: a lookup that reads it true reads
        // `error` without the mutex (it no longer changes).
        std::atomic<bool> loaded = false;
        std::optional<Error> error; // the load's failure, once it ran
    };
    std::mutex mutex; // guards the containers below, not the loads
    std::vector<std::unique_ptr<File>> files;
    std::map<std::string, std::vector<File*>, std::less<>> by_name; // files in path order
};

} // namespace be::detail
