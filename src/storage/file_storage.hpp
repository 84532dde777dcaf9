#pragma once
// FileStorage: the only code that reads and writes a torrent's data files. Synchronous (pread /
// pwrite); the session calls it from its disk thread pool, and every method is safe to call from
// several threads at once.
//
// Layout on disk. A multi-file torrent's files live in <download_dir>/<name>/<path...>; a single-file
// torrent's file is <download_dir>/<name>. The torrent's byte range [0, total_size) is the
// concatenation of its files in order; a (piece, begin, length) range is mapped onto the files it
// spans by binary search on the file offsets, crossing file boundaries and skipping zero-length
// files.
//
// Files are created lazily, on the first write that touches them (parent folders 0755, files 0644),
// and are sparse: nothing is preallocated or zero-filled and files are never ftruncate'd, so a file
// grows as data arrives and a file that has not received its tail is shorter than its length.
// Reading past the end of a file on disk is an error (Errc::unexpected_eof), never zeros; a hole
// inside a file reads as zeros, and the piece hash check catches it. Zero-length files receive no
// writes, so create_empty_files() creates them (call it when the download starts or completes).
// BEP 47 pad files are never touched on disk: reads of a pad range give zeros, writes to it are
// dropped without looking at the bytes. A file with the 'x' attribute is created 0755 instead of 0644.
// A BEP 47 link holds no data (length 0); create_symlinks() makes the links whose target the metainfo
// parser found in the torrent (FileEntry::symlink_target), relative to the link's folder, with
// symlinkat() from the descriptor of that folder reached by the safe walk below. The text never climbs
// above the torrent's folder (metainfo/file_tree.hpp, relative_link_text), and bitveil itself never
// follows a link (see the safety rule), so a link changes nothing about where data goes.
//
// Safety rule. The download folder itself is opened as given (it is the user's choice, and may be a
// symlink). Everything below it - the torrent root `name` and every component of every file path - is
// walked one component at a time with openat(..., O_NOFOLLOW) from the parent folder's descriptor:
// a symbolic link anywhere below the download folder is refused (Errc::symlink_refused), even one
// planted before the download started, so writes cannot be redirected outside. Because the walk holds
// each parent folder open, a link swapped in during the walk is refused too. Components are checked
// again here (no '', '.', '..', '/', NUL) even though the metainfo parser sanitises them. Non-regular
// files (FIFOs, devices) are refused instead of opened for I/O. Hard links are not detected. The name
// that lands in the download folder itself (the torrent root, or a single file) must not be ".bitveil",
// where earlier versions kept resume records (Errc::invalid_path; the metainfo parser renames such torrents).
// The walk and these checks live in safe_path.hpp, shared with remove_data() (remove_data.hpp).
//
// Direct writes (Settings::direct_writes): the 4 KiB-aligned middle of every write goes to the disk with
// O_DIRECT, through a second descriptor of the same file (reopened via /proc/self/fd, so the safety walk
// above still decides which file it is); the unaligned head and tail, and everything on file systems
// without O_DIRECT, use ordinary buffered writes. This skips the copy into the page cache, which on
// virtual machines whose free memory is given back to the host also costs a host page fault per fresh
// page (perf: a third of a 1 GiB download's CPU), and keeps a big download from flushing the page cache.
// Source data that is not aligned like the file offset (a file starting at an odd torrent offset) is
// copied through a per-thread aligned buffer. Reads stay buffered; the kernel keeps both views coherent.
//
// Open descriptors are kept in a bounded LRU cache (Settings::max_open_files), so torrents with many
// thousands of files do not exhaust descriptors (with direct writes, a file open for writing holds two). An
// evicted descriptor is closed once no operation in flight still uses it, so the bound can be exceeded
// briefly by the number of concurrent callers.
//
// Skipped files (set_skipped) are never created. The bytes of theirs that share a piece with a wanted file
// go to the part file (part_file.hpp, Settings::part_file) instead: a skipped file that is not on disk is
// "routed" there, and a slice of a routed file in a piece with a slot is read from and written to the part
// file; a write of anything else of it (a piece wholly inside the skipped file, completed after it was
// skipped) fails with Errc::skipped_file, storing nothing, so that a skipped file is never created. A skipped
// file already on disk keeps its bytes. When a file is wanted again, the bytes the part file holds for it (of
// the pieces the caller has verified) move into the file, and the part file is deleted once no file is routed
// there.
//
// Errors are StorageError{ec, file, op}: errno values surface unchanged (ENOSPC, EACCES, EROFS, EIO,
// ENOENT for a missing file on read, ENOTDIR when a regular file sits where a folder must be).
#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "metainfo/metainfo.hpp"
#include "storage/part_file.hpp"
#include "storage/storage_error.hpp"
#include "storage/unique_fd.hpp"

namespace bt::storage {

// What FileStorage needs to know about a torrent.
struct Layout {
    std::vector<metainfo::FileEntry>
        files;  // torrent order, pad files included; offsets tile [0, total_size)
    std::int64_t piece_length = 0;
    std::int64_t total_size = 0;
    // Path components of the torrent root under the download folder: {name} for a multi-file torrent,
    // empty for a single-file one (whose only file's path is then {name}).
    std::vector<std::string> root;

    // Multi-file: root {name}, file paths as in the metainfo. Single-file: the file is {name}.
    static Layout from(const metainfo::Metainfo& mi);
};

struct Settings {
    std::size_t max_open_files = 64;  // files kept open; at least 1
    bool direct_writes = false;       // see "Direct writes" above
    // Where skipped files' bytes in shared pieces are kept (see above); empty: in the files themselves.
    std::string part_file;
};

// The alignment direct writes need (of the file offset, the length and the memory): the page size,
// which covers the logical block size of every common disk.
inline constexpr std::size_t kDirectIoAlignment = 4096;

// One piece of a torrent range that falls into one file.
struct FileSlice {
    FileIndex file;
    std::int64_t file_offset = 0;
    std::int64_t length = 0;
    bool pad = false;
    friend bool operator==(const FileSlice&, const FileSlice&) = default;
};

struct FileStatus {
    FileIndex file;
    bool exists = false;        // a regular file is present on disk (never for pad files and links)
    std::int64_t size = 0;      // st_size
    std::int64_t mtime_ns = 0;  // st_mtim as nanoseconds since the epoch
    std::error_code error;      // why stat failed, if not simply because the file is absent
};

class FileStorage {
  public:
    // `download_dir` must exist when I/O starts; the torrent root and folders below it are created
    // as needed. An inconsistent layout makes every operation fail with Errc::invalid_layout.
    FileStorage(Layout layout, std::string download_dir, Settings settings = {});
    ~FileStorage();
    FileStorage(const FileStorage&) = delete;
    FileStorage& operator=(const FileStorage&) = delete;

    const Layout& layout() const noexcept { return layout_; }
    // The full path of a file on disk (for messages and for the user).
    std::string file_path(FileIndex file) const;

    // The files a torrent range spans, in order; zero-length files are skipped.
    Result<std::vector<FileSlice>, StorageError> map(PieceIndex piece, std::uint32_t begin,
                                                     std::int64_t length) const;
    Result<std::vector<FileSlice>, StorageError> map_offset(std::int64_t offset, std::int64_t length) const;
    // Where a buffer holding `piece` (its `size` bytes) should start past an aligned address so that the
    // piece's biggest file slice is aligned in memory like its offset in the file: then its direct writes
    // need no copy (PieceBufferPool::take). 0 for the first file, and for any file that starts at an
    // aligned torrent offset.
    std::size_t direct_write_shift(PieceIndex piece, std::uint32_t size) const;

    // Writes `data` at byte `begin` of `piece`, creating folders and files as needed.
    Result<void, StorageError> write(PieceIndex piece, std::uint32_t begin,
                                     std::span<const std::uint8_t> data);
    // Fills `out` from byte `begin` of `piece`. A missing file fails with ENOENT (Op::open), a file
    // too short with Errc::unexpected_eof (Op::read).
    Result<void, StorageError> read(PieceIndex piece, std::uint32_t begin, std::span<std::uint8_t> out);
    // The same, addressed by offset into the torrent's concatenated data.
    Result<void, StorageError> write_at(std::int64_t offset, std::span<const std::uint8_t> data);
    Result<void, StorageError> read_at(std::int64_t offset, std::span<std::uint8_t> out);
    // Opens file `file` for reading by the same safe walk as read() (no symlinks, regular files only),
    // outside the descriptor cache: the caller owns the descriptor. For the start-up recheck
    // (hash_pieces(const FileStorage&, ...)), which reads each file front to back on its own threads.
    // A pad file fails with Errc::out_of_range: it is not on disk.
    Result<UniqueFd, StorageError> open_for_reading(FileIndex file) const;

    // Which files the user skipped (one flag per layout file; missing flags: wanted). Routes skipped files
    // that are not on disk to the part file, and moves what the part file holds for files no longer routed
    // into them. Deletes the part file when no file is routed any more. Blocks reads and writes meanwhile
    // (a write in flight finishes first). On the disk pool: it stats every file.
    Result<void, StorageError> set_skipped(const std::vector<bool>& skipped);
    // At start, before the check: when a usable part file is there (an earlier run skipped files), every
    // data file not on disk is routed to it, since it may hold that file's bytes of shared pieces; the
    // caller hashes pieces_in_part_file(), then calls set_skipped with the user's choice.
    void route_absent_files_to_part_file();
    // Pieces with bytes in the part file under the current routing.
    std::vector<PieceIndex> pieces_in_part_file() const;
    bool is_skipped(FileIndex file) const;
    // Deletes the part file (the torrent is removed with its data).
    Result<void, StorageError> remove_part_file();

    // Creates every zero-length file (not pad files, not links, not skipped files) and its folders; existing
    // files are left alone.
    Result<void, StorageError> create_empty_files();
    // Creates the torrent's BEP 47 links (those with a target, not skipped) and their folders. A link already
    // there with the same text is fine; anything else in its place is left alone and reported (EEXIST), as is
    // any other failure: one StorageError per link not made, never fatal (the data is complete without them).
    std::vector<StorageError> create_symlinks();
    // fdatasync()s every file written since the last flush (reopening it if it was evicted).
    Result<void, StorageError> flush();
    // Closes all cached descriptors (operations in flight finish on their own copy).
    void close_all();
    std::size_t open_file_count() const;
    // Bytes that went to disk through O_DIRECT (the rest of what was written went through the page cache).
    std::uint64_t direct_bytes_written() const noexcept { return direct_bytes_written_; }
    // Of those, the bytes that were copied to an aligned buffer first (not aligned like their file offset).
    std::uint64_t direct_bytes_copied() const noexcept { return direct_bytes_copied_; }

    // One entry per file in torrent order: whether it is on disk, its size and mtime (for resume data).
    std::vector<FileStatus> file_status() const;

  private:
    struct Handle;
    using HandlePtr = std::shared_ptr<Handle>;
    struct Slot {
        HandlePtr handle;
        std::list<std::uint32_t>::iterator lru;
        bool dirty = false;
    };

    template <class Fn>
    Result<void, StorageError> for_each_slice(std::int64_t offset, std::int64_t length, Fn&& fn) const;
    Result<HandlePtr, StorageError> acquire(std::uint32_t file, bool for_write);
    Result<HandlePtr, StorageError> open_file(std::uint32_t file, bool for_write) const;
    std::error_code write_slice(Handle& handle, std::int64_t offset, const std::uint8_t* data, std::size_t n);
    std::error_code write_direct(Handle& handle, std::int64_t offset, const std::uint8_t* data,
                                 std::size_t n);
    StorageError layout_error(Op op) const;
    // Splits the file's bytes [in_file, in_file + n) by where they are kept: to_part(piece, in_piece, done,
    // length) for pieces with a slot when the file is routed, to_file(offset in file, done, length)
    // otherwise.
    template <class ToPart, class ToFile>
    Result<void, StorageError> split_file_range(std::uint32_t file, std::int64_t in_file, std::int64_t n,
                                                ToPart&& to_part, ToFile&& to_file) const;
    // The file's bytes [in_file, in_file + n) in `data`, by piece: the part file for pieces with a slot when
    // the file is routed there, else the file. routing_mutex_ is held.
    Result<void, StorageError> write_file_range(std::uint32_t file, std::int64_t in_file,
                                                const std::uint8_t* data, std::int64_t n);
    Result<void, StorageError> read_file_range(std::uint32_t file, std::int64_t in_file, std::uint8_t* out,
                                               std::int64_t n);
    bool routed(std::uint32_t file) const noexcept { return part_ && routed_[file]; }

    Layout layout_;
    std::string download_dir_;
    Settings settings_;
    StorageError layout_error_;       // ec is empty when the layout is sound
    std::vector<std::int64_t> ends_;  // ends_[i] = files[i].offset + files[i].length, non-decreasing
    std::unique_ptr<PartFile> part_;  // null without Settings::part_file
    // Reads and writes share it; set_skipped and route_absent_files_to_part_file change the routing alone.
    mutable std::shared_mutex routing_mutex_;
    std::vector<bool> skipped_;  // per file
    std::vector<bool> routed_;   // per file: its bytes in shared pieces are in the part file

    mutable std::mutex mutex_;  // guards slots_ and lru_
    std::vector<Slot> slots_;
    std::list<std::uint32_t> lru_;  // most recently used first
    std::atomic<std::uint64_t> direct_bytes_written_ = 0;
    std::atomic<std::uint64_t> direct_bytes_copied_ = 0;
};

}  // namespace bt::storage
