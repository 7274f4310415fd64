// Compiling `.cu` kernels with NVRTC: the target architecture, the flags (part of the cache key,
// so they carry no absolute path), NVRTC's identity, the compile itself and the mapping of its
// log back to the user's files.
//
// One compile with -arch=sm_XX yields both the CUBIN and the PTX of compute_XX (NVRTC keeps the
// PTX it generated on the way), so becore compiles once per source and architecture.
#include "cuda_symbols.h"

#include <becore/runtime/cuda_backend.h>
#include <becore/runtime/elf_info.h>
#include <becore/runtime/log.h>
#include <becore/runtime/paths.h>

#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace be {

using namespace cuda_abi;

namespace {

namespace fs = std::filesystem;

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : "";
}

// The CUDA toolkit's include directory: $CUDA_HOME or $CUDA_PATH, else the one found at
// configure time, else the one beside the NVRTC library in use (<root>/lib64/../include).
fs::path cuda_include_dir() {
    static const fs::path dir = [] {
        std::vector<fs::path> candidates;
        for (const char* root : {"CUDA_HOME", "CUDA_PATH"})
            if (auto value = env(root); !value.empty())
                candidates.push_back(fs::path(value) / "include");
#ifdef BECORE_DEFAULT_CUDA_INCLUDE
        candidates.push_back(BECORE_DEFAULT_CUDA_INCLUDE);
#endif
        if (nvrtc_api().ok())
            candidates.push_back(fs::path(nvrtc_api().library).parent_path().parent_path() /
                                 "include");
        for (const auto& c : candidates) {
            std::error_code ec;
            if (!c.empty() && fs::exists(c / "cuda_fp16.h", ec)) return c;
        }
        return fs::path();
    }();
    return dir;
}

std::string nvrtc_error(const NvrtcApi& api, nvrtcResult r) {
    const char* text = api.nvrtcGetErrorString(r);
    return std::string(text ? text : "NVRTC error") + " (" + std::to_string(r) + ")";
}

std::optional<std::string> hash_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    XXH3_state_t* state = XXH3_createState();
    XXH3_128bits_reset(state);
    std::vector<char> buffer(1 << 20);
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        XXH3_128bits_update(state, buffer.data(), static_cast<size_t>(in.gcount()));
    }
    XXH128_hash_t h = XXH3_128bits_digest(state);
    XXH3_freeState(state);
    char text[33];
    std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                  static_cast<unsigned long long>(h.low64));
    return std::string(text);
}

// The number of an arch name: "sm_90a" → 90.
int arch_number(const std::string& arch) {
    return std::atoi(arch.c_str() + 3);
}

// Rewrites NVRTC's "name(12): " locations to "<path>:12: " for the program and every header,
// and returns the first error's "<path>:<line>" and text.
struct MappedLog {
    std::string text;
    std::string first_error_location, first_error;
};

MappedLog map_log(const std::string& log, const std::map<std::string, std::string>& files) {
    MappedLog out;
    std::istringstream lines(log);
    std::string line;
    while (std::getline(lines, line)) {
        const size_t open = line.find('(');
        const size_t close = open == std::string::npos ? open : line.find("): ", open);
        if (close != std::string::npos) {
            auto file = files.find(line.substr(0, open));
            const std::string number = line.substr(open + 1, close - open - 1);
            const bool digits =
                !number.empty() && std::all_of(number.begin(), number.end(), [](char c) {
                    return std::isdigit(static_cast<unsigned char>(c));
                });
            if (file != files.end() && digits) {
                std::string location = file->second + ":" + number;
                line = location + ": " + line.substr(close + 3);
                if (out.first_error.empty() &&
                    line.find("error", location.size()) != std::string::npos) {
                    out.first_error_location = location;
                    out.first_error = line.substr(location.size() + 2);
                }
            }
        }
        out.text += line + "\n";
    }
    return out;
}

// NVRTC's -time=- appends its phase table to the log: a blank line, the heading below, then one
// "<program>, <phase>, <milliseconds>, ms" line per phase. Those lines are taken out of the log
// (so a clean compile still has no diagnostics) and into `phases`.
constexpr std::string_view k_time_heading = "File name, phase name, metric, unit";

std::string take_phase_times(const std::string& log, const std::string& program,
                             CompilePhases& phases) {
    std::istringstream lines(log);
    std::string line, kept;
    const std::string prefix = program + ", ", suffix = ", ms";
    while (std::getline(lines, line)) {
        if (line == k_time_heading) continue;
        if (line.size() > prefix.size() + suffix.size() && line.rfind(prefix, 0) == 0 &&
            line.compare(line.size() - suffix.size(), suffix.size(), suffix) == 0) {
            const std::string middle =
                line.substr(prefix.size(), line.size() - prefix.size() - suffix.size());
            const size_t comma = middle.rfind(", ");
            if (comma != std::string::npos) {
                const std::string phase = middle.substr(0, comma);
                const double seconds = std::atof(middle.c_str() + comma + 2) / 1e3;
                if (phase == "CUDA C++ Frontend")
                    phases.frontend += seconds;
                else if (phase == "NVVM Optimizer")
                    phases.optimise += seconds;
                else if (phase == "PTX Translation")
                    phases.emit += seconds;
                continue; // a phase without a field here still counts in the load's `ms`
            }
        }
        kept += line + "\n";
    }
    while (!kept.empty() && (kept.back() == '\n' || kept.back() == ' '))
        kept.pop_back();
    return kept;
}

// The user's flags may name a -time file of their own; NVRTC then writes the table there.
bool asks_for_time_file(const std::vector<std::string>& flags) {
    return std::any_of(flags.begin(), flags.end(), [](const std::string& f) {
        return f.rfind("-time", 0) == 0 || f.rfind("--time", 0) == 0;
    });
}

class Program {
  public:
    explicit Program(const NvrtcApi& api) : api_(api) {}
    ~Program() {
        if (handle_ != nullptr) api_.nvrtcDestroyProgram(&handle_);
    }
    nvrtcProgram* out() { return &handle_; }
    nvrtcProgram get() const { return handle_; }

  private:
    const NvrtcApi& api_;
    nvrtcProgram handle_ = nullptr;
};

} // namespace

NvrtcStatus nvrtc_status() {
    NvrtcStatus status;
    const NvrtcApi& api = nvrtc_api();
    status.library = api.library;
    if (!api.ok()) {
        status.reason = api.failure;
        return status;
    }
    int major = 0, minor = 0;
    if (nvrtcResult r = api.nvrtcVersion(&major, &minor); r != 0) {
        status.reason = "nvrtcVersion failed: " + nvrtc_error(api, r);
        return status;
    }
    status.available = true;
    status.version = std::to_string(major) + "." + std::to_string(minor);
    return status;
}

Result<std::string> normalize_cuda_arch(std::string_view text) {
    std::string s(text);
    if (s.rfind("sm_", 0) == 0) s = s.substr(3);
    size_t digits = 0;
    while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits])))
        ++digits;
    const std::string suffix = s.substr(digits);
    if (digits < 2 || digits > 3 || !(suffix.empty() || suffix == "a" || suffix == "f"))
        return make_error(
            ErrorCode::invalid_argument,
            "normalize_cuda_arch: '" + std::string(text) +
                "' is not a CUDA architecture (expected sm_XX such as sm_80 or sm_90)");
    return "sm_" + s;
}

Result<std::optional<std::string>> resolve_cuda_arch(const std::string& requested) {
    // The device wins: code compiled for another architecture might not load on it.
    const CudaStatus& status = cuda_status();
    if (status.available && !status.devices.empty())
        return std::optional<std::string>(status.devices.front().arch);
    if (!requested.empty()) {
        auto arch = normalize_cuda_arch(requested);
        if (!arch) return arch.error();
        return std::optional<std::string>(*arch);
    }
    if (auto value = env("BECORE_CUDA_ARCH"); !value.empty()) {
        auto arch = normalize_cuda_arch(value);
        if (!arch)
            return make_error(arch.error().code(),
                              "BECORE_CUDA_ARCH=" + value + ": " + arch.error().message);
        return std::optional<std::string>(*arch);
    }
    return std::optional<std::string>();
}

std::vector<std::string> cuda_compile_flags(const CudaCompileRequest& request) {
    std::vector<std::string> flags{"-std=c++17", "-arch=" + request.arch, "-I<becore-kernels>",
                                   "-I<cuda-include>", "-I<cuda-include>/cccl"};
    const auto base = request.path.parent_path();
    for (const auto& dir : request.include_dirs)
        flags.push_back("-I" + (dir.is_absolute() ? dir.lexically_relative(base) : dir).string());
    // NVRTC names internal-linkage symbols with a random hash per compile unless seeded; a seed
    // from what is compiled makes every compile of one key the same bytes.
    XXH3_state_t* state = XXH3_createState();
    XXH3_64bits_reset(state);
    XXH3_64bits_update(state, request.source.data(), request.source.size());
    for (const auto& expression : request.name_expressions)
        XXH3_64bits_update(state, expression.c_str(), expression.size() + 1);
    char seed[17];
    std::snprintf(seed, sizeof seed, "%016llx",
                  static_cast<unsigned long long>(XXH3_64bits_digest(state)));
    XXH3_freeState(state);
    flags.push_back(std::string("-frandom-seed=") + seed);
    flags.insert(flags.end(), request.extra_flags.begin(), request.extra_flags.end());
    for (const auto& expression : request.name_expressions)
        flags.push_back("--becore-name-expression=" + expression);
    return flags;
}

Result<std::string> cuda_toolchain_identity() {
    static const Result<std::string> identity = []() -> Result<std::string> {
        // Found and read without loading it: a warm start that finds its `.cu` binaries in the
        // cache never maps libnvrtc. The build-id pins the exact build (and so the version);
        // DT_SONAME carries the major version for the reader of the key.
        std::string library = nvrtc_library_file();
        if (library.empty()) { // only the loader's search path can tell which file it is
            NvrtcStatus status = nvrtc_status();
            if (!status.available)
                return make_error(ErrorCode::unavailable, "NVRTC unavailable: " + status.reason);
            library = status.library;
        }
        std::error_code ec;
        auto file = fs::canonical(library, ec);
        if (ec)
            return make_error(ErrorCode::unavailable,
                              "NVRTC unavailable: " + library + ": " + ec.message());
        auto elf = read_elf_info(file);
        if (!elf)
            return make_error(ErrorCode::unavailable, "NVRTC unavailable: " + elf.error().message);
        if (!elf->build_id.empty()) return "nvrtc " + elf->soname + ";build-id " + elf->build_id;
        // A library linked without a build-id: its content, hashed once per process.
        auto hash = hash_file(file);
        if (!hash) return make_error(ErrorCode::io, "cannot read " + file.string() + " to hash it");
        return "nvrtc " + elf->soname + ";xxh3 " + *hash;
    }();
    return identity;
}

Result<CompiledCuda> compile_cuda(const CudaCompileRequest& request, const CudaProgram& program) {
    const std::string op = "compile_cuda(" + request.path.string() + ")";
    const NvrtcApi& api = nvrtc_api();
    if (!api.ok())
        return make_error(ErrorCode::unavailable, op + ": NVRTC unavailable: " + api.failure);
    // The key names the library cuda_toolchain_identity found without loading it; a compile by
    // another one (that file failed to load and a later candidate did) would be stored under it.
    if (auto keyed = nvrtc_library_file(); !keyed.empty()) {
        std::error_code ec_keyed, ec_loaded;
        if (fs::canonical(keyed, ec_keyed) != fs::canonical(api.library, ec_loaded))
            return make_error(ErrorCode::unavailable, op + ": NVRTC was loaded from " +
                                                          api.library + ", not from " + keyed +
                                                          ", whose identity the cache key holds");
    }

    int count = 0;
    std::vector<int> supported;
    if (api.nvrtcGetNumSupportedArchs(&count) == 0 && count > 0) {
        supported.resize(count);
        api.nvrtcGetSupportedArchs(supported.data());
    }
    if (request.arch.rfind("sm_", 0) != 0 ||
        (!supported.empty() && std::find(supported.begin(), supported.end(),
                                         arch_number(request.arch)) == supported.end())) {
        std::string list;
        for (int a : supported)
            list += (list.empty() ? "" : " ") + std::to_string(a);
        return make_error(ErrorCode::unavailable, op + ": NVRTC " + nvrtc_status().version +
                                                      " cannot compile for '" + request.arch +
                                                      "' (supported: " + list + ")");
    }

    std::vector<const char*> header_texts, header_names;
    std::map<std::string, std::string> files{{program.name, request.path.string()}};
    for (const auto& h : program.headers) {
        header_texts.push_back(h.text.c_str());
        header_names.push_back(h.name.c_str());
        files[h.name] = h.path.string();
    }
    // The key's flags with the placeholders made concrete; the source's own directory last, for
    // includes becore could not resolve (e.g. through a macro).
    std::vector<std::string> options;
    const auto cuda_include = cuda_include_dir();
    const auto base = request.path.parent_path();
    const auto key_flags = cuda_compile_flags(request);
    constexpr size_t k_first_user_dir = 5; // after -std, -arch and the three include placeholders
    for (size_t i = 0; i < key_flags.size(); ++i) {
        const std::string& flag = key_flags[i];
        if (flag.rfind("--becore-name-expression=", 0) == 0) continue;
        if (i >= k_first_user_dir && i < k_first_user_dir + request.include_dirs.size()) {
            const auto& dir = request.include_dirs[i - k_first_user_dir];
            options.push_back("-I" + (dir.is_absolute() ? dir : base / dir).string());
        } else if (flag == "-I<becore-kernels>") {
            options.push_back("-I" + kernel_include_dir().string());
        } else if (flag.rfind("-I<cuda-include>", 0) == 0) {
            if (cuda_include.empty()) continue; // NVRTC then finds only its built-in headers
            fs::path dir(cuda_include.string() + flag.substr(16));
            std::error_code ec;
            if (fs::is_directory(dir, ec)) options.push_back("-I" + dir.string());
        } else {
            options.push_back(flag);
        }
    }
    options.push_back("-I" + base.string());
    // The phase table: cheap, and the PTX and CUBIN are the same with it (not part of the key).
    const bool timed = !asks_for_time_file(request.extra_flags);
    if (timed) options.push_back("-time=-");

    auto start = std::chrono::steady_clock::now();
    Program prog(api);
    if (nvrtcResult r = api.nvrtcCreateProgram(
            prog.out(), program.text.c_str(), program.name.c_str(),
            static_cast<int>(header_texts.size()), header_texts.data(), header_names.data());
        r != 0)
        return make_error(ErrorCode::compile_failed,
                          op + ": nvrtcCreateProgram: " + nvrtc_error(api, r));
    for (const auto& expression : request.name_expressions)
        if (nvrtcResult r = api.nvrtcAddNameExpression(prog.get(), expression.c_str()); r != 0)
            return make_error(ErrorCode::compile_failed, op + ": nvrtcAddNameExpression(" +
                                                             expression +
                                                             "): " + nvrtc_error(api, r));
    std::vector<const char*> argv;
    for (const auto& o : options)
        argv.push_back(o.c_str());
    const nvrtcResult compiled =
        api.nvrtcCompileProgram(prog.get(), static_cast<int>(argv.size()), argv.data());
    size_t log_size = 0;
    std::string log;
    if (api.nvrtcGetProgramLogSize(prog.get(), &log_size) == 0 && log_size > 1) {
        log.resize(log_size);
        api.nvrtcGetProgramLog(prog.get(), log.data());
        log.resize(log_size - 1);
    }
    CompilePhases phases;
    if (timed) log = take_phase_times(log, program.name, phases);
    MappedLog mapped = map_log(log, files);
    if (compiled != 0) {
        if (mapped.first_error_location.empty())
            return make_error(ErrorCode::compile_failed, op + ": " + nvrtc_error(api, compiled),
                              mapped.text);
        return make_error(ErrorCode::compile_failed,
                          "compile_cuda(" + mapped.first_error_location +
                              "): " + mapped.first_error,
                          mapped.text);
    }

    CompiledCuda result;
    result.diagnostics = mapped.text;
    result.phases = phases;
    CudaBinary& binary = result.binary;
    binary.arch = request.arch;
    size_t size = 0;
    if (api.nvrtcGetCUBINSize(prog.get(), &size) != 0 || size == 0)
        return make_error(ErrorCode::compile_failed,
                          op + ": NVRTC produced no CUBIN for " + request.arch);
    binary.cubin.resize(size);
    api.nvrtcGetCUBIN(prog.get(), binary.cubin.data());
    if (api.nvrtcGetPTXSize(prog.get(), &size) == 0 && size > 1) {
        binary.ptx.resize(size);
        api.nvrtcGetPTX(prog.get(), binary.ptx.data());
        binary.ptx.resize(size - 1); // the terminating NUL
    }
    for (const auto& expression : request.name_expressions) {
        const char* lowered = nullptr;
        if (nvrtcResult r = api.nvrtcGetLoweredName(prog.get(), expression.c_str(), &lowered);
            r != 0 || lowered == nullptr)
            return make_error(ErrorCode::compile_failed, op + ": no entry point for '" +
                                                             expression +
                                                             "': " + nvrtc_error(api, r));
        binary.lowered_names[expression] = lowered;
    }
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace be
