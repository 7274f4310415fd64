// What NVRTC is handed for one `.cu` source: the source with becore's kernel header pre-included
// and a #line directive, plus every header becore can resolve, read textually and recursively.
//
// Why becore reads the headers itself: NVRTC neither reports which headers it opened nor
// resolves a quoted include relative to an in-memory header, so a header it reads from disk
// could change without the cache noticing. Handing them in lets the cache hash them (the user's
// ones through its manifest, becore's own through the kernel-headers hash).
//
// Resolution, mirroring the CPU compile's -I order: a quoted include is looked up beside the
// including file, then in becore's kernel include directory, then in the user's include
// directories; an angle include skips the first step. Anything not found (cuda_fp16.h, cub/...)
// is left to NVRTC's -I search: system headers, covered by the toolchain identity in the key.
// Each resolved directive is rewritten in place to the header's canonical name (cuda_backend.h).
#include <becore/runtime/cuda_backend.h>
#include <becore/runtime/paths.h>

#include <deque>
#include <fstream>
#include <sstream>

namespace be {
namespace {

namespace fs = std::filesystem;

struct Directive {
    size_t begin = 0, end = 0; // the extent of `"name"` or `<name>` in the line
    bool quoted = false;
    std::string name;
};

// `#include "x"` / `# include <x>` at the start of a line (leading blanks allowed).
std::optional<Directive> parse_include(std::string_view line) {
    size_t i = 0;
    auto blanks = [&] {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
            ++i;
    };
    blanks();
    if (i >= line.size() || line[i] != '#') return std::nullopt;
    ++i;
    blanks();
    if (line.substr(i, 7) != "include") return std::nullopt;
    i += 7;
    blanks();
    if (i >= line.size() || (line[i] != '"' && line[i] != '<')) return std::nullopt;
    Directive d;
    d.quoted = line[i] == '"';
    d.begin = i;
    const size_t close = line.find(d.quoted ? '"' : '>', i + 1);
    if (close == std::string_view::npos) return std::nullopt;
    d.end = close + 1;
    d.name = std::string(line.substr(i + 1, close - i - 1));
    return d;
}

std::optional<std::string> read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return std::nullopt;
    return text.str();
}

// `path` relative to `root` when it lies inside it.
std::optional<std::string> inside(const fs::path& path, const fs::path& root) {
    auto rel = path.lexically_relative(root);
    if (rel.empty() || *rel.begin() == "..") return std::nullopt;
    return rel.generic_string();
}

class Resolver {
  public:
    Resolver(const CudaCompileRequest& request)
        : kernels_(kernel_include_dir().lexically_normal()),
          source_dir_(request.path.parent_path().lexically_normal()) {
        for (const auto& dir : request.include_dirs)
            user_dirs_.push_back(dir.lexically_normal());
    }

    std::optional<fs::path> find(const Directive& d, const fs::path& including_dir) const {
        std::vector<fs::path> search;
        if (d.quoted) search.push_back(including_dir);
        search.push_back(kernels_);
        search.insert(search.end(), user_dirs_.begin(), user_dirs_.end());
        for (const auto& dir : search) {
            auto candidate = (dir / d.name).lexically_normal();
            std::error_code ec;
            if (fs::is_regular_file(candidate, ec)) return candidate;
        }
        return std::nullopt;
    }

    // The canonical include name, and whether the file is one of becore's kernel headers.
    std::pair<std::string, bool> canonical(const fs::path& file) const {
        if (auto rel = inside(file, kernels_)) return {*rel, true};
        if (auto rel = inside(file, source_dir_)) return {*rel, false};
        for (size_t i = 0; i < user_dirs_.size(); ++i)
            if (auto rel = inside(file, user_dirs_[i]))
                return {"__becore_I" + std::to_string(i + 1) + "__/" + *rel, false};
        return {file.lexically_relative(source_dir_).generic_string(), false};
    }

  private:
    fs::path kernels_, source_dir_;
    std::vector<fs::path> user_dirs_;
};

} // namespace

Result<CudaProgram> prepare_cuda_program(const CudaCompileRequest& request) {
    const std::string op = "prepare_cuda_program(" + request.path.string() + ")";
    const Resolver resolver(request);
    CudaProgram program;
    program.name = request.path.filename().string();

    struct Pending {
        std::string text;
        fs::path dir;
        int header = -1; // index into program.headers; -1 for the main source
    };
    std::map<std::string, fs::path> by_name; // canonical name → file
    std::deque<Pending> queue;
    // The pre-include comes first, then #line so that diagnostics and __LINE__ count the user's
    // lines and __FILE__ is the file's name alone (no directory reaches the binary).
    queue.push_back({"#include <be/be.h>\n#line 1 \"" + program.name + "\"\n" + request.source,
                     request.path.parent_path(), -1});
    while (!queue.empty()) {
        Pending item = std::move(queue.front());
        queue.pop_front();
        std::string rewritten;
        rewritten.reserve(item.text.size());
        std::istringstream lines(item.text);
        std::string line;
        bool first = true;
        while (std::getline(lines, line)) {
            if (!first) rewritten += '\n';
            first = false;
            auto directive = parse_include(line);
            std::optional<fs::path> file;
            if (directive) file = resolver.find(*directive, item.dir);
            if (!file) {
                rewritten += line;
                continue;
            }
            auto [name, own] = resolver.canonical(*file);
            rewritten +=
                line.substr(0, directive->begin) + "\"" + name + "\"" + line.substr(directive->end);
            auto [known, inserted] = by_name.emplace(name, *file);
            if (!inserted) {
                if (known->second != *file)
                    return make_error(ErrorCode::compile_failed,
                                      op + ": " + known->second.string() + " and " +
                                          file->string() + " are both included as '" + name +
                                          "' (NVRTC takes headers by name; rename one)");
                continue;
            }
            auto text = read_file(*file);
            if (!text)
                return make_error(ErrorCode::io, op + ": cannot read the header " + file->string());
            program.headers.push_back({name, *file, {}, own});
            if (!own) program.user_headers.push_back(*file);
            queue.push_back({std::move(*text), file->parent_path(),
                             static_cast<int>(program.headers.size() - 1)});
        }
        if (!item.text.empty() && item.text.back() == '\n') rewritten += '\n';
        if (item.header < 0)
            program.text = std::move(rewritten);
        else
            program.headers[item.header].text = std::move(rewritten);
    }
    return program;
}

} // namespace be
