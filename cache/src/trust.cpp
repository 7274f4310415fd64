// Trust and file system checks (filesystem.h). The cache holds executable code: a directory
// someone else can write could hand us their code under our key, so it is never used.
#include <becore/cache/filesystem.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace be {

namespace fs = std::filesystem;

namespace {

std::string octal_mode(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

bool owner_trusted(uid_t owner, bool root_may_own) {
    return owner == ::geteuid() || (root_may_own && owner == 0);
}

std::string owner_text(bool root_may_own) {
    return root_may_own ? "you (uid " + std::to_string(::geteuid()) + ") or root"
                        : "you (uid " + std::to_string(::geteuid()) + ")";
}

// mountinfo escapes space, tab, newline and backslash in paths as \ooo.
std::string unescape_mount_path(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        bool octal = text[i] == '\\' && i + 4 <= text.size();
        for (size_t j = 1; octal && j <= 3; ++j)
            octal = text[i + j] >= '0' && text[i + j] <= '7';
        if (octal) {
            out += static_cast<char>(std::stoi(text.substr(i + 1, 3), nullptr, 8));
            i += 3;
        } else {
            out += text[i];
        }
    }
    return out;
}

bool path_below(const std::string& path, const std::string& mount_point) {
    if (mount_point == "/") return true;
    return path.compare(0, mount_point.size(), mount_point) == 0 &&
           (path.size() == mount_point.size() || path[mount_point.size()] == '/');
}

} // namespace

std::optional<std::string> untrusted_directory_reason(const fs::path& dir, bool root_may_own) {
    struct stat link {};
    if (::lstat(dir.c_str(), &link) != 0)
        return "cannot stat it: " + std::string(std::strerror(errno));
    if (S_ISLNK(link.st_mode) && !owner_trusted(link.st_uid, root_may_own))
        return "it is a symbolic link owned by uid " + std::to_string(link.st_uid) + ", not by " +
               owner_text(root_may_own);
    struct stat info {};
    if (::stat(dir.c_str(), &info) != 0)
        return "cannot stat it: " + std::string(std::strerror(errno));
    if (!S_ISDIR(info.st_mode)) return "it is not a directory";
    if (!owner_trusted(info.st_uid, root_may_own))
        return "it is owned by uid " + std::to_string(info.st_uid) + ", not by " +
               owner_text(root_may_own);
    if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return std::string("it is writable by ") +
               ((info.st_mode & S_IWOTH) != 0 ? "everyone" : "its group") + " (mode " +
               octal_mode(info.st_mode) + ")";
    return std::nullopt;
}

namespace {

std::optional<std::string> untrusted_stat_reason(const struct stat& info, bool root_may_own) {
    if (!S_ISREG(info.st_mode)) return "it is not a regular file";
    if (!owner_trusted(info.st_uid, root_may_own))
        return "it is owned by uid " + std::to_string(info.st_uid) + ", not by " +
               owner_text(root_may_own);
    if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return "it is writable by others (mode " + octal_mode(info.st_mode) + ")";
    return std::nullopt;
}

} // namespace

std::optional<std::string> untrusted_file_reason(const fs::path& file, bool root_may_own) {
    struct stat info {};
    if (::lstat(file.c_str(), &info) != 0)
        return errno == ENOENT ? std::nullopt
                               : std::optional<std::string>("cannot stat it: " +
                                                            std::string(std::strerror(errno)));
    return untrusted_stat_reason(info, root_may_own);
}

std::optional<std::string> untrusted_open_file_reason(int fd, bool root_may_own) {
    struct stat info {};
    if (::fstat(fd, &info) != 0) return "cannot stat it: " + std::string(std::strerror(errno));
    return untrusted_stat_reason(info, root_may_own);
}

std::string filesystem_type_of(const fs::path& path, const std::string& mountinfo_text) {
    // Resolve symlinks so the path is compared with mount points as the kernel sees them; a
    // path that does not exist yet is judged by its nearest existing ancestor.
    std::error_code ec;
    fs::path absolute = fs::weakly_canonical(fs::absolute(path, ec), ec);
    if (ec) absolute = path;
    const std::string target = absolute.generic_string();
    // Line format (proc(5)): id parent major:minor root mount-point options [optional...] -
    //                        fstype source super-options
    std::istringstream lines(mountinfo_text);
    std::string line, best_type;
    size_t best_length = 0;
    bool found = false;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string id, parent, device, root, mount_point, token;
        if (!(fields >> id >> parent >> device >> root >> mount_point)) continue;
        while (fields >> token && token != "-") {
        }
        std::string type;
        if (token != "-" || !(fields >> type)) continue;
        mount_point = unescape_mount_path(mount_point);
        // Later lines mount over earlier ones at the same point, hence >=.
        if (path_below(target, mount_point) && (!found || mount_point.size() >= best_length)) {
            best_length = mount_point.size();
            best_type = type;
            found = true;
        }
    }
    return best_type;
}

bool wal_unsafe_filesystem(const std::string& type) {
    static const char* const unsafe[] = {"nfs",    "nfs4",   "cifs", "smb3",   "smbfs", "9p",
                                         "afs",    "lustre", "gpfs", "ceph",   "ncpfs", "glusterfs",
                                         "beegfs", "coda",   "fuse", "fuseblk"};
    for (const char* name : unsafe)
        if (type == name) return true;
    return type.rfind("fuse.", 0) == 0;
}

} // namespace be
