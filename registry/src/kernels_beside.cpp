// load_kernels_beside: the kernel files a downstream library ships, found from an address inside
// that library (the analogue of Python's `Path(__file__).parent / "kernels.cu"`).
//
// The library's file comes from dladdr (the main executable's from /proc/self/exe, since dladdr
// reports argv[0] for it), with symlinks resolved, so a versioned library `libx.so.1.2` reached
// through `libx.so.1` is found under its real name. Beside it, `<file>.becore-kernels` is the
// manifest that becore_add_kernels (cmake/becore_add_kernels.cmake) writes into the build tree
// and installs with the library. Its grammar, one item per line:
//
//   manifest := line*
//   line     := "" | "#" text | "becore-kernels 1" | key " " value
//   key      := "library" | "prefix" | "dir" | "file"
//
//   becore-kernels 1   the format version; the first line that is not blank or a comment
//   library NAME       the CMake target, for messages; exactly once
//   prefix P           the targets' prefix ("P.<name>"); exactly once; [A-Za-z_][A-Za-z0-9_]*,
//                      not "be" (becore's built-ins)
//   dir PATH           the directory of the kernel files, relative to the manifest's directory
//                      (so the whole prefix can move); exactly once
//   file NAME          a kernel file in `dir`: a plain name ending in .cpp or .cu; once or more,
//                      each name once
//
// Anything else (an unknown key, a second version line, a missing value) is an error naming the
// manifest's line. The value is the rest of the line, spaces included.
//
// The folder `becore-cache` beside `dir` (its parent's) is added as a read-only cache layer: a
// WARM install puts the compiled files there (DESIGN "Layers" in docs/cache.md).
#include "kernels_beside.h"
#include "backend.h"

#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace be {

namespace fs = std::filesystem;

Result<detail::KernelManifest> detail::parse_kernel_manifest(const std::string& text,
                                                             const std::string& where) {
    KernelManifest m;
    bool versioned = false;
    std::istringstream lines(text);
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
        const std::string at = where + ":" + std::to_string(number) + ": ";
        if (line.empty() || line[0] == '#') continue;
        if (!versioned) {
            if (line != "becore-kernels 1")
                return make_error(ErrorCode::invalid_argument,
                                  at + "expected the format line 'becore-kernels 1', got '" + line +
                                      "'");
            versioned = true;
            continue;
        }
        const auto space = line.find(' ');
        const std::string key = line.substr(0, space);
        const std::string value = space == std::string::npos ? "" : line.substr(space + 1);
        if (key != "library" && key != "prefix" && key != "dir" && key != "file")
            return make_error(ErrorCode::invalid_argument,
                              at + "unknown key '" + key + "' (library, prefix, dir, file)");
        if (value.empty())
            return make_error(ErrorCode::invalid_argument, at + "'" + key + "' has no value");
        auto once = [&](std::string& field) -> std::optional<Error> {
            if (!field.empty())
                return make_error(ErrorCode::invalid_argument, at + "a second '" + key + "' line");
            field = value;
            return std::nullopt;
        };
        if (key == "library") {
            if (auto e = once(m.library)) return *e;
        } else if (key == "prefix") {
            if (auto e = once(m.prefix)) return *e;
            static const std::regex identifier("[A-Za-z_][A-Za-z0-9_]*");
            if (!std::regex_match(value, identifier))
                return make_error(ErrorCode::invalid_argument,
                                  at + "prefix '" + value + "' is not an identifier");
            if (value == "be")
                return make_error(ErrorCode::invalid_argument,
                                  at + "prefix 'be' is reserved for becore's built-in kernels");
        } else if (key == "dir") {
            if (!m.dir.empty())
                return make_error(ErrorCode::invalid_argument, at + "a second 'dir' line");
            m.dir = value;
            if (m.dir.is_absolute())
                return make_error(
                    ErrorCode::invalid_argument,
                    at + "dir '" + value +
                        "' is absolute; it must be relative to the manifest's directory");
        } else {
            const fs::path name(value);
            if (name.has_parent_path() || (name.extension() != ".cpp" && name.extension() != ".cu"))
                return make_error(ErrorCode::invalid_argument,
                                  at + "file '" + value +
                                      "' is not a plain file name ending in .cpp or .cu");
            if (std::find(m.files.begin(), m.files.end(), value) != m.files.end())
                return make_error(ErrorCode::invalid_argument,
                                  at + "file '" + value + "' is listed twice");
            m.files.push_back(value);
        }
    }
    if (!versioned)
        return make_error(ErrorCode::invalid_argument,
                          where + ": empty (no 'becore-kernels 1' line)");
    const std::pair<const char*, bool> required[] = {{"library", m.library.empty()},
                                                     {"prefix", m.prefix.empty()},
                                                     {"dir", m.dir.empty()},
                                                     {"file", m.files.empty()}};
    for (const auto& [key, missing] : required)
        if (missing)
            return make_error(ErrorCode::invalid_argument,
                              where + ": no '" + std::string(key) + "' line");
    return m;
}

namespace {

// The real path of the library or executable holding `symbol`.
Result<fs::path> file_of_symbol(const void* symbol) {
    Dl_info info{};
    link_map* map = nullptr;
    if (!symbol || !dladdr1(symbol, &info, reinterpret_cast<void**>(&map), RTLD_DL_LINKMAP) ||
        !info.dli_fname)
        return make_error(ErrorCode::invalid_argument,
                          "load_kernels_beside: the address is in no loaded library or executable "
                          "(pass the address of a function or variable the library defines)");
    const fs::path file =
        map && map->l_name[0] == '\0' ? fs::path("/proc/self/exe") : fs::path(info.dli_fname);
    std::error_code ec;
    auto real = fs::canonical(file, ec);
    if (ec)
        return make_error(ErrorCode::io,
                          "load_kernels_beside(" + file.string() +
                              "): cannot resolve the library's path: " + ec.message());
    return real;
}

} // namespace

Result<std::vector<LoadReport>> Registry::load_kernels_beside(const void* symbol_in_library,
                                                              const LoadOptions& options) {
    auto library = file_of_symbol(symbol_in_library);
    if (!library) return library.error();
    const std::string op = "load_kernels_beside(" + library->string() + ")";
    if (!options.prefix.empty())
        return make_error(ErrorCode::invalid_argument,
                          op + ": LoadOptions::prefix must be empty: the kernels' prefix is the "
                               "one their manifest names (becore_add_kernels PREFIX)");

    fs::path manifest_path = *library;
    manifest_path += ".becore-kernels";
    std::ifstream in(manifest_path, std::ios::binary);
    if (!in)
        return make_error(
            ErrorCode::not_found,
            op + ": no kernel manifest " + manifest_path.string() +
                " beside the library; becore_add_kernels(<target> FILES ...) in the "
                "library's CMake project writes it into the build tree and installs it "
                "beside the library");
    std::ostringstream text;
    text << in.rdbuf();
    auto manifest = detail::parse_kernel_manifest(text.str(), manifest_path.string());
    if (!manifest) return make_error(manifest.error().code(), op + ": " + manifest.error().message);
    const std::string library_name = "library '" + manifest->library + "'";

    const fs::path kernel_dir = (manifest_path.parent_path() / manifest->dir).lexically_normal();
    std::vector<fs::path> files;
    for (const auto& name : manifest->files) {
        files.push_back(kernel_dir / name);
        std::error_code ec;
        if (!fs::is_regular_file(files.back(), ec))
            return make_error(ErrorCode::not_found,
                              op + ": kernel file " + files.back().string() + " of " +
                                  library_name + " is missing (listed in " +
                                  manifest_path.string() + "; is the install complete?)");
    }

    std::lock_guard claim_lock(claims_mutex_);
    auto [claim, inserted] = prefix_claims_.emplace(manifest->prefix, *library);
    if (!inserted && claim->second != *library)
        return make_error(ErrorCode::invalid_argument,
                          op + ": prefix '" + manifest->prefix + "' of " + library_name +
                              " is already claimed by the kernels of " + claim->second.string() +
                              "; give one of the libraries another PREFIX in becore_add_kernels");

    cache_->add_read_only_layer(kernel_dir.parent_path() / "becore-cache");
    std::vector<FileLoad> loads;
    for (const auto& file : files) {
        loads.push_back({file, options});
        loads.back().options.prefix = manifest->prefix;
    }
    std::vector<LoadReport> reports;
    std::optional<Error> failed;
    for (auto& report : load_files(loads)) {
        if (!report.error) {
            reports.push_back(std::move(report));
            continue;
        }
        // The other files still load (DESIGN: a failed file does not stop the rest); the call
        // fails with every failure, each naming its file.
        const Error& e = *report.error;
        if (!failed)
            failed = make_error(e.code(), op + ": kernel files of " + library_name + " failed:");
        failed->message += "\n  " + report.file + ": " + e.message;
        if (!e.log.empty()) failed->log += (failed->log.empty() ? "" : "\n") + e.log;
    }
    if (failed) return *failed;
    return reports;
}

Result<std::vector<LoadReport>> load_kernels_beside(const void* symbol_in_library,
                                                    const LoadOptions& options) {
    return Registry::global().load_kernels_beside(symbol_in_library, options);
}

} // namespace be
