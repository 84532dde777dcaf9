#pragma once
// One torrent in the session: its metainfo, storage, piece picker, choker, peers, tracker announces and
// counters. Network-side state lives on the session's thread; hashing and file I/O run on the disk pool.
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

#include "core/bounded_map.hpp"
#include "core/endpoint.hpp"
#include "metainfo/metainfo.hpp"
#include "session/peer_connection.hpp"
#include "session/settings.hpp"
#include "session/stats.hpp"
#include "storage/file_storage.hpp"
#include "storage/piece_buffer.hpp"
#include "swarm/choker.hpp"
#include "swarm/piece_picker.hpp"
#include "tracker/types.hpp"

namespace bt::session {

class Session;

enum class TorrentState : std::uint8_t { checking, downloading, seeding, stopped, error };
const char* state_name(TorrentState state) noexcept;

struct TorrentStatus {
    TorrentState state = TorrentState::checking;
    std::string error;  // set in TorrentState::error
    std::uint32_t num_pieces = 0;
    std::uint32_t pieces_have = 0;
    std::int64_t total_size = 0;
    std::int64_t bytes_have = 0;
    std::int64_t check_bytes_done = 0;  // while checking
    std::uint64_t download_rate = 0;
    std::uint64_t upload_rate = 0;
    std::uint32_t peers_connected = 0;
    std::uint32_t peers_known = 0;
    std::uint32_t seeds_connected = 0;
    // Connected peers by kind of connection (net::ConnectionKind).
    std::uint32_t peers_plaintext = 0;
    std::uint32_t peers_mse_rc4 = 0;
    std::uint32_t peers_mse_header = 0;
    TransferStats stats;
};

class Torrent {
  public:
    using Clock = std::chrono::steady_clock;

    Torrent(Session& session, metainfo::Metainfo metainfo, std::string download_dir);
    ~Torrent();

    const metainfo::Metainfo& metainfo() const noexcept { return metainfo_; }
    const wire::InfoHashBytes& info_hash() const noexcept { return metainfo_.info_hash.bytes; }
    TorrentStatus status() const;
    bool is_complete() const noexcept { return picker_->is_finished(); }
    // Too many completed pieces wait for the disk: peers hold back new requests (Settings::max_disk_backlog).
    bool disk_backlogged() const noexcept;
    // Requests peers may still send (Settings::max_requests_in_flight less those outstanding).
    std::uint32_t request_budget() const noexcept;
    // Called with the new state whenever it changes (checking -> downloading -> seeding, error).
    void on_state_change(std::function<void(TorrentState)> callback) {
        state_callback_ = std::move(callback);
    }

    // Checks the data on disk, then starts announcing and connecting.
    void start();
    // Announces 'stopped' (bounded by settings.stop_announce_timeout), closes peers, flushes files.
    asio::awaitable<void> stop();

    // `given`: named by the user (--peer); dialled even while seeding. Peers from trackers are dialled only
    // while downloading: leechers dial a seed, and a seed dialling them back makes duplicate connections
    // that clients such as aria2 drop on their side.
    void add_peers(const std::vector<Endpoint>& endpoints, bool given = false);
    // A handshaken incoming connection for this torrent.
    void attach_incoming(net::Transport transport, Endpoint endpoint, const wire::Handshake& remote,
                         std::vector<std::uint8_t> leftover);
    bool accepts_connections() const noexcept;

    // From peer connections.
    Session& session() noexcept { return session_; }
    swarm::PiecePicker& picker() noexcept { return *picker_; }
    const Settings& settings() const noexcept;
    TransferStats& stats() noexcept { return stats_; }
    std::uint32_t piece_size(PieceIndex piece) const noexcept { return picker_->piece_size(piece); }
    bool is_banned(const Endpoint& endpoint) const;
    void on_peer_closed(PeerConnection& peer, const std::string& reason);
    // A received block and its bytes (block.length of them, plaintext).
    void on_block(PeerConnection& peer, const swarm::Block& block, std::span<const std::uint8_t> data);
    void on_interest_changed();
    void on_piece_complete(PieceIndex piece);
    asio::awaitable<Result<std::vector<std::uint8_t>, std::string>> read_block(swarm::Block block);
    void count_closed(const std::string& reason);

  private:
    struct KnownPeer {
        Clock::time_point next_attempt{};
        std::uint32_t failures = 0;
        bool connected = false;
        bool connecting = false;
        bool banned = false;
        bool is_self = false;
        bool plaintext_works = false;  // prefer: a plaintext handshake worked after MSE failed
        bool given = false;            // from --peer: never forgotten
    };
    // Makes room in known_ for one more address: forgets the idle address (not connected or connecting,
    // not banned, ourselves or given) with the most failures; false when none has failed.
    bool forget_a_failed_peer();

    asio::awaitable<void> check_and_run();
    asio::awaitable<void> connect_to(Endpoint endpoint);
    asio::awaitable<void> verify_and_write(PieceIndex piece, storage::PieceBuffer data);
    // Records the verified pieces and the files' sizes and mtimes in the resume file, on the disk pool
    // (see the definition for the order of steps); one save at a time, failures are logged warnings.
    // flush_data: fdatasync the files first and save a record valid after a restart of the machine;
    // otherwise the record names this boot (storage/resume_data.hpp).
    asio::awaitable<void> save_resume_data(bool flush_data);
    // From the tick loop: saves when pieces were verified and settings.resume_save_interval has passed.
    void maybe_save_resume(Clock::time_point now);
    asio::awaitable<void> announce_loop();
    asio::awaitable<bool> announce(tracker::Event event, std::chrono::seconds timeout);
    asio::awaitable<void> tick_loop();
    void connect_more();
    void run_choker();
    void set_state(TorrentState state);
    // Stops the torrent: closes its peers and reports TorrentState::error with `message`.
    void stop_with_error(const std::string& message);
    asio::awaitable<void> on_finished();
    // A peer delivered part of a piece that failed its hash check.
    void strike(swarm::PeerId id, bool sole_contributor);
    // Forgets departed peers whose blocks have all been verified or failed.
    void forget_departed_contributors();
    PeerConnection* find_peer(swarm::PeerId id);
    std::shared_ptr<PeerConnection> add_connection(net::Transport transport, Endpoint endpoint,
                                                   Direction direction, const wire::Handshake& remote,
                                                   std::vector<std::uint8_t> leftover);
    std::uint64_t bytes_left() const;

    Session& session_;
    metainfo::Metainfo metainfo_;
    std::string download_dir_;
    std::unique_ptr<storage::FileStorage> storage_;
    std::string resume_path_;             // <download dir>/.bitveil/<info-hash hex>.resume
    std::string boot_id_;                 // storage::current_boot_id(), empty when unknown
    bool resume_ready_ = false;           // the start check is done: the picker knows every piece on disk
    bool resume_dirty_ = false;           // pieces verified (or the check found changes) since the last save
    bool resume_saving_ = false;          // a save is running on the disk pool
    bool resume_durable_ = false;         // the last save flushed the data first
    std::uint32_t writes_in_flight_ = 0;  // verify_and_write jobs on the disk pool; stop() waits for them
    std::uint64_t bytes_to_disk_ = 0;     // the pieces those jobs hold
    Clock::time_point last_resume_save_{};
    std::unique_ptr<swarm::PiecePicker> picker_;
    swarm::Choker choker_;

    TorrentState state_ = TorrentState::checking;
    std::string error_;
    std::function<void(TorrentState)> state_callback_;
    // Written by the checking thread, read by status().
    std::shared_ptr<std::atomic<std::int64_t>> check_bytes_done_ =
        std::make_shared<std::atomic<std::int64_t>>(0);
    bool stopping_ = false;

    std::vector<std::shared_ptr<PeerConnection>> peers_;
    std::uint32_t next_peer_id_ = 1;
    std::map<Endpoint, KnownPeer> known_;
    std::uint32_t half_open_ = 0;
    // Keeps as many idle buffers as the disk backlog may hold, so a download reuses the same memory.
    storage::PieceBufferPool piece_buffers_;
    std::unordered_map<std::uint32_t, storage::PieceBuffer> partial_;  // piece -> its bytes so far
    // Connected peers (by swarm id), and departed ones whose blocks wait in unverified pieces: a bad piece
    // blames them after they left. Departed peers are dropped once the picker holds none of their blocks,
    // so connection churn does not grow this.
    std::unordered_map<std::uint32_t, std::pair<Endpoint, wire::PeerId>> peer_endpoints_;
    std::vector<swarm::PeerId> departed_contributors_;
    BoundedMap<wire::PeerId, std::uint32_t> strikes_;
    BoundedMap<wire::PeerId> banned_peer_ids_;

    // Piece writes take turns (hashing still runs on every disk thread): two threads writing one file
    // contend on its inode lock in the kernel, which spins (perf: ~9% of a download's CPU).
    std::mutex write_mutex_;
    asio::steady_timer announce_timer_;
    bool announced_started_ = false;
    bool completed_pending_ = false;  // a 'completed' event must be sent
    std::optional<std::string> tracker_id_;
    std::chrono::seconds announce_interval_{1800};
    std::vector<std::vector<std::string>> tiers_;

    TransferStats stats_;
    std::uint64_t rate_down_ = 0;
    std::uint64_t rate_up_ = 0;
    std::uint64_t last_payload_down_ = 0;
    std::uint64_t last_payload_up_ = 0;
    Clock::time_point last_choke_{};
};

}  // namespace bt::session
