#pragma once
// The session: one listening port for every torrent, the peer id, the disk and HTTP worker pools, and the
// torrents themselves. Runs on one io_context (the caller's thread); see Torrent and PeerConnection.
#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/thread_pool.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "metainfo/metainfo.hpp"
#include "mse/skey_index.hpp"
#include "session/settings.hpp"
#include "session/torrent.hpp"
#include "wire/handshake.hpp"

namespace bt::session {

class Session {
  public:
    Session(asio::io_context& io, Settings settings);
    ~Session();

    // Binds the listening socket (settings.listen_port; 0 picks a free one). The error is one line.
    Result<void, std::string> listen();
    std::uint16_t listen_port() const noexcept { return listen_port_; }

    Torrent& add_torrent(metainfo::Metainfo metainfo, std::string download_dir);
    const std::vector<std::unique_ptr<Torrent>>& torrents() const noexcept { return torrents_; }
    const std::map<std::string, std::uint32_t>& incoming_failures() const noexcept {
        return incoming_failures_;
    }

    // Stops every torrent (announce 'stopped', flush) and closes the listener.
    asio::awaitable<void> stop();

    asio::io_context& io() noexcept { return io_; }
    asio::thread_pool& disk_pool() noexcept { return disk_pool_; }
    asio::thread_pool& http_pool() noexcept { return http_pool_; }
    const Settings& settings() const noexcept { return settings_; }
    const wire::PeerId& peer_id() const noexcept { return peer_id_; }
    std::uint32_t tracker_key() const noexcept { return tracker_key_; }
    wire::Reserved reserved_bits() const noexcept { return {}; }
    std::uint64_t random_seed();

  private:
    asio::awaitable<void> accept_loop();
    asio::awaitable<void> handle_incoming(asio::ip::tcp::socket socket);
    Torrent* find_torrent(const wire::InfoHashBytes& info_hash);

    asio::io_context& io_;
    Settings settings_;
    asio::thread_pool disk_pool_;
    asio::thread_pool http_pool_;
    asio::ip::tcp::acceptor acceptor_;
    std::uint16_t listen_port_ = 0;
    wire::PeerId peer_id_{};
    std::uint32_t tracker_key_ = 0;
    std::vector<std::unique_ptr<Torrent>> torrents_;
    mse::SkeyIndex skeys_;  // HASH('req2', info-hash) of every torrent, for incoming MSE
    // Incoming connections that failed before a torrent was known, by reason.
    std::map<std::string, std::uint32_t> incoming_failures_;
    bool stopping_ = false;
};

// Azureus-style peer id: "-BV0100-" then 12 random printable bytes.
wire::PeerId make_peer_id();

}  // namespace bt::session
