#pragma once
// One connected peer after the BitTorrent handshake: reads and decodes its messages, keeps the request
// pipeline full, serves its requests from disk, and sends what the torrent asks it to. Three coroutines
// share the object (reader, writer, uploader); close() stops all of them. All of it runs on the session's
// network thread; disk reads go to the torrent's disk pool.
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/bitfield.hpp"
#include "core/endpoint.hpp"
#include "net/peer_handshake.hpp"
#include "swarm/block.hpp"
#include "wire/extension.hpp"
#include "wire/handshake.hpp"
#include "wire/message.hpp"
#include "wire/message_reader.hpp"

namespace bt::session {

class Torrent;

enum class Direction : std::uint8_t { incoming, outgoing };

class PeerConnection : public std::enable_shared_from_this<PeerConnection> {
  public:
    using Clock = std::chrono::steady_clock;

    PeerConnection(Torrent& torrent, swarm::PeerId id, net::Transport transport, Endpoint endpoint,
                   Direction direction, const wire::Handshake& remote, std::vector<std::uint8_t> leftover);

    void start();
    // Closes the connection once; the torrent is told through on_peer_closed.
    void close(const std::string& reason);
    // Bans the peer from the session (see the policy in peer_connection.cpp), then closes it with
    // "banned: <reason>".
    void ban(const std::string& reason);
    bool is_closed() const noexcept { return closed_; }

    // From the torrent.
    void send_have(PieceIndex piece);
    void set_choking(bool choke);
    void send_cancel(const swarm::Block& block);
    void request_more();
    void update_interest();
    void tick(Clock::time_point now);  // once a second: rates, timeouts, keep-alives

    swarm::PeerId id() const noexcept { return id_; }
    const Endpoint& endpoint() const noexcept { return endpoint_; }
    Direction direction() const noexcept { return direction_; }
    const wire::PeerId& peer_id() const noexcept { return remote_.peer_id; }
    // The peer's 'v' from its extended handshake (BEP 10, made printable), else its peer id's client code.
    std::string client_name() const;
    const wire::PeerExtensions& extensions() const noexcept { return extensions_; }
    net::ConnectionKind kind() const noexcept { return transport_.kind; }
    const Bitfield& pieces() const noexcept { return peer_has_; }
    bool is_seed() const noexcept { return peer_has_.all(); }
    bool is_interested() const noexcept { return peer_interested_; }
    bool am_choking() const noexcept { return am_choking_; }
    bool is_snubbed() const noexcept { return snubbed_; }
    std::uint64_t download_rate() const noexcept { return download_rate_; }
    std::uint64_t upload_rate() const noexcept { return upload_rate_; }
    std::uint32_t requests_in_flight() const noexcept {
        return static_cast<std::uint32_t>(outstanding_.size());
    }

  private:
    asio::awaitable<void> reader();
    asio::awaitable<void> writer();
    asio::awaitable<void> uploader();

    // Returns false when the connection was closed while handling it.
    bool handle(const wire::Message& message);
    bool on_bitfield(const wire::Bitfield& message);
    bool on_have(PieceIndex piece);
    bool on_have_all();
    bool on_request(const wire::Request& request);
    bool on_cancel(const wire::Cancel& cancel);
    bool on_piece(const wire::Piece& piece);
    // BEP 10: our extended handshake, and the peer's messages.
    void send_extension_handshake();
    bool on_extended(const wire::Extended& message);
    // A request that came to nothing (see kRequestFloodBurst); false when it closed the connection.
    bool waste_request();
    void remember_released(const swarm::Block& block);
    void on_choked();
    void release_requests();
    void queue(const wire::Message& message);
    void wake_writer();
    std::string describe() const;

    Torrent& torrent_;
    swarm::PeerId id_;
    net::Transport transport_;
    Endpoint endpoint_;
    Direction direction_;
    wire::Handshake remote_;
    std::vector<std::uint8_t> leftover_;
    wire::MessageReader reader_;
    bool closed_ = false;

    Bitfield peer_has_;
    bool counted_as_seed_ = false;  // availability counted through add_peer_have_all
    bool got_first_message_ = false;
    bool am_choking_ = true;
    bool am_interested_ = false;
    bool peer_choking_ = true;
    bool peer_interested_ = false;
    bool snubbed_ = false;
    wire::PeerExtensions extensions_;  // what its extended handshakes said (reqq, v, ...)

    std::vector<swarm::Block> outstanding_;  // our requests to the peer, oldest first
    // Requests we gave up on (cancelled, choked, snubbed), newest last; a late PIECE for one of them is not
    // an offence. Bounded: the oldest are forgotten first.
    std::deque<swarm::Block> released_;
    std::deque<swarm::Block> incoming_requests_;
    std::uint32_t request_waste_budget_ = 0;  // tokens; refilled every tick

    std::vector<std::uint8_t> out_;      // queued for the writer
    std::vector<std::uint8_t> sending_;  // being written
    asio::steady_timer writer_wake_;
    asio::steady_timer uploader_wake_;

    Clock::time_point last_receive_;
    Clock::time_point last_send_;
    Clock::time_point last_block_;  // last requested block received (or first request sent)
    std::uint64_t downloaded_this_tick_ = 0;
    std::uint64_t uploaded_this_tick_ = 0;
    std::uint64_t download_rate_ = 0;
    std::uint64_t upload_rate_ = 0;
};

}  // namespace bt::session
