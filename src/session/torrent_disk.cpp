#include "session/torrent_disk.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <cstring>

#include "core/log.hpp"
#include "core/printable.hpp"
#include "crypto/sha1.hpp"
#include "net/offload.hpp"
#include "net/spawn.hpp"
#include "storage/piece_hasher.hpp"
#include "storage/remove_data.hpp"
#include "storage/resume_store.hpp"

namespace bt::session {

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

storage::Settings storage_settings(const Settings& settings, const std::string& resume_path) {
    storage::Settings s;
    s.part_file = storage::part_file_path(resume_path);
    s.direct_writes = settings.direct_writes;
    // 64 descriptors per torrent either way: a file open for direct writes holds two.
    s.max_open_files = settings.direct_writes ? 32 : 64;
    return s;
}

// Idle piece buffers a torrent keeps for reuse: as many as it may have in use at once when downloading at
// full speed. That is the blocks requested, the disk backlog (which the requests already sent can overfill
// by their own size once the backlog stops new ones) and the one piece always let through. More in use
// than that (pieces left partial by peers that went away) are freed when they come back.
std::size_t piece_buffers_to_keep(const Settings& settings, const metainfo::Metainfo& metainfo) {
    return std::size_t{settings.max_requests_in_flight} * swarm::kDefaultBlockSize +
           2 * settings.max_disk_backlog + static_cast<std::size_t>(metainfo.piece_length);
}

}  // namespace

std::string describe(const storage::StorageError& e) {
    if (e.is_disk_full()) return "disk full while writing " + e.file + ": " + e.ec.message();
    return e.message();
}

TorrentDisk::TorrentDisk(asio::io_context& io, asio::thread_pool& pool, storage::ReadCache& read_cache,
                         const metainfo::Metainfo& metainfo, const std::string& download_dir,
                         const Settings& settings)
    : io_(io),
      pool_(pool),
      read_cache_(read_cache),
      cache_owner_(read_cache.new_owner()),
      metainfo_(metainfo),
      settings_(settings),
      download_dir_(download_dir),
      resume_path_(settings.resume_dir.empty()
                       ? std::string()
                       : storage::resume_path(settings.resume_dir, download_dir, metainfo.info_hash.bytes)),
      boot_id_(storage::current_boot_id()),
      piece_buffers_(static_cast<std::size_t>(metainfo.piece_length),
                     piece_buffers_to_keep(settings, metainfo)) {
    storage_ = std::make_unique<storage::FileStorage>(storage::Layout::from(metainfo), download_dir,
                                                      storage_settings(settings, resume_path_));
}

TorrentDisk::~TorrentDisk() = default;

void TorrentDisk::begin_check() {
    resume_ready_ = false;
    check_bytes_done_->store(0);
}

asio::awaitable<Result<void, std::string>> TorrentDisk::check(swarm::PiecePicker& picker,
                                                              swarm::TransferStats& stats, bool full) {
    // Data already on disk is found in two ways (storage/resume_data.hpp has the rule): pieces the resume
    // data lists, in files unchanged since it was saved, are trusted without reading them; every piece
    // touching a file that changed since (all files when there is no usable resume data) is hashed. So an
    // interrupted download continues where it was, also after kill -9 (pieces verified after the last
    // save are in files whose mtime changed, and hashing finds them again), and `seed` serves data that
    // is already complete.
    read_cache_.drop(cache_owner_);
    cache_owner_ = read_cache_.new_owner();
    struct Check {
        storage::ResumePlan plan;
        std::string resume_problem;  // why an existing resume file was not usable
        Result<storage::HashReport, storage::StorageError> report;
        std::vector<PieceIndex> from_part_file;  // pieces whose bytes in the part file hashed right
        bool record_flushed = false;             // the record used names no unflushed boot
    };
    // The job captures only `this` and a pointer into this frame (suspended until the job is done): g++ 12
    // destroys a lambda temporary with non-trivial captures (a string, a shared_ptr) twice when it is
    // created inside a co_await expression. The members it reads do not change after construction.
    const storage::ResumeTarget target{metainfo_.info_hash.bytes, metainfo_.piece_length,
                                       metainfo_.num_pieces(), storage_->layout().files};
    const unsigned threads = std::max(1u, settings_.disk_threads);
    begin_check();  // after a cancel the picker knows only part
    // stop() waits while checking_ is set: cleared even if the job throws.
    struct Checking {
        bool& flag;
        explicit Checking(bool& f) : flag(f) { flag = true; }
        ~Checking() { flag = false; }
        Checking(const Checking&) = delete;
        Checking& operator=(const Checking&) = delete;
    };
    std::optional<Checking> checking(std::in_place, checking_);
    check_stop_ = std::stop_source{};
    const auto stop = check_stop_.get_token();
    auto check = co_await net::run_on(pool_.get_executor(), [this, &target, &stop, threads, full] {
        Check c;
        storage::LoadedResume loaded;
        if (!resume_path_.empty()) {
            storage::adopt_legacy_resume(download_dir_, target.info_hash, resume_path_,
                                         storage::max_resume_size(target.num_pieces, target.files.size()));
            loaded = storage::load_resume(resume_path_, target.num_pieces, target.files.size());
        }
        if (!full) c.resume_problem = std::move(loaded.problem);
        storage_->route_absent_files_to_part_file();
        const auto on_disk = storage::to_stamps(storage_->file_status());
        const bool use_record = loaded.data && !full;
        c.plan = storage::plan_resume(use_record ? &*loaded.data : nullptr, target, on_disk, boot_id_);
        c.record_flushed = use_record && loaded.data->unflushed_boot.empty();
        storage::HashOptions options;
        options.threads = threads;
        options.on_progress = [counter = check_bytes_done_](std::int64_t done) { counter->store(done); };
        options.stop = stop;
        options.only = &c.plan.recheck;
        c.report = storage::hash_pieces(*storage_, options);  // opens the files like storage_ does
        // Pieces shared with files not on disk are read through the part file (a few per skipped file).
        std::vector<std::uint8_t> buffer;
        for (const PieceIndex piece : storage_->pieces_in_part_file()) {
            if (stop.stop_requested()) break;
            buffer.resize(static_cast<std::size_t>(std::min(
                metainfo_.piece_length,
                metainfo_.total_size - static_cast<std::int64_t>(piece.value) * metainfo_.piece_length)));
            if (storage_->read(piece, 0, buffer) &&
                crypto::sha1(buffer) == metainfo_.piece_hashes[piece.value])
                c.from_part_file.push_back(piece);
        }
        return c;
    });
    checking.reset();
    if (!check.report) {
        co_return fail("checking files: " + check.report.error().message());
    }
    if (check.report->cancelled) co_return fail("checking files: cancelled");
    const auto& plan = check.plan;
    if (!check.resume_problem.empty()) {
        BT_LOG(warning, "torrent", "{}: resume data ignored, checking the files: {}",
               printable(metainfo_.name), check.resume_problem);
    } else if (plan.use == storage::ResumeUse::other_torrent ||
               plan.use == storage::ResumeUse::other_layout) {
        BT_LOG(info, "torrent", "{}: resume data ignored ({}), checking the files", printable(metainfo_.name),
               storage::resume_use_name(plan.use));
    }
    std::uint32_t rechecked_ok = 0;
    stats.pieces_from_resume = 0;  // a verify counts again
    stats.pieces_from_disk = 0;
    for (std::uint32_t i = 0; i < metainfo_.num_pieces(); ++i) {
        const PieceIndex piece{i};
        bool ok = plan.trusted.test(piece);
        if (ok) {
            ++stats.pieces_from_resume;
        } else if (i < check.report->pieces.size() && check.report->pieces[i] &&
                   *check.report->pieces[i] == metainfo_.piece_hashes[i]) {
            ok = true;
            ++rechecked_ok;
        }
        if (!ok) continue;
        picker.on_piece_verified(piece);
        ++stats.pieces_from_disk;
    }
    for (const PieceIndex piece : check.from_part_file) {
        if (picker.has_piece(piece)) continue;
        picker.on_piece_verified(piece);
        ++stats.pieces_from_disk;
        ++rechecked_ok;
    }
    if (auto applied = co_await apply_skipped(); !applied) co_return fail(applied.error());
    stats.pieces_rechecked = plan.recheck.count();
    stats.files_rechecked = static_cast<std::uint32_t>(plan.changed_files.size());
    BT_LOG(info, "torrent", "{}: resume: {} pieces trusted, {} files rechecked ({} pieces hashed, {} valid)",
           printable(metainfo_.name), stats.pieces_from_resume, stats.files_rechecked, stats.pieces_rechecked,
           rechecked_ok);
    // From here on the picker knows every piece on disk, so a save records the truth. Save soon when files
    // were hashed, so that the next start need not hash them again. A download that has nothing on disk
    // yet writes nothing, not even resume data, until its first piece arrives.
    resume_ready_ = true;
    resume_dirty_ = plan.recheck.count() > 0 || plan.use == storage::ResumeUse::other_torrent ||
                    plan.use == storage::ResumeUse::other_layout;
    // A record of flushed data, used as it is, is what a save while seeding would write: a restart of
    // thousands of seeds does not write and fsync every record (and its files) again.
    resume_durable_ = check.record_flushed && plan.use == storage::ResumeUse::used && !resume_dirty_;
    co_return Result<void, std::string>{};
}

asio::awaitable<Result<void, std::string>> TorrentDisk::apply_skipped() {
    // Counted like a piece write: stop() waits for it.
    ++writes_in_flight_;
    struct InFlight {
        std::uint32_t& count;
        ~InFlight() { --count; }
    } in_flight{writes_in_flight_};
    // A copy: set_skipped_files may replace the choice on this thread while the pool works on it.
    const std::vector<bool> skipped = skipped_files_;
    auto applied = co_await net::run_on(pool_.get_executor(),
                                        [this, &skipped] { return storage_->set_skipped(skipped); });
    if (!applied) co_return fail(describe(applied.error()));
    resume_dirty_ = true;  // files changed: record their new stamps
    co_return Result<void, std::string>{};
}

void TorrentDisk::store_block(const swarm::Block& block, std::span<const std::uint8_t> data,
                              std::uint32_t piece_size) {
    auto& buffer = partial_[block.piece.value];
    if (buffer.empty())
        buffer = piece_buffers_.take(piece_size, storage_->direct_write_shift(block.piece, piece_size));
    std::memcpy(buffer.bytes().data() + block.begin, data.data(), block.length);
}

bool TorrentDisk::backlogged() const noexcept {
    return writes_in_flight_ > 0 && bytes_to_disk_ >= settings_.max_disk_backlog;
}

asio::awaitable<TorrentDisk::PieceResult> TorrentDisk::verify_and_write(PieceIndex piece,
                                                                        const crypto::Sha1Digest& expected) {
    auto node = partial_.extract(piece.value);
    if (node.empty()) co_return PieceResult{PieceOutcome::hash_failed, {}, false};
    storage::PieceBuffer data = std::move(node.mapped());
    struct Outcome {
        bool hash_ok = false;
        std::optional<storage::StorageError> write_error;
    };
    // Hashing and writing run on the disk pool; the piece counts as verified only after it is written.
    ++writes_in_flight_;
    bytes_to_disk_ += data.size();
    // stop() waits for writes_in_flight_ to reach zero: given back even if the job throws.
    struct InFlight {
        TorrentDisk& disk;
        std::size_t bytes;
        bool counted = true;
        void release() noexcept {
            if (!std::exchange(counted, false)) return;
            --disk.writes_in_flight_;
            disk.bytes_to_disk_ -= bytes;
        }
        ~InFlight() { release(); }
    } in_flight{*this, data.size()};
    auto outcome = co_await net::run_on(pool_.get_executor(), [&] {
        Outcome o;
        o.hash_ok = crypto::sha1(std::as_const(data).bytes()) == expected;
        if (o.hash_ok) {
            const std::lock_guard lock(write_mutex_);
            auto written = storage_->write(piece, 0, std::as_const(data).bytes());
            if (!written) o.write_error = written.error();
        }
        return o;
    });
    const bool was_backlogged = backlogged();
    in_flight.release();
    const bool caught_up = was_backlogged && !backlogged();
    if (outcome.write_error && outcome.write_error->ec == make_error_code(storage::Errc::skipped_file)) {
        co_return PieceResult{PieceOutcome::discarded, {}, caught_up};
    }
    if (outcome.write_error) {
        co_return PieceResult{PieceOutcome::write_failed, describe(*outcome.write_error), caught_up};
    }
    if (!outcome.hash_ok) co_return PieceResult{PieceOutcome::hash_failed, {}, caught_up};
    resume_dirty_ = true;
    co_return PieceResult{PieceOutcome::verified, {}, caught_up};
}

asio::awaitable<Result<void, std::string>> TorrentDisk::finish_download() {
    // Every piece is written (to the disk, or to the page cache for unaligned edges), so the download is
    // complete as far as any reader of the files can tell. It is not flushed here: waiting for the disk
    // would add a second per GiB to the download, and a crash before the data is on disk is caught at the
    // next start (the resume record names this boot, resume_data.hpp). Seeding flushes it later.
    // Counted like a piece write: stop() (and so a removal of the data) waits for it.
    ++writes_in_flight_;
    struct InFlight {
        std::uint32_t& count;
        ~InFlight() { --count; }
    } in_flight{writes_in_flight_};
    using Links = Result<std::vector<storage::StorageError>, storage::StorageError>;
    auto created = co_await net::run_on(pool_.get_executor(), [this]() -> Links {
        if (auto empty = storage_->create_empty_files(); !empty) return fail(empty.error());
        return storage_->create_symlinks();
    });
    if (!created) co_return fail(describe(created.error()));
    // A BEP 47 link is a convenience beside the data, which is complete without it.
    for (const auto& problem : *created) {
        BT_LOG(warning, "torrent", "{}: link not created: {}", printable(metainfo_.name), describe(problem));
    }
    piece_buffers_.release_idle();  // seeding reads into buffers of its own
    co_return Result<void, std::string>{};
}

void TorrentDisk::maybe_save(Clock::time_point now, bool seeding, const Bitfield& verified) {
    if (resume_saving_ || now - last_resume_save_ < settings_.resume_save_interval) return;
    if (resume_dirty_ || (seeding && !resume_durable_)) spawn_save(seeding, verified);
}

void TorrentDisk::save_soon(const Bitfield& verified) {
    spawn_save(false, verified);
}

void TorrentDisk::spawn_save(bool flush_data, const Bitfield& verified) {
    if (resume_path_.empty()) return;  // no records kept (Settings::resume_dir)
    net::spawn(io_, save(flush_data, verified), [this](const std::string& what) {
        BT_LOG(warning, "torrent", "{}: could not save resume data: {}", printable(metainfo_.name), what);
        resume_saving_ = false;
        resume_dirty_ = true;
    });
}

asio::awaitable<void> TorrentDisk::save(bool flush_data, Bitfield verified) {
    if (resume_path_.empty()) co_return;
    if (!resume_ready_ || resume_saving_) co_return;  // the caller's resume_dirty_ keeps it for later
    resume_saving_ = true;
    resume_dirty_ = false;
    // Without a boot id, a record of unflushed data could outlive a power loss unnoticed.
    const bool flush = flush_data || boot_id_.empty();
    // The snapshot of verified pieces was taken on the network thread. A piece is marked verified only after
    // its write returned, so every piece in it is at least in the page cache now.
    storage::ResumeData data;
    data.info_hash = metainfo_.info_hash.bytes;
    data.verified = std::move(verified);
    if (!flush) data.unflushed_boot = boot_id_;
    // Captures `this` and pointers into this frame only (see check).
    auto saved =
        co_await net::run_on(pool_.get_executor(), [this, &data, &flush]() -> Result<void, std::string> {
            // 1. Stat the files first. Every write of a snapshotted piece is done, so these mtimes cover
            // them; any
            //    write that finishes later (pieces still in flight, or the user) changes size or mtime and
            //    makes the next start hash that file instead of trusting it. Stat'ing after the flush would
            //    widen that window by the flush's duration: a piece written meanwhile would be in neither the
            //    snapshot nor a changed file, and be downloaded again after a crash.
            data.files = storage::to_stamps(storage_->file_status());
            // 2. fdatasync the data, so the resume file never claims a piece that a power loss could take
            // back
            //    (writeback does not change mtimes). Unflushed, the record names this boot instead.
            if (flush) {
                if (auto flushed = storage_->flush(); !flushed) return fail(describe(flushed.error()));
            }
            // 3. Replace the resume file atomically (temporary file, rename; fsync'ed only after a flush).
            if (auto written = storage::save_resume(resume_path_, data); !written)
                return fail(describe(written.error()));
            return {};
        });
    resume_saving_ = false;
    last_resume_save_ = Clock::now();
    if (saved) resume_durable_ = flush;
    if (!saved) {
        resume_dirty_ = true;  // try again at the next interval
        BT_LOG(warning, "torrent", "{}: could not save resume data: {}", printable(metainfo_.name),
               saved.error());
    }
}

asio::awaitable<void> TorrentDisk::wait_idle() {
    check_stop_.request_stop();
    asio::steady_timer wait(io_);
    while (checking_ || resume_saving_ || writes_in_flight_ > 0 || reads_in_flight_ > 0) {
        wait.expires_after(std::chrono::milliseconds(10));
        co_await wait.async_wait(use_nothrow);
    }
}

asio::awaitable<void> TorrentDisk::stop(const Bitfield& verified) {
    // The final resume save, after the one in flight if any; unflushed, like the one at completion. Also
    // after an error such as a full disk: the pieces verified so far are recorded if the disk still has room
    // for it. Pieces still being hashed and written are waited for (they take milliseconds), so that a clean
    // stop records every piece whose data reached the disk and the next start has nothing to hash.
    co_await wait_idle();
    read_cache_.drop(cache_owner_);
    // Nothing to record when nothing changed since the last save (or since a start with nothing on disk).
    if (resume_ready_ && resume_dirty_) co_await save(false, verified);
    co_await net::run_on(pool_.get_executor(), [this] { storage_->close_all(); });
}

asio::awaitable<Result<void, std::string>> TorrentDisk::remove_data() {
    resume_ready_ = false;  // no save may bring the record back
    auto removed = co_await net::run_on(pool_.get_executor(), [this] {
        auto part = storage_->remove_part_file();
        if (!part) return Result<storage::RemoveReport, storage::StorageError>(fail(std::move(part).error()));
        return storage::remove_data(storage_->layout(), download_dir_, metainfo_.info_hash.bytes,
                                    resume_path_);
    });
    if (!removed) co_return fail(describe(removed.error()));
    for (const auto& left : removed->left) {
        BT_LOG(warning, "torrent", "{}: left on disk: {}: {}", printable(metainfo_.name),
               printable(left.path), left.reason.message());
    }
    BT_LOG(info, "torrent", "{}: deleted {} file(s) and {} folder(s)", printable(metainfo_.name),
           removed->files_removed, removed->folders_removed);
    co_return Result<void, std::string>{};
}

std::shared_ptr<storage::CacheLine> TorrentDisk::cached_line(const swarm::Block& block) {
    return read_cache_.find(cache_owner_, block.piece, block.begin, block.length);
}

std::shared_ptr<storage::CacheLine> TorrentDisk::new_line(const swarm::Block& block, std::uint32_t run_end) {
    const auto range = storage::line_range(
        block.begin, run_end, static_cast<std::uint32_t>(metainfo_.piece_size(block.piece.value)));
    return read_cache_.insert(cache_owner_, block.piece, range.begin, range.end - range.begin);
}

asio::awaitable<void> TorrentDisk::load(std::shared_ptr<storage::CacheLine> line) {
    // stop() waits for reads_in_flight_ to reach zero. A load that never finishes (its frame destroyed
    // with the io_context) still fails the line, so that no peer waits for it.
    struct InFlight {
        std::uint32_t& count;
        storage::CacheLine& line;
        ~InFlight() {
            --count;
            if (line.state != storage::CacheLine::State::loading) return;
            line.state = storage::CacheLine::State::failed;
            line.error = "the read was abandoned";
            line.finish_load();
        }
    };
    ++reads_in_flight_;
    InFlight in_flight{reads_in_flight_, *line};
    auto* target = line.get();  // the pool writes the bytes only; the line's other fields stay on this thread
    auto read = co_await net::run_on(pool_.get_executor(), [this, target] {
        return storage_->read(target->piece, target->begin, {target->bytes.get(), target->length});
    });
    read_cache_.finish(line, read ? std::nullopt : std::optional(read.error().message()));
}

}  // namespace bt::session
