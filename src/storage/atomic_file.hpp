#pragma once
// Small whole-file helpers for files bitveil owns (resume data), as opposed to torrent data (FileStorage).
//
// write_file_atomic replaces a file so that, whenever the process or the machine dies, the path holds
// either the old content or the complete new one, never a mix or a truncated file:
//   1. write the data to a new temporary file in the same folder ("<name>.tmp-XXXXXX"; same file system,
//      so the rename below is atomic),
//   2. fsync it (data and size are on disk before the name points at them),
//   3. rename it over the target (atomic replacement, POSIX),
//   4. fsync the folder (the rename itself survives a power loss).
// On any failure the temporary file is removed and the target is left as it was. With
// Durability::process, steps 2 and 4 are skipped: the replacement is still atomic for every reader and
// survives the death of the process (the page cache holds it), but not necessarily a crash of the machine,
// after which the path may hold the old content, the new, or an empty or partial file.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "storage/storage_error.hpp"

namespace bt::storage {

// What the new content must outlive. An fsync costs a flush of the disk's cache, which on a busy disk
// takes as long as writing everything it holds (a second or more per GiB written before).
enum class Durability : std::uint8_t { process, machine };

Result<void, StorageError> write_file_atomic(const std::string& path, std::string_view data,
                                             Durability durability = Durability::machine);
// The same for content made a part at a time, so that a large file is never whole in memory: `produce`
// calls the writer with each part, in order. After a failed write the rest is not written and the target
// is left as it was.
using PartWriter = std::function<void(std::string_view)>;
Result<void, StorageError> write_file_atomic(const std::string& path,
                                             const std::function<void(const PartWriter&)>& produce,
                                             Durability durability = Durability::machine);

// Reads a whole regular file (symbolic links are not followed). Absent: ENOENT with Op::open; larger
// than `max_size`: Errc::file_too_large.
Result<std::string, StorageError> read_file(const std::string& path, std::size_t max_size);

// Creates the folder `path` (mode 0755) unless it already exists; its parent must exist.
Result<void, StorageError> ensure_directory(const std::string& path);
// Creates `path` and whichever of its parents are missing, each with `mode` (less the umask).
Result<void, StorageError> ensure_directories(const std::string& path, unsigned mode);

// Removes the temporary files a write_file_atomic(path, ...) that never finished left behind (the process
// was killed between steps 1 and 3). Returns how many were removed; errors are ignored.
std::size_t remove_stale_temporaries(const std::string& path);
// The same for the file `name` in the open folder `dir` (reached by a symlink-safe walk); `dir` stays open.
std::size_t remove_stale_temporaries_at(int dir, const std::string& name);
// The same for every file in `folder` at once: one listing, where a call per file would list the folder once
// for each (ten thousand resume records: 10^8 entries read). Temporaries modified less than `min_age` ago
// are kept: another process sharing the folder may be writing them.
std::size_t remove_stale_temporaries_in(const std::string& folder,
                                        std::chrono::seconds min_age = std::chrono::seconds(0));

}  // namespace bt::storage
