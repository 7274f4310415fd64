#include "key.h"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <memory>
#include <sstream>
#include <tuple>
#include <unistd.h>

#ifndef BECORE_VERSION
#error "BECORE_VERSION must be defined by the build (cache/CMakeLists.txt)"
#endif

namespace be::cache_detail {

namespace fs = std::filesystem;

namespace {

std::string hex128(XXH128_hash_t hash) {
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, hash);
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(32, '0');
    for (int i = 0; i < 16; ++i) {
        out[2 * i] = digits[canonical.digest[i] >> 4];
        out[2 * i + 1] = digits[canonical.digest[i] & 0xf];
    }
    return out;
}

// Streaming XXH3-128 over length-prefixed fields; the prefixes keep ("ab","c") and ("a","bc")
// apart, and the names keep a value from being mistaken for another field's.
class FieldHasher {
  public:
    FieldHasher() : state_(XXH3_createState(), &XXH3_freeState) {
        XXH3_128bits_reset(state_.get());
    }
    void add(std::string_view name, std::string_view value) {
        add_sized(name);
        add_sized(value);
    }
    std::string finish() const { return hex128(XXH3_128bits_digest(state_.get())); }

  private:
    void add_sized(std::string_view bytes) {
        std::array<unsigned char, 8> size{};
        uint64_t n = bytes.size();
        for (int i = 0; i < 8; ++i)
            size[i] = static_cast<unsigned char>(n >> (8 * i));
        XXH3_128bits_update(state_.get(), size.data(), size.size());
        XXH3_128bits_update(state_.get(), bytes.data(), bytes.size());
    }
    std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state_;
};

fs::path normalized_absolute(const fs::path& path) {
    std::error_code ec;
    fs::path absolute = fs::absolute(path, ec);
    if (ec) absolute = path;
    absolute = absolute.lexically_normal();
    // "/a/b/" normalizes with an empty last component; drop it so containment tests work.
    if (absolute.has_relative_path() && absolute.filename().empty())
        absolute = absolute.parent_path();
    return absolute;
}

// The path of `header` relative to `root`, or nullopt if the header is not below it.
std::optional<fs::path> relative_below(const fs::path& header, const fs::path& root) {
    fs::path relative = header.lexically_relative(root);
    if (relative.empty() || relative == ".") return std::nullopt;
    if (*relative.begin() == "..") return std::nullopt;
    return relative;
}

std::optional<HeaderDigest> place_header(const std::vector<fs::path>& roots,
                                         const fs::path& header) {
    fs::path absolute = normalized_absolute(header);
    for (size_t i = 0; i < roots.size(); ++i) {
        if (auto rel = relative_below(absolute, normalized_absolute(roots[i])))
            return HeaderDigest{static_cast<int>(i), rel->generic_string(), {}};
    }
    // The compiler may report a resolved path while a root is given through a symlink (or the
    // reverse); compare resolved forms before giving up on a relative path.
    std::error_code ec;
    fs::path resolved = fs::weakly_canonical(absolute, ec);
    if (!ec) {
        for (size_t i = 0; i < roots.size(); ++i) {
            fs::path root = fs::weakly_canonical(normalized_absolute(roots[i]), ec);
            if (ec) continue;
            if (auto rel = relative_below(resolved, normalized_absolute(root)))
                return HeaderDigest{static_cast<int>(i), rel->generic_string(), {}};
        }
    }
    return HeaderDigest{-1, absolute.generic_string(), {}};
}

} // namespace

std::optional<fs::path> locate_header(const HeaderDigest& digest,
                                      const std::vector<fs::path>& roots) {
    if (digest.root < 0) return fs::path(digest.path);
    if (static_cast<size_t>(digest.root) >= roots.size()) return std::nullopt;
    return roots[digest.root] / fs::path(digest.path);
}

std::string hash128_hex(std::string_view bytes) {
    return hex128(XXH3_128bits(bytes.data(), bytes.size()));
}

uint64_t hash64(const void* data, size_t size) {
    return XXH3_64bits(data, size);
}

std::string hex64(uint64_t value) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, value >>= 4)
        out[i] = digits[value & 0xf];
    return out;
}

std::optional<std::string> hash_file(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                   &XXH3_freeState);
    XXH3_128bits_reset(state.get());
    std::array<char, 1 << 16> buffer;
    bool ok = true;
    for (;;) {
        ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) ok = false;
        if (n <= 0) break;
        XXH3_128bits_update(state.get(), buffer.data(), static_cast<size_t>(n));
    }
    ::close(fd);
    if (!ok) return std::nullopt;
    return hex128(XXH3_128bits_digest(state.get()));
}

std::string direct_key(const KeyFields& fields) {
    FieldHasher hasher;
    for (const auto& [name, value] : fields)
        hasher.add(name, value);
    return hasher.finish();
}

Result<Manifest> make_manifest(const std::vector<fs::path>& roots,
                               const std::vector<fs::path>& headers_read) {
    Manifest manifest;
    for (const auto& header : headers_read) {
        auto digest = place_header(roots, header);
        if (digest->path.find_first_of("\t\n") != std::string::npos)
            return make_error(ErrorCode::invalid_argument, "cannot cache a kernel that reads " +
                                                               header.string() +
                                                               ": tab or newline in the path");
        auto hash = hash_file(header);
        if (!hash) return make_error(ErrorCode::io, "cannot read header " + header.string());
        digest->hash = *hash;
        manifest.push_back(std::move(*digest));
    }
    std::sort(manifest.begin(), manifest.end(), [](const auto& a, const auto& b) {
        return std::tie(a.root, a.path) < std::tie(b.root, b.path);
    });
    manifest.erase(std::unique(manifest.begin(), manifest.end(),
                               [](const auto& a, const auto& b) {
                                   return a.root == b.root && a.path == b.path;
                               }),
                   manifest.end());
    return manifest;
}

std::string full_key(const std::string& direct_key, const Manifest& manifest) {
    FieldHasher hasher;
    hasher.add("direct", direct_key);
    for (const auto& header : manifest) {
        hasher.add("header.root", std::to_string(header.root));
        hasher.add("header.path", header.path);
        hasher.add("header.hash", header.hash);
    }
    return hasher.finish();
}

std::string manifest_to_text(const Manifest& manifest) {
    std::string text;
    for (const auto& header : manifest)
        text += std::to_string(header.root) + "\t" + header.path + "\t" + header.hash + "\n";
    return text;
}

std::optional<Manifest> manifest_from_text(const std::string& text) {
    Manifest manifest;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        size_t tab1 = line.find('\t');
        size_t tab2 = tab1 == std::string::npos ? tab1 : line.find('\t', tab1 + 1);
        if (tab2 == std::string::npos) return std::nullopt;
        HeaderDigest digest;
        char* end = nullptr;
        std::string root = line.substr(0, tab1);
        long value = std::strtol(root.c_str(), &end, 10);
        if (root.empty() || *end != '\0' || value < -1 || value > 1'000'000) return std::nullopt;
        digest.root = static_cast<int>(value);
        digest.path = line.substr(tab1 + 1, tab2 - tab1 - 1);
        digest.hash = line.substr(tab2 + 1);
        if (digest.path.empty() || digest.hash.size() != 32) return std::nullopt;
        manifest.push_back(std::move(digest));
    }
    return manifest;
}

const std::optional<std::string>& HeaderHashes::get(const fs::path& path) {
    auto found = hashes_.find(path);
    if (found == hashes_.end()) found = hashes_.emplace(path, hash_file(path)).first;
    return found->second;
}

bool manifest_matches(const Manifest& manifest, const std::vector<fs::path>& roots,
                      HeaderHashes& hashes) {
    for (const auto& header : manifest) {
        auto path = locate_header(header, roots);
        if (!path) return false;
        const auto& hash = hashes.get(*path);
        if (!hash || *hash != header.hash) return false;
    }
    return true;
}

} // namespace be::cache_detail

namespace be {

std::vector<std::pair<std::string, std::string>> describe_key_fields(const CacheKeyInputs& inputs) {
    std::vector<std::pair<std::string, std::string>> fields;
    fields.emplace_back("format", std::to_string(k_cache_format_version));
    fields.emplace_back("becore_version", BECORE_VERSION);
    fields.emplace_back("kernel_headers_hash", inputs.kernel_headers_hash);
    fields.emplace_back("backend", inputs.backend);
    fields.emplace_back("source_hash", cache_detail::hash128_hex(inputs.source_text));
    for (size_t i = 0; i < inputs.flags.size(); ++i)
        fields.emplace_back("flag[" + std::to_string(i) + "]", inputs.flags[i]);
    fields.emplace_back("target", inputs.target);
    fields.emplace_back("toolchain", inputs.toolchain);
    // Read at every key computation (not once at open) so a process, or a test, that changes
    // the salt sees the change at once; getenv is cheap next to hashing the source.
    const char* salt = std::getenv("BECORE_CACHE_SALT");
    fields.emplace_back("salt", salt != nullptr ? salt : "");
    return fields;
}

} // namespace be
