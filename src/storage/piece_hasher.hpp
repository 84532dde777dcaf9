#pragma once
// Computes the SHA-1 of every piece of a torrent's data, on several threads. It serves `bitveil create`
// (all files present, named by the user: opened by path) and the recheck of partially downloaded data on
// start (opened through FileStorage's safe walk): a missing or short file never aborts the run, the pieces
// it touches are reported as unreadable.
//
// The data is the concatenation of the files in torrent order. Each worker takes a chunk of
// consecutive pieces (about kChunkBytes of data) from a shared counter and reads it front to back with
// pread() in blocks of kReadBytes into one buffer it owns, so reads stay large and sequential and
// nothing is allocated per block.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "core/bitfield.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "crypto/sha1.hpp"
#include "storage/storage_error.hpp"

namespace bt::storage {

class FileStorage;

inline constexpr std::size_t kReadBytes = std::size_t{1} << 20;     // one pread()
inline constexpr std::int64_t kChunkBytes = std::int64_t{8} << 20;  // work handed to a thread at once
inline constexpr std::int64_t kMaxPieces = std::int64_t{1} << 31;   // sanity bound on the piece count

// One file of the torrent's data, in torrent order.
struct HashSource {
    std::string path;  // where the bytes are read from (and the file named in errors); unused when `zeros`
    std::int64_t length = 0;
    bool zeros = false;  // a BEP 47 pad file: `length` zero bytes that are not on disk
};

struct HashOptions {
    unsigned threads = 0;  // 0: std::thread::hardware_concurrency() (at least 1)
    // Called on the calling thread with the number of bytes processed so far (unreadable bytes count
    // as processed), about every `progress_interval`, and once at the end. Never decreases.
    std::function<void(std::int64_t bytes_done)> on_progress;
    std::chrono::milliseconds progress_interval{100};
    // Once stop is requested, workers stop at the next block; pieces not finished stay nullopt.
    std::stop_token stop;
    // When set, only these pieces are read and hashed (resume data vouches for the others, or they cannot
    // be on disk); the others stay nullopt and their bytes count as processed at once. Must outlive the call.
    const Bitfield* only = nullptr;
};

// Why some bytes of one file could not be read: the first problem met in that file.
struct HashFileError {
    FileIndex file;
    StorageError error;  // e.g. open: No such file or directory; read: unexpected end of file
};

struct HashReport {
    // One entry per piece; nullopt when any byte of the piece could not be read (or on cancel).
    std::vector<std::optional<crypto::Sha1Digest>> pieces;
    std::vector<HashFileError> errors;  // at most one per file, ordered by file index
    bool cancelled = false;             // the stop token fired before every piece was hashed

    bool complete() const noexcept;  // every piece has a digest
};

// The number of pieces `total_size` bytes make with this piece length (the last one may be shorter).
std::int64_t piece_count(std::int64_t total_size, std::int64_t piece_length) noexcept;

// Fails (Errc::invalid_layout) only when the input itself is wrong: piece_length <= 0, a negative
// length, a total size that overflows, or more than kMaxPieces pieces. Empty data gives no pieces.
// Files are opened by path with open(), following symbolic links: for files the user named.
Result<HashReport, StorageError> hash_pieces(std::span<const HashSource> files, std::int64_t piece_length,
                                             const HashOptions& options = {});

// The data of `storage`'s torrent as it lies in its download folder, with the layout's piece length. Each
// file is opened like FileStorage::read opens it (FileStorage::open_for_reading: component by component,
// no symbolic links, regular files only), so a link or FIFO planted in the download folder makes its
// pieces unreadable (Errc::symlink_refused, Errc::not_a_regular_file) instead of being read through or
// blocking the recheck. Reads and threads are the same as above.
Result<HashReport, StorageError> hash_pieces(const FileStorage& storage, const HashOptions& options = {});

}  // namespace bt::storage
