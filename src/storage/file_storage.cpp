#include "storage/file_storage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "metainfo/file_tree.hpp"
#include "storage/fd_io.hpp"
#include "storage/safe_path.hpp"
#include "storage/unique_fd.hpp"

namespace bt::storage {
using detail::errno_code;
using detail::is_symlink_at;
using detail::join;
using detail::kMaxIoChunk;
using detail::pread_all;
using detail::pwrite_all;
using detail::walk;

struct FileStorage::Handle {
    UniqueFd fd;
    bool writable = false;
    UniqueFd direct_fd;                  // O_DIRECT, for aligned writes; -1 when unavailable
    std::atomic<bool> direct_ok = true;  // cleared when the file system refuses a direct write
};

namespace {

struct FreeDeleter {
    void operator()(std::uint8_t* p) const noexcept { std::free(p); }
};

// Where direct writes stage data that is not aligned in memory like its file offset: one per disk thread.
std::span<std::uint8_t> bounce_buffer() {
    constexpr std::size_t kSize = 256 * 1024;
    thread_local std::unique_ptr<std::uint8_t, FreeDeleter> buffer(
        static_cast<std::uint8_t*>(std::aligned_alloc(kDirectIoAlignment, kSize)));
    if (!buffer) return {};
    return {buffer.get(), kSize};
}

bool is_aligned(const void* p) {
    return reinterpret_cast<std::uintptr_t>(p) % kDirectIoAlignment == 0;
}

}  // namespace

Layout Layout::from(const metainfo::Metainfo& mi) {
    Layout layout;
    layout.files = mi.files;
    layout.piece_length = mi.piece_length;
    layout.total_size = mi.total_size;
    if (mi.multi_file) {
        layout.root = {mi.name};
    } else if (layout.files.size() == 1) {
        layout.files[0].path = {mi.name};
    }
    return layout;
}

FileStorage::FileStorage(Layout layout, std::string download_dir, Settings settings)
    : layout_(std::move(layout)), download_dir_(std::move(download_dir)), settings_(settings) {
    settings_.max_open_files = std::max<std::size_t>(settings_.max_open_files, 1);
    layout_error_ = detail::check_layout(layout_, download_dir_);
    ends_.reserve(layout_.files.size());
    for (const auto& f : layout_.files) ends_.push_back(f.offset + f.length);
    slots_.resize(layout_.files.size());
    skipped_.assign(layout_.files.size(), false);
    routed_.assign(layout_.files.size(), false);
    if (!settings_.part_file.empty()) part_ = std::make_unique<PartFile>(settings_.part_file, layout_);
}

FileStorage::~FileStorage() = default;

std::string FileStorage::file_path(FileIndex file) const {
    std::string path = download_dir_;
    for (const auto& c : layout_.root) path = join(path, c);
    if (file.value < layout_.files.size()) {
        for (const auto& c : layout_.files[file.value].path) path = join(path, c);
    }
    return path;
}

StorageError FileStorage::layout_error(Op op) const {
    StorageError e = layout_error_;
    e.op = op;
    return e;
}

template <class Fn>
Result<void, StorageError> FileStorage::for_each_slice(std::int64_t offset, std::int64_t length,
                                                       Fn&& fn) const {
    if (layout_error_.ec) return fail(layout_error(Op::open));
    if (offset < 0 || length < 0 || offset > layout_.total_size || length > layout_.total_size - offset) {
        return fail(StorageError{make_error_code(Errc::out_of_range), {}, Op::open});
    }
    // The first file ending after `offset`: zero-length files before it are skipped by construction.
    auto i = static_cast<std::size_t>(std::upper_bound(ends_.begin(), ends_.end(), offset) - ends_.begin());
    std::int64_t done = 0;
    while (done < length) {
        const auto& f = layout_.files[i];  // in range: the files tile [0, total_size)
        if (f.length > 0) {
            const std::int64_t in_file = offset + done - f.offset;
            const std::int64_t n = std::min(length - done, f.length - in_file);
            auto r = fn(static_cast<std::uint32_t>(i), in_file, n, done);
            if (!r) return r;
            done += n;
        }
        ++i;
    }
    return {};
}

Result<std::vector<FileSlice>, StorageError> FileStorage::map_offset(std::int64_t offset,
                                                                     std::int64_t length) const {
    std::vector<FileSlice> out;
    auto r = for_each_slice(offset, length,
                            [&](std::uint32_t file, std::int64_t in_file, std::int64_t n,
                                std::int64_t) -> Result<void, StorageError> {
                                out.push_back({FileIndex{file}, in_file, n, layout_.files[file].pad});
                                return {};
                            });
    if (!r) return fail(r.error());
    return out;
}

namespace {
// piece * piece_length + begin, or -1 on overflow (which the range check then refuses).
std::int64_t piece_offset(std::int64_t piece_length, PieceIndex piece, std::uint32_t begin) {
    std::int64_t off = 0;
    if (__builtin_mul_overflow(piece_length, static_cast<std::int64_t>(piece.value), &off)) return -1;
    if (__builtin_add_overflow(off, static_cast<std::int64_t>(begin), &off)) return -1;
    return off;
}
}  // namespace

Result<std::vector<FileSlice>, StorageError> FileStorage::map(PieceIndex piece, std::uint32_t begin,
                                                              std::int64_t length) const {
    return map_offset(piece_offset(layout_.piece_length, piece, begin), length);
}

Result<FileStorage::HandlePtr, StorageError> FileStorage::open_file(std::uint32_t file,
                                                                    bool for_write) const {
    const auto& entry = layout_.files[file];
    auto dir = walk(download_dir_, detail::parent_folders(layout_, entry), for_write);
    if (!dir) return fail(std::move(dir).error());

    const std::string& name = entry.path.back();
    const std::string path = join(dir->path, name);
    // O_NONBLOCK keeps a planted FIFO from blocking the open; it is cleared once the file is known
    // to be regular.
    int flags = O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK;
    flags |= for_write ? (O_RDWR | O_CREAT) : O_RDONLY;
    UniqueFd fd(::openat(dir->fd.get(), name.c_str(), flags, entry.executable ? 0755 : 0644));
    if (fd.get() < 0) {
        const int e = errno;
        if (e == ELOOP && is_symlink_at(dir->fd.get(), name)) {
            return fail(StorageError{make_error_code(Errc::symlink_refused), path, Op::open});
        }
        return fail(StorageError{errno_code(e), path, Op::open});
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail(StorageError{errno_code(errno), path, Op::stat});
    if (!S_ISREG(st.st_mode)) {
        return fail(StorageError{make_error_code(Errc::not_a_regular_file), path, Op::open});
    }
    const int fl = ::fcntl(fd.get(), F_GETFL);
    if (fl >= 0) ::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK);
    auto handle = std::make_shared<Handle>();
    if (for_write && settings_.direct_writes) {
        // The same open file, not the same path: nothing can be swapped in between. Failing (no /proc, or a
        // file system without O_DIRECT such as an old tmpfs) just leaves the writes buffered.
        const std::string self = "/proc/self/fd/" + std::to_string(fd.get());
        handle->direct_fd = UniqueFd(::open(self.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC));
    }
    handle->fd = std::move(fd);
    handle->writable = for_write;
    return handle;
}

Result<UniqueFd, StorageError> FileStorage::open_for_reading(FileIndex file) const {
    if (layout_error_.ec) return fail(layout_error(Op::open));
    if (file.value >= layout_.files.size() || layout_.files[file.value].pad) {
        return fail(StorageError{make_error_code(Errc::out_of_range), {}, Op::open});
    }
    auto h = open_file(file.value, false);
    if (!h) return fail(std::move(h).error());
    return std::move((*h)->fd);
}

Result<FileStorage::HandlePtr, StorageError> FileStorage::acquire(std::uint32_t file, bool for_write) {
    {
        std::lock_guard lock(mutex_);
        Slot& slot = slots_[file];
        if (slot.handle && (!for_write || slot.handle->writable)) {
            lru_.splice(lru_.begin(), lru_, slot.lru);
            slot.dirty = slot.dirty || for_write;
            return slot.handle;
        }
    }
    // Open without holding the lock: other files stay usable meanwhile.
    auto opened = open_file(file, for_write);
    if (!opened) return opened;

    std::lock_guard lock(mutex_);
    Slot& slot = slots_[file];
    slot.dirty = slot.dirty || for_write;
    if (slot.handle && (!for_write || slot.handle->writable)) {  // another thread was quicker
        lru_.splice(lru_.begin(), lru_, slot.lru);
        return slot.handle;
    }
    if (slot.handle) lru_.erase(slot.lru);  // replace a read-only descriptor
    slot.handle = *opened;
    lru_.push_front(file);
    slot.lru = lru_.begin();
    while (lru_.size() > settings_.max_open_files) {
        slots_[lru_.back()].handle.reset();  // closes once no operation in flight holds it
        lru_.pop_back();
    }
    return opened;
}

std::size_t FileStorage::direct_write_shift(PieceIndex piece, std::uint32_t size) const {
    const std::int64_t start = piece_offset(layout_.piece_length, piece, 0);
    std::int64_t biggest = 0;
    std::int64_t in_file_at_piece_start = 0;
    (void)for_each_slice(start, size,
                         [&](std::uint32_t file, std::int64_t in_file, std::int64_t n,
                             std::int64_t done) -> Result<void, StorageError> {
                             if (!layout_.files[file].pad && n > biggest) {
                                 biggest = n;
                                 in_file_at_piece_start = in_file - done;  // negative if it starts inside
                             }
                             return {};
                         });
    const auto alignment = static_cast<std::int64_t>(kDirectIoAlignment);
    return static_cast<std::size_t>((in_file_at_piece_start % alignment + alignment) % alignment);
}

Result<void, StorageError> FileStorage::write_at(std::int64_t offset, std::span<const std::uint8_t> data) {
    std::shared_lock routing(routing_mutex_);
    return for_each_slice(offset, static_cast<std::int64_t>(data.size()),
                          [&](std::uint32_t file, std::int64_t in_file, std::int64_t n,
                              std::int64_t done) -> Result<void, StorageError> {
                              if (layout_.files[file].pad) return {};  // pad data is never stored
                              return write_file_range(file, in_file, data.data() + done, n);
                          });
}

template <class ToPart, class ToFile>
Result<void, StorageError> FileStorage::split_file_range(std::uint32_t file, std::int64_t in_file,
                                                         std::int64_t n, ToPart&& to_part,
                                                         ToFile&& to_file) const {
    const std::int64_t start = layout_.files[file].offset;
    std::int64_t done = 0;
    while (done < n) {
        // A routed file goes piece by piece (a slot holds one piece); any other file in one go.
        std::int64_t chunk = n - done;
        const std::int64_t at = start + in_file + done;
        const PieceIndex piece{static_cast<std::uint32_t>(at / layout_.piece_length)};
        bool in_part = false;
        if (routed(file)) {
            const std::int64_t in_piece = at - static_cast<std::int64_t>(piece.value) * layout_.piece_length;
            chunk = std::min(chunk, layout_.piece_length - in_piece);
            in_part = part_->has_slot(piece);
            if (in_part) {
                auto r = to_part(piece, in_piece, done, chunk);
                if (!r) return r;
            }
        }
        if (!in_part) {
            auto r = to_file(in_file + done, done, chunk);
            if (!r) return r;
        }
        done += chunk;
    }
    return {};
}

Result<void, StorageError> FileStorage::write_file_range(std::uint32_t file, std::int64_t in_file,
                                                         const std::uint8_t* data, std::int64_t n) {
    return split_file_range(
        file, in_file, n,
        [&](PieceIndex piece, std::int64_t in_piece, std::int64_t done, std::int64_t chunk) {
            return part_->write(piece, in_piece, {data + done, static_cast<std::size_t>(chunk)});
        },
        [&](std::int64_t offset, std::int64_t done, std::int64_t chunk) -> Result<void, StorageError> {
            // A piece wholly inside a skipped file (completed after it was skipped) would create the file,
            // and leave the bytes of its shared pieces in the part file where reads no longer look once it
            // exists.
            if (routed(file)) {
                return fail(
                    StorageError{make_error_code(Errc::skipped_file), file_path(FileIndex{file}), Op::write});
            }
            auto h = acquire(file, true);
            if (!h) return fail(std::move(h).error());
            const auto ec = write_slice(**h, offset, data + done, static_cast<std::size_t>(chunk));
            if (ec) return fail(StorageError{ec, file_path(FileIndex{file}), Op::write});
            return {};
        });
}

std::error_code FileStorage::write_slice(Handle& handle, std::int64_t offset, const std::uint8_t* data,
                                         std::size_t n) {
    if (handle.direct_fd.get() < 0 || !handle.direct_ok.load(std::memory_order_relaxed)) {
        return pwrite_all(handle.fd.get(), data, n, offset);
    }
    // [head: buffered][body: whole aligned blocks, direct][tail: buffered]
    const auto misalignment = static_cast<std::size_t>(offset) % kDirectIoAlignment;
    const std::size_t head = misalignment == 0 ? 0 : kDirectIoAlignment - misalignment;
    if (n < head + kDirectIoAlignment) return pwrite_all(handle.fd.get(), data, n, offset);
    const std::size_t body = (n - head) / kDirectIoAlignment * kDirectIoAlignment;
    if (head > 0) {
        if (auto ec = pwrite_all(handle.fd.get(), data, head, offset)) return ec;
    }
    if (auto ec = write_direct(handle, offset + static_cast<std::int64_t>(head), data + head, body))
        return ec;
    const std::size_t tail = n - head - body;
    if (tail == 0) return {};
    return pwrite_all(handle.fd.get(), data + head + body, tail,
                      offset + static_cast<std::int64_t>(head + body));
}

// `offset` and `n` are multiples of kDirectIoAlignment.
std::error_code FileStorage::write_direct(Handle& handle, std::int64_t offset, const std::uint8_t* data,
                                          std::size_t n) {
    const auto staging = is_aligned(data) ? std::span<std::uint8_t>() : bounce_buffer();
    while (n > 0) {
        if (!handle.direct_ok.load(std::memory_order_relaxed) || (!is_aligned(data) && staging.empty())) {
            return pwrite_all(handle.fd.get(), data, n, offset);
        }
        const std::uint8_t* source = data;
        std::size_t chunk = std::min(n, kMaxIoChunk);
        if (!is_aligned(data)) {
            chunk = std::min(n, staging.size());
            std::memcpy(staging.data(), data, chunk);
            source = staging.data();
        }
        const ssize_t r = ::pwrite(handle.direct_fd.get(), source, chunk, static_cast<off_t>(offset));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EINVAL) {
            // This file system (or this file) takes no direct I/O after all: buffered from now on.
            handle.direct_ok.store(false, std::memory_order_relaxed);
            continue;
        }
        if (r < 0) return errno_code(errno);
        if (r == 0) return errno_code(EIO);
        direct_bytes_written_.fetch_add(static_cast<std::uint64_t>(r), std::memory_order_relaxed);
        if (source != data)
            direct_bytes_copied_.fetch_add(static_cast<std::uint64_t>(r), std::memory_order_relaxed);
        data += r;
        n -= static_cast<std::size_t>(r);
        offset += r;
        if (static_cast<std::size_t>(r) % kDirectIoAlignment != 0) {
            return pwrite_all(handle.fd.get(), data, n, offset);  // a short write left us unaligned
        }
    }
    return {};
}

Result<void, StorageError> FileStorage::read_at(std::int64_t offset, std::span<std::uint8_t> out) {
    std::shared_lock routing(routing_mutex_);
    return for_each_slice(offset, static_cast<std::int64_t>(out.size()),
                          [&](std::uint32_t file, std::int64_t in_file, std::int64_t n,
                              std::int64_t done) -> Result<void, StorageError> {
                              std::uint8_t* dst = out.data() + done;
                              if (layout_.files[file].pad) {
                                  std::memset(dst, 0, static_cast<std::size_t>(n));
                                  return {};
                              }
                              return read_file_range(file, in_file, dst, n);
                          });
}

Result<void, StorageError> FileStorage::read_file_range(std::uint32_t file, std::int64_t in_file,
                                                        std::uint8_t* out, std::int64_t n) {
    return split_file_range(
        file, in_file, n,
        [&](PieceIndex piece, std::int64_t in_piece, std::int64_t done, std::int64_t chunk) {
            return part_->read(piece, in_piece, {out + done, static_cast<std::size_t>(chunk)});
        },
        [&](std::int64_t offset, std::int64_t done, std::int64_t chunk) -> Result<void, StorageError> {
            auto h = acquire(file, false);
            if (!h) return fail(std::move(h).error());
            const auto ec = pread_all((*h)->fd.get(), out + done, static_cast<std::size_t>(chunk), offset);
            if (ec) return fail(StorageError{ec, file_path(FileIndex{file}), Op::read});
            return {};
        });
}

Result<void, StorageError> FileStorage::write(PieceIndex piece, std::uint32_t begin,
                                              std::span<const std::uint8_t> data) {
    return write_at(piece_offset(layout_.piece_length, piece, begin), data);
}

Result<void, StorageError> FileStorage::read(PieceIndex piece, std::uint32_t begin,
                                             std::span<std::uint8_t> out) {
    return read_at(piece_offset(layout_.piece_length, piece, begin), out);
}

Result<void, StorageError> FileStorage::create_empty_files() {
    if (layout_error_.ec) return fail(layout_error(Op::open));
    std::shared_lock routing(routing_mutex_);
    for (std::uint32_t i = 0; i < layout_.files.size(); ++i) {
        const auto& f = layout_.files[i];
        if (f.pad || f.symlink || f.length != 0 || skipped_[i]) continue;
        auto h = open_file(i, true);  // creates it; not worth a cache slot
        if (!h) return fail(std::move(h).error());
    }
    return {};
}

std::vector<StorageError> FileStorage::create_symlinks() {
    std::vector<StorageError> problems;
    if (layout_error_.ec) {
        problems.push_back(layout_error(Op::symlink));
        return problems;
    }
    std::shared_lock routing(routing_mutex_);
    for (std::uint32_t i = 0; i < layout_.files.size(); ++i) {
        const auto& f = layout_.files[i];
        if (!f.symlink || f.symlink_target.empty() || skipped_[i]) continue;
        const std::string path = file_path(FileIndex{i});
        auto dir = walk(download_dir_, detail::parent_folders(layout_, f), true);
        if (!dir) {
            problems.push_back(std::move(dir).error());
            continue;
        }
        const std::string text = metainfo::detail::relative_link_text(f.path, f.symlink_target);
        const std::string& name = f.path.back();
        if (::symlinkat(text.c_str(), dir->fd.get(), name.c_str()) == 0) continue;
        const int e = errno;
        if (e == EEXIST && detail::link_text_at(dir->fd.get(), name) == text) continue;  // made before
        problems.push_back(StorageError{errno_code(e), path, Op::symlink});
    }
    return problems;
}

Result<void, StorageError> FileStorage::flush() {
    std::vector<std::uint32_t> dirty;
    {
        std::lock_guard lock(mutex_);
        for (std::uint32_t i = 0; i < slots_.size(); ++i) {
            if (slots_[i].dirty) dirty.push_back(i);
            slots_[i].dirty = false;
        }
    }
    for (std::size_t k = 0; k < dirty.size(); ++k) {
        // A descriptor evicted since the write is reopened: fdatasync flushes the file, whichever
        // descriptor wrote the data.
        auto h = acquire(dirty[k], false);
        StorageError err;
        if (!h) {
            err = std::move(h).error();
        } else {
            int r = 0;
            do r = ::fdatasync((*h)->fd.get());
            while (r != 0 && errno == EINTR);
            if (r == 0) continue;
            err = StorageError{errno_code(errno), file_path(FileIndex{dirty[k]}), Op::sync};
        }
        std::lock_guard lock(mutex_);  // keep the unsynced files for the next flush
        for (std::size_t j = k; j < dirty.size(); ++j) slots_[dirty[j]].dirty = true;
        return fail(std::move(err));
    }
    if (part_) return part_->flush();
    return {};
}

void FileStorage::close_all() {
    if (part_) part_->close();
    std::lock_guard lock(mutex_);
    for (std::uint32_t file : lru_) slots_[file].handle.reset();
    lru_.clear();
}

std::size_t FileStorage::open_file_count() const {
    std::lock_guard lock(mutex_);
    return lru_.size();
}

// ---------------------------------------------------------------------------------------------------
// Skipped files and the part file

bool FileStorage::is_skipped(FileIndex file) const {
    std::shared_lock routing(routing_mutex_);
    return file.value < skipped_.size() && skipped_[file.value];
}

void FileStorage::route_absent_files_to_part_file() {
    if (!part_ || layout_error_.ec || !part_->usable()) return;
    const auto status = file_status();
    std::unique_lock routing(routing_mutex_);
    for (std::size_t i = 0; i < layout_.files.size(); ++i) {
        const auto& f = layout_.files[i];
        routed_[i] = !f.pad && f.length > 0 && !status[i].exists && !status[i].error;
    }
}

std::vector<PieceIndex> FileStorage::pieces_in_part_file() const {
    std::vector<PieceIndex> out;
    std::shared_lock routing(routing_mutex_);
    if (!part_ || layout_error_.ec) return out;
    for (std::size_t i = 0; i < layout_.files.size(); ++i) {
        if (!routed_[i]) continue;
        const auto& f = layout_.files[i];
        const auto first = static_cast<std::uint32_t>(f.offset / layout_.piece_length);
        const auto last = static_cast<std::uint32_t>((f.offset + f.length - 1) / layout_.piece_length);
        for (const std::uint32_t p : {first, last}) {
            if (part_->has_slot(PieceIndex{p})) out.push_back(PieceIndex{p});
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Result<void, StorageError> FileStorage::set_skipped(const std::vector<bool>& skipped) {
    if (layout_error_.ec) return fail(layout_error(Op::open));
    // Under the lock: a write still in flight under the old routing is done before the files are looked at.
    std::unique_lock routing(routing_mutex_);
    const auto status = file_status();
    bool any_routed = false;
    for (std::uint32_t i = 0; i < layout_.files.size(); ++i) {
        const auto& f = layout_.files[i];
        skipped_[i] = i < skipped.size() && skipped[i];
        const bool route =
            part_ && skipped_[i] && !f.pad && f.length > 0 && !status[i].exists && !status[i].error;
        if (routed_[i] && !route) {
            // Wanted again (or made by someone): what the part file holds for it moves into the file. Every
            // slot is copied, verified or not (a piece written just before the lock is not in the caller's
            // list yet); a slot never written reads as a hole (zeros: that piece is not verified, and is
            // fetched).
            const auto first = static_cast<std::uint32_t>(f.offset / layout_.piece_length);
            const auto last = static_cast<std::uint32_t>((f.offset + f.length - 1) / layout_.piece_length);
            std::vector<std::uint8_t> bytes;
            for (const std::uint32_t p : {first, last}) {
                const PieceIndex piece{p};
                if (!part_->has_slot(piece)) continue;
                const std::int64_t piece_start = static_cast<std::int64_t>(p) * layout_.piece_length;
                const std::int64_t begin = std::max(piece_start, f.offset);
                const std::int64_t end = std::min(piece_start + layout_.piece_length, f.offset + f.length);
                bytes.resize(static_cast<std::size_t>(end - begin));
                auto r = part_->read(piece, begin - piece_start, bytes);
                if (!r && (r.error().ec == make_error_code(Errc::unexpected_eof) ||
                           r.error().ec == std::errc::no_such_file_or_directory)) {
                    continue;  // beyond what was ever written: nothing held
                }
                if (!r) return r;
                routed_[i] = false;  // write_file_range now writes the file itself
                auto w = write_file_range(i, begin - f.offset, bytes.data(), end - begin);
                routed_[i] = true;
                if (!w) return w;
                if (first == last) break;
            }
        }
        routed_[i] = route;
        any_routed = any_routed || route;
    }
    if (part_ && !any_routed) return part_->remove();
    return {};
}

Result<void, StorageError> FileStorage::remove_part_file() {
    if (!part_) return {};
    std::unique_lock routing(routing_mutex_);
    return part_->remove();
}

std::vector<FileStatus> FileStorage::file_status() const {
    std::vector<FileStatus> out;
    out.reserve(layout_.files.size());
    for (std::uint32_t i = 0; i < layout_.files.size(); ++i) {
        FileStatus& s = out.emplace_back();
        s.file = FileIndex{i};
        const auto& f = layout_.files[i];
        if (f.pad || f.symlink) continue;
        if (layout_error_.ec) {
            s.error = layout_error_.ec;
            continue;
        }
        auto dir = walk(download_dir_, detail::parent_folders(layout_, f), false);
        if (!dir) {
            if (dir.error().ec != std::errc::no_such_file_or_directory) s.error = dir.error().ec;
            continue;
        }
        struct stat st {};
        if (::fstatat(dir->fd.get(), f.path.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno != ENOENT) s.error = errno_code(errno);
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            s.error = make_error_code(Errc::symlink_refused);
        } else if (!S_ISREG(st.st_mode)) {
            s.error = make_error_code(Errc::not_a_regular_file);
        } else {
            s.exists = true;
            s.size = st.st_size;
            s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
        }
    }
    return out;
}

}  // namespace bt::storage
