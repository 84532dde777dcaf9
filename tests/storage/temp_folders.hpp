#pragma once
// Folders for storage tests: a fresh temporary folder removed with its contents, a tmpfs mount on one
// (root only) to fill a disk on purpose, and small looks at what is on disk.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

namespace bt::storage::test_support {

class TempDir {
  public:
    TempDir() {
        std::string tmpl = "/tmp/bt_storage_test_XXXXXX";
        if (const char* p = ::mkdtemp(tmpl.data())) path_ = p;
    }
    ~TempDir() {
        std::error_code ec;
        if (!path_.empty()) std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

  private:
    std::string path_;
};

// A small tmpfs mounted over `path` (root only), unmounted on scope exit.
struct TmpfsMount {
    std::string path;
    bool mounted = false;
    // Mounts a 64 KiB tmpfs; on failure, why (for GTEST_SKIP), else empty.
    std::string mount_small() {
        if (::mount("tmpfs", path.c_str(), "tmpfs", 0, "size=64k") != 0) {
            return "cannot mount a 64 KiB tmpfs (" + std::string(std::strerror(errno)) + "); needs root";
        }
        mounted = true;
        return {};
    }
    ~TmpfsMount() {
        if (mounted) ::umount2(path.c_str(), MNT_DETACH);
    }
};

// A whole file's bytes (empty when it cannot be read).
inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Whether anything, a dangling link included, has this name.
inline bool exists_no_follow(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

inline std::size_t count_open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

}  // namespace bt::storage::test_support
