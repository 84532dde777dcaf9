#pragma once
// Folders for storage tests: a fresh temporary folder removed with its contents, and a tmpfs mount on
// one (root only) to fill a disk on purpose.
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
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

// Unmounts on scope exit; `mounted` is set by the test once mount(2) succeeded.
struct TmpfsMount {
    std::string path;
    bool mounted = false;
    ~TmpfsMount() {
        if (mounted) ::umount2(path.c_str(), MNT_DETACH);
    }
};

}  // namespace bt::storage::test_support
