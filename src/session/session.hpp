#pragma once
// The session: one listening port for every torrent, the peer id, the disk and HTTP worker pools, and the
// torrents themselves. Runs on one io_context (the caller's thread); see Torrent and PeerConnection.
#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bounded_map.hpp"
#include "core/result.hpp"
#include "core/small_rng.hpp"
#include "metainfo/metainfo.hpp"
#include "mse/skey_index.hpp"
#include "net/byte_stream.hpp"
#include "net/udp_mux.hpp"
#include "session/check_queue.hpp"
#include "session/dht_service.hpp"
#include "session/rate_limiter.hpp"
#include "session/settings.hpp"
#include "session/torrent.hpp"
#include "storage/read_cache.hpp"
#include "tracker/announce_pacer.hpp"
#include "wire/handshake.hpp"

namespace bt::session {

namespace detail {
struct PendingHandshakes;  // session.cpp
}

// Descriptors kept out of the peer-socket budget when it is derived from RLIMIT_NOFILE: the storage's
// open-file cache (64 by default), outgoing dials in flight (16 per torrent), the listener, the event
// loop's own descriptors, the tracker client and stdio.
inline constexpr std::uint32_t kReservedDescriptors = 112;

class Session {
  public:
    Session(asio::io_context& io, Settings settings);
    ~Session();

    // Why listen() failed: the system's error (std::errc::address_in_use for a busy port) and one line.
    struct ListenError {
        std::error_code ec;
        std::string message;
        bool port_in_use() const noexcept;  // EADDRINUSE: another process (or session) has the port
    };
    // Binds the listening socket (settings.listen_port; 0 picks a free one).
    Result<void, ListenError> listen();
    std::uint16_t listen_port() const noexcept { return listen_port_; }
    // Whether `endpoint` is our own listening socket as others name it: the listen address and port, or,
    // listening on every address, a loopback address with our port (other local addresses are found by
    // the handshake: the peer id is ours). Our own DHT announces come back in lookups.
    bool is_own_endpoint(const Endpoint& endpoint) const;
    // The session's UDP endpoint (trackers, later the DHT), opened by listen(); null before, or when no
    // UDP socket could be bound (UDP announces then open their own). Replaced when the port changes.
    const std::shared_ptr<net::UdpMux>& udp_mux() const noexcept { return udp_mux_; }

    // Settings changed while the session runs. A new listen address or port binds the new sockets first
    // and keeps the old ones when that fails (the error is one line; nothing else is applied then). The
    // rest applies at once to every torrent and peer, except disk_threads (the pool is sized at start-up)
    // and direct_writes (a torrent's files are opened with it when the torrent is added).
    Result<void, std::string> apply_settings(Settings settings);

    // Adds a torrent (stopped until Torrent::start()). Fails when the session has this info hash already.
    Result<Torrent*, std::string> add_torrent(TorrentParams params);
    Result<Torrent*, std::string> add_torrent(metainfo::Metainfo metainfo, std::string download_dir) {
        return add_torrent(TorrentParams::from_metainfo(std::move(metainfo), std::move(download_dir)));
    }
    // Stops the torrent (announce 'stopped', flush, close its files), takes it out of the session and,
    // with RemoveData::erase, deletes its downloaded files and resume record. The id is never used again.
    // The error is one line (an unknown id; a file that could not be deleted).
    asio::awaitable<Result<void, std::string>> remove_torrent(TorrentId id, RemoveData data);
    Torrent* find_torrent(TorrentId id) const;  // O(log n): torrents_ is in id order
    const std::vector<std::shared_ptr<Torrent>>& torrents() const noexcept { return torrents_; }
    const std::map<std::string, std::uint32_t>& incoming_failures() const noexcept {
        return incoming_failures_;
    }

    // Starts the torrent now, or queues it (TorrentState::queued) when Settings::max_active_downloads or
    // max_active_seeds are reached; a queued torrent starts, in queue order, when a slot frees up.
    void start_queued(Torrent& torrent) {
        Torrent* const one[] = {&torrent};
        start_queued(one);
    }
    // The same for many at once, in their order (a daemon restoring thousands): one pass over the session.
    void start_queued(std::span<Torrent* const> torrents);
    // Queued torrents start in the order of `order` (a daemon's queue-move); those it leaves out keep their
    // order, after the others.
    void reorder_queue(const std::vector<TorrentId>& order);

    // Stops every torrent (announce 'stopped', flush) and closes the listener.
    asio::awaitable<void> stop();

    // Bans a peer from every torrent of the session: its peer id, and `address` when it is the peer's
    // listening address (a peer we dialled). An incoming peer's address is an ephemeral port and is not
    // banned: the next peer from that port would pay for it. Returns false if it was banned already.
    bool ban(const wire::PeerId& peer_id, const std::optional<Endpoint>& address);
    bool is_banned(const wire::PeerId& peer_id, const Endpoint& address) const;
    // For dialling: a banned listening address (the peer id is not known yet).
    bool is_banned_address(const Endpoint& address) const { return banned_addresses_.contains(address); }

    // Established peer connections (PeerConnection calls these once each), for the connection budget.
    void on_peer_opened() noexcept { ++peer_sockets_; }
    void on_peer_closed() noexcept {
        if (peer_sockets_ > 0) --peer_sockets_;
    }
    std::uint32_t connection_limit() const noexcept { return connection_limit_; }
    std::uint32_t pending_incoming_limit() const noexcept { return pending_limit_; }

    // Rate limits: the session's channels (Settings::download_limit, upload_limit) and each torrent's.
    RateLimiter& rate_limiter() noexcept { return rate_limiter_; }
    bandwidth::ChannelId download_channel() const noexcept { return download_channel_; }
    bandwidth::ChannelId upload_channel() const noexcept { return upload_channel_; }

    // Alternative speed limits ("turtle mode"; Settings::alt_*), for the command line and a daemon's RPC
    // (Transmission's session-set alt-speed-*). Each applies the session channels' limits at once (the
    // rate limiter's next tick) and logs a switch at info. With the schedule on, a switch by hand holds
    // until the schedule's next one.
    void set_alt_speed_enabled(bool on);
    bool alt_speed_enabled() const noexcept { return settings_.alt_speed_enabled; }
    // The limits while alt speed is on, in bytes per second (0: none).
    void set_alt_speed_limits(std::uint64_t download, std::uint64_t upload);
    // Turns the weekly schedule on or off and sets its range and days. On: alt speed takes the
    // schedule's state for the current local time at once, and one timer waits for its next switch.
    void set_alt_speed_schedule(bool enabled, const bandwidth::AltSpeedSchedule& schedule);

    asio::io_context& io() noexcept { return io_; }
    asio::thread_pool& disk_pool() noexcept { return disk_pool_; }
    asio::thread_pool& http_pool() noexcept { return http_pool_; }
    // Blocks read for uploads, shared by every torrent (storage/read_cache.hpp).
    storage::ReadCache& read_cache() noexcept { return read_cache_; }
    const storage::ReadCache& read_cache() const noexcept { return read_cache_; }
    // How many torrents check their files at once (session/check_queue.hpp).
    CheckQueue& checks() noexcept { return *checks_; }
    // Becomes true when the session stops: announces still in flight give up (the final 'stopped'
    // announces do not use it).
    const std::atomic<bool>& http_cancel() const noexcept { return http_cancel_; }
    // stop() was called: torrents do not resume any more.
    bool is_stopping() const noexcept { return stopping_; }
    const Settings& settings() const noexcept { return settings_; }
    const wire::PeerId& peer_id() const noexcept { return peer_id_; }
    std::uint32_t tracker_key() const noexcept { return tracker_key_; }
    // What we advertise in the handshake's reserved bytes: the extension protocol (BEP 10), the fast
    // extension (BEP 6) and, while our DHT runs, the DHT (BEP 5). Torrent::reserved_bits() leaves the DHT
    // out for private torrents.
    wire::Reserved reserved_bits() const noexcept {
        wire::Reserved bits{};
        wire::set_extension_protocol(bits);
        wire::set_fast_extension(bits);
        if (dht_) wire::set_dht(bits);
        return bits;
    }
    // The DHT, started by listen() when settings().dht is on and a UDP socket is bound; null otherwise.
    DhtService* dht() const noexcept { return dht_.get(); }
    std::uint64_t random_seed();  // from std::random_device: for the session's own secrets
    // Seeds for what only needs to differ between torrents and runs (piece and peer shuffles, timer jitter):
    // std::random_device costs a system call or two each, which at ten thousand torrents shows at start.
    std::uint64_t shuffle_seed() noexcept { return shuffle_rng_(); }
    // When a seed's announce, due `now`, may go: the session spreads them (Settings::announces_per_second).
    std::chrono::steady_clock::time_point announce_slot(std::chrono::steady_clock::time_point now) {
        return announce_pacer_.reserve(now, settings_.announces_per_second);
    }

  private:
    // Binds a listening socket and its UDP endpoint on `settings`' address and port.
    struct Listener {
        std::shared_ptr<asio::ip::tcp::acceptor> acceptor;
        std::shared_ptr<net::UdpMux> udp_mux;  // null when no UDP socket could be bound
    };
    Result<Listener, ListenError> bind(const Settings& settings);
    void use(Listener listener);
    void release_listener();
    void spawn_accept_loop(std::shared_ptr<asio::ip::tcp::acceptor> acceptor);
    // Accepts on `acceptor` until the session stops or listens on another socket.
    asio::awaitable<void> accept_loop(std::shared_ptr<asio::ip::tcp::acceptor> acceptor);
    asio::awaitable<void> handle_incoming(std::unique_ptr<net::ByteStream> stream);
    // Closes an accepted socket at once when the connection budget is used up.
    void refuse(asio::ip::tcp::socket& socket, const char* reason);
    void set_connection_limits();
    // The session channels' limits: the alternative ones while alt speed is on.
    std::uint64_t session_download_limit() const noexcept {
        return settings_.alt_speed_enabled ? settings_.alt_download_limit : settings_.download_limit;
    }
    std::uint64_t session_upload_limit() const noexcept {
        return settings_.alt_speed_enabled ? settings_.alt_upload_limit : settings_.upload_limit;
    }
    void apply_rate_limits();
    // Sets alt speed on or off and applies the limits; logs when that switches it (`why`: "" or
    // " by the schedule").
    void switch_alt_speed(bool on, std::string_view why);
    void log_alt_speed(std::string_view why) const;
    // With the schedule on: takes its state for the local time now when it differs from what it set last
    // (alt_scheduled_), and sets the timer for its next switch. Off: cancels the timer.
    void check_alt_schedule();
    // Starts the DHT on udp_mux_ when the settings want it and it is not running; stops it when they no
    // longer do.
    void update_dht();
    std::shared_ptr<Torrent> find_torrent(const wire::InfoHashBytes& info_hash) const;
    // Once a second while torrents are queued: starts them as slots free up.
    asio::awaitable<void> queue_loop();
    void start_from_queue();

    asio::io_context& io_;
    Settings settings_;
    std::atomic<bool> http_cancel_{false};  // before the pools: their jobs may read it until joined
    asio::thread_pool disk_pool_;
    asio::thread_pool http_pool_;
    std::shared_ptr<CheckQueue> checks_;
    std::shared_ptr<asio::ip::tcp::acceptor> acceptor_;  // null until listen()
    std::uint16_t listen_port_ = 0;
    std::shared_ptr<net::UdpMux> udp_mux_;
    std::shared_ptr<DhtService> dht_;
    wire::PeerId peer_id_{};
    std::uint32_t tracker_key_ = 0;
    SmallRng shuffle_rng_{random_seed()};
    // Declared before torrents_, so still alive while the torrents (and their peers) are destroyed.
    std::uint32_t peer_sockets_ = 0;  // established peer connections
    RateLimiter rate_limiter_{io_.get_executor()};
    bandwidth::ChannelId download_channel_ = rate_limiter_.add_channel(session_download_limit());
    bandwidth::ChannelId upload_channel_ = rate_limiter_.add_channel(session_upload_limit());
    // The alt speed schedule's timer, and what the schedule set last (a switch by hand holds until the
    // schedule's state changes). The timer's handler holds alt_alive_ weakly: it may run after the
    // session is gone.
    asio::steady_timer alt_timer_{io_};
    std::optional<bool> alt_scheduled_;
    std::shared_ptr<int> alt_alive_ = std::make_shared<int>(0);
    // Accepted connections whose handshake runs, oldest first; shared with the handshakes, which may be
    // destroyed with the io_context after the Session (see PendingSlot in session.cpp).
    std::shared_ptr<detail::PendingHandshakes> pending_;
    std::uint32_t connection_limit_ = 0;  // settings.max_connections fitted to RLIMIT_NOFILE
    std::uint32_t pending_limit_ = 0;
    std::uint64_t refused_in_a_row_ = 0;  // for one log line per burst of refusals
    storage::ReadCache read_cache_{settings_.read_cache_bytes};
    BoundedMap<wire::PeerId> banned_ids_{settings_.max_ban_records};
    BoundedMap<Endpoint> banned_addresses_{settings_.max_ban_records};
    std::vector<std::shared_ptr<Torrent>> torrents_;                        // in id order
    std::map<wire::InfoHashBytes, std::shared_ptr<Torrent>> by_info_hash_;  // the same torrents
    std::vector<std::shared_ptr<Torrent>> removing_;  // out of torrents_, their remove_torrent still running
    std::vector<TorrentId> queue_;                    // queued torrents, first to start first
    std::map<TorrentId, std::chrono::steady_clock::time_point>
        last_moved_;  // running downloads: last payload
    bool queue_running_ = false;
    asio::steady_timer queue_timer_{io_};  // stop() cancels it: the queue loop ends at once
    std::uint32_t next_torrent_id_ = 1;
    tracker::AnnouncePacer announce_pacer_;
    mse::SkeyIndex skeys_;  // HASH('req2', info-hash) of every torrent, for incoming MSE
    // Incoming connections that failed before a torrent was known, by reason.
    std::map<std::string, std::uint32_t> incoming_failures_;
    bool stopping_ = false;
};

// Azureus-style peer id: "-BV0100-" then 12 random printable bytes.
wire::PeerId make_peer_id();

}  // namespace bt::session
