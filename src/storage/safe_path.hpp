#pragma once
// The symlink-safe way to reach a torrent's files below its download folder: the checks every on-disk
// path of a layout must pass, and the walk that opens the folders of a path one component at a time with
// O_NOFOLLOW. The safety rule itself is in file_storage.hpp. Internal to bt_storage: FileStorage and
// remove_data() both reach a torrent's files through this walk.
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/result.hpp"
#include "metainfo/metainfo.hpp"
#include "storage/file_storage.hpp"
#include "storage/storage_error.hpp"
#include "storage/unique_fd.hpp"

namespace bt::storage::detail {

std::error_code errno_code(int e);

// `base` + '/' + `component` (no doubled slash).
std::string join(const std::string& base, std::string_view component);

// Not '', '.', '..', and no '/' or NUL inside.
bool is_safe_component(std::string_view c);

// After an openat(..., O_NOFOLLOW) (or unlinkat) failed with ELOOP or ENOTDIR: was it because `name` is a
// symlink?
bool is_symlink_at(int dir, const std::string& name);

// The text of the symbolic link `name` in `dir`; empty when it is not a link (or cannot be read).
std::string link_text_at(int dir, const std::string& name);

// Why FileStorage refuses `layout` (ec empty when it is sound): the files do not tile [0, total_size) in
// order, a path component (or a link target's) is unsafe, a link holds data or has no torrent folder to
// stay in, or the name in the download folder itself is the resume folder's.
StorageError check_layout(const Layout& layout, const std::string& download_dir);

// The folders between the download folder and `file`: the torrent root, then all but the last component
// of the file's path. The pointers point into `layout` and `file`.
std::vector<const std::string*> parent_folders(const Layout& layout, const metainfo::FileEntry& file);

struct OpenDir {
    UniqueFd fd;
    std::string path;
};

// Opens the download folder `base` (following links: it is the user's choice), then each of `dirs` below
// it with O_NOFOLLOW, creating missing ones when `create` is set. A symlink among `dirs` fails with
// Errc::symlink_refused, naming it.
Result<OpenDir, StorageError> walk(const std::string& base, const std::vector<const std::string*>& dirs,
                                   bool create);

}  // namespace bt::storage::detail
