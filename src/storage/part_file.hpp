#pragma once
// PartFile: where the bytes of skipped files go when a piece also holds bytes of a wanted file. A piece is
// verified and served whole, so the part of a boundary piece that falls into a skipped file must be kept
// somewhere, yet the skipped file is never created: those bytes live here (libtorrent keeps a ".parts" file
// for the same reason). Used by FileStorage, which decides which slices come here.
//
// Slots. Only a piece that holds bytes of two or more data files (pad and empty files hold none) can be
// partly wanted, so only those pieces have a slot, numbered in piece order: a fixed map from the layout, no
// table to keep consistent. Slot k holds its piece's bytes at the same offsets as in the piece, so a
// slice's place is the slot start plus its offset in the piece; bytes that belong to wanted files are
// never written there (the file is sparse where the file system allows).
//
// File: a 4 KiB header (kPartFileMagic, the piece length, the slot count and the torrent size, each a
// little-endian 64-bit number), then the slots. A file whose header does not match this layout holds
// nothing usable: it reads as missing and is started afresh on the first write. Created on the first write
// (0600, never through a symbolic link); reading from a missing file fails with ENOENT, from a slot never
// written with Errc::unexpected_eof or zeros (a hole), which the piece's hash check catches.
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "storage/storage_error.hpp"
#include "storage/unique_fd.hpp"

namespace bt::storage {

struct Layout;

inline constexpr std::string_view kPartFileMagic = "bitveil parts 1\n";
inline constexpr std::int64_t kPartFileHeader = 4096;

class PartFile {
  public:
    PartFile(std::string path, const Layout& layout);
    PartFile(const PartFile&) = delete;
    PartFile& operator=(const PartFile&) = delete;

    const std::string& path() const noexcept { return path_; }
    // The piece holds bytes of two or more data files.
    bool has_slot(PieceIndex piece) const noexcept;
    std::size_t slot_count() const noexcept { return slot_pieces_.size(); }
    // `data` at `in_piece` bytes into the piece, which must have a slot (else Errc::out_of_range).
    Result<void, StorageError> write(PieceIndex piece, std::int64_t in_piece,
                                     std::span<const std::uint8_t> data);
    Result<void, StorageError> read(PieceIndex piece, std::int64_t in_piece, std::span<std::uint8_t> out);
    // The file is on disk with this layout's header.
    bool usable() const;
    // fdatasync when something was written since the last flush.
    Result<void, StorageError> flush();
    void close();
    // Closes and deletes the file; a missing file is fine.
    Result<void, StorageError> remove();

  private:
    Result<int, StorageError> descriptor(bool for_write);
    Result<std::int64_t, StorageError> slot_offset(PieceIndex piece, std::int64_t in_piece,
                                                   std::size_t length) const;
    std::string header() const;

    std::string path_;
    std::int64_t piece_length_ = 0;
    std::int64_t total_size_ = 0;
    std::vector<std::uint32_t> slot_pieces_;  // ascending

    std::mutex mutex_;  // guards the descriptor and its state
    UniqueFd fd_;
    bool writable_ = false;
    bool dirty_ = false;
};

}  // namespace bt::storage
