#pragma once
// One torrent in the session: its metainfo, storage, piece picker, choker, peers, tracker announces and
// counters. Network-side state lives on the session's thread; hashing and file I/O run on the disk pool.
//
// Lifetime: the session owns its torrents through shared_ptr, and every coroutine a torrent runs (its own
// loops, dials, piece writes, its peers' readers, writers and uploaders) holds one too, so a torrent the
// session removed lives until the last of them has ended. Each run (start or resume) has a number: a loop
// of an earlier run ends at its next wake-up instead of running beside the new one.
#include <array>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bandwidth/allocator.hpp"
#include "core/bounded_map.hpp"
#include "core/endpoint.hpp"
#include "metainfo/file_priority.hpp"
#include "metainfo/metainfo.hpp"
#include "session/check_queue.hpp"
#include "session/dht_service.hpp"
#include "session/metadata_connection.hpp"
#include "session/peer_connection.hpp"
#include "session/seed_goals.hpp"
#include "session/settings.hpp"
#include "session/torrent_disk.hpp"
#include "swarm/metadata_fetch.hpp"
#include "swarm/peer_list.hpp"
#include "swarm/swarm.hpp"
#include "tracker/announcer.hpp"
#include "tracker/types.hpp"
#include "wire/ut_metadata.hpp"

namespace bt::session {

class Session;
// A torrent's handle in its session: given out in order from 1, never reused while the session runs.
using TorrentId = StrongId<struct TorrentIdTag>;
using TransferStats = swarm::TransferStats;

// metadata: added from a magnet link, the info dictionary is not known yet (set_metadata()).
// queued: stopped, waiting for Session's queue to give it a slot (Session::start_queued).
enum class TorrentState : std::uint8_t { metadata, checking, downloading, seeding, stopped, queued, error };
const char* state_name(TorrentState state) noexcept;

struct TorrentStatus {
    TorrentState state = TorrentState::stopped;
    std::string error;  // set in TorrentState::error
    std::uint32_t num_pieces = 0;
    std::uint32_t pieces_have = 0;
    std::int64_t total_size = 0;
    std::int64_t bytes_have = 0;
    // The pieces of the wanted files (all of them unless files are skipped): their size and what of it we
    // lack. Progress and "done" are about these (Transmission's sizeWhenDone and leftUntilDone).
    std::int64_t wanted_size = 0;
    std::int64_t wanted_left = 0;
    std::uint32_t pieces_wanted = 0;       // pieces of the wanted files
    std::uint32_t pieces_wanted_left = 0;  // of them, not verified yet
    bool files_skipped = false;            // some files are not wanted (set_file_priorities)
    std::int64_t check_bytes_done = 0;     // while checking
    std::uint64_t download_rate = 0;
    std::uint64_t upload_rate = 0;
    std::uint32_t peers_connected = 0;
    std::uint32_t peers_known = 0;
    std::uint32_t peers_connecting = 0;  // our dials not yet answered (connect and handshake)
    std::uint32_t seeds_connected = 0;
    // Connected peers by kind of connection (net::ConnectionKind).
    std::uint32_t peers_plaintext = 0;
    std::uint32_t peers_mse_rc4 = 0;
    std::uint32_t peers_mse_header = 0;
    // Announces answered and failed (this session), and the last failure's one line (cleared by an answer).
    std::uint32_t announces_ok = 0;
    std::uint32_t announces_failed = 0;
    std::string tracker_error;
    // The swarm as its trackers count it, for display: seeders, leechers and completed downloads from the
    // latest announce reply that gave them, else from a scrape (BEP 48, BEP 15) of a tracker whose
    // announces carry no counts, at most every 30 minutes. Unset until a tracker said.
    std::optional<std::uint32_t> swarm_seeders;
    std::optional<std::uint32_t> swarm_leechers;
    std::optional<std::uint32_t> swarm_downloaded;
    // Our dials that the peer closed during the handshake: the encrypted (MSE) one, the plaintext one.
    // Many of them and no peer connected: the peers want another --encryption policy.
    std::uint32_t closed_our_mse = 0;
    std::uint32_t closed_our_plaintext = 0;
    std::optional<PieceIndex> last_hash_failure;  // the last piece that failed its check
    // TorrentState::metadata: peers connected for the metadata, those offering it, and its pieces.
    std::uint32_t metadata_connected = 0;
    std::uint32_t metadata_peers = 0;
    std::uint32_t metadata_pieces_have = 0;
    std::uint32_t metadata_pieces = 0;  // 0 until a peer's size is taken
    // Downloaded pieces verified ahead of the lowest missing ones (PiecePicker::downloaded_ahead): how far
    // from sequential the download went.
    std::uint64_t pieces_downloaded_ahead = 0;
    TransferStats stats;
};

// What a torrent is added from: a .torrent file (metainfo) or a magnet link (info hash, name, trackers).
struct TorrentParams {
    wire::InfoHashBytes info_hash{};                 // the metainfo's when it is given
    std::string name;                                // shown until the metadata names the torrent
    std::vector<std::vector<std::string>> trackers;  // tiers (BEP 12); the metainfo's when it is given
    std::optional<metainfo::Metainfo> metainfo;      // absent: set_metadata() once it is known
    std::string download_dir;
    // The caller's record says the torrent was complete when it last ran: until its check says otherwise,
    // the session's queue counts it as a seed, not as a download (Torrent::counts_as_seed).
    bool complete_last_run = false;

    static TorrentParams from_metainfo(metainfo::Metainfo metainfo, std::string download_dir);
};

// What remove leaves on disk.
enum class RemoveData : std::uint8_t { keep, erase };

class Torrent : public std::enable_shared_from_this<Torrent>, private swarm::SwarmHost {
  public:
    using Clock = std::chrono::steady_clock;

    Torrent(Session& session, TorrentId id, TorrentParams params);
    ~Torrent();

    TorrentId id() const noexcept { return id_; }
    bool has_metadata() const noexcept { return metainfo_.has_value(); }
    // Only with metadata.
    const metainfo::Metainfo& metainfo() const noexcept { return *metainfo_; }
    const std::string& name() const noexcept { return has_metadata() ? metainfo_->name : name_; }
    // Once complete and seeding, the torrent stops itself (TorrentState::stopped) when a goal is met.
    void set_seed_goals(const SeedGoals& goals);
    // The last stop was the torrent's own, because a seed goal was met (until it runs again).
    bool stopped_by_seed_goal() const noexcept { return stopped_by_seed_goal_; }
    const wire::InfoHashBytes& info_hash() const noexcept { return info_hash_; }
    TorrentStatus status() const;
    TorrentState state() const noexcept { return state_; }  // status().state, without the rest
    bool is_complete() const noexcept { return swarm_ && swarm_->is_complete(); }
    // For the queue: complete once checked; before that, as the caller recorded (complete_last_run).
    bool counts_as_seed() const noexcept { return checked_ ? is_complete() : complete_last_run_; }
    // Called with the new state whenever it changes (checking -> downloading -> seeding, error).
    void on_state_change(std::function<void(TorrentState)> callback) {
        state_callback_ = std::move(callback);
    }

    // The first run: checks the data on disk, then starts announcing and connecting. Without metadata it
    // announces and collects peers until set_metadata().
    void start();
    // Stopped and waiting for a slot (Session::start_queued): TorrentState::queued until start().
    void mark_queued();
    // Announces 'stopped' (bounded by settings.stop_announce_timeout), closes peers, saves the resume
    // record and closes the files: TorrentState::stopped. A second call waits for the first to finish.
    asio::awaitable<void> stop();
    // After stop() or an error: runs again. From stopped, with the pieces it had (the files are not hashed
    // again, like libtorrent and Transmission); after an error or a stop during the start-up check, the
    // check runs first. A resume while stop() is still finishing takes effect when it has.
    void resume();
    // Hashes every piece on disk again, ignoring the resume record (the user suspects the files changed):
    // stops, forgets every piece, checks, and runs again if it was running. Returns once the check is
    // queued (TorrentState::checking; session/check_queue.hpp). Without metadata: nothing to do.
    asio::awaitable<void> verify();
    // The info dictionary of a torrent added without it (a magnet link): fails when it is not this
    // torrent's (its SHA-1 is not the info hash) or the torrent has metadata already.
    Result<void, std::string> set_metadata(metainfo::Metainfo metainfo);
    // Asks the trackers now (the user's reannounce), while running; the DHT keeps its own rhythm.
    void reannounce();
    // Settings::* changed at runtime (Session::apply_settings): passed on to the swarm and the peer list.
    void apply_settings();
    // The torrent's own rate limits in bytes per second (0: none), under the session's; at once for its
    // peers' next reads and writes.
    void set_rate_limits(std::uint64_t download, std::uint64_t upload);
    std::uint64_t download_limit() const;
    std::uint64_t upload_limit() const;
    // The channels its peers' reads and writes pass: the session's, then the torrent's.
    std::array<bandwidth::ChannelId, 2> download_channels() const noexcept;
    std::array<bandwidth::ChannelId, 2> upload_channels() const noexcept;
    // For Session::remove_torrent, after stop(): the torrent's channels are given back.
    void release_rate_limits();
    // The download order, at once and kept across runs: new pieces in ascending order (to play a file
    // while it arrives), and each file's first and last pieces before the others (to preview it).
    void set_sequential(bool sequential);
    void set_first_last_pieces(bool first_last);
    bool sequential() const noexcept { return sequential_; }
    // Per metainfo file (pad files' entries ignored; missing entries: normal), kept across runs and applied
    // at once: skipped files are not downloaded and never created (their bytes in pieces shared with wanted
    // files go to a part file beside the resume record); higher priorities are fetched first. A file
    // wanted again gets the bytes the part file holds, so only the pieces not held are fetched. A torrent
    // whose wanted files are complete seeds what it has (TorrentState::seeding), and downloads again when
    // more is wanted. Before the metadata (a magnet) they wait for it.
    void set_file_priorities(std::vector<metainfo::FilePriority> priorities);
    const std::vector<metainfo::FilePriority>& file_priorities() const noexcept { return file_priorities_; }
    bool first_last_pieces() const noexcept { return first_last_pieces_; }
    // For Session::remove_torrent, after stop(): deletes the downloaded files, the folders they leave empty
    // and the resume record, on the disk pool. The error is one line.
    asio::awaitable<Result<void, std::string>> remove_data();
    // Stops the torrent: closes its peers and reports TorrentState::error with `message` (also for the
    // user's own choices that turn out not to fit the torrent, such as a file number beyond its files).
    void stop_with_error(const std::string& message);
    // Removed from the session: resume() does nothing any more.
    void mark_removed() noexcept { removed_ = true; }
    // Closes every peer now (the session is being destroyed: nothing may call back into it later).
    void close_peers(const std::string& reason);

    // `given`: named by the user (--peer); dialled even while seeding. Peers from trackers are dialled only
    // while downloading: leechers dial a seed, and a seed dialling them back makes duplicate connections
    // that clients such as aria2 drop on their side.
    void add_peers(const std::vector<Endpoint>& endpoints, bool given = false);
    // A handshaken incoming connection for this torrent.
    void attach_incoming(net::Transport transport, Endpoint endpoint, const wire::Handshake& remote,
                         std::vector<std::uint8_t> leftover);
    bool accepts_connections() const noexcept;
    // The verified pieces (empty before the metadata).
    Bitfield verified() const { return swarm_ ? swarm_->picker().have() : Bitfield{}; }
    // The connected peers (for a daemon's peer list).
    const std::vector<std::shared_ptr<PeerConnection>>& peers() const noexcept { return peers_; }
    // The trackers by tier, in the order the announcer tries them.
    const std::vector<std::vector<std::string>>& trackers() const noexcept { return announcer_.tiers(); }

    // BEP 27: a private torrent never touches the DHT. A magnet link's torrent counts as public until its
    // metadata says otherwise.
    bool uses_dht() const noexcept { return !(metainfo_ && metainfo_->is_private); }
    // The session's reserved bits, without the DHT bit for a private torrent.
    wire::Reserved reserved_bits() const noexcept;
    // The UDP port of our DHT node for peers of `family`, for the PORT message; 0: none (no DHT, or a
    // private torrent).
    std::uint16_t dht_port(Endpoint::Family family) const;
    // A peer's PORT message (BEP 5): its node goes to our DHT.
    void on_dht_port(const Endpoint& peer, std::uint16_t port);
    void on_dht_started();  // the session's DHT came up: a running torrent starts its lookups
    void on_dht_stopped();  // and went away

    // From peer connections.
    Session& session() noexcept { return session_; }
    swarm::Swarm& swarm() noexcept { return *swarm_; }
    const Settings& settings() const noexcept;
    TransferStats& stats() noexcept { return swarm_->stats(); }
    bool is_banned(const Endpoint& endpoint) const;
    std::shared_ptr<storage::CacheLine> cached_line(const swarm::Block& block) {
        return disk_->cached_line(block);
    }
    std::shared_ptr<storage::CacheLine> new_line(const swarm::Block& block, std::uint32_t run_end) {
        return disk_->new_line(block, run_end);
    }
    asio::awaitable<void> load(std::shared_ptr<storage::CacheLine> line) {
        return disk_->load(std::move(line));
    }
    void count_closed(const std::string& reason);
    // A handshake's bytes, in the protocol counters (none are kept before the metadata).
    void count_handshake(std::uint64_t sent, std::uint64_t received);

    // From metadata connections (torrent_metadata.cpp).
    void on_metadata_offer(MetadataConnection& peer, std::optional<std::uint64_t> size,
                           std::optional<std::uint16_t> listen_port);
    void on_metadata_message(MetadataConnection& peer, const wire::MetadataMessage& message);
    void on_metadata_peer_closed(MetadataConnection& peer, const std::string& reason);

  private:
    // Runs one of the torrent's coroutines, holding the torrent alive until it ends; an exception escaping
    // it stops the torrent with its message.
    void spawn_job(asio::awaitable<void> job);
    // A new run (start, resume): loops of earlier runs end at their next wake-up.
    std::uint64_t begin_run();
    bool is_current(std::uint64_t run) const noexcept {
        return run == run_ && !stopping_ && state_ != TorrentState::error;
    }
    // The picker and swarm for the metadata (fresh: nothing verified), with the counters so far.
    void make_swarm();
    // Tells the picker the download order (set_sequential, set_first_last_pieces).
    void apply_download_order();
    // Tells the picker and the disk the file priorities (set_file_priorities).
    void apply_file_priorities();
    // After a change of file priorities while running: the part file's bytes to the files wanted again,
    // then downloading or seeding as the wanted pieces say.
    asio::awaitable<void> apply_selection_change(std::uint64_t run);
    // Forgets every piece (a fresh swarm), shows the torrent checking, and queues check_and_run for a slot
    // of the session's CheckQueue.
    void start_check(std::uint64_t run, bool full);
    // Checks the files (`full`: every piece, ignoring the resume record), gives the slot back, then runs
    // (or stops, for a verify of a stopped torrent: run_after_check_).
    asio::awaitable<void> check_and_run(std::uint64_t run, bool full, CheckQueue::Slot slot);
    // Downloading or seeding, with the pieces the picker knows.
    asio::awaitable<void> run_checked(std::uint64_t run);
    void begin_stop();
    bool stop_in_progress() const noexcept { return stops_done_ < stops_begun_; }
    // The end of stop(): saves and closes the files, TorrentState::stopped, wakes waiting stop() calls.
    asio::awaitable<void> finish_stop();
    // Announcing, the tick and dialling, in `run`.
    void run_loops(std::uint64_t run);
    asio::awaitable<void> connect_to(Endpoint endpoint);
    asio::awaitable<void> verify_and_write(PieceIndex piece);
    asio::awaitable<void> announce_loop(std::uint64_t run, bool slot_taken = false);
    // Sends `next` and reports the outcome to announcer_. `stopping`: the 'stopped' round of stop().
    asio::awaitable<void> announce(const tracker::NextAnnounce& next, std::chrono::milliseconds timeout,
                                   bool stopping);
    // Takes the swarm's counts from an announce reply, or scrapes `url` for them when the reply has none
    // and the last scrape is old enough.
    void update_swarm_counts(const std::string& url, const tracker::AnnounceResponse& reply,
                             std::uint64_t run);
    asio::awaitable<void> scrape(std::string url, std::uint64_t run);
    asio::awaitable<void> tick_loop(std::uint64_t run, bool tick_first = false);
    bool tick(std::uint64_t run);  // once a second (less for an idle seed); false: the run is over
    // A seed with no peers, no dials, nothing moving and nothing to save: its tick sleeps until a seed goal
    // may be met (or kIdleTick), and wake_tick() ends that sleep when something happens.
    bool is_idle_seed() const;
    void wake_tick();
    // DHT lookups and announces (torrent_dht.cpp), while the torrent runs and is public.
    asio::awaitable<void> dht_loop(std::uint64_t run);
    // False when the DHT runs as many lookups as it may: try again soon (kDhtBusyRetry).
    bool start_dht_lookup(std::uint64_t run);
    void cancel_dht_lookup();
    void connect_more();
    void set_state(TorrentState state);
    asio::awaitable<void> on_finished();
    // swarm::SwarmHost
    void store_block(const swarm::Block& block, std::span<const std::uint8_t> data) override;
    void on_piece_complete(PieceIndex piece) override;
    // Too many completed pieces wait for the disk (Settings::max_disk_backlog).
    bool disk_backlogged() const override;
    void on_peer_closed(swarm::PeerSession& peer, const swarm::CloseReason& reason) override;
    void on_corrupt_peer_banned(const Endpoint& address) override;
    std::shared_ptr<PeerConnection> add_connection(net::Transport transport, Endpoint endpoint,
                                                   Direction direction, const wire::Handshake& remote,
                                                   std::vector<std::uint8_t> leftover);
    std::uint64_t bytes_left() const;
    // The metadata phase (torrent_metadata.cpp): connections that fetch it, requests once a second.
    void add_metadata_connection(net::Transport transport, Endpoint endpoint, Direction direction,
                                 const wire::Handshake& remote, std::vector<std::uint8_t> leftover);
    asio::awaitable<void> metadata_loop(std::uint64_t run);
    void request_metadata(MetadataConnection& peer, Clock::time_point now);
    void close_metadata_peers(const std::string& reason);
    void on_metadata_complete(std::string info_bytes);
    // Peer exchange (torrent_pex.cpp): messages to the connected peers (from the tick), and theirs.
    void exchange_peers(Clock::time_point now);
    void on_pex_message(swarm::PeerSession& session, std::span<const std::uint8_t> payload);

    Session& session_;
    TorrentId id_;
    bandwidth::ChannelId download_channel_;
    bandwidth::ChannelId upload_channel_;
    bool sequential_ = false;
    bool first_last_pieces_ = false;
    std::vector<metainfo::FilePriority> file_priorities_;  // empty: every file normal
    wire::InfoHashBytes info_hash_;
    std::string name_;  // until the metadata is known
    std::optional<metainfo::Metainfo> metainfo_;
    std::string download_dir_;
    // With the metadata: the files, and the peers' shared state (picker, choker, counters).
    std::unique_ptr<TorrentDisk> disk_;
    std::unique_ptr<swarm::Swarm> swarm_;
    std::uint64_t swarms_made_ = 0;  // tells a piece written for an earlier swarm (verify_and_write)

    TorrentState state_ = TorrentState::stopped;  // added stopped: start() is the first resume
    std::string error_;
    std::function<void(TorrentState)> state_callback_;
    std::uint64_t run_ = 0;
    bool stopping_ = true;  // from stop() (or the torrent's creation) until the next run
    // Stops begun and finished: a stop() arriving during one waits for the number it saw to be done.
    std::uint64_t stops_begun_ = 0;
    std::uint64_t stops_done_ = 0;
    bool resume_after_stop_ = false;
    bool run_after_check_ = true;
    bool checked_ = false;  // the picker knows what is on disk (a check finished since the swarm was made)
    bool complete_last_run_ = false;  // TorrentParams::complete_last_run
    bool finishing_ = false;          // on_finished is running
    bool stopped_by_seed_goal_ = false;
    bool removed_ = false;
    asio::steady_timer stop_done_;  // cancelled when stop() finishes: wakes a second stop() waiting for it

    std::vector<std::shared_ptr<PeerConnection>> peers_;
    // Without metadata: what fetches it, and the connections that do.
    std::unique_ptr<swarm::MetadataFetch> metadata_fetch_;
    std::vector<std::shared_ptr<MetadataConnection>> metadata_peers_;
    std::uint64_t next_metadata_key_ = 1;
    std::uint32_t next_peer_id_ = 1;
    // Every known address: sources, failures and backoff, dials in flight, bans by address.
    swarm::PeerList peer_list_;
    asio::steady_timer tick_timer_;  // stop() cancels it: the loop ends at once
    bool tick_sleeping_ = false;     // the tick loop waits as an idle seed
    asio::steady_timer announce_timer_;
    tracker::Announcer announcer_;  // tiers, events, intervals and retries
    asio::steady_timer dht_timer_;  // stop() cancels it
    std::optional<DhtService::LookupHandle> dht_lookup_;
    std::uint32_t dht_early_rounds_ = 0;  // lookups in a row made early because peers were few
    std::uint64_t loops_run_ = 0;         // the run whose loops run_loops() started
    std::uint64_t dht_loop_run_ = 0;      // the run whose dht_loop is alive (0: none)

    std::uint32_t announces_ok_ = 0;
    std::uint32_t announces_failed_ = 0;
    std::string tracker_error_;
    std::optional<std::uint32_t> swarm_seeders_;
    std::optional<std::uint32_t> swarm_leechers_;
    std::optional<std::uint32_t> swarm_downloaded_;
    std::optional<Clock::time_point> next_scrape_;  // not before then (unset: a scrape may go now)
    std::uint32_t closed_our_mse_ = 0;
    std::uint32_t closed_our_plaintext_ = 0;
    std::optional<PieceIndex> last_hash_failure_;

    // The rates are the average of the last three ticks' payload bytes (one second each), so they fall
    // to zero three seconds after the last byte.
    std::uint64_t rate_down_ = 0;
    std::uint64_t rate_up_ = 0;
    std::array<std::uint64_t, 3> recent_down_{};
    std::array<std::uint64_t, 3> recent_up_{};
    std::size_t recent_slot_ = 0;
    std::uint64_t last_payload_down_ = 0;
    std::uint64_t last_payload_up_ = 0;
    SeedGoals seed_goals_;
    Clock::time_point seeding_since_{};
    Clock::time_point last_upload_{};  // while seeding: when payload was last uploaded
};

}  // namespace bt::session
