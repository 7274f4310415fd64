// The file `kernelctl export` writes and `kernelctl import` reads: cache entries with their
// compiled binaries, moved between machines. The format is documented at the top of
// cache/src/export_file.cpp; KernelCache::export_to and import_entries select and store entries.
//
// The reader is a pure function over bytes (parse_export_file), so a fuzzer can call it; it
// accepts a file only when every entry verifies, so an import of a damaged file imports nothing.
#pragma once

#include <becore/runtime/error.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace be {

inline constexpr uint32_t k_export_format_version = 1;

// One cache entry as exported: every index column needed to insert its row again, and the blob's
// payload (the compiled binary, without the blob store's header).
struct ExportedEntry {
    std::string key; // full key, 32 hex; must follow from `fields` and `headers`
    // The key fields in hashing order, as describe_key_fields names them (format, becore_version,
    // kernel_headers_hash, backend, source_hash, flag[i]..., target, toolchain, salt).
    std::vector<std::pair<std::string, std::string>> fields;
    std::string headers;        // direct-mode manifest text (cache/src/key.h)
    std::string source_display; // for messages
    std::string metadata;       // the caller's text: the target names the entry defines
    uint64_t checksum = 0;      // XXH3-64 of the payload
    double compile_seconds = 0;
    std::vector<char> payload;

    // The value of the key field `name`; empty when absent.
    const std::string& field(const std::string& name) const;
};

// Every entry of an export file, checked: magic, format version, structure, each entry's key
// against its key fields and header manifest, each payload against its checksum, the entry count
// and the whole-file checksum of the trailer, no bytes after it. The error names what is wrong and
// where ("entry 3 of 12 (key 0123abcd...): payload checksum mismatch ...", "truncated after entry 5
// of 12", "not a becore export file ..."). No I/O.
Result<std::vector<ExportedEntry>> parse_export_file(std::span<const char> bytes);

// Reads and parses `file`. Unless `trust`, the file must be owned by the user or root and writable
// by nobody else (a cache holds executable code), checked on the open file. Errors start with the
// file's path.
Result<std::vector<ExportedEntry>> read_export_file(const std::filesystem::path& file, bool trust);

// Writes `count` entries, entry_at(0) ... entry_at(count - 1), to `file` atomically (a temp file
// beside it, fsync, rename, mode 0600); an error from entry_at abandons the file. `progress` (may
// be empty) is called with (entries written, count). Returns the file's size in bytes.
Result<uint64_t> write_export_file(const std::filesystem::path& file, uint64_t count,
                                   const std::function<Result<ExportedEntry>(uint64_t)>& entry_at,
                                   const std::function<void(uint64_t, uint64_t)>& progress = {});

} // namespace be
