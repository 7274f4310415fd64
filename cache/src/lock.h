// Advisory file locks (flock) shared by processes using one cache directory, and the fault
// injection points of a store (BECORE_FAULT).
//
// A lock file is <versioned dir>/locks/<name>. Lock files may be removed (trim and `verify --fix`
// remove those of keys no longer cached), so a locker checks after flock() that the path still
// names the file it locked, and starts over otherwise: two processes can never both hold a
// lock through two different files.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

namespace be::cache_detail {

// An exclusive flock on a file. Released by the destructor (or by the death of the process).
class FileLock {
  public:
    FileLock() = default;
    ~FileLock() { release(); }
    FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    FileLock& operator=(FileLock&& other) noexcept;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

    // Waits up to `timeout` (zero: one try). Creates the file (mode 0600) unless `create` is
    // false, in which case a missing file counts as free: nothing is locked and `ok` is true.
    // On timeout or error the lock is not held, `ok` is false and `why` says which.
    // `error` (if given) gets the errno of a failure, ETIMEDOUT for a timeout.
    static FileLock acquire(const std::filesystem::path& path, std::chrono::milliseconds timeout,
                            bool create, bool& ok, std::string& why, int* error = nullptr);

    bool held() const { return fd_ >= 0; }
    void release();
    // Gives the descriptor to the caller (KernelCache::CompileLock owns it from then on).
    int release_fd() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }

  private:
    explicit FileLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

// Removes the lock file at `path` if no process holds it (take it without waiting, unlink while
// held, release). Returns true when removed.
bool remove_free_lock_file(const std::filesystem::path& path);

// BECORE_FAULT=<stage>: the process dies at that stage of a store, as a crash would (no
// destructors, no stdio flush; exit status 134, as for an abort, without a core dump). Stages:
// after-temp-write, after-fsync, after-rename, before-commit.
void fault_point(const char* stage);

} // namespace be::cache_detail
