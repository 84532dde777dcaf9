// Torrent's life: start, stop, resume, verify, the metadata arriving late, settings and removal. The run
// number (run_) ties each loop to the run that started it; see torrent.hpp.
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include "core/log.hpp"
#include "core/printable.hpp"
#include "session/session.hpp"
#include "session/torrent.hpp"

namespace bt::session {

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace

std::uint64_t Torrent::begin_run() {
    stopping_ = false;
    resume_after_stop_ = false;
    run_after_check_ = true;
    stopped_by_seed_goal_ = false;
    error_.clear();
    return ++run_;
}

void Torrent::start() {
    resume();  // a torrent is added stopped, with nothing checked
}

void Torrent::mark_queued() {
    if (state_ == TorrentState::stopped && !stop_in_progress()) set_state(TorrentState::queued);
}

void Torrent::run_loops(std::uint64_t run) {
    loops_run_ = run;
    spawn_job(announce_loop(run));
    // No loop while the DHT is off (each is a coroutine frame per torrent): on_dht_started() makes one.
    if (uses_dht() && session_.dht() != nullptr) {
        dht_loop_run_ = run;
        spawn_job(dht_loop(run));
    }
    if (!has_metadata()) {
        spawn_job(metadata_loop(run));
        return;
    }
    spawn_job(tick_loop(run));
    connect_more();
}

void Torrent::start_check(std::uint64_t run, bool full) {
    // A piece an earlier run is still writing reports to the swarm replaced here, which ignores it
    // (verify_and_write); if the check reads it half-written, it fails its hash and is downloaded again.
    make_swarm();  // nothing verified
    // A stop while the check waits for its slot must not save the fresh picker's empty view as the record.
    disk_->begin_check();
    set_state(TorrentState::checking);  // at once: the caller sees the torrent started
    session_.checks().enqueue([weak = weak_from_this(), run, full](CheckQueue::Slot slot) {
        // Stopped, restarted or removed while it waited: the slot goes to the next.
        if (auto self = weak.lock(); self && self->is_current(run))
            self->spawn_job(self->check_and_run(run, full, std::move(slot)));
    });
}

asio::awaitable<void> Torrent::check_and_run(std::uint64_t run, bool full, CheckQueue::Slot slot) {
    if (!is_current(run)) co_return;  // stopped after the slot came and before this ran: the slot goes back
    auto checked = co_await disk_->check(swarm_->picker(), swarm_->stats(), full);
    slot.release();
    if (!is_current(run)) co_return;  // stopped meanwhile: the check was cancelled
    if (!checked) {
        stop_with_error(checked.error());
        co_return;
    }
    checked_ = true;
    if (!run_after_check_) {  // a verify of a stopped torrent: it stays stopped
        begin_stop();
        co_await finish_stop();
        co_return;
    }
    co_await run_checked(run);
}

asio::awaitable<void> Torrent::run_checked(std::uint64_t run) {
    // The file choice may have changed while the torrent was stopped: the disk follows it before any write.
    if (auto applied = co_await disk_->apply_skipped(); !applied || !is_current(run)) {
        if (!applied && is_current(run)) stop_with_error(applied.error());
        co_return;
    }
    if (swarm_->is_complete()) {
        auto created = co_await disk_->finish_download();
        if (!is_current(run)) co_return;
        if (!created) {
            stop_with_error(created.error());
            co_return;
        }
        set_state(TorrentState::seeding);
    } else {
        set_state(TorrentState::downloading);
    }
    run_loops(run);
}

void Torrent::begin_stop() {
    stopping_ = true;
    ++stops_begun_;
}

asio::awaitable<void> Torrent::stop() {
    if (stopping_) {
        // Stopping already (or stopped): wait until that stop is done, so the caller may rely on closed
        // files. A resume asked for meanwhile is cancelled: the latest request wins.
        resume_after_stop_ = false;
        const auto stop = stops_begun_;
        while (stops_done_ < stop) co_await stop_done_.async_wait(use_nothrow);
        co_return;
    }
    begin_stop();
    announce_timer_.cancel();
    tick_timer_.cancel();
    dht_timer_.cancel();
    cancel_dht_lookup();
    if (swarm_) swarm_->close_all("torrent stopped");
    close_metadata_peers("torrent stopped");
    // 'stopped' (when 'started' was announced), one tracker after the other until one takes it;
    // settings.stop_announce_timeout bounds all the attempts together.
    if (announcer_.on_stop(Clock::now())) {
        const auto deadline = Clock::now() + settings().stop_announce_timeout;
        while (const auto next = announcer_.next_deadline()) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left <= std::chrono::milliseconds(0)) break;
            co_await announce(*next, left, true);
        }
    }
    co_await finish_stop();
}

asio::awaitable<void> Torrent::finish_stop() {
    {
        // However this ends (an exception included), the stop counts as done and its waiters wake.
        struct Done {
            Torrent& torrent;
            ~Done() {
                torrent.stops_done_ = torrent.stops_begun_;
                torrent.stop_done_.cancel();
            }
        } done{*this};
        if (disk_) {
            co_await disk_->wait_idle();  // the pieces still being written count in the record
            co_await disk_->stop(verified());
        }
        // The next run announces 'started' again, to the trackers in the order this one learned.
        announcer_ = tracker::Announcer(announcer_.tiers());
        if (state_ != TorrentState::error) set_state(TorrentState::stopped);
    }
    if (resume_after_stop_) resume();
}

void Torrent::resume() {
    if (removed_ || session_.is_stopping()) return;
    if (stop_in_progress()) {
        resume_after_stop_ = true;
        return;
    }
    if (!stopping_ && state_ == TorrentState::checking) {
        run_after_check_ = true;  // a verify of a stopped torrent is checking: run when it is done
        return;
    }
    if (state_ != TorrentState::stopped && state_ != TorrentState::queued && state_ != TorrentState::error) {
        return;  // running
    }
    const bool after_error = state_ == TorrentState::error;
    const auto run = begin_run();
    if (!has_metadata()) {
        set_state(TorrentState::metadata);
        run_loops(run);
        return;
    }
    // Never checked (the first start), a check cut short, or an error (a disk failure) that may have left
    // the files otherwise than the picker believes: what is on disk is found first.
    if (checked_ && !after_error) {
        set_state(swarm_->is_complete() ? TorrentState::seeding : TorrentState::downloading);
        spawn_job(run_checked(run));
    } else {
        start_check(run, false);
    }
}

asio::awaitable<void> Torrent::verify() {
    if (!has_metadata() || removed_) co_return;
    // A verify of a stopped torrent that is checking now counts as stopped.
    const bool was_running =
        !stopping_ && state_ != TorrentState::error && (state_ != TorrentState::checking || run_after_check_);
    co_await stop();
    if (removed_ || !stopping_) co_return;  // removed, or resumed by someone else meanwhile
    BT_LOG(info, "torrent", "{}: verifying every piece", printable(name()));
    const auto run = begin_run();
    run_after_check_ = was_running;
    start_check(run, true);  // forgets every piece first
}

Result<void, std::string> Torrent::set_metadata(metainfo::Metainfo metainfo) {
    if (has_metadata()) return fail("the torrent has its metadata already");
    if (metainfo.info_hash.bytes != info_hash_)
        return fail("metadata of another torrent (info hash " + metainfo.info_hash.hex() + ")");
    metainfo_.emplace(std::move(metainfo));
    // A private torrent (BEP 27) gets a private list: its peers come from its trackers (or the user) only.
    if (metainfo_->is_private) {
        peer_list_ = swarm::PeerList(swarm::PeerListSettings{settings().max_known_peers, true});
        cancel_dht_lookup();  // its loop ends at its next wake-up
    }
    disk_ = std::make_unique<TorrentDisk>(session_.io(), session_.disk_pool(), session_.read_cache(),
                                          *metainfo_, download_dir_, session_.settings());
    BT_LOG(info, "torrent", "{}: metadata received ({} pieces)", printable(name()), metainfo_->num_pieces());
    // Running: a new run checks the files and goes on with the loops of a torrent with metadata (the
    // announce loop waiting now ends; the announcer keeps its state). Stopped: all that at resume.
    if (!stopping_ && state_ == TorrentState::metadata) {
        const auto run = begin_run();
        announce_timer_.cancel();
        start_check(run, false);
    }
    return {};
}

asio::awaitable<Result<void, std::string>> Torrent::remove_data() {
    if (!disk_) co_return Result<void, std::string>{};  // nothing was ever written without metadata
    co_return co_await disk_->remove_data();
}

}  // namespace bt::session
