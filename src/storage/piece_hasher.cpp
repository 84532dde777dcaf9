#include "storage/piece_hasher.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "storage/file_storage.hpp"
#include "storage/unique_fd.hpp"

namespace bt::storage {
namespace {

// Owns one open descriptor; a worker keeps the file it is reading open across blocks and chunks.
class OpenFile {
  public:
    // Opens file `index` unless it is already the open one: through `storage`'s safe walk when set,
    // else `src.path` with open().
    Result<void, StorageError> open(std::size_t index, const HashSource& src, const FileStorage* storage) {
        if (fd_.get() >= 0 && index_ == index) return {};
        fd_.reset();
        if (storage != nullptr) {
            auto fd = storage->open_for_reading(FileIndex{static_cast<std::uint32_t>(index)});
            if (!fd) return fail(std::move(fd).error());
            fd_ = std::move(*fd);
        } else {
            fd_ = UniqueFd(::open(src.path.c_str(), O_RDONLY | O_CLOEXEC));
            if (fd_.get() < 0) return fail(StorageError{{errno, std::system_category()}, src.path, Op::open});
        }
        index_ = index;
        ::posix_fadvise(fd_.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
        return {};
    }
    int fd() const noexcept { return fd_.get(); }
    void close() noexcept { fd_.reset(); }

  private:
    UniqueFd fd_;
    std::size_t index_ = 0;
};

// Reads `size` bytes at `offset` into `out`; `done` says how many arrived before an error. A short
// file gives Errc::unexpected_eof.
std::error_code read_exact(int fd, std::uint8_t* out, std::size_t size, std::int64_t offset,
                           std::size_t& done) {
    done = 0;
    while (done < size) {
        const ssize_t n =
            ::pread(fd, out + done, size - done, static_cast<off_t>(offset) + static_cast<off_t>(done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return {errno, std::system_category()};
        }
        if (n == 0) return make_error_code(Errc::unexpected_eof);
        done += static_cast<std::size_t>(n);
    }
    return {};
}

struct DataLayout {
    std::span<const HashSource> files;
    const FileStorage* storage = nullptr;  // opens the files when set (see hash_pieces(const FileStorage&))
    std::vector<std::int64_t> offsets;     // offsets[i] = where file i starts; offsets.back() = total
    std::int64_t piece_length = 0;
    std::int64_t total = 0;
    std::int64_t num_pieces = 0;
    std::int64_t pieces_per_chunk = 1;
};

// State shared by the workers of one hash_pieces() call.
struct Shared {
    Shared(const DataLayout& l, HashReport& r, std::stop_token s, const Bitfield* o)
        : layout(l), report(r), stop(std::move(s)), only(o) {}

    const DataLayout& layout;
    HashReport& report;
    std::stop_token stop;
    const Bitfield* only;
    std::atomic<std::int64_t> next_chunk{0};
    std::atomic<std::int64_t> bytes_done{0};
    std::atomic<bool> cancelled{false};
    std::mutex mutex;  // guards errors, workers_left
    std::condition_variable finished;
    std::map<std::size_t, StorageError> errors;
    unsigned workers_left = 0;
};

// Hashes one chunk of pieces after another until none is left.
class Worker {
  public:
    explicit Worker(Shared& shared) : s_(shared), buffer_(std::make_unique<std::uint8_t[]>(kReadBytes)) {}

    void run() {
        const DataLayout& l = s_.layout;
        for (;;) {
            const std::int64_t chunk = s_.next_chunk.fetch_add(1, std::memory_order_relaxed);
            const std::int64_t first = chunk * l.pieces_per_chunk;
            if (first >= l.num_pieces) break;
            const std::int64_t last = std::min(first + l.pieces_per_chunk, l.num_pieces);
            if (!hash_wanted(first, last)) {
                s_.cancelled.store(true, std::memory_order_relaxed);
                break;
            }
        }
        file_.close();
        std::lock_guard lock(s_.mutex);
        for (auto& [index, error] : errors_) s_.errors.try_emplace(index, std::move(error));
        --s_.workers_left;
        s_.finished.notify_all();
    }

  private:
    bool wanted(std::int64_t piece) const {
        return s_.only == nullptr || s_.only->test(PieceIndex{static_cast<std::uint32_t>(piece)});
    }

    // Hashes the wanted pieces of [first, last), one run of consecutive wanted pieces at a time; false
    // when stopped.
    bool hash_wanted(std::int64_t first, std::int64_t last) {
        const DataLayout& l = s_.layout;
        std::int64_t p = first;
        while (p < last) {
            if (!wanted(p)) {
                const std::int64_t begin = p * l.piece_length;
                s_.bytes_done.fetch_add(std::min(begin + l.piece_length, l.total) - begin,
                                        std::memory_order_relaxed);
                ++p;
                continue;
            }
            std::int64_t q = p + 1;
            while (q < last && wanted(q)) ++q;
            if (!hash_range(p, q)) return false;
            p = q;
        }
        return true;
    }

    // Hashes pieces [first, last); false when stopped.
    bool hash_range(std::int64_t first, std::int64_t last) {
        const DataLayout& l = s_.layout;
        piece_ = first;
        pos_ = first * l.piece_length;
        piece_end_ = std::min(pos_ + l.piece_length, l.total);
        bad_ = false;
        const std::int64_t end = std::min(last * l.piece_length, l.total);

        // The first file holding byte pos_ (empty files hold none and are skipped).
        auto it = std::upper_bound(l.offsets.begin(), l.offsets.end() - 1, pos_);
        std::size_t file = static_cast<std::size_t>(it - l.offsets.begin()) - 1;
        for (; pos_ < end; ++file) {
            const HashSource& src = l.files[file];
            const std::int64_t file_start = l.offsets[file];
            const std::int64_t seg_end = std::min(file_start + src.length, end);
            while (pos_ < seg_end) {
                if (s_.stop.stop_requested()) return false;
                const auto n = static_cast<std::size_t>(std::min<std::int64_t>(seg_end - pos_, kReadBytes));
                if (src.zeros) {
                    std::memset(buffer_.get(), 0, n);
                    consume(n, true);
                    continue;
                }
                std::optional<StorageError> error;
                std::size_t got = 0;
                if (auto opened = file_.open(file, src, l.storage); !opened) {
                    error = std::move(opened).error();
                } else if (auto ec = read_exact(file_.fd(), buffer_.get(), n, pos_ - file_start, got)) {
                    error = StorageError{ec, src.path, Op::read};
                }
                if (error) {
                    consume(got, true);  // what arrived before the error is good data
                    errors_.try_emplace(file, std::move(*error));
                    file_.close();
                    // Everything left of this file in the chunk is unreadable as well.
                    consume(static_cast<std::size_t>(seg_end - pos_), false);
                    break;
                }
                consume(n, true);
            }
        }
        return true;
    }

    // Advances over n bytes at pos_: hashes them from buffer_ when `ok`, else marks them unreadable.
    void consume(std::size_t n, bool ok) {
        const DataLayout& l = s_.layout;
        s_.bytes_done.fetch_add(static_cast<std::int64_t>(n), std::memory_order_relaxed);
        std::size_t used = 0;
        while (used < n) {
            const auto take = static_cast<std::size_t>(
                std::min<std::int64_t>(piece_end_ - pos_, static_cast<std::int64_t>(n - used)));
            if (!ok) {
                bad_ = true;
            } else if (!bad_) {
                sha1_.update(std::span<const std::uint8_t>(buffer_.get() + used, take));
            }
            used += take;
            pos_ += static_cast<std::int64_t>(take);
            if (pos_ == piece_end_) {
                const auto digest = sha1_.finish();  // also resets the hasher
                if (!bad_) s_.report.pieces[static_cast<std::size_t>(piece_)] = digest;
                bad_ = false;
                ++piece_;
                piece_end_ = std::min(pos_ + l.piece_length, l.total);
            }
        }
    }

    Shared& s_;
    std::unique_ptr<std::uint8_t[]> buffer_;
    OpenFile file_;
    crypto::Sha1 sha1_;
    std::map<std::size_t, StorageError> errors_;
    std::int64_t piece_ = 0;
    std::int64_t pos_ = 0;
    std::int64_t piece_end_ = 0;
    bool bad_ = false;
};

}  // namespace

bool HashReport::complete() const noexcept {
    return std::all_of(pieces.begin(), pieces.end(), [](const auto& p) { return p.has_value(); });
}

std::int64_t piece_count(std::int64_t total_size, std::int64_t piece_length) noexcept {
    if (total_size <= 0 || piece_length <= 0) return 0;
    return total_size / piece_length + (total_size % piece_length != 0 ? 1 : 0);
}

namespace {

Result<HashReport, StorageError> hash_files(std::span<const HashSource> files, const FileStorage* storage,
                                            std::int64_t piece_length, const HashOptions& options) {
    const auto invalid = [] {
        return fail(StorageError{make_error_code(Errc::invalid_layout), {}, Op::read});
    };
    if (piece_length <= 0) return invalid();
    DataLayout layout{files, storage, {}, piece_length, 0, 0, 1};
    layout.offsets.reserve(files.size() + 1);
    for (const auto& f : files) {
        if (f.length < 0 || f.length > std::numeric_limits<std::int64_t>::max() - layout.total)
            return invalid();
        layout.offsets.push_back(layout.total);
        layout.total += f.length;
    }
    layout.offsets.push_back(layout.total);
    layout.num_pieces = piece_count(layout.total, piece_length);
    if (layout.num_pieces > kMaxPieces) return invalid();
    layout.pieces_per_chunk = std::max<std::int64_t>(1, kChunkBytes / piece_length);

    HashReport report;
    report.pieces.resize(static_cast<std::size_t>(layout.num_pieces));
    // Nothing to read (resume data vouches for every piece): no worker threads, which a restart of
    // thousands of seeds would otherwise start and join once each.
    if (options.only != nullptr && options.only->count() == 0) {
        if (options.on_progress) options.on_progress(layout.total);
        return report;
    }

    unsigned threads = options.threads != 0 ? options.threads : std::thread::hardware_concurrency();
    const std::int64_t chunks = (layout.num_pieces + layout.pieces_per_chunk - 1) / layout.pieces_per_chunk;
    threads = static_cast<unsigned>(std::clamp<std::int64_t>(threads, 1, std::max<std::int64_t>(chunks, 1)));

    Shared shared{layout, report, options.stop, options.only};
    shared.workers_left = threads;
    {
        std::vector<std::jthread> workers;
        workers.reserve(threads);
        for (unsigned i = 0; i < threads; ++i) {
            workers.emplace_back([&shared] { Worker(shared).run(); });
        }
        std::unique_lock lock(shared.mutex);
        while (shared.workers_left != 0) {
            if (options.on_progress) {
                const bool done = shared.finished.wait_for(lock, options.progress_interval,
                                                           [&] { return shared.workers_left == 0; });
                if (done) break;
                lock.unlock();
                options.on_progress(shared.bytes_done.load(std::memory_order_relaxed));
                lock.lock();
            } else {
                shared.finished.wait(lock, [&] { return shared.workers_left == 0; });
            }
        }
    }  // joins the workers
    if (options.on_progress) options.on_progress(shared.bytes_done.load());

    report.cancelled = shared.cancelled.load();
    for (auto& [index, error] : shared.errors) {
        report.errors.push_back({FileIndex(static_cast<std::uint32_t>(index)), std::move(error)});
    }
    return report;
}

}  // namespace

Result<HashReport, StorageError> hash_pieces(std::span<const HashSource> files, std::int64_t piece_length,
                                             const HashOptions& options) {
    return hash_files(files, nullptr, piece_length, options);
}

Result<HashReport, StorageError> hash_pieces(const FileStorage& storage, const HashOptions& options) {
    const Layout& layout = storage.layout();
    std::vector<HashSource> sources;
    sources.reserve(layout.files.size());
    for (std::uint32_t i = 0; i < layout.files.size(); ++i) {
        const auto& f = layout.files[i];
        const bool on_disk = !f.pad && !f.symlink;  // a link holds no data
        sources.push_back({on_disk ? storage.file_path(FileIndex{i}) : std::string(), f.length, !on_disk});
    }
    return hash_files(sources, &storage, layout.piece_length, options);
}

}  // namespace bt::storage
