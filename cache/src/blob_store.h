// Blob storage: one file per entry on disk (or one buffer per entry in memory), each carrying a
// header with its own checksum. The format is documented at the top of blob_store.cpp.
#pragma once

#include "index.h"

#include <becore/runtime/error.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace be::cache_detail {

inline constexpr uint64_t k_blob_header_size = 24;
inline constexpr uint32_t k_blob_format_version = 1;

// What reading a blob found. Only `corrupt` and `missing` justify deleting the entry: an I/O
// error may be transient (NFS hiccup, EIO on a failing disk) and must not destroy good data.
enum class BlobStatus { ok, missing, corrupt, io_error };

struct BlobRead {
    BlobStatus status = BlobStatus::missing;
    std::vector<char> payload;
    std::string detail; // why it is not ok, for the warning
};

// A file created next to its final location and renamed there by commit(); until then it is
// invisible to readers, and the destructor removes it (the ccache pattern), so a failed or
// abandoned store leaves nothing behind but, after a crash, a temp file that trimming removes.
class TempFile {
  public:
    // Creates <dir>/<stem>.<pid>.<random> exclusively, mode 0600.
    static Result<TempFile> create(const std::filesystem::path& dir, const std::string& stem,
                                   int* error = nullptr);
    TempFile(TempFile&& other) noexcept;
    TempFile& operator=(TempFile&&) = delete;
    TempFile(const TempFile&) = delete;
    ~TempFile();

    Result<void> write(const void* data, size_t size);
    // fsync, close, rename onto `destination`, fsync the destination's directory. Every step is
    // checked; on failure the temp file is removed and the destination is untouched.
    // BECORE_FAULT stages after-fsync and after-rename fire here.
    Result<void> commit(const std::filesystem::path& destination);
    const std::filesystem::path& path() const { return path_; }
    int last_errno() const { return errno_; } // of the last failure

  private:
    TempFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
    Error failed(const std::string& what);
    int fd_ = -1;
    std::filesystem::path path_;
    bool committed_ = false;
    int errno_ = 0;
};

// A file found under blobs/ or tmp/ (verify and trim look for leftovers).
struct StoredFile {
    std::filesystem::path path;
    std::string name;
    uint64_t size = 0;
    int64_t mtime = 0; // unix seconds
};

class BlobStore {
  public:
    virtual ~BlobStore() = default;
    // Stores the payload under `key`; returns the bytes it takes (header included). On failure
    // `problem` (if given) says whether the disk is full or read-only.
    virtual Result<uint64_t> put(const std::string& key, const std::vector<char>& payload,
                                 uint64_t checksum, Problem* problem = nullptr) = 0;
    // Reads and verifies the blob: its own header checksum and `expected_checksum` (the index's)
    // must both match the payload.
    virtual BlobRead get(const std::string& key, uint64_t expected_checksum) const = 0;
    virtual void remove(const std::string& key) = 0;
    // Removes every blob (or, dry run, only counts); returns the bytes freed.
    virtual Result<uint64_t> remove_all(bool dry_run) = 0;
};

// <versioned dir>/blobs/<first 2 hex>/<key>, temp files in <versioned dir>/tmp.
// A blob must be a file owned by the user or root and writable by nobody else, like the
// directories of a trusted cache; anything else is rejected as corrupt.
class DiskBlobStore final : public BlobStore {
  public:
    explicit DiskBlobStore(std::filesystem::path versioned_dir);
    Result<uint64_t> put(const std::string& key, const std::vector<char>& payload,
                         uint64_t checksum, Problem* problem = nullptr) override;
    BlobRead get(const std::string& key, uint64_t expected_checksum) const override;
    void remove(const std::string& key) override;
    Result<uint64_t> remove_all(bool dry_run) override;
    std::filesystem::path path_of(const std::string& key) const;
    // Every file under blobs/<ab>/ (name = key), and every file in tmp/.
    std::vector<StoredFile> blob_files(std::error_code& ec) const;
    std::vector<StoredFile> temp_files(std::error_code& ec) const;

  private:
    std::filesystem::path blobs_;
    std::filesystem::path tmp_;
};

// Same bytes and checks as on disk, kept in a map (BECORE_CACHE=off or an unusable directory).
// The disk store is stateless; this one locks its map.
class MemoryBlobStore final : public BlobStore {
  public:
    Result<uint64_t> put(const std::string& key, const std::vector<char>& payload,
                         uint64_t checksum, Problem* problem = nullptr) override;
    BlobRead get(const std::string& key, uint64_t expected_checksum) const override;
    void remove(const std::string& key) override;
    Result<uint64_t> remove_all(bool dry_run) override;

  private:
    mutable std::mutex mutex_;
    std::map<std::string, std::vector<char>> blobs_;
};

// The checks a read applies to a whole blob in memory: magic, version, size, and the payload
// against both the header's checksum and `expected_checksum` (the index's). The memory store reads
// through it; the disk store applies the same checks while it reads.
BlobRead parse_blob(std::span<const char> bytes, uint64_t expected_checksum);

// mkdir with `mode` unless it exists as a directory; `error_out` gets mkdir's errno on failure.
Result<void> make_directory(const std::filesystem::path& path, unsigned mode,
                            int* error_out = nullptr);

} // namespace be::cache_detail
