#pragma once
// The I/O around one connected peer's swarm::PeerSession: a reader that decrypts and frames what the stream
// delivers and feeds the messages to the session, a writer that encrypts and sends the session's outbox,
// and an uploader that reads requested blocks on the disk pool. All three run on the session's network
// thread; close() (or the session closing) stops them. Under a rate limit (session/rate_limiter.hpp) the
// reader and the writer ask for quota before each read and write, and move no more than they got.
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/endpoint.hpp"
#include "net/peer_handshake.hpp"
#include "session/rate_limiter.hpp"
#include "storage/read_cache.hpp"
#include "swarm/peer_session.hpp"
#include "swarm/pex.hpp"
#include "wire/handshake.hpp"
#include "wire/message_reader.hpp"

namespace bt::session {

class Torrent;

enum class Direction : std::uint8_t { incoming, outgoing };

class PeerConnection : public std::enable_shared_from_this<PeerConnection>, private swarm::PeerIo {
  public:
    using Clock = std::chrono::steady_clock;

    PeerConnection(Torrent& torrent, swarm::PeerId id, net::Transport transport, Endpoint endpoint,
                   Direction direction, const wire::Handshake& remote, std::vector<std::uint8_t> leftover);
    ~PeerConnection();

    void start();
    // Closes the connection once; the torrent is told through on_peer_closed.
    void close(const std::string& reason) { session_.close({reason, false}); }
    bool is_closed() const noexcept { return session_.is_closed(); }

    swarm::PeerSession& session() noexcept { return session_; }
    const swarm::PeerSession& session() const noexcept { return session_; }
    swarm::PeerId id() const noexcept { return session_.id(); }
    const Endpoint& endpoint() const noexcept { return endpoint_; }
    Direction direction() const noexcept { return direction_; }
    net::ConnectionKind kind() const noexcept { return transport_.kind; }
    std::string describe() const;
    // Peer exchange with this peer (torrent_pex.cpp).
    swarm::PexState& pex() noexcept { return pex_; }

  private:
    void on_output() override { writer_wake_.cancel(); }
    void on_upload_ready() override { uploader_wake_.cancel(); }
    void on_closed(const swarm::CloseReason& reason) override;
    void on_extension_handshake(bool first) override;
    void on_dht_port(std::uint16_t port) override;

    asio::awaitable<void> reader();
    asio::awaitable<void> writer();
    asio::awaitable<void> uploader();
    // Hands out requests (next_upload) into uploads_ while there is room, starting reads for those whose
    // lines are not cached; true when it handed out any.
    bool queue_uploads();
    void pop_upload();
    // Reads one line on the disk pool for the uploader (the line wakes its waiters when done).
    asio::awaitable<void> load(std::shared_ptr<storage::CacheLine> line);
    // Under a limit: how many bytes the next read (write) may move, waiting for quota when the allowance
    // is used up; 0 when the wait was cancelled.
    asio::awaitable<std::size_t> read_quota(std::size_t wanted);
    asio::awaitable<std::size_t> write_quota(std::size_t wanted);

    Torrent& torrent_;
    net::Transport transport_;
    Endpoint endpoint_;
    Direction direction_;
    std::vector<std::uint8_t> leftover_;
    wire::MessageReader reader_;
    std::vector<std::uint8_t> sending_;  // being written
    asio::steady_timer writer_wake_;
    asio::steady_timer uploader_wake_;
    RateLimiter::Waiter read_waiter_;
    RateLimiter::Waiter write_waiter_;
    std::uint64_t read_allowance_ = 0;  // granted and not read yet
    std::uint64_t write_allowance_ = 0;
    // Blocks handed out by next_upload(), in request order, each with the cache line that holds it (maybe
    // still being read); they go into the send buffer in that order as their lines become ready.
    struct QueuedUpload {
        swarm::Block block;
        std::shared_ptr<storage::CacheLine> line;
    };
    std::deque<QueuedUpload> uploads_;
    std::uint64_t queued_line_bytes_ = 0;  // the lines uploads_ needs (see queue_uploads)
    std::uint32_t reads_in_flight_ = 0;    // loads this peer started that have not ended
    const storage::CacheLine* waiting_on_ =
        nullptr;  // the front's line, once the uploader asked it to wake it
    swarm::PexState pex_;
    swarm::PeerSession session_;  // last: it joins the swarm when constructed and may call back at once
};

}  // namespace bt::session
