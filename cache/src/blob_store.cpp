// Blob format (all integers little-endian):
//
//   blob     := header payload
//   header   := magic:"BECB" version:u32 payload_size:u64 checksum:u64      (24 bytes)
//   checksum := XXH3-64 of payload (seed 0)
//
// A blob is valid when the magic and version match, the file is exactly 24 + payload_size bytes
// (a shorter file was truncated, a longer one is damaged), and the payload hashes to both the
// header's checksum and the checksum the index recorded for the entry (the latter catches a valid
// blob of another entry sitting under this key's name).
//
// Writes: temp file in <versioned dir>/tmp, fsync, rename into blobs/ab/<key>, fsync blobs/ab.
// The blob is then durable before the index row that makes it visible is committed. A crash
// (BECORE_FAULT after-temp-write, after-fsync, after-rename) leaves a temp file or a blob without
// a row; neither is ever read, and both are removed once older than an hour.
#include "blob_store.h"

#include "key.h"
#include "lock.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace be::cache_detail {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int error) {
    return std::strerror(error);
}

using Header = std::array<unsigned char, k_blob_header_size>;

void put_u32(unsigned char* out, uint32_t value) {
    for (int i = 0; i < 4; ++i)
        out[i] = static_cast<unsigned char>(value >> (8 * i));
}
void put_u64(unsigned char* out, uint64_t value) {
    for (int i = 0; i < 8; ++i)
        out[i] = static_cast<unsigned char>(value >> (8 * i));
}
uint32_t get_u32(const unsigned char* in) {
    uint32_t value = 0;
    for (int i = 3; i >= 0; --i)
        value = (value << 8) | in[i];
    return value;
}
uint64_t get_u64(const unsigned char* in) {
    uint64_t value = 0;
    for (int i = 7; i >= 0; --i)
        value = (value << 8) | in[i];
    return value;
}

Header encode_header(uint64_t payload_size, uint64_t checksum) {
    Header header{};
    std::memcpy(header.data(), "BECB", 4);
    put_u32(header.data() + 4, k_blob_format_version);
    put_u64(header.data() + 8, payload_size);
    put_u64(header.data() + 16, checksum);
    return header;
}

// Checks the header against the blob's total size; on success gives the header's checksum.
bool check_header(const unsigned char* header, uint64_t total_size, uint64_t& checksum,
                  std::string& detail) {
    if (std::memcmp(header, "BECB", 4) != 0) {
        detail = "bad magic";
        return false;
    }
    if (uint32_t version = get_u32(header + 4); version != k_blob_format_version) {
        detail = "unknown blob format " + std::to_string(version);
        return false;
    }
    uint64_t payload_size = get_u64(header + 8);
    if (payload_size != total_size - k_blob_header_size) {
        detail = "size " + std::to_string(total_size) + " bytes, header says " +
                 std::to_string(payload_size + k_blob_header_size) +
                 (total_size < payload_size + k_blob_header_size ? " (truncated)" : "");
        return false;
    }
    checksum = get_u64(header + 16);
    return true;
}

bool check_payload(const std::vector<char>& payload, uint64_t header_checksum,
                   uint64_t expected_checksum, std::string& detail) {
    uint64_t actual = hash64(payload.data(), payload.size());
    if (actual != header_checksum || actual != expected_checksum) {
        detail = "checksum mismatch (payload " + hex64(actual) + ", header " +
                 hex64(header_checksum) + ", index " + hex64(expected_checksum) + ")";
        return false;
    }
    return true;
}

// Reads exactly `size` bytes unless the file ends first; -1 with errno on an I/O error.
ssize_t read_fully(int fd, void* data, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = ::read(fd, static_cast<char*>(data) + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) break;
        done += static_cast<size_t>(n);
    }
    return static_cast<ssize_t>(done);
}

Result<void> fsync_directory(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return make_error(ErrorCode::io, "open " + dir.string() + ": " + errno_text(errno));
    int rc = ::fsync(fd);
    int error = errno;
    ::close(fd);
    // Some file systems cannot sync a directory and say so with EINVAL; nothing to be done.
    if (rc != 0 && error != EINVAL)
        return make_error(ErrorCode::io, "fsync " + dir.string() + ": " + errno_text(error));
    return {};
}

std::string random_suffix() {
    static thread_local std::mt19937_64 engine{std::random_device{}()};
    return hex64(engine()).substr(0, 12);
}

} // namespace

Result<void> make_directory(const fs::path& path, unsigned mode, int* error_out) {
    if (::mkdir(path.c_str(), mode) == 0) return {};
    int error = errno;
    if (error_out != nullptr) *error_out = error;
    struct stat info {};
    if (error == EEXIST && ::stat(path.c_str(), &info) == 0) {
        if (S_ISDIR(info.st_mode)) return {};
        return make_error(ErrorCode::io, path.string() + " exists and is not a directory");
    }
    return make_error(ErrorCode::io, "mkdir " + path.string() + ": " + errno_text(error));
}

Result<TempFile> TempFile::create(const fs::path& dir, const std::string& stem, int* error) {
    for (int attempt = 0;; ++attempt) {
        fs::path path = dir / (stem + "." + std::to_string(::getpid()) + "." + random_suffix());
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) return TempFile(fd, std::move(path));
        if (errno != EEXIST || attempt == 8) {
            if (error != nullptr) *error = errno;
            return make_error(ErrorCode::io, "create " + path.string() + ": " + errno_text(errno));
        }
    }
}

Error TempFile::failed(const std::string& what) {
    errno_ = errno;
    return make_error(ErrorCode::io, what + ": " + errno_text(errno_));
}

TempFile::TempFile(TempFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)),
      committed_(std::exchange(other.committed_, true)) {}

TempFile::~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_ && !path_.empty()) ::unlink(path_.c_str());
}

Result<void> TempFile::write(const void* data, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = ::write(fd_, static_cast<const char*>(data) + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return failed("write " + path_.string());
        done += static_cast<size_t>(n);
    }
    return {};
}

Result<void> TempFile::commit(const fs::path& destination) {
    if (::fsync(fd_) != 0) return failed("fsync " + path_.string());
    int rc = ::close(fd_);
    fd_ = -1;
    // close can report a deferred write error (NFS); the data may not be there.
    if (rc != 0) return failed("close " + path_.string());
    fault_point("after-fsync");
    if (::rename(path_.c_str(), destination.c_str()) != 0)
        return failed("rename " + path_.string() + " to " + destination.string());
    committed_ = true;
    auto synced = fsync_directory(destination.parent_path());
    fault_point("after-rename");
    return synced;
}

DiskBlobStore::DiskBlobStore(fs::path versioned_dir)
    : blobs_(versioned_dir / "blobs"), tmp_(versioned_dir / "tmp") {}

fs::path DiskBlobStore::path_of(const std::string& key) const {
    return blobs_ / key.substr(0, 2) / key;
}

Result<uint64_t> DiskBlobStore::put(const std::string& key, const std::vector<char>& payload,
                                    uint64_t checksum, Problem* problem) {
    auto fail = [&](const Error& error, int error_number) -> Result<uint64_t> {
        if (problem != nullptr) *problem = problem_from_errno(error_number);
        return error;
    };
    fs::path destination = path_of(key);
    int mkdir_error = 0;
    if (auto ok = make_directory(destination.parent_path(), 0700, &mkdir_error); !ok)
        return fail(ok.error(), mkdir_error);
    int create_error = 0;
    auto file = TempFile::create(tmp_, key, &create_error);
    if (!file) return fail(file.error(), create_error);
    Header header = encode_header(payload.size(), checksum);
    if (auto ok = file->write(header.data(), header.size()); !ok)
        return fail(ok.error(), file->last_errno());
    if (auto ok = file->write(payload.data(), payload.size()); !ok)
        return fail(ok.error(), file->last_errno());
    fault_point("after-temp-write");
    if (auto ok = file->commit(destination); !ok) return fail(ok.error(), file->last_errno());
    return k_blob_header_size + payload.size();
}

BlobRead DiskBlobStore::get(const std::string& key, uint64_t expected_checksum) const {
    BlobRead result;
    fs::path path = path_of(key);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        result.status = errno == ENOENT ? BlobStatus::missing : BlobStatus::io_error;
        result.detail = "open " + path.string() + ": " + errno_text(errno);
        return result;
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        result.status = BlobStatus::io_error;
        result.detail = "stat " + path.string() + ": " + errno_text(errno);
        return result;
    }
    auto total = static_cast<uint64_t>(info.st_size);
    result.status = BlobStatus::corrupt;
    // Someone else's file, or one others may rewrite, is not our code whatever it contains.
    if (S_ISREG(info.st_mode) && info.st_uid != ::geteuid() && info.st_uid != 0) {
        result.detail = path.string() + ": owned by uid " + std::to_string(info.st_uid);
        return result;
    }
    if (S_ISREG(info.st_mode) && (info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        result.detail = path.string() + ": writable by group or others";
        return result;
    }
    Header header{};
    if (total < k_blob_header_size) {
        result.detail = path.string() + ": truncated to " + std::to_string(total) + " bytes";
        return result;
    }
    ssize_t n = read_fully(fd, header.data(), header.size());
    if (n < 0) {
        result.status = BlobStatus::io_error;
        result.detail = "read " + path.string() + ": " + errno_text(errno);
        return result;
    }
    uint64_t header_checksum = 0;
    std::string detail;
    if (n != static_cast<ssize_t>(header.size()) ||
        !check_header(header.data(), total, header_checksum, detail)) {
        result.detail = path.string() + ": " + (detail.empty() ? "truncated" : detail);
        return result;
    }
    result.payload.resize(total - k_blob_header_size);
    n = read_fully(fd, result.payload.data(), result.payload.size());
    if (n < 0) {
        result.status = BlobStatus::io_error;
        result.detail = "read " + path.string() + ": " + errno_text(errno);
        result.payload.clear();
        return result;
    }
    if (static_cast<size_t>(n) != result.payload.size()) {
        result.detail = path.string() + ": truncated while reading";
        result.payload.clear();
        return result;
    }
    if (!check_payload(result.payload, header_checksum, expected_checksum, detail)) {
        result.detail = path.string() + ": " + detail;
        result.payload.clear();
        return result;
    }
    result.status = BlobStatus::ok;
    return result;
}

void DiskBlobStore::remove(const std::string& key) {
    // Best effort: a blob that stays behind without a row is an orphan, which trimming and
    // `verify --fix` remove; it is never read, since readers follow the index.
    ::unlink(path_of(key).c_str());
}

Result<uint64_t> DiskBlobStore::remove_all(bool dry_run) {
    uint64_t bytes = 0;
    std::error_code ec;
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(blobs_, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        uint64_t size = it->file_size(ec);
        if (!ec) bytes += size;
        files.push_back(it->path());
        ec.clear();
    }
    if (ec && ec != std::errc::no_such_file_or_directory)
        return make_error(ErrorCode::io, "list " + blobs_.string() + ": " + ec.message());
    if (dry_run) return bytes;
    for (const auto& file : files) {
        if (::unlink(file.c_str()) != 0 && errno != ENOENT)
            return make_error(ErrorCode::io, "remove " + file.string() + ": " + errno_text(errno));
    }
    return bytes;
}

namespace {

std::vector<StoredFile> files_in(const fs::path& dir, std::error_code& ec) {
    std::vector<StoredFile> files;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
        struct stat info {};
        if (::lstat(it->path().c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
        files.push_back({it->path(), it->path().filename().string(),
                         static_cast<uint64_t>(info.st_size), static_cast<int64_t>(info.st_mtime)});
    }
    if (ec == std::errc::no_such_file_or_directory) ec.clear();
    return files;
}

} // namespace

std::vector<StoredFile> DiskBlobStore::blob_files(std::error_code& ec) const {
    std::vector<StoredFile> files;
    for (auto it = fs::directory_iterator(blobs_, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
        std::error_code sub_ec;
        if (!it->is_directory(sub_ec)) continue;
        auto sub = files_in(it->path(), sub_ec);
        files.insert(files.end(), sub.begin(), sub.end());
    }
    if (ec == std::errc::no_such_file_or_directory) ec.clear();
    return files;
}

std::vector<StoredFile> DiskBlobStore::temp_files(std::error_code& ec) const {
    return files_in(tmp_, ec);
}

Result<uint64_t> MemoryBlobStore::put(const std::string& key, const std::vector<char>& payload,
                                      uint64_t checksum, Problem*) {
    Header header = encode_header(payload.size(), checksum);
    std::vector<char> bytes(header.begin(), header.end());
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    std::lock_guard lock(mutex_);
    blobs_[key] = std::move(bytes);
    return k_blob_header_size + payload.size();
}

BlobRead parse_blob(std::span<const char> bytes, uint64_t expected_checksum) {
    BlobRead result;
    result.status = BlobStatus::corrupt;
    uint64_t header_checksum = 0;
    if (bytes.size() < k_blob_header_size) {
        result.detail = "truncated to " + std::to_string(bytes.size()) + " bytes";
        return result;
    }
    if (!check_header(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                      header_checksum, result.detail))
        return result;
    result.payload.assign(bytes.begin() + k_blob_header_size, bytes.end());
    if (!check_payload(result.payload, header_checksum, expected_checksum, result.detail)) {
        result.payload.clear();
        return result;
    }
    result.status = BlobStatus::ok;
    return result;
}

BlobRead MemoryBlobStore::get(const std::string& key, uint64_t expected_checksum) const {
    std::lock_guard lock(mutex_);
    auto found = blobs_.find(key);
    if (found == blobs_.end()) {
        BlobRead result;
        result.detail = "blob " + key + " not in memory";
        return result;
    }
    return parse_blob(found->second, expected_checksum);
}

void MemoryBlobStore::remove(const std::string& key) {
    std::lock_guard lock(mutex_);
    blobs_.erase(key);
}

Result<uint64_t> MemoryBlobStore::remove_all(bool dry_run) {
    std::lock_guard lock(mutex_);
    uint64_t bytes = 0;
    for (const auto& [key, blob] : blobs_)
        bytes += blob.size();
    if (!dry_run) blobs_.clear();
    return bytes;
}

} // namespace be::cache_detail
