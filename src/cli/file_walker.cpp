#include "cli/file_walker.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <system_error>
#include <utility>

namespace bt::cli {
namespace {

std::string errno_text(int err) {
    return std::generic_category().message(err);
}

WalkError stat_error(const std::string& path, int err) {
    struct stat st {};
    if (err == ENOENT && ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        return {path, "broken symbolic link"};
    }
    return {path, errno_text(err)};
}

struct DirCloser {
    void operator()(DIR* d) const noexcept { ::closedir(d); }
};

class Walker {
  public:
    explicit Walker(std::vector<FoundFile>& out) : out_(out) {}

    // Adds the files below folder `disk` (whose components below the root are `prefix`).
    Result<void, WalkError> walk(const std::string& disk, const struct stat& dir_st,
                                 std::vector<std::string>& prefix) {
        for (const auto& [dev, ino] : ancestors_) {
            if (dev == dir_st.st_dev && ino == dir_st.st_ino) {
                return fail(WalkError{disk, "symbolic link loop (leads back to a folder above it)"});
            }
        }
        std::unique_ptr<DIR, DirCloser> dir(::opendir(disk.c_str()));
        if (!dir) return fail(WalkError{disk, "cannot read folder: " + errno_text(errno)});
        std::vector<std::string> names;
        for (;;) {
            errno = 0;
            const dirent* entry = ::readdir(dir.get());
            if (entry == nullptr) {
                if (errno != 0) return fail(WalkError{disk, "cannot read folder: " + errno_text(errno)});
                break;
            }
            const std::string_view name = entry->d_name;
            if (name == "." || name == "..") continue;
            names.emplace_back(name);
        }
        dir.reset();
        std::sort(names.begin(), names.end());  // byte order: char_traits<char> compares as unsigned char

        ancestors_.emplace_back(dir_st.st_dev, dir_st.st_ino);
        for (auto& name : names) {
            std::string child = disk + "/" + name;
            struct stat st {};
            if (::stat(child.c_str(), &st) != 0) return fail(stat_error(child, errno));
            prefix.push_back(std::move(name));
            if (S_ISDIR(st.st_mode)) {
                if (auto ok = walk(child, st, prefix); !ok) return ok;
            } else if (S_ISREG(st.st_mode)) {
                out_.push_back({prefix, child, static_cast<std::int64_t>(st.st_size), st.st_dev, st.st_ino});
            } else {
                return fail(WalkError{child, "not a regular file or folder"});
            }
            prefix.pop_back();
        }
        ancestors_.pop_back();
        return {};
    }

  private:
    std::vector<FoundFile>& out_;
    std::vector<std::pair<dev_t, ino_t>> ancestors_;
};

// The last component of `path` ("a/b/" -> "b"); for ".", ".." or "/" the real folder's name.
Result<std::string, WalkError> name_of(const std::string& path) {
    std::string trimmed = path;
    while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
    const auto slash = trimmed.rfind('/');
    std::string name = slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
    if (name.empty() || name == "." || name == "..") {
        std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
        if (!real) return fail(WalkError{path, errno_text(errno)});
        const std::string r = real.get();
        name = r.substr(r.rfind('/') + 1);
        if (name.empty()) return fail(WalkError{path, "the root folder has no name to give the torrent"});
    }
    return name;
}

}  // namespace

Result<FoundTree, WalkError> find_files(const std::string& path) {
    if (path.empty()) return fail(WalkError{path, "empty path"});
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return fail(stat_error(path, errno));
    auto name = name_of(path);
    if (!name) return fail(std::move(name).error());

    FoundTree tree;
    tree.name = std::move(*name);
    if (S_ISREG(st.st_mode)) {
        tree.single_file = true;
        tree.files.push_back({{}, path, static_cast<std::int64_t>(st.st_size), st.st_dev, st.st_ino});
        return tree;
    }
    if (!S_ISDIR(st.st_mode)) return fail(WalkError{path, "not a regular file or folder"});

    std::string root = path;
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    std::vector<std::string> prefix;
    Walker walker(tree.files);
    if (auto ok = walker.walk(root, st, prefix); !ok) return fail(ok.error());
    return tree;
}

}  // namespace bt::cli
