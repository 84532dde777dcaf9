#include "storage/safe_path.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "metainfo/path_sanitizer.hpp"

namespace bt::storage::detail {

std::error_code errno_code(int e) {
    return {e, std::system_category()};
}

std::string join(const std::string& base, std::string_view component) {
    std::string out = base;
    if (out.empty() || out.back() != '/') out += '/';
    out += component;
    return out;
}

bool is_safe_component(std::string_view c) {
    if (c.empty() || c == "." || c == "..") return false;
    return c.find('/') == std::string_view::npos && c.find('\0') == std::string_view::npos;
}

bool is_symlink_at(int dir, const std::string& name) {
    struct stat st {};
    return ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

std::string link_text_at(int dir, const std::string& name) {
    std::string text(4096, '\0');
    const ssize_t n = ::readlinkat(dir, name.c_str(), text.data(), text.size());
    if (n < 0 || static_cast<std::size_t>(n) >= text.size()) return {};
    text.resize(static_cast<std::size_t>(n));
    return text;
}

Result<OpenDir, StorageError> walk(const std::string& base, const std::vector<const std::string*>& dirs,
                                   bool create) {
    OpenDir cur;
    cur.path = base;
    cur.fd = UniqueFd(::open(base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (cur.fd.get() < 0) return fail(StorageError{errno_code(errno), base, Op::open});
    for (const std::string* name : dirs) {
        cur.path = join(cur.path, *name);
        constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        int fd = ::openat(cur.fd.get(), name->c_str(), kFlags);
        int e = fd < 0 ? errno : 0;
        if (fd < 0 && e == ENOENT && create) {
            if (::mkdirat(cur.fd.get(), name->c_str(), 0755) != 0 && errno != EEXIST) {
                return fail(StorageError{errno_code(errno), cur.path, Op::mkdir});
            }
            fd = ::openat(cur.fd.get(), name->c_str(), kFlags);
            e = fd < 0 ? errno : 0;
        }
        if (fd < 0) {
            if ((e == ENOTDIR || e == ELOOP) && is_symlink_at(cur.fd.get(), *name)) {
                return fail(StorageError{make_error_code(Errc::symlink_refused), cur.path, Op::open});
            }
            return fail(StorageError{errno_code(e), cur.path, create ? Op::mkdir : Op::open});
        }
        cur.fd = UniqueFd(fd);
    }
    return cur;
}

StorageError check_layout(const Layout& layout, const std::string& download_dir) {
    if (layout.piece_length <= 0 || layout.total_size < 0) {
        return {make_error_code(Errc::invalid_layout), {}, Op::open};
    }
    // The component that lands in the download folder itself must not be the folder of our own records.
    const auto reserved = [](const std::vector<std::string>& path) {
        return !path.empty() && metainfo::detail::is_reserved_root_name(path.front());
    };
    std::string root_path = download_dir;
    for (const auto& c : layout.root) {
        root_path = join(root_path, c);
        if (!is_safe_component(c)) return {make_error_code(Errc::invalid_path), root_path, Op::open};
    }
    if (reserved(layout.root)) return {make_error_code(Errc::invalid_path), root_path, Op::open};
    std::int64_t pos = 0;
    for (const auto& f : layout.files) {
        if (f.offset != pos || f.length < 0 || f.length > layout.total_size - pos) {
            return {make_error_code(Errc::invalid_layout), {}, Op::open};
        }
        pos += f.length;
        if (f.pad) continue;  // never on disk
        std::string path = root_path;
        for (const auto& c : f.path) path = join(path, c);
        if (f.path.empty() || !std::all_of(f.path.begin(), f.path.end(), is_safe_component) ||
            (layout.root.empty() && reserved(f.path))) {
            return {make_error_code(Errc::invalid_path), path, Op::open};
        }
        // A link's target is below the torrent's folder (relative_link_text climbs no higher), so a
        // single-file torrent, whose file sits in the download folder itself, has no place for one.
        if (f.symlink && (f.length != 0 || (!f.symlink_target.empty() && layout.root.empty()))) {
            return {make_error_code(Errc::invalid_layout), path, Op::open};
        }
        if (!std::all_of(f.symlink_target.begin(), f.symlink_target.end(), is_safe_component)) {
            return {make_error_code(Errc::invalid_path), path, Op::open};
        }
    }
    if (pos != layout.total_size) return {make_error_code(Errc::invalid_layout), {}, Op::open};
    return {};
}

std::vector<const std::string*> parent_folders(const Layout& layout, const metainfo::FileEntry& file) {
    std::vector<const std::string*> dirs;
    for (const auto& c : layout.root) dirs.push_back(&c);
    for (std::size_t k = 0; k + 1 < file.path.size(); ++k) dirs.push_back(&file.path[k]);
    return dirs;
}

}  // namespace bt::storage::detail
