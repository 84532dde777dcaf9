#include "storage/part_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "storage/atomic_file.hpp"
#include "storage/fd_io.hpp"
#include "storage/file_storage.hpp"
#include "storage/safe_path.hpp"

namespace bt::storage {
using detail::errno_code;

PartFile::PartFile(std::string path, const Layout& layout)
    : path_(std::move(path)), piece_length_(layout.piece_length), total_size_(layout.total_size) {
    if (piece_length_ <= 0) return;
    // A piece has a slot when two data files share it: walk the files, noting the pieces where one ends and
    // another begins.
    std::int64_t last_piece_with_data = -1;
    for (const auto& f : layout.files) {
        if (f.pad || f.length <= 0) continue;
        const std::int64_t first = f.offset / piece_length_;
        const std::int64_t last = (f.offset + f.length - 1) / piece_length_;
        if (first == last_piece_with_data &&
            (slot_pieces_.empty() || slot_pieces_.back() != static_cast<std::uint32_t>(first))) {
            slot_pieces_.push_back(static_cast<std::uint32_t>(first));
        }
        last_piece_with_data = last;
    }
}

bool PartFile::has_slot(PieceIndex piece) const noexcept {
    return std::binary_search(slot_pieces_.begin(), slot_pieces_.end(), piece.value);
}

std::string PartFile::header() const {
    std::string h(kPartFileMagic);
    for (const std::uint64_t v :
         {static_cast<std::uint64_t>(piece_length_), static_cast<std::uint64_t>(slot_pieces_.size()),
          static_cast<std::uint64_t>(total_size_)}) {
        for (int i = 0; i < 8; ++i) h.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
    return h;
}

Result<std::int64_t, StorageError> PartFile::slot_offset(PieceIndex piece, std::int64_t in_piece,
                                                         std::size_t length) const {
    const auto it = std::lower_bound(slot_pieces_.begin(), slot_pieces_.end(), piece.value);
    if (it == slot_pieces_.end() || *it != piece.value || in_piece < 0 ||
        in_piece + static_cast<std::int64_t>(length) > piece_length_) {
        return fail(StorageError{make_error_code(Errc::out_of_range), path_, Op::open});
    }
    return kPartFileHeader + (it - slot_pieces_.begin()) * piece_length_ + in_piece;
}

Result<int, StorageError> PartFile::descriptor(bool for_write) {
    if (fd_.get() >= 0 && (writable_ || !for_write)) return fd_.get();
    const int flags = O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | (for_write ? O_RDWR | O_CREAT : O_RDONLY);
    UniqueFd fd(::open(path_.c_str(), flags, 0600));
    const auto slash = path_.rfind('/');
    if (fd.get() < 0 && errno == ENOENT && for_write && slash != std::string::npos && slash > 0) {
        // Beside the resume records, whose folder (0700) may not exist before the first save.
        if (auto made = ensure_directories(path_.substr(0, slash), 0700); !made)
            return fail(std::move(made).error());
        fd = UniqueFd(::open(path_.c_str(), flags, 0600));
    }
    if (fd.get() < 0) return fail(StorageError{errno_code(errno), path_, Op::open});
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail(StorageError{errno_code(errno), path_, Op::stat});
    if (!S_ISREG(st.st_mode))
        return fail(StorageError{make_error_code(Errc::not_a_regular_file), path_, Op::open});
    const std::string expected = header();
    std::string found(expected.size(), '\0');
    const bool matches =
        !detail::pread_all(fd.get(), reinterpret_cast<std::uint8_t*>(found.data()), found.size(), 0) &&
        found == expected;
    if (!matches) {
        // Another layout's (or a torn) file: what it holds is not ours to read.
        if (!for_write)
            return fail(StorageError{make_error_code(std::errc::no_such_file_or_directory), path_, Op::open});
        if (::ftruncate(fd.get(), 0) != 0) return fail(StorageError{errno_code(errno), path_, Op::truncate});
        if (auto ec = detail::pwrite_all(fd.get(), reinterpret_cast<const std::uint8_t*>(expected.data()),
                                         expected.size(), 0)) {
            return fail(StorageError{ec, path_, Op::write});
        }
    }
    fd_ = std::move(fd);
    writable_ = for_write;
    return fd_.get();
}

Result<void, StorageError> PartFile::write(PieceIndex piece, std::int64_t in_piece,
                                           std::span<const std::uint8_t> data) {
    auto at = slot_offset(piece, in_piece, data.size());
    if (!at) return fail(std::move(at).error());
    std::lock_guard lock(mutex_);
    auto fd = descriptor(true);
    if (!fd) return fail(std::move(fd).error());
    if (auto ec = detail::pwrite_all(*fd, data.data(), data.size(), *at)) {
        return fail(StorageError{ec, path_, Op::write});
    }
    dirty_ = true;
    return {};
}

Result<void, StorageError> PartFile::read(PieceIndex piece, std::int64_t in_piece,
                                          std::span<std::uint8_t> out) {
    auto at = slot_offset(piece, in_piece, out.size());
    if (!at) return fail(std::move(at).error());
    std::lock_guard lock(mutex_);
    auto fd = descriptor(false);
    if (!fd) return fail(std::move(fd).error());
    if (auto ec = detail::pread_all(*fd, out.data(), out.size(), *at))
        return fail(StorageError{ec, path_, Op::read});
    return {};
}

bool PartFile::usable() const {
    UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) return false;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
    const std::string expected = header();
    std::string found(expected.size(), '\0');
    return !detail::pread_all(fd.get(), reinterpret_cast<std::uint8_t*>(found.data()), found.size(), 0) &&
           found == expected;
}

Result<void, StorageError> PartFile::flush() {
    std::lock_guard lock(mutex_);
    if (!dirty_ || fd_.get() < 0) return {};
    int r = 0;
    do r = ::fdatasync(fd_.get());
    while (r != 0 && errno == EINTR);
    if (r != 0) return fail(StorageError{errno_code(errno), path_, Op::sync});
    dirty_ = false;
    return {};
}

void PartFile::close() {
    std::lock_guard lock(mutex_);
    fd_.reset();
    writable_ = false;
}

Result<void, StorageError> PartFile::remove() {
    std::lock_guard lock(mutex_);
    fd_.reset();
    writable_ = false;
    dirty_ = false;
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT)
        return fail(StorageError{errno_code(errno), path_, Op::remove});
    return {};
}

}  // namespace bt::storage
