#pragma once
// Where a torrent's resume data lives and how it is read and written (synchronous; the session calls
// these from its disk pool). The format and the trust rule are in resume_data.hpp.
//
// Location: <resume dir>/<info-hash hex>-<folder key>.resume, in the user's state folder (the command line's
// --resume-dir, $XDG_STATE_HOME/bitveil by default), so that a download folder holds only the torrent's
// files. The folder key (16 hex digits of the SHA-1 of the download folder's absolute path, symlinks
// resolved) keeps the records of one torrent in two download folders apart. Moving a download folder
// loses its record: the next start hashes the files instead, and nothing is downloaded twice.
//
// Earlier versions kept the record in <download dir>/.bitveil/<info-hash hex>.resume; adopt_legacy_resume
// moves such a record to its new place once.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "crypto/sha1.hpp"
#include "storage/file_storage.hpp"
#include "storage/resume_data.hpp"
#include "storage/storage_error.hpp"

namespace bt::storage {

// The folder of earlier versions' records. No torrent can write there (so none can plant a record that
// would be adopted): the metainfo parser renames a torrent called ".bitveil" (path_sanitizer.hpp, rule 6),
// and FileStorage refuses a layout whose top folder or file in the download folder has that name.
inline constexpr const char* kLegacyResumeFolder = ".bitveil";

std::string resume_path(const std::string& resume_dir, const std::string& download_dir,
                        const crypto::Sha1Digest& info_hash);
// Skipped files' bytes in pieces shared with wanted files (storage/part_file.hpp) are kept beside the resume
// record: <hash>-<folder key>.parts. Empty for an empty `resume_path`.
std::string part_file_path(const std::string& resume_path);
// <download dir>/.bitveil/<info-hash hex>.resume, and its last component.
std::string legacy_resume_path(const std::string& download_dir, const crypto::Sha1Digest& info_hash);
std::string legacy_resume_name(const crypto::Sha1Digest& info_hash);

// Moves an earlier version's record of this torrent to `path` when `path` has none yet (an older one
// there is dropped), and removes the .bitveil folder once it is empty. Only a regular file in a real
// folder is taken (never through a symbolic link); errors leave everything where it was, and the next
// start tries again. `max_size` bounds the read, as in load_resume.
void adopt_legacy_resume(const std::string& download_dir, const crypto::Sha1Digest& info_hash,
                         const std::string& path, std::size_t max_size);

struct LoadedResume {
    std::optional<ResumeData> data;  // nullopt: absent or unusable
    std::string problem;             // why an existing file was unusable; empty when absent or fine
};

// The largest record a torrent with this many pieces and files can have.
std::size_t max_resume_size(std::uint32_t num_pieces, std::size_t num_files);

// Reads and decodes the file, bounded by max_resume_size. The temporary files a killed save left behind
// are the session's to remove, for the whole folder at once when it starts (remove_stale_temporaries_in).
LoadedResume load_resume(const std::string& path, std::uint32_t num_pieces, std::size_t num_files);

// Creates the folder (and its parents) when needed and replaces the file atomically (atomic_file.hpp);
// durably (fsync) unless the record is of unflushed data.
Result<void, StorageError> save_resume(const std::string& path, const ResumeData& data);

// This boot's id (/proc/sys/kernel/random/boot_id): it changes at every start of the machine, so a record
// saved without flushing the data names it (resume_data.hpp). Empty when it cannot be read.
std::string current_boot_id();

// FileStorage::file_status() as stamps (a file that could not be stat'ed counts as absent).
std::vector<FileStamp> to_stamps(const std::vector<FileStatus>& status);

}  // namespace bt::storage
