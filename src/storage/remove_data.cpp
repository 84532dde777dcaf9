#include "storage/remove_data.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <set>
#include <unordered_set>
#include <utility>

#include "metainfo/file_tree.hpp"
#include "storage/atomic_file.hpp"
#include "storage/resume_store.hpp"
#include "storage/safe_path.hpp"

namespace bt::storage {
namespace {

using detail::errno_code;
using detail::join;
using detail::OpenDir;
using Folder = std::vector<const std::string*>;  // components below the download folder

class Remover {
  public:
    explicit Remover(const std::string& download_dir) : download_dir_(download_dir) {}

    Result<void, StorageError> remove_files(const Layout& layout) {
        for (const auto& f : layout.files) {
            if (f.pad) continue;                                  // never on disk
            if (f.symlink && f.symlink_target.empty()) continue;  // a link never made: nothing of ours
            auto dir = open_folder(detail::parent_folders(layout, f));
            if (!dir) return fail(std::move(dir).error());
            if (!*dir) continue;
            auto removed = f.symlink ? remove_link(**dir, f) : remove_file(**dir, f.path.back());
            if (!removed) return fail(std::move(removed).error());
            if (*removed) ++report_.files_removed;
        }
        return {};
    }

    Result<void, StorageError> remove_folders(const Layout& layout) {
        for (const Folder& folder : folders_of(layout)) {
            auto parent = open_folder(Folder(folder.begin(), folder.end() - 1));
            if (!parent) return fail(std::move(parent).error());
            if (!*parent) continue;
            const std::string& name = *folder.back();
            const std::string path = join((*parent)->path, name);
            // Never follows a link: rmdir of one fails with ENOTDIR. A folder that is not empty stays.
            if (::unlinkat((*parent)->fd.get(), name.c_str(), AT_REMOVEDIR) == 0) {
                ++report_.folders_removed;
                continue;
            }
            const int e = errno;
            if (e == ENOENT) continue;
            if (e == ENOTEMPTY || e == EEXIST) {
                leave(path, errno_code(ENOTEMPTY));
            } else if (e == ENOTDIR) {
                const bool link = detail::is_symlink_at((*parent)->fd.get(), name);
                leave(path, link ? make_error_code(Errc::symlink_refused) : errno_code(ENOTDIR));
            } else {
                return fail(StorageError{errno_code(e), path, Op::remove});
            }
        }
        return {};
    }

    // The record in our own resume folder: a regular file is removed, anything else in its place is left.
    Result<void, StorageError> remove_resume(const std::string& path) {
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0) {
            if (errno == ENOENT) return {};
            return fail(StorageError{errno_code(errno), path, Op::stat});
        }
        if (!S_ISREG(st.st_mode)) {
            leave(path,
                  make_error_code(S_ISLNK(st.st_mode) ? Errc::symlink_refused : Errc::not_a_regular_file));
            return {};
        }
        if (::unlink(path.c_str()) != 0 && errno != ENOENT)
            return fail(StorageError{errno_code(errno), path, Op::remove});
        report_.resume_removed = true;
        remove_stale_temporaries(path);
        return {};
    }

    // An earlier version's record, below the download folder: reached by the safe walk like the data.
    Result<void, StorageError> remove_legacy_resume(const crypto::Sha1Digest& info_hash) {
        const std::string folder = kLegacyResumeFolder;
        auto dir = open_folder({&folder});
        if (!dir) return fail(std::move(dir).error());
        if (!*dir) return {};
        const std::string name = legacy_resume_name(info_hash);
        auto removed = remove_file(**dir, name);
        if (!removed) return fail(std::move(removed).error());
        if (*removed) report_.resume_removed = true;
        remove_stale_temporaries_at((*dir)->fd.get(), name);
        return {};
    }

    RemoveReport take_report() { return std::move(report_); }

  private:
    void leave(const std::string& path, std::error_code reason) {
        // A link in place of a folder stops the walk of every file below it: report it once.
        if (reported_.insert(path).second) report_.left.push_back({path, reason});
    }

    // Opens the folder `dirs` names by the safe walk. nullopt when it cannot hold anything to remove:
    // missing, or a link or non-folder in the way (reported).
    Result<std::optional<OpenDir>, StorageError> open_folder(const Folder& dirs) {
        auto dir = detail::walk(download_dir_, dirs, false);
        if (dir) return std::optional<OpenDir>(std::move(*dir));
        StorageError err = std::move(dir).error();
        if (err.ec == std::errc::no_such_file_or_directory) return std::optional<OpenDir>();
        if (err.ec == Errc::symlink_refused || err.ec == std::errc::not_a_directory) {
            leave(err.file, err.ec);
            return std::optional<OpenDir>();
        }
        return fail(std::move(err));
    }

    // Removes `name` from `dir` if it is a regular file; true when it did.
    Result<bool, StorageError> remove_file(const OpenDir& dir, const std::string& name) {
        const std::string path = join(dir.path, name);
        struct stat st {};
        if (::fstatat(dir.fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) return false;
            return fail(StorageError{errno_code(errno), path, Op::stat});
        }
        if (S_ISLNK(st.st_mode)) {
            leave(path, make_error_code(Errc::symlink_refused));
            return false;
        }
        if (!S_ISREG(st.st_mode)) {
            leave(path, make_error_code(Errc::not_a_regular_file));
            return false;
        }
        // Whatever was swapped in since the fstatat is removed as a name, never followed.
        if (::unlinkat(dir.fd.get(), name.c_str(), 0) != 0) {
            if (errno == ENOENT) return false;
            return fail(StorageError{errno_code(errno), path, Op::remove});
        }
        return true;
    }

    // Removes the link `f` made (FileStorage::create_symlinks) if it is there with the text it was made with;
    // true when it did. Anything else in its place stays, reported.
    Result<bool, StorageError> remove_link(const OpenDir& dir, const metainfo::FileEntry& f) {
        const std::string& name = f.path.back();
        const std::string path = join(dir.path, name);
        struct stat st {};
        if (::fstatat(dir.fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) return false;
            return fail(StorageError{errno_code(errno), path, Op::stat});
        }
        if (!S_ISLNK(st.st_mode) || detail::link_text_at(dir.fd.get(), name) !=
                                        metainfo::detail::relative_link_text(f.path, f.symlink_target)) {
            leave(path,
                  make_error_code(S_ISLNK(st.st_mode) ? Errc::symlink_refused : Errc::not_a_regular_file));
            return false;
        }
        if (::unlinkat(dir.fd.get(), name.c_str(), 0) != 0) {  // removes the link, never what it names
            if (errno == ENOENT) return false;
            return fail(StorageError{errno_code(errno), path, Op::remove});
        }
        return true;
    }

    // Every folder the torrent's files sit in, each once, deepest first (so a folder's subfolders are
    // gone before it is tried).
    static std::vector<Folder> folders_of(const Layout& layout) {
        std::vector<Folder> out;
        std::set<std::string> seen;  // components joined with '/' (no component holds one)
        for (const auto& f : layout.files) {
            if (f.pad) continue;
            const Folder parents = detail::parent_folders(layout, f);
            std::string key;
            for (std::size_t k = 0; k < parents.size(); ++k) {
                key += '/';
                key += *parents[k];
                if (seen.insert(key).second) out.emplace_back(parents.begin(), parents.begin() + k + 1);
            }
        }
        std::stable_sort(out.begin(), out.end(),
                         [](const Folder& a, const Folder& b) { return a.size() > b.size(); });
        return out;
    }

    const std::string& download_dir_;
    RemoveReport report_;
    std::unordered_set<std::string> reported_;
};

}  // namespace

Result<RemoveReport, StorageError> remove_data(const Layout& layout, const std::string& download_dir,
                                               const crypto::Sha1Digest& info_hash,
                                               const std::string& resume_path) {
    if (StorageError e = detail::check_layout(layout, download_dir); e.ec) {
        e.op = Op::remove;
        return fail(std::move(e));
    }
    Remover remover(download_dir);
    if (auto r = remover.remove_files(layout); !r) return fail(r.error());
    if (auto r = remover.remove_folders(layout); !r) return fail(r.error());
    if (!resume_path.empty()) {
        if (auto r = remover.remove_resume(resume_path); !r) return fail(r.error());
    }
    if (auto r = remover.remove_legacy_resume(info_hash); !r) return fail(r.error());
    return remover.take_report();
}

}  // namespace bt::storage
