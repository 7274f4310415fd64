#include "lock.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string_view>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace be::cache_detail {

namespace fs = std::filesystem;

FileLock& FileLock::operator=(FileLock&& other) noexcept {
    if (this != &other) {
        release();
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

void FileLock::release() {
    // Closing the last descriptor of the open file description drops the flock.
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

FileLock FileLock::acquire(const fs::path& path, std::chrono::milliseconds timeout, bool create,
                           bool& ok, std::string& why, int* error) {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + timeout;
    // Polling rather than a blocking flock: a blocking call cannot time out without signals,
    // and a library must not play with the process's signal handlers. The sleep starts short
    // (a compile of a tiny kernel takes ~15 ms) and backs off to 20 ms.
    auto pause = std::chrono::microseconds(500);
    ok = false;
    for (;;) {
        int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0);
        int fd = ::open(path.c_str(), flags, 0600);
        if (fd < 0) {
            if (!create && errno == ENOENT) {
                ok = true; // nobody can hold a lock on a file that does not exist
                return FileLock();
            }
            if (error != nullptr) *error = errno;
            why = "open " + path.string() + ": " + std::strerror(errno);
            return FileLock();
        }
        bool locked = false;
        for (;;) {
            if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
                locked = true;
                break;
            }
            if (errno == EINTR) continue;
            if (errno != EWOULDBLOCK) {
                if (error != nullptr) *error = errno;
                why = "flock " + path.string() + ": " + std::strerror(errno);
                break;
            }
            if (Clock::now() >= deadline) {
                if (error != nullptr) *error = ETIMEDOUT;
                why = "timed out after " + std::to_string(timeout.count()) + " ms waiting for " +
                      path.string();
                break;
            }
            std::this_thread::sleep_for(pause);
            pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(20));
        }
        if (!locked) {
            ::close(fd);
            return FileLock();
        }
        // The file may have been removed (and maybe re-created) while we waited: a lock on an
        // unlinked file excludes nobody.
        struct stat held {
        }, current{};
        if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &current) == 0 &&
            held.st_dev == current.st_dev && held.st_ino == current.st_ino) {
            ok = true;
            return FileLock(fd);
        }
        ::close(fd);
        if (!create) {
            ok = true;
            return FileLock();
        }
    }
}

bool remove_free_lock_file(const fs::path& path) {
    bool ok = false;
    std::string why;
    FileLock lock = FileLock::acquire(path, std::chrono::milliseconds(0), false, ok, why);
    if (!lock.held()) return false;
    return ::unlink(path.c_str()) == 0;
}

void fault_point(const char* stage) {
    const char* wanted = std::getenv("BECORE_FAULT");
    if (wanted == nullptr || std::string_view(wanted) != stage) return;
    std::string line = "becore: fault injected at " + std::string(stage) + "\n";
    (void)!::write(STDERR_FILENO, line.data(), line.size());
    ::_exit(134);
}

} // namespace be::cache_detail
