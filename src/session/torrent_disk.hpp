#pragma once
// The disk side of one torrent: the start-up check, piece assembly (received blocks into piece buffers),
// hashing and writing complete pieces, reads for upload and the resume record. Runs on the session's
// network thread; hashing, file I/O and resume saves run on the disk pool.
#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "crypto/sha1.hpp"
#include "metainfo/metainfo.hpp"
#include "session/settings.hpp"
#include "storage/file_storage.hpp"
#include "storage/piece_buffer.hpp"
#include "storage/read_cache.hpp"
#include "swarm/block.hpp"
#include "swarm/piece_picker.hpp"
#include "swarm/transfer_stats.hpp"

namespace bt::session {

// The message a storage error stops the torrent with. A full disk (or quota) says so and names the file, so
// the user knows which folder needs room: "disk full while writing /dl/a.bin: No space left on device".
std::string describe(const storage::StorageError& e);

class TorrentDisk {
  public:
    using Clock = std::chrono::steady_clock;

    // discarded: the piece lies in files skipped since it was requested; it was not stored.
    enum class PieceOutcome : std::uint8_t { verified, hash_failed, write_failed, discarded };
    struct PieceResult {
        PieceOutcome outcome = PieceOutcome::hash_failed;
        std::string error;  // write_failed: describe()'s message
        // The backlog was over its bound while this piece was in it and is under it now: peers may request
        // again (Swarm::on_disk_caught_up).
        bool caught_up = false;
    };

    TorrentDisk(asio::io_context& io, asio::thread_pool& pool, storage::ReadCache& read_cache,
                const metainfo::Metainfo& metainfo, const std::string& download_dir,
                const Settings& settings);
    ~TorrentDisk();

    // Finds the pieces already on disk (resume record, then hashing what changed; `full`: hashing every
    // piece, the record ignored) and marks them verified in `picker` (which has none yet), with the counts
    // in `stats`. The error is one line; a check that stop() cancelled fails and marks nothing.
    asio::awaitable<Result<void, std::string>> check(swarm::PiecePicker& picker, swarm::TransferStats& stats,
                                                     bool full);
    // The picker was replaced by one that knows nothing yet (a check is queued): no save may record it
    // until check() is done, and the progress starts again from 0.
    void begin_check();
    std::int64_t check_bytes_done() const noexcept { return check_bytes_done_->load(); }

    // The files the user skipped (one flag per metainfo file; empty: none). check() applies them when it
    // ends; later changes go through apply_skipped.
    void set_skipped_files(std::vector<bool> skipped) { skipped_files_ = std::move(skipped); }
    // Applies set_skipped_files' choice on the disk pool (storage::FileStorage::set_skipped): the bytes the
    // part file holds for files wanted again move into them. The error is one line.
    asio::awaitable<Result<void, std::string>> apply_skipped();

    // The picker that knew the partial pieces is gone (a verify starts afresh): their blocks are dropped.
    void drop_partial_pieces() { partial_.clear(); }

    // Piece assembly: a received block (block.length plaintext bytes) into its piece's buffer.
    void store_block(const swarm::Block& block, std::span<const std::uint8_t> data, std::uint32_t piece_size);
    // Hashes the assembled piece against `expected` and writes it when it matches. The piece's buffer is
    // released either way.
    asio::awaitable<PieceResult> verify_and_write(PieceIndex piece, const crypto::Sha1Digest& expected);
    // Too many completed pieces wait for the disk (Settings::max_disk_backlog).
    bool backlogged() const noexcept;

    // Uploads read through the session's cache (storage/read_cache.hpp). cached_line: the line holding
    // `block` (ready or being read), or null; then new_line makes one for [block.begin, run_end) of the
    // piece, which load() fills on the disk pool before it marks it ready (or failed) and wakes its waiters.
    std::shared_ptr<storage::CacheLine> cached_line(const swarm::Block& block);
    std::shared_ptr<storage::CacheLine> new_line(const swarm::Block& block, std::uint32_t run_end);
    asio::awaitable<void> load(std::shared_ptr<storage::CacheLine> line);

    // Every piece is in: creates the empty files and the BEP 47 links (a link that cannot be made is a
    // warning) and frees the download's idle buffers.
    asio::awaitable<Result<void, std::string>> finish_download();

    // The resume record (storage/resume_data.hpp). mark_dirty: pieces were verified since the last save.
    void mark_dirty() noexcept { resume_dirty_ = true; }
    // Saves in the background when there is something new and settings.resume_save_interval has passed.
    // While downloading, records name this boot instead of flushing (a flush stalls the disk writes behind
    // it); once seeding, the data is flushed and the record made durable.
    void maybe_save(Clock::time_point now, bool seeding, const Bitfield& verified);
    // maybe_save has something to save (now or once the interval has passed), or a save is running.
    bool save_pending(bool seeding) const noexcept {
        return !resume_path_.empty() && (resume_saving_ || resume_dirty_ || (seeding && !resume_durable_));
    }
    // Saves now, in the background (download complete: a restart, even after kill -9, seeds at once).
    void save_soon(const Bitfield& verified);
    // At stop: cancels a running check and waits for it, the pieces being written and the save in flight;
    // saves if anything changed; closes the files. The disk is usable again afterwards (resume, verify).
    asio::awaitable<void> stop(const Bitfield& verified);
    // The first half of stop(): cancels a running check and waits for it, the writes and the save in flight.
    // A caller that takes `verified` after it records the pieces those writes finished.
    asio::awaitable<void> wait_idle();

    // After stop(): deletes the torrent's files, the folders they leave empty and the resume record, on the
    // disk pool (storage::remove_data). The error is one line.
    asio::awaitable<Result<void, std::string>> remove_data();

  private:
    void spawn_save(bool flush_data, const Bitfield& verified);
    asio::awaitable<void> save(bool flush_data, Bitfield verified);

    asio::io_context& io_;
    asio::thread_pool& pool_;
    storage::ReadCache& read_cache_;
    // This start's lines in the read cache: a new owner at every check, so nothing read before a stop (or
    // before a verify) is served after it.
    std::uint64_t cache_owner_;
    const metainfo::Metainfo& metainfo_;
    const Settings& settings_;
    std::unique_ptr<storage::FileStorage> storage_;
    std::string download_dir_;
    std::string resume_path_;  // storage::resume_path(), empty when no records are kept
    std::vector<bool> skipped_files_;
    std::string boot_id_;                 // storage::current_boot_id(), empty when unknown
    bool resume_ready_ = false;           // the start check is done: the picker knows every piece on disk
    bool checking_ = false;               // check() runs on the disk pool; stop() waits for it
    std::stop_source check_stop_;         // stop() cancels the check through it
    bool resume_dirty_ = false;           // pieces verified (or the check found changes) since the last save
    bool resume_saving_ = false;          // a save is running on the disk pool
    bool resume_durable_ = false;         // the last save flushed the data first
    std::uint32_t writes_in_flight_ = 0;  // verify_and_write jobs on the disk pool; stop() waits for them
    std::uint32_t reads_in_flight_ = 0;   // load() jobs; stop() waits for them too
    std::uint64_t bytes_to_disk_ = 0;     // the pieces those jobs hold
    Clock::time_point last_resume_save_{};
    // Written by the checking thread, read by the progress line.
    std::shared_ptr<std::atomic<std::int64_t>> check_bytes_done_ =
        std::make_shared<std::atomic<std::int64_t>>(0);
    // Keeps as many idle buffers as the disk backlog may hold, so a download reuses the same memory.
    storage::PieceBufferPool piece_buffers_;
    std::unordered_map<std::uint32_t, storage::PieceBuffer> partial_;  // piece -> its bytes so far
    // Piece writes take turns (hashing still runs on every disk thread): two threads writing one file
    // contend on its inode lock in the kernel, which spins (perf: ~9% of a download's CPU).
    std::mutex write_mutex_;
};

}  // namespace bt::session
