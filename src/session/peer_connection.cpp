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
        auto [ec, n] = co_await transport_.stream->write(sending_);
        if (is_closed()) co_return;
        if (ec) {
            close("write: " + ec.message());
            co_return;
        }
        session_.on_sent(Clock::now());
        uploader_wake_.cancel();
    }
}

asio::awaitable<void> PeerConnection::uploader() {
    auto self = shared_from_this();
    while (!is_closed()) {
        std::optional<swarm::Block> block;
        if (session_.output_size() <= kMaxSendBuffer) block = session_.next_upload();
        if (!block) {
            co_await uploader_wake_.async_wait(use_nothrow);
            continue;
        }
        auto data = co_await torrent_.read_block(*block);
        if (is_closed()) co_return;
        if (!data) {
            session_.on_read_failed(data.error());
            co_return;
        }
        session_.on_block_read(*block, *data);
    }
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
        auto buffer = reader_.prepare(kReadChunk);
        auto [ec, n] = co_await transport_.stream->read_some(buffer);
        if (is_closed()) co_return;
        if (ec) {
            close(ec == asio::error::eof ? "closed by peer" : "read: " + ec.message());
            co_return;
        }
        reader_.commit(n);
        now = Clock::now();
    }
}

}  // namespace bt::session
