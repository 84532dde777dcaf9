#include "session/peer_connection.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include "core/log.hpp"
#include "core/printable.hpp"
#include "net/spawn.hpp"
#include "session/session.hpp"
#include "session/torrent.hpp"

namespace bt::session {

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 64 * 1024;
// Uploads pause while this much is queued for the stream: bounds memory per peer.
constexpr std::size_t kMaxSendBuffer = 1024 * 1024;
// The uploader looks ahead through the peer's requests while the lines they need hold less than this
// (and at most kMaxQueuedUploads blocks), with up to kMaxReadsPerPeer of them being read at once: the disk
// threads read the next lines while the socket sends the current one. It bounds the cache memory one peer
// keeps alive (a line may leave the cache but lives on while queued blocks need it): at most this plus one
// line.
constexpr std::uint64_t kMaxQueuedLineBytes = 1024 * 1024;
constexpr std::size_t kMaxQueuedUploads = 128;
constexpr std::uint32_t kMaxReadsPerPeer = 4;

}  // namespace

PeerConnection::PeerConnection(Torrent& torrent, swarm::PeerId id, net::Transport transport,
                               Endpoint endpoint, Direction direction, const wire::Handshake& remote,
                               std::vector<std::uint8_t> leftover)
    : torrent_(torrent),
      transport_(std::move(transport)),
      endpoint_(endpoint),
      direction_(direction),
      leftover_(std::move(leftover)),
      reader_(torrent.metainfo().num_pieces()),
      writer_wake_(transport_.stream->get_executor(), Clock::time_point::max()),
      uploader_wake_(transport_.stream->get_executor(), Clock::time_point::max()),
      read_waiter_(torrent.session().rate_limiter(), transport_.stream->get_executor()),
      write_waiter_(torrent.session().rate_limiter(), transport_.stream->get_executor()),
      session_(torrent.swarm(), id, static_cast<swarm::PeerIo&>(*this), endpoint, remote, Clock::now()) {
    torrent.session().on_peer_opened();
}

PeerConnection::~PeerConnection() = default;

std::string PeerConnection::describe() const {
    return endpoint_.to_string() + (direction_ == Direction::incoming ? " in" : " out");
}

void PeerConnection::start() {
    auto self = shared_from_this();
    session_.start();
    session_.send_dht_port(torrent_.dht_port(endpoint_.family));  // when both handshakes set the DHT bit
    if (session_.is_closed()) return;
    const auto executor = transport_.stream->get_executor();
    // Each coroutine holds the torrent too (torrent.hpp, "Lifetime"): a read for upload in flight when the
    // torrent is removed finishes against a live disk. An exception escaping one of them closes this peer.
    const auto owner = torrent_.shared_from_this();
    const auto on_failure = [self, owner](const std::string& what) { self->close(what); };
    net::spawn(
        executor, [self, owner]() { return self->reader(); }, on_failure);
    net::spawn(
        executor, [self, owner]() { return self->writer(); }, on_failure);
    net::spawn(
        executor, [self, owner]() { return self->uploader(); }, on_failure);
}

void PeerConnection::on_closed(const swarm::CloseReason& reason) {
    torrent_.session().on_peer_closed();
    if (reason.ban)
        BT_LOG(warning, "peer", "{} banned ({}): {}", describe(), session_.client_name(), reason.offence());
    BT_LOG(info, "peer", "{} closed: {}", describe(), reason.text);
    transport_.stream->shutdown();
    transport_.stream->close();
    writer_wake_.cancel();
    uploader_wake_.cancel();
    read_waiter_.cancel();
    write_waiter_.cancel();
}

void PeerConnection::on_dht_port(std::uint16_t port) {
    torrent_.on_dht_port(endpoint_, port);
}

void PeerConnection::on_extension_handshake(bool first) {
    const auto& extensions = session_.extensions();
    // The names the peer enabled (a few: a peer may list up to wire::kMaxExtensionMessages).
    std::string names;
    std::size_t listed = 0;
    for (const auto& [name, id] : extensions.messages()) {
        if (listed++ == 8) {
            names += ", ...";
            break;
        }
        names += (names.empty() ? "" : ", ") + printable(name);
    }
    const auto level = first ? log::Level::info : log::Level::debug;
    if (log::enabled(level)) {
        log::write(level, "peer",
                   fmt::format("{}: client {} (extended handshake{}: reqq {}, extensions: {})", describe(),
                               session_.client_name(), first ? "" : " update", extensions.request_queue(),
                               names.empty() ? "none" : names));
    }
}

asio::awaitable<void> PeerConnection::writer() {
    auto self = shared_from_this();
    while (!is_closed()) {
        if (session_.output_size() == 0) {
            co_await writer_wake_.async_wait(use_nothrow);
            continue;
        }
        session_.take_output(sending_);
        transport_.cipher.encrypt(sending_);
        std::span<const std::uint8_t> rest = sending_;
        while (!rest.empty()) {
            auto chunk = rest.size();
            if (torrent_.session().rate_limiter().limits(torrent_.upload_channels())) {
                chunk = co_await write_quota(chunk);
                if (is_closed()) co_return;
                if (chunk == 0) break;  // the session is going away
            }
            auto [ec, n] = co_await transport_.stream->write(rest.first(chunk));
            if (is_closed()) co_return;
            if (ec) {
                close("write: " + ec.message());
                co_return;
            }
            rest = rest.subspan(n);
        }
        session_.on_sent(Clock::now());
        uploader_wake_.cancel();
    }
}

asio::awaitable<void> PeerConnection::uploader() {
    auto self = shared_from_this();
    while (!is_closed()) {
        bool progressed = queue_uploads();
        while (!uploads_.empty() && session_.output_size() <= kMaxSendBuffer) {
            const auto& line = *uploads_.front().line;
            if (line.state == storage::CacheLine::State::loading) break;
            if (line.state == storage::CacheLine::State::failed) {
                // Every peer waiting for the line closes: the run it covers could not be read.
                session_.on_read_failed(line.error);
                co_return;
            }
            const auto block = uploads_.front().block;
            session_.on_block_read(block, line.slice(block.begin, block.length));
            pop_upload();
            progressed = true;
        }
        if (progressed) continue;
        // Waiting for the writer to make room, for a request, or for the front's line: a line another
        // peer's read fills wakes this uploader too.
        if (!uploads_.empty() && uploads_.front().line->state == storage::CacheLine::State::loading &&
            waiting_on_ != uploads_.front().line.get()) {
            waiting_on_ = uploads_.front().line.get();
            uploads_.front().line->on_loaded.push_back([weak = weak_from_this()] {
                if (auto peer = weak.lock()) peer->uploader_wake_.cancel();
            });
        }
        co_await uploader_wake_.async_wait(use_nothrow);
    }
}

bool PeerConnection::queue_uploads() {
    bool queued = false;
    while (queued_line_bytes_ < kMaxQueuedLineBytes && uploads_.size() < kMaxQueuedUploads &&
           reads_in_flight_ < kMaxReadsPerPeer && session_.output_size() <= kMaxSendBuffer) {
        const auto block = session_.next_upload();
        if (!block) break;
        auto line = torrent_.cached_line(*block);
        if (!line) {
            line =
                torrent_.new_line(*block, session_.requested_run_end(*block, storage::max_run(block->begin)));
            ++reads_in_flight_;
            auto self = shared_from_this();
            auto owner = torrent_.shared_from_this();
            net::spawn(
                transport_.stream->get_executor(), [self, owner, line]() { return self->load(line); },
                [self](const std::string& what) { self->close(what); });
        }
        // Counted once per stretch of blocks in one line (a line met again later counts again: more
        // than it holds, never less).
        if (uploads_.empty() || uploads_.back().line != line) queued_line_bytes_ += line->length;
        uploads_.push_back({*block, std::move(line)});
        queued = true;
    }
    return queued;
}

void PeerConnection::pop_upload() {
    auto done = std::move(uploads_.front());
    uploads_.pop_front();
    if (uploads_.empty() || uploads_.front().line != done.line) queued_line_bytes_ -= done.line->length;
    waiting_on_ = nullptr;  // the front changed
}

asio::awaitable<void> PeerConnection::load(std::shared_ptr<storage::CacheLine> line) {
    co_await torrent_.load(std::move(line));
    --reads_in_flight_;
    uploader_wake_.cancel();
}

asio::awaitable<std::size_t> PeerConnection::read_quota(std::size_t wanted) {
    if (read_allowance_ == 0)
        read_allowance_ = co_await read_waiter_.acquire(torrent_.download_channels(), wanted);
    co_return static_cast<std::size_t>(std::min<std::uint64_t>(read_allowance_, wanted));
}

asio::awaitable<std::size_t> PeerConnection::write_quota(std::size_t wanted) {
    if (write_allowance_ == 0)
        write_allowance_ = co_await write_waiter_.acquire(torrent_.upload_channels(), wanted);
    const auto chunk = std::min<std::uint64_t>(write_allowance_, wanted);
    write_allowance_ -= chunk;  // a write moves all it is given, or fails and closes the connection
    co_return static_cast<std::size_t>(chunk);
}

asio::awaitable<void> PeerConnection::reader() {
    auto self = shared_from_this();
    if (!leftover_.empty()) {
        reader_.feed(leftover_);  // the handshake decrypted it already
        leftover_.clear();
    }
    if (transport_.cipher.is_encrypted()) {
        reader_.set_decryptor([this](std::span<std::uint8_t> bytes) { transport_.cipher.decrypt(bytes); });
    }
    auto now = Clock::now();
    while (!is_closed()) {
        for (;;) {
            auto item = reader_.next();
            if (!item) {
                session_.on_protocol_error(item.error().message());
                co_return;
            }
            if (std::holds_alternative<wire::NeedMore>(*item)) break;
            const auto frame = reader_.last_frame().size();
            if (const auto* message = std::get_if<wire::Message>(&*item)) {
                session_.on_message(*message, frame, now);
            } else {
                session_.on_unknown_message(frame, now);  // unknown message id: ignored (BEP 3)
            }
            if (is_closed()) co_return;
        }
        auto chunk = kReadChunk;
        if (torrent_.session().rate_limiter().limits(torrent_.download_channels())) {
            chunk = co_await read_quota(chunk);
            if (is_closed() || chunk == 0) co_return;  // 0: the session is going away
        }
        auto buffer = reader_.prepare(chunk);
        auto [ec, n] = co_await transport_.stream->read_some(buffer);
        if (is_closed()) co_return;
        if (ec) {
            close(ec == asio::error::eof ? "closed by peer" : "read: " + ec.message());
            co_return;
        }
        read_allowance_ -= std::min<std::uint64_t>(read_allowance_, n);
        reader_.commit(n);
        now = Clock::now();
    }
}

}  // namespace bt::session
