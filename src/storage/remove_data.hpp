#pragma once
// Deleting one torrent's downloaded data, for "remove the torrent with its data". Synchronous: the session
// calls it on its disk pool once the torrent has stopped and its FileStorage has closed its files.
//
// What goes, in this order:
//   1. every file of the layout (pad files are never on disk) that is a regular file, and every BEP 47
//      link the layout names that is there with the text FileStorage::create_symlinks() gives it;
//   2. the folders the torrent's paths name (its root folder and the folders inside), deepest first, each
//      only when it is empty: a folder holding anything the torrent does not name (a user's own file, a
//      link or FIFO left below) stays;
//   3. the resume record (resume_store.hpp), and an earlier version's one in <download dir>/.bitveil/, each
//      with the temporaries a killed save left beside it (atomic_file.hpp).
// Never removed: the download folder itself, the resume folders, other torrents' records, anything else
// outside the download folder.
//
// Safety. Everything below the download folder is reached by FileStorage's walk (safe_path.hpp): each
// folder is opened with O_NOFOLLOW from its parent's descriptor, and files and folders are removed with
// unlinkat() relative to that descriptor. A symlink in place of a folder means nothing below it is
// touched; a symlink, FIFO, device or folder in place of a file is not removed. Both are reported. A link
// swapped in between the check and the unlink is removed as a link (unlinkat never follows one), so a
// target outside is never touched.
//
// Missing files and folders are fine (removing twice is not an error; a missing download folder means
// nothing to remove). Errors: the layout's own (Errc::invalid_layout, Errc::invalid_path; nothing is
// touched), and the first failure the system reports (EACCES, EROFS, EIO, ...): what was removed before
// stays removed, and calling again once the cause is fixed finishes the job.
#include <cstddef>
#include <string>
#include <system_error>
#include <vector>

#include "core/result.hpp"
#include "crypto/sha1.hpp"
#include "storage/file_storage.hpp"
#include "storage/storage_error.hpp"

namespace bt::storage {

// Something in the torrent's place that was not removed.
struct LeftBehind {
    std::string path;  // full path
    // Errc::symlink_refused (a link, or a link where a folder should be: nothing below it was touched),
    // Errc::not_a_regular_file (a FIFO, device or folder where a file should be), ENOTDIR (something
    // that is not a folder where a folder should be), ENOTEMPTY (a folder still holding other things).
    std::error_code reason;
    friend bool operator==(const LeftBehind&, const LeftBehind&) = default;
};

struct RemoveReport {
    std::size_t files_removed = 0;
    std::size_t folders_removed = 0;
    bool resume_removed = false;   // the resume record existed and was removed
    std::vector<LeftBehind> left;  // each path once, in the order found
};

// Removes the data of the torrent laid out as `layout` in `download_dir`, and its resume record at
// `resume_path` (none when empty).
Result<RemoveReport, StorageError> remove_data(const Layout& layout, const std::string& download_dir,
                                               const crypto::Sha1Digest& info_hash,
                                               const std::string& resume_path);

}  // namespace bt::storage
