// Export file format, version 1 (integers little-endian):
//
//   file    := header entry{count} trailer
//   header  := "BECOREXP" version:u32 reserved:u32(0) count:u64                       (24 bytes)
//   entry   := "ENTR" field_count:u32 field{field_count} payload_size:u64 payload
//   field   := name_size:u32 name value_size:u32 value
//   trailer := "BECOREND" count:u64 checksum:u64                                     (24 bytes)
//   checksum := XXH3-64 (seed 0) of every byte of the file before it
//
// An entry's fields, in this order (names exact, values text):
//   key                  the full key, 32 hex
//   format ... salt      the key fields as describe_key_fields names and orders them
//                        (format, becore_version, kernel_headers_hash, backend, source_hash,
//                        flag[0], flag[1], ..., target, toolchain, salt)
//   headers              the direct-mode manifest text (key.h)
//   source_display       for messages
//   metadata             the caller's text (the target names the entry defines)
//   checksum             XXH3-64 of the payload, 16 hex
//   compile_seconds      decimal
// The payload is the compiled binary, without the blob store's header.
//
// A reader accepts a file only when every entry verifies: its key follows from its key fields
// and manifest (key.h), its format is this cache's, its payload hashes to its checksum, and no key
// repeats; then the trailer's count and the whole-file checksum, which also covers the fields no
// key or checksum does (source_display, metadata, compile_seconds). Entries are checked before
// the trailer so that damage is reported where it is ("entry 3 ...: payload checksum mismatch")
// rather than as a bare file checksum mismatch.
#include <becore/cache/export_file.h>
#include <becore/cache/filesystem.h>
#include <becore/cache/kernel_cache.h>

#include "blob_store.h"
#include "key.h"

#include <xxhash.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <set>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace be {

namespace fs = std::filesystem;
using cache_detail::hex64;

namespace {

constexpr std::string_view k_magic = "BECOREXP";
constexpr std::string_view k_entry_tag = "ENTR";
constexpr std::string_view k_trailer_tag = "BECOREND";
constexpr size_t k_header_size = 24, k_trailer_size = 24;
// Fields of an entry that are not key fields, after them, in order.
constexpr const char* k_tail_fields[] = {"headers", "source_display", "metadata", "checksum",
                                         "compile_seconds"};
constexpr size_t k_tail_count = std::size(k_tail_fields);

void put_u32(std::string& out, uint32_t value) {
    for (int i = 0; i < 4; ++i)
        out += static_cast<char>(value >> (8 * i));
}
void put_u64(std::string& out, uint64_t value) {
    for (int i = 0; i < 8; ++i)
        out += static_cast<char>(value >> (8 * i));
}
uint64_t get_le(std::string_view bytes) {
    uint64_t value = 0;
    for (size_t i = bytes.size(); i-- > 0;)
        value = (value << 8) | static_cast<unsigned char>(bytes[i]);
    return value;
}

std::string printable(std::string_view bytes) {
    std::string out;
    for (char c : bytes.substr(0, 16))
        out += c >= 0x20 && c < 0x7f ? std::string(1, c)
                                     : "\\x" + hex64(static_cast<unsigned char>(c)).substr(14);
    return out;
}

// The fields of an entry that come from its columns, in file order.
std::vector<std::pair<std::string, std::string>> file_fields(const ExportedEntry& entry) {
    std::vector<std::pair<std::string, std::string>> fields;
    fields.emplace_back("key", entry.key);
    fields.insert(fields.end(), entry.fields.begin(), entry.fields.end());
    char seconds[64];
    auto written = std::to_chars(seconds, seconds + sizeof seconds, entry.compile_seconds);
    const std::string tail_values[] = {entry.headers, entry.source_display, entry.metadata,
                                       hex64(entry.checksum), std::string(seconds, written.ptr)};
    for (size_t i = 0; i < k_tail_count; ++i)
        fields.emplace_back(k_tail_fields[i], tail_values[i]);
    return fields;
}

// Why `fields` are not the key fields of this cache format, in describe_key_fields' order; empty
// when they are.
std::string key_fields_problem(const std::vector<std::pair<std::string, std::string>>& fields) {
    const char* const head[] = {"format", "becore_version", "kernel_headers_hash", "backend",
                                "source_hash"};
    const char* const tail[] = {"target", "toolchain", "salt"};
    if (fields.size() < std::size(head) + std::size(tail))
        return "too few key fields (" + std::to_string(fields.size()) + ")";
    auto expect = [&](size_t i, const std::string& name) -> std::string {
        if (fields[i].first == name) return "";
        return "key field " + std::to_string(i + 1) + " is '" + printable(fields[i].first) +
               "', expected '" + name + "'";
    };
    for (size_t i = 0; i < std::size(head); ++i)
        if (auto problem = expect(i, head[i]); !problem.empty()) return problem;
    const size_t flags = fields.size() - std::size(head) - std::size(tail);
    for (size_t i = 0; i < flags; ++i) {
        const size_t at = std::size(head) + i;
        if (auto problem = expect(at, "flag[" + std::to_string(i) + "]"); !problem.empty())
            return problem;
        // The index keeps the flags one per line: an empty or multi-line flag would not come back
        // as it was hashed.
        if (fields[at].second.empty() || fields[at].second.find('\n') != std::string::npos)
            return fields[at].first + " is empty or spans lines";
    }
    for (size_t i = 0; i < std::size(tail); ++i)
        if (auto problem = expect(std::size(head) + flags + i, tail[i]); !problem.empty())
            return problem;
    if (fields[0].second != std::to_string(k_cache_format_version))
        return "cache format " + printable(fields[0].second) + ", this becore uses " +
               std::to_string(k_cache_format_version);
    const std::string& backend = fields[3].second;
    if (backend != "cpu" && backend != "cuda" && backend != "cuda-emu")
        return "unknown backend '" + printable(backend) + "'";
    return "";
}

// Reads the file's parts in order; every take() that runs past the end records where.
class Cursor {
  public:
    explicit Cursor(std::span<const char> bytes) : bytes_(bytes.data(), bytes.size()) {}
    bool take(size_t size, std::string_view& out) {
        if (size > bytes_.size() - pos_) return false;
        out = bytes_.substr(pos_, size);
        pos_ += size;
        return true;
    }
    bool take_u32(uint64_t& out) { return take_le(4, out); }
    bool take_u64(uint64_t& out) { return take_le(8, out); }
    size_t position() const { return pos_; }
    size_t remaining() const { return bytes_.size() - pos_; }
    std::string_view rest() const { return bytes_.substr(pos_); }
    std::string_view before(size_t end) const { return bytes_.substr(0, end); }

  private:
    bool take_le(size_t size, uint64_t& out) {
        std::string_view bytes;
        if (!take(size, bytes)) return false;
        out = get_le(bytes);
        return true;
    }
    std::string_view bytes_;
    size_t pos_ = 0;
};

// Parses entry `index` (1-based) of `count`; the error says what is wrong without the position
// (the caller adds it).
Result<ExportedEntry> parse_entry(Cursor& in, uint64_t index, uint64_t count) {
    const std::string where = "entry " + std::to_string(index) + " of " + std::to_string(count);
    std::string part = "its marker";
    // Pure truncation and a damaged size field look the same from here.
    auto truncated = [&] {
        return make_error(
            ErrorCode::invalid_argument,
            "truncated inside " + where + ": " + part + " runs past the end of the file (byte " +
                std::to_string(in.position() + in.remaining()) + "), or a size in it is damaged");
    };
    std::string_view tag;
    uint64_t field_count = 0;
    if (!in.take(k_entry_tag.size(), tag)) return truncated();
    if (tag != k_entry_tag)
        return make_error(ErrorCode::invalid_argument,
                          where + " does not start with an entry marker (found \"" +
                              printable(tag) + "\" at byte " +
                              std::to_string(in.position() - tag.size()) + ")");
    part = "its field count";
    if (!in.take_u32(field_count)) return truncated();
    std::vector<std::pair<std::string, std::string>> fields;
    for (uint64_t i = 0; i < field_count; ++i) {
        uint64_t name_size = 0, value_size = 0;
        std::string_view name, value;
        part = "field " + std::to_string(i + 1) + " of " + std::to_string(field_count);
        if (!in.take_u32(name_size) || !in.take(name_size, name)) return truncated();
        part += " ('" + printable(name) + "')";
        if (!in.take_u32(value_size) || !in.take(value_size, value)) return truncated();
        fields.emplace_back(std::string(name), std::string(value));
    }
    uint64_t payload_size = 0;
    std::string_view payload;
    part = "its payload";
    if (!in.take_u64(payload_size) || !in.take(payload_size, payload)) return truncated();

    ExportedEntry entry;
    if (fields.empty() || fields[0].first != "key" || fields.size() < 1 + k_tail_count)
        return make_error(ErrorCode::invalid_argument,
                          where + ": malformed (" + std::to_string(fields.size()) +
                              " fields, the first '" +
                              (fields.empty() ? std::string() : printable(fields[0].first)) + "')");
    entry.key = fields[0].second;
    const std::string named = where + " (key " + printable(entry.key) + ")";
    const size_t tail_at = fields.size() - k_tail_count;
    for (size_t i = 0; i < k_tail_count; ++i)
        if (fields[tail_at + i].first != k_tail_fields[i])
            return make_error(ErrorCode::invalid_argument,
                              named + ": field '" + printable(fields[tail_at + i].first) +
                                  "' where '" + k_tail_fields[i] + "' belongs");
    entry.fields.assign(fields.begin() + 1, fields.begin() + static_cast<ptrdiff_t>(tail_at));
    if (auto problem = key_fields_problem(entry.fields); !problem.empty())
        return make_error(ErrorCode::invalid_argument, named + ": " + problem);
    entry.headers = fields[tail_at].second;
    entry.source_display = fields[tail_at + 1].second;
    entry.metadata = fields[tail_at + 2].second;
    const std::string& checksum = fields[tail_at + 3].second;
    const std::string& seconds = fields[tail_at + 4].second;

    auto manifest = cache_detail::manifest_from_text(entry.headers);
    if (!manifest)
        return make_error(ErrorCode::invalid_argument,
                          named + ": the header manifest is malformed");
    std::string derived = cache_detail::full_key(cache_detail::direct_key(entry.fields), *manifest);
    if (derived != entry.key)
        return make_error(ErrorCode::invalid_argument,
                          named +
                              ": the key does not follow from the entry's key fields and "
                              "headers (they give " +
                              derived + ")");
    entry.checksum = cache_detail::parse_hex64(checksum);
    if (checksum.size() != 16 || hex64(entry.checksum) != checksum)
        return make_error(ErrorCode::invalid_argument,
                          named + ": checksum '" + printable(checksum) + "' is not 16 hex digits");
    if (uint64_t actual = cache_detail::hash64(payload.data(), payload.size());
        actual != entry.checksum)
        return make_error(ErrorCode::invalid_argument,
                          named + ": payload checksum mismatch (the entry says " + checksum +
                              ", its " + std::to_string(payload.size()) + " bytes hash to " +
                              hex64(actual) + ")");
    auto parsed =
        std::from_chars(seconds.data(), seconds.data() + seconds.size(), entry.compile_seconds);
    if (parsed.ec != std::errc() || parsed.ptr != seconds.data() + seconds.size() ||
        !std::isfinite(entry.compile_seconds) || entry.compile_seconds < 0)
        return make_error(ErrorCode::invalid_argument, named + ": compile_seconds '" +
                                                           printable(seconds) +
                                                           "' is not a number of seconds");
    entry.payload.assign(payload.begin(), payload.end());
    return entry;
}

// XXH3-64 over everything written, for the trailer.
class Hasher {
  public:
    Hasher() : state_(XXH3_createState(), &XXH3_freeState) { XXH3_64bits_reset(state_.get()); }
    void add(std::string_view bytes) {
        XXH3_64bits_update(state_.get(), bytes.data(), bytes.size());
    }
    uint64_t digest() const { return XXH3_64bits_digest(state_.get()); }

  private:
    std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state_;
};

} // namespace

const std::string& ExportedEntry::field(const std::string& name) const {
    static const std::string none;
    for (const auto& [key, value] : fields)
        if (key == name) return value;
    return none;
}

Result<std::vector<ExportedEntry>> parse_export_file(std::span<const char> bytes) {
    Cursor in(bytes);
    std::string_view magic;
    if (bytes.empty())
        return make_error(ErrorCode::invalid_argument, "empty file, not a becore export file");
    if (bytes.size() < k_magic.size() &&
        k_magic.substr(0, bytes.size()) == std::string_view(bytes.data(), bytes.size()))
        return make_error(ErrorCode::invalid_argument,
                          "truncated in the header (" + std::to_string(bytes.size()) + " bytes)");
    if (!in.take(k_magic.size(), magic) || magic != k_magic)
        return make_error(ErrorCode::invalid_argument,
                          "not a becore export file (it starts with \"" +
                              printable(std::string_view(bytes.data(), bytes.size())) +
                              "\", an export file with \"" + std::string(k_magic) + "\")");
    uint64_t version = 0, reserved = 0, count = 0;
    if (!in.take_u32(version) || !in.take_u32(reserved) || !in.take_u64(count))
        return make_error(ErrorCode::invalid_argument, "truncated in the header (" +
                                                           std::to_string(bytes.size()) +
                                                           " bytes; the header alone takes " +
                                                           std::to_string(k_header_size) + ")");
    if (version != k_export_format_version)
        return make_error(ErrorCode::invalid_argument, "export format version " +
                                                           std::to_string(version) +
                                                           ", this becore reads version " +
                                                           std::to_string(k_export_format_version));
    if (reserved != 0)
        return make_error(ErrorCode::invalid_argument,
                          "damaged header (reserved field " + std::to_string(reserved) + ")");

    std::vector<ExportedEntry> entries;
    std::set<std::string> keys;
    for (uint64_t i = 1; i <= count; ++i) {
        if (in.remaining() == 0)
            return make_error(ErrorCode::invalid_argument, "truncated after entry " +
                                                               std::to_string(i - 1) + " of " +
                                                               std::to_string(count));
        // A trailer where an entry belongs: the header's count is wrong (a damaged header).
        if (in.remaining() == k_trailer_size && in.rest().substr(0, 8) == k_trailer_tag)
            return make_error(ErrorCode::invalid_argument,
                              "the header says " + std::to_string(count) +
                                  " entries, the file ends after " + std::to_string(i - 1) +
                                  " (a damaged header)");
        auto entry = parse_entry(in, i, count);
        if (!entry) return entry.error();
        if (!keys.insert(entry->key).second)
            return make_error(ErrorCode::invalid_argument,
                              "entry " + std::to_string(i) + " of " + std::to_string(count) +
                                  " (key " + entry->key + ") repeats an earlier entry's key");
        entries.push_back(std::move(entry.value()));
    }
    const size_t trailer_at = in.position();
    std::string_view tag;
    uint64_t trailer_count = 0, checksum = 0;
    if (in.remaining() == 0)
        return make_error(ErrorCode::invalid_argument, "truncated after entry " +
                                                           std::to_string(count) + " of " +
                                                           std::to_string(count) + " (no trailer)");
    if (!in.take(k_trailer_tag.size(), tag) || tag != k_trailer_tag)
        return make_error(ErrorCode::invalid_argument,
                          tag.size() < k_trailer_tag.size()
                              ? "truncated in the trailer"
                              : "no trailer after entry " + std::to_string(count) + " (found \"" +
                                    printable(tag) + "\" at byte " + std::to_string(trailer_at) +
                                    "; more entries than the header's " + std::to_string(count) +
                                    "?)");
    if (!in.take_u64(trailer_count))
        return make_error(ErrorCode::invalid_argument, "truncated in the trailer");
    const size_t checksum_at = in.position();
    if (!in.take_u64(checksum))
        return make_error(ErrorCode::invalid_argument, "truncated in the trailer");
    if (trailer_count != count)
        return make_error(ErrorCode::invalid_argument, "the header says " + std::to_string(count) +
                                                           " entries, the trailer " +
                                                           std::to_string(trailer_count));
    if (in.remaining() != 0)
        return make_error(ErrorCode::invalid_argument,
                          std::to_string(in.remaining()) + " bytes after the trailer");
    Hasher hasher;
    hasher.add(in.before(checksum_at));
    if (uint64_t actual = hasher.digest(); actual != checksum)
        return make_error(ErrorCode::invalid_argument,
                          "file checksum mismatch (the trailer says " + hex64(checksum) +
                              ", the file hashes to " + hex64(actual) +
                              "): damaged outside the parts each entry's own checks cover");
    return entries;
}

Result<std::vector<ExportedEntry>> read_export_file(const fs::path& file, bool trust) {
    const std::string what = file.string() + ": ";
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(ErrorCode::io, what + std::strerror(errno));
    std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* f) { ::close(*f); });
    struct stat info {};
    if (::fstat(fd, &info) != 0) return make_error(ErrorCode::io, what + std::strerror(errno));
    if (!S_ISREG(info.st_mode))
        return make_error(ErrorCode::invalid_argument, what + "not a regular file");
    // Checked on the open file, so the file judged is the file read.
    if (!trust)
        if (auto why = untrusted_open_file_reason(fd, true))
            return make_error(ErrorCode::invalid_argument,
                              what + *why +
                                  "; a cache holds executable code: import a file you did not "
                                  "make only if you trust where it came from, with --trust");
    std::vector<char> bytes(static_cast<size_t>(info.st_size));
    size_t done = 0;
    for (;;) {
        if (done == bytes.size()) bytes.resize(bytes.size() + 65536); // it grew meanwhile
        ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(ErrorCode::io, what + "read: " + std::strerror(errno));
        if (n == 0) break;
        done += static_cast<size_t>(n);
    }
    bytes.resize(done);
    auto entries = parse_export_file(bytes);
    if (!entries) return make_error(entries.error().code(), what + entries.error().message);
    return entries;
}

Result<uint64_t> write_export_file(const fs::path& file, uint64_t count,
                                   const std::function<Result<ExportedEntry>(uint64_t)>& entry_at,
                                   const std::function<void(uint64_t, uint64_t)>& progress) {
    const std::string what = "export to " + file.string() + ": ";
    // Absolute, so that the directory fsync'ed after the rename is named even for "x.becache".
    std::error_code ec;
    const fs::path target = fs::absolute(file, ec);
    if (ec) return make_error(ErrorCode::io, what + ec.message());
    auto temp =
        cache_detail::TempFile::create(target.parent_path(), "." + target.filename().string());
    if (!temp) return make_error(temp.error().code(), what + temp.error().message);
    Hasher hasher;
    uint64_t size = 0;
    auto write = [&](const std::string& bytes) -> Result<void> {
        hasher.add(bytes);
        size += bytes.size();
        return temp->write(bytes.data(), bytes.size());
    };
    std::string header(k_magic);
    put_u32(header, k_export_format_version);
    put_u32(header, 0);
    put_u64(header, count);
    if (auto ok = write(header); !ok)
        return make_error(ok.error().code(), what + ok.error().message);
    for (uint64_t i = 0; i < count; ++i) {
        auto entry = entry_at(i);
        if (!entry) return make_error(entry.error().code(), what + entry.error().message);
        std::string bytes(k_entry_tag);
        auto fields = file_fields(*entry);
        put_u32(bytes, static_cast<uint32_t>(fields.size()));
        for (const auto& [name, value] : fields) {
            if (value.size() > UINT32_MAX)
                return make_error(ErrorCode::invalid_argument,
                                  what + "entry " + entry->key + ": field " + name + " too long");
            put_u32(bytes, static_cast<uint32_t>(name.size()));
            bytes += name;
            put_u32(bytes, static_cast<uint32_t>(value.size()));
            bytes += value;
        }
        put_u64(bytes, entry->payload.size());
        bytes.append(entry->payload.data(), entry->payload.size());
        if (auto ok = write(bytes); !ok)
            return make_error(ok.error().code(), what + ok.error().message);
        if (progress) progress(i + 1, count);
    }
    std::string trailer(k_trailer_tag);
    put_u64(trailer, count);
    if (auto ok = write(trailer); !ok)
        return make_error(ok.error().code(), what + ok.error().message);
    std::string checksum;
    put_u64(checksum, hasher.digest());
    if (auto ok = temp->write(checksum.data(), checksum.size()); !ok)
        return make_error(ok.error().code(), what + ok.error().message);
    if (auto ok = temp->commit(target); !ok)
        return make_error(ok.error().code(), what + ok.error().message);
    return size + checksum.size();
}

} // namespace be
