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
#include "session/seed_goals.hpp"
#include "session/settings.hpp"
#include "session/torrent_disk.hpp"
#include "swarm/peer_list.hpp"
#include "swarm/swarm.hpp"
#include "tracker/announcer.hpp"
#include "tracker/types.hpp"

namespace bt::session {

class Session;
// A torrent's handle in its session: given out in order from 1, never reused while the session runs.
using TorrentId = StrongId<struct TorrentIdTag>;
using TransferStats = swarm::TransferStats;

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

class Torrent : private swarm::SwarmHost {
  public:
    using Clock = std::chrono::steady_clock;

    Torrent(Session& session, TorrentId id, metainfo::Metainfo metainfo, std::string download_dir);
    ~Torrent();

    TorrentId id() const noexcept { return id_; }
    const metainfo::Metainfo& metainfo() const noexcept { return metainfo_; }
    // Once complete and seeding, the torrent stops itself (TorrentState::stopped) when a goal is met.
    void set_seed_goals(const SeedGoals& goals) { seed_goals_ = goals; }
    const wire::InfoHashBytes& info_hash() const noexcept { return metainfo_.info_hash.bytes; }
    TorrentStatus status() const;
    bool is_complete() const noexcept { return swarm_->is_complete(); }
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
    swarm::Swarm& swarm() noexcept { return *swarm_; }
    const Settings& settings() const noexcept;
    TransferStats& stats() noexcept { return swarm_->stats(); }
    bool is_banned(const Endpoint& endpoint) const;
    asio::awaitable<Result<std::vector<std::uint8_t>, std::string>> read_block(swarm::Block block) {
        return disk_.read_block(block);
    }
    void count_closed(const std::string& reason);

  private:
    // Runs one of the torrent's coroutines; an exception escaping it stops the torrent with its message.
    void spawn_job(asio::awaitable<void> job);
    asio::awaitable<void> check_and_run();
    asio::awaitable<void> connect_to(Endpoint endpoint);
    asio::awaitable<void> verify_and_write(PieceIndex piece);
    asio::awaitable<void> announce_loop();
    // Sends `next` and reports the outcome to announcer_. `stopping`: the 'stopped' round of stop().
    asio::awaitable<void> announce(const tracker::NextAnnounce& next, std::chrono::milliseconds timeout,
                                   bool stopping);
    asio::awaitable<void> tick_loop();
    void connect_more();
    void set_state(TorrentState state);
    // Stops the torrent: closes its peers and reports TorrentState::error with `message`.
    void stop_with_error(const std::string& message);
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

    Session& session_;
    TorrentId id_;
    metainfo::Metainfo metainfo_;
    std::string download_dir_;
    TorrentDisk disk_;
    std::unique_ptr<swarm::Swarm> swarm_;

    TorrentState state_ = TorrentState::checking;
    std::string error_;
    std::function<void(TorrentState)> state_callback_;
    bool stopping_ = false;

    std::vector<std::shared_ptr<PeerConnection>> peers_;
    std::uint32_t next_peer_id_ = 1;
    // Every known address: sources, failures and backoff, dials in flight, bans by address.
    swarm::PeerList peer_list_;
    asio::steady_timer announce_timer_;
    tracker::Announcer announcer_;  // tiers, events, intervals and retries

    std::uint64_t rate_down_ = 0;
    std::uint64_t rate_up_ = 0;
    std::uint64_t last_payload_down_ = 0;
    std::uint64_t last_payload_up_ = 0;
    SeedGoals seed_goals_;
    Clock::time_point seeding_since_{};
    Clock::time_point last_upload_{};  // while seeding: when payload was last uploaded
};

}  // namespace bt::session
