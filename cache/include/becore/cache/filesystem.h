// What the cache asks of a directory before it trusts it with executable code, and of the file
// system under it before it uses SQLite's WAL (docs/cache.md, "Trust").
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace be {

// Why `dir` must not be used as a cache, or nullopt when it may. A trusted directory is owned by
// the effective user (or, when `root_may_own`, by root: read-only layers installed by an
// administrator) and is writable by nobody else (no group or world write bit). A symbolic link
// is followed, and the link itself must belong to the user or root: in a sticky /tmp only its
// owner can swap it. Parents are not checked (/tmp is 1777).
std::optional<std::string> untrusted_directory_reason(const std::filesystem::path& dir,
                                                      bool root_may_own);

// The same rule for a file of the cache (its index and the index's -wal and -shm files): someone
// who can write the index can point a key at another blob. nullopt when the file is trusted or
// does not exist.
std::optional<std::string> untrusted_file_reason(const std::filesystem::path& file,
                                                 bool root_may_own);

// The same rule for a file already open (an export file to import), judged by fstat so that the
// file judged is the file read. A regular file is required.
std::optional<std::string> untrusted_open_file_reason(int fd, bool root_may_own);

// The file system type ("ext4", "nfs4", "fuse.sshfs", ...) of the mount holding `path`, read from
// a /proc/self/mountinfo text (the longest mount point that contains the path). Empty when
// unknown.
std::string filesystem_type_of(const std::filesystem::path& path,
                               const std::string& mountinfo_text);

// True for network and FUSE file systems whose mmap'ed shared memory does not work across
// clients, where SQLite's WAL mode can corrupt the index: NFS, CIFS/SMB, 9p, AFS, Lustre, GPFS,
// Ceph, GlusterFS, BeeGFS and every fuse.* type.
bool wal_unsafe_filesystem(const std::string& type);

} // namespace be
