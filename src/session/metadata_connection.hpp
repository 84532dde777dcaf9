#pragma once
// A peer connection of a torrent that has no metadata yet (a magnet link): it asks the peer for the info
// dictionary over ut_metadata (BEP 9) and nothing else. Everything the peer says about pieces (bitfield,
// HAVE, ...) is read and dropped, since the piece count is not known. Once the metadata is complete the
// torrent closes these connections and dials its peers again as ordinary ones (as aria2 does): a fresh
// handshake is simpler and safer than carrying over a half-started conversation.
//
// Runs on the session's network thread: a reader that frames and decrypts what the stream delivers, and a
// writer for the small messages we send. MetadataFetch (swarm/metadata_fetch.hpp) decides what to ask.
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.hpp"
#include "net/peer_handshake.hpp"
#include "session/peer_connection.hpp"
#include "wire/handshake.hpp"
#include "wire/message_reader.hpp"

namespace bt::session {

class Torrent;

class MetadataConnection : public std::enable_shared_from_this<MetadataConnection> {
  public:
    using Clock = std::chrono::steady_clock;
    // The id we receive ut_metadata messages with (our extended handshake's 'm').
    static constexpr std::uint8_t kOurMetadataId = 1;

    MetadataConnection(Torrent& torrent, std::uint64_t key, net::Transport transport, Endpoint endpoint,
                       Direction direction, const wire::Handshake& remote,
                       std::vector<std::uint8_t> leftover);
    ~MetadataConnection();

    // Sends HAVE_NONE (when both sides have the fast extension, BEP 6 wants a first message about pieces)
    // and our extended handshake, and starts reading.
    void start();
    // Closes once; the torrent hears of it through on_metadata_peer_closed.
    void close(const std::string& reason);
    bool is_closed() const noexcept { return closed_; }

    // ut_metadata requests for these pieces.
    void request(const std::vector<std::uint32_t>& pieces);

    std::uint64_t key() const noexcept { return key_; }
    const Endpoint& endpoint() const noexcept { return endpoint_; }
    Direction direction() const noexcept { return direction_; }
    net::ConnectionKind kind() const noexcept { return transport_.kind; }
    Clock::time_point last_received() const noexcept { return last_received_; }
    Clock::time_point connected_at() const noexcept { return connected_at_; }
    const wire::PeerId& peer_id() const noexcept { return peer_id_; }
    std::string describe() const;

  private:
    void send(const wire::Message& message);
    void on_message(const wire::Message& message);
    void on_extended(std::uint8_t id, std::span<const std::uint8_t> payload);
    asio::awaitable<void> reader();
    asio::awaitable<void> writer();

    Torrent& torrent_;
    std::uint64_t key_;
    net::Transport transport_;
    Endpoint endpoint_;
    Direction direction_;
    bool fast_ = false;
    bool dht_ = false;  // BEP 5: both handshakes set the DHT bit (PORT messages both ways)
    std::vector<std::uint8_t> leftover_;
    wire::MessageReader reader_;
    wire::PeerId peer_id_;
    std::optional<std::uint8_t> their_metadata_id_;  // from the peer's extended handshake
    std::uint32_t rejects_sent_ = 0;                 // answers to its requests: we have nothing yet
    std::vector<std::uint8_t> outbox_;
    std::vector<std::uint8_t> sending_;
    asio::steady_timer writer_wake_;
    Clock::time_point connected_at_ = Clock::now();
    Clock::time_point last_received_ = connected_at_;
    bool closed_ = false;
};

}  // namespace bt::session
