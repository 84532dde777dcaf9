#pragma once
// Where a torrent's resume data lives and how it is read and written (synchronous; the session calls
// these from its disk pool). The format and the trust rule are in resume_data.hpp.
//
// Location: <download dir>/.bitveil/<info-hash hex>.resume, next to the data it describes, so that
// moving or deleting a download folder moves or deletes its resume data too, and two download folders
// of one torrent do not share it.
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

// No torrent can write here: the metainfo parser renames a torrent called ".bitveil" (path_sanitizer.hpp,
// rule 6), and FileStorage refuses a layout whose top folder or file in the download folder has that name.
inline constexpr const char* kResumeFolder = ".bitveil";

std::string resume_path(const std::string& download_dir, const crypto::Sha1Digest& info_hash);
// Its last component, "<info-hash hex>.resume".
std::string resume_file_name(const crypto::Sha1Digest& info_hash);

struct LoadedResume {
    std::optional<ResumeData> data;  // nullopt: absent or unusable
    std::string problem;             // why an existing file was unusable; empty when absent or fine
};

// Reads and decodes the file, bounded by what a torrent with this many pieces and files can need. Also
// removes temporary files a killed save left behind.
LoadedResume load_resume(const std::string& path, std::uint32_t num_pieces, std::size_t num_files);

// Creates the folder when needed and replaces the file atomically (atomic_file.hpp); durably (fsync) unless
// the record is of unflushed data.
Result<void, StorageError> save_resume(const std::string& path, const ResumeData& data);

// This boot's id (/proc/sys/kernel/random/boot_id): it changes at every start of the machine, so a record
// saved without flushing the data names it (resume_data.hpp). Empty when it cannot be read.
std::string current_boot_id();

// FileStorage::file_status() as stamps (a file that could not be stat'ed counts as absent).
std::vector<FileStamp> to_stamps(const std::vector<FileStatus>& status);

}  // namespace bt::storage
