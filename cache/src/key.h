// Key derivation and header manifests (direct mode).
//
// direct key = H( field* )  over describe_key_fields(inputs), in order
// full key   = H( "direct" direct-key-hex, ( "header.root" i, "header.path" p, "header.hash" h )* )
//   field   := u64le(len(name)) name u64le(len(value)) value
//   H       := XXH3-128, written as 32 lowercase hex digits (canonical, big-endian byte order)
//
// Manifest text (one line per header read, sorted by root then path):
//   line    := root "\t" path "\t" content-hash-hex "\n"
//   root    := index into CacheKeyInputs::include_roots, or -1 for a header under no root, whose
//              path is then absolute (the only absolute path that can reach a key, unavoidable
//              for such a header)
//   path    := generic ('/'-separated) path relative to that root
#pragma once

#include <becore/cache/kernel_cache.h>
#include <becore/runtime/error.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace be::cache_detail {

std::string hash128_hex(std::string_view bytes);
uint64_t hash64(const void* data, size_t size);
std::string hex64(uint64_t value);

// XXH3-128 of a file's content, streamed; nullopt if it cannot be read.
std::optional<std::string> hash_file(const std::filesystem::path& path);

using KeyFields = std::vector<std::pair<std::string, std::string>>;
// Hashes fields from describe_key_fields; computing them once lets a store record exactly the
// values it hashed (the salt is read from the environment each time).
std::string direct_key(const KeyFields& fields);

struct HeaderDigest {
    int root = -1;
    std::string path;
    std::string hash;
    bool operator==(const HeaderDigest&) const = default;
};
using Manifest = std::vector<HeaderDigest>;

// Hashes each header now and files it under the first include root that contains it.
Result<Manifest> make_manifest(const std::vector<std::filesystem::path>& roots,
                               const std::vector<std::filesystem::path>& headers_read);
std::string full_key(const std::string& direct_key, const Manifest& manifest);

std::string manifest_to_text(const Manifest& manifest);
std::optional<Manifest> manifest_from_text(const std::string& text);

// Memoizes header hashes during one lookup: several manifests of one source usually share most
// of their headers.
class HeaderHashes {
  public:
    const std::optional<std::string>& get(const std::filesystem::path& path);

  private:
    std::map<std::filesystem::path, std::optional<std::string>> hashes_;
};

// Where a manifest's header is found under today's roots (nullopt: its root is gone).
std::optional<std::filesystem::path> locate_header(const HeaderDigest& digest,
                                                   const std::vector<std::filesystem::path>& roots);

// True when every header of the manifest, found under today's roots, still has its recorded
// content.
bool manifest_matches(const Manifest& manifest, const std::vector<std::filesystem::path>& roots,
                      HeaderHashes& hashes);

} // namespace be::cache_detail
