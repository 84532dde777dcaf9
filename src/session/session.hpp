#pragma once
// The session: one listening port for every torrent, the peer id, the disk and HTTP worker pools, and the
// torrents themselves. Runs on one io_context (the caller's thread); see Torrent and PeerConnection.
#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/thread_pool.hpp>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bounded_map.hpp"
#include "core/result.hpp"
#include "metainfo/metainfo.hpp"
#include "mse/skey_index.hpp"
#include "net/byte_stream.hpp"
#include "net/udp_mux.hpp"
#include "session/settings.hpp"
#include "session/torrent.hpp"
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

    // Binds the listening socket (settings.listen_port; 0 picks a free one). The error is one line.
    Result<void, std::string> listen();
    std::uint16_t listen_port() const noexcept { return listen_port_; }
    // The session's UDP endpoint (trackers, later the DHT), opened by listen(); nullptr before, or when no
    // UDP socket could be bound (UDP announces then open their own).
    net::UdpMux* udp_mux() noexcept { return udp_mux_ ? &*udp_mux_ : nullptr; }

    Torrent& add_torrent(metainfo::Metainfo metainfo, std::string download_dir);
    const std::vector<std::unique_ptr<Torrent>>& torrents() const noexcept { return torrents_; }
    const std::map<std::string, std::uint32_t>& incoming_failures() const noexcept {
        return incoming_failures_;
    }

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

    asio::io_context& io() noexcept { return io_; }
    asio::thread_pool& disk_pool() noexcept { return disk_pool_; }
    asio::thread_pool& http_pool() noexcept { return http_pool_; }
    // Becomes true when the session stops: announces still in flight give up (the final 'stopped'
    // announces do not use it).
    const std::atomic<bool>& http_cancel() const noexcept { return http_cancel_; }
    const Settings& settings() const noexcept { return settings_; }
    const wire::PeerId& peer_id() const noexcept { return peer_id_; }
    std::uint32_t tracker_key() const noexcept { return tracker_key_; }
    // What we advertise in the handshake's reserved bytes: the extension protocol (BEP 10).
    wire::Reserved reserved_bits() const noexcept {
        wire::Reserved bits{};
        wire::set_extension_protocol(bits);
        return bits;
    }
    std::uint64_t random_seed();

  private:
    void spawn_accept_loop();
    asio::awaitable<void> accept_loop();
    asio::awaitable<void> handle_incoming(std::unique_ptr<net::ByteStream> stream);
    // Closes an accepted socket at once when the connection budget is used up.
    void refuse(asio::ip::tcp::socket& socket, const char* reason);
    void set_connection_limits();
    Torrent* find_torrent(const wire::InfoHashBytes& info_hash);

    asio::io_context& io_;
    Settings settings_;
    std::atomic<bool> http_cancel_{false};  // before the pools: their jobs may read it until joined
    asio::thread_pool disk_pool_;
    asio::thread_pool http_pool_;
    asio::ip::tcp::acceptor acceptor_;
    std::uint16_t listen_port_ = 0;
    std::optional<net::UdpMux> udp_mux_;  // before torrents_: their announces use it until they are gone
    wire::PeerId peer_id_{};
    std::uint32_t tracker_key_ = 0;
    // Declared before torrents_, so still alive while the torrents (and their peers) are destroyed.
    std::uint32_t peer_sockets_ = 0;  // established peer connections
    // Accepted connections whose handshake runs, oldest first; shared with the handshakes, which may be
    // destroyed with the io_context after the Session (see PendingSlot in session.cpp).
    std::shared_ptr<detail::PendingHandshakes> pending_;
    std::uint32_t connection_limit_ = 0;  // settings.max_connections fitted to RLIMIT_NOFILE
    std::uint32_t pending_limit_ = 0;
    std::uint64_t refused_in_a_row_ = 0;  // for one log line per burst of refusals
    BoundedMap<wire::PeerId> banned_ids_{settings_.max_ban_records};
    BoundedMap<Endpoint> banned_addresses_{settings_.max_ban_records};
    std::vector<std::unique_ptr<Torrent>> torrents_;
    std::uint32_t next_torrent_id_ = 1;
    mse::SkeyIndex skeys_;  // HASH('req2', info-hash) of every torrent, for incoming MSE
    // Incoming connections that failed before a torrent was known, by reason.
    std::map<std::string, std::uint32_t> incoming_failures_;
    bool stopping_ = false;
};

// Azureus-style peer id: "-BV0100-" then 12 random printable bytes.
wire::PeerId make_peer_id();

}  // namespace bt::session
