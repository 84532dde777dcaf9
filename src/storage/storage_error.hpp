#pragma once
// Errors of the storage layer: an error_code (errno values from the system category, or a storage
// Errc below), the file it concerns and the operation that failed, as in "write <path>: No space
// left on device". errno values pass through unchanged so the session can tell ENOSPC, EACCES,
// EROFS and EIO apart and stop the torrent with a clear message.
#include <cstdint>
#include <string>
#include <system_error>

namespace bt::storage {

enum class Errc : std::uint8_t {
    unexpected_eof = 1,  // the file on disk is shorter than the range being read
    out_of_range,        // the (piece, begin, length) range lies outside the torrent
    invalid_layout,      // the file list does not tile [0, total_size) or the piece length is not positive
    invalid_path,        // an empty, '.', '..' or otherwise unsafe path component
    symlink_refused,     // a symbolic link where a folder or file of the torrent should be
    not_a_regular_file,  // a FIFO, device or socket where a data file should be
    file_too_large,      // a file read whole (resume data) is larger than the caller allows
    skipped_file,        // a write into a skipped file that is not kept (no part-file slot): not stored
};

const std::error_category& error_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;

enum class Op : std::uint8_t { open, read, write, mkdir, truncate, stat, sync, rename, remove, symlink };

const char* op_name(Op op) noexcept;

struct StorageError {
    std::error_code ec;
    std::string file;  // full path of the file or folder concerned; empty when no file is involved
    Op op = Op::open;
    // "write /data/t/a.bin: No space left on device", or "read: range outside the torrent".
    std::string message() const;
    // ENOSPC or EDQUOT: the file system (or the user's quota) is full.
    bool is_disk_full() const noexcept;
};

}  // namespace bt::storage

template <>
struct std::is_error_code_enum<bt::storage::Errc> : std::true_type {};
