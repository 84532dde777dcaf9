#include "session/metadata_connection.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include "core/log.hpp"
#include "net/spawn.hpp"
#include "session/session.hpp"
#include "session/torrent.hpp"
#include "wire/extension.hpp"
#include "wire/ut_metadata.hpp"

namespace bt::session {

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 64 * 1024;
// What a peer can make us queue before the metadata: our requests and handshake are far smaller. A peer that
// asks us for metadata we do not have gets this many rejects, then silence.
constexpr std::size_t kMaxOutbox = 64 * 1024;
constexpr std::uint32_t kMaxRejects = 64;

}  // namespace

MetadataConnection::MetadataConnection(Torrent& torrent, std::uint64_t key, net::Transport transport,
                                       Endpoint endpoint, Direction direction, const wire::Handshake& remote,
                                       std::vector<std::uint8_t> leftover)
    : torrent_(torrent),
      key_(key),
      transport_(std::move(transport)),
      endpoint_(endpoint),
      direction_(direction),
      fast_(wire::has_fast_extension(torrent.session().reserved_bits()) &&
            wire::has_fast_extension(remote.reserved)),
      dht_(wire::has_dht(torrent.reserved_bits()) && wire::has_dht(remote.reserved)),
      leftover_(std::move(leftover)),
      reader_(std::nullopt),
      peer_id_(remote.peer_id),
      writer_wake_(transport_.stream->get_executor(), Clock::time_point::max()) {
    torrent.session().on_peer_opened();  // counted against the session's sockets, as every peer is
}

MetadataConnection::~MetadataConnection() = default;

std::string MetadataConnection::describe() const {
    return endpoint_.to_string() + (direction_ == Direction::incoming ? " in" : " out");
}

void MetadataConnection::start() {
    if (fast_) send(wire::HaveNone{});
    wire::ExtensionHandshake ours;
    ours.messages[wire::kMetadataExtensionName] = kOurMetadataId;
    ours.client = "bitveil " BT_VERSION;
    if (torrent_.session().listen_port() != 0) ours.listen_port = torrent_.session().listen_port();
    const std::string payload = wire::encode_extension_handshake(ours);
    send(wire::Extended{wire::kExtendedHandshakeId,
                        {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()}});
    if (const auto port = torrent_.dht_port(endpoint_.family); dht_ && port != 0) send(wire::Port{port});
    auto self = shared_from_this();
    const auto owner = torrent_.shared_from_this();
    const auto executor = transport_.stream->get_executor();
    const auto on_failure = [self, owner](const std::string& what) { self->close(what); };
    net::spawn(
        executor, [self, owner]() { return self->reader(); }, on_failure);
    net::spawn(
        executor, [self, owner]() { return self->writer(); }, on_failure);
}

void MetadataConnection::close(const std::string& reason) {
    if (closed_) return;
    closed_ = true;
    torrent_.session().on_peer_closed();
    transport_.stream->shutdown();
    transport_.stream->close();
    writer_wake_.cancel();
    torrent_.on_metadata_peer_closed(*this, reason);
}

void MetadataConnection::request(const std::vector<std::uint32_t>& pieces) {
    if (closed_ || !their_metadata_id_) return;
    for (const auto piece : pieces) {
        const std::string payload = wire::encode_metadata_request(piece);
        send(wire::Extended{*their_metadata_id_,
                            {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()}});
    }
}

void MetadataConnection::send(const wire::Message& message) {
    if (closed_) return;
    wire::encode(message, outbox_);
    writer_wake_.cancel();
    if (outbox_.size() > kMaxOutbox) close("not reading what we send");
}

void MetadataConnection::on_message(const wire::Message& message) {
    if (const auto* extended = std::get_if<wire::Extended>(&message)) {
        on_extended(extended->id, extended->payload);
    } else if (const auto* port = std::get_if<wire::Port>(&message); port != nullptr && dht_) {
        torrent_.on_dht_port(endpoint_, port->port);
    }
    // Everything else is about pieces, which mean nothing before the metadata: dropped.
}

void MetadataConnection::on_extended(std::uint8_t id, std::span<const std::uint8_t> payload) {
    if (id == wire::kExtendedHandshakeId) {
        auto handshake = wire::decode_extension_handshake(payload);
        if (!handshake) {
            close(handshake.error().message());
            return;
        }
        const auto found = handshake->messages.find(wire::kMetadataExtensionName);
        if (found != handshake->messages.end()) {
            if (found->second == 0) {
                their_metadata_id_.reset();
            } else {
                their_metadata_id_ = found->second;
            }
        }
        if (!their_metadata_id_) {
            close("no ut_metadata: cannot give the metadata");
            return;
        }
        torrent_.on_metadata_offer(*this, handshake->metadata_size, handshake->listen_port);
        return;
    }
    if (id != kOurMetadataId) return;  // an extension we did not offer: ignored (BEP 10)
    auto message = wire::decode_metadata_message(payload);
    if (!message) {
        close(message.error());
        return;
    }
    if (message->type == wire::MetadataMessageType::request) {
        // We have nothing to give yet (BEP 9: "reject ... if the peer doesn't have the metadata").
        const std::string reject = wire::encode_metadata_reject(message->piece);
        if (their_metadata_id_ && rejects_sent_++ < kMaxRejects) {
            send(wire::Extended{*their_metadata_id_,
                                {reinterpret_cast<const std::uint8_t*>(reject.data()), reject.size()}});
        }
        return;
    }
    torrent_.on_metadata_message(*this, *message);
}

asio::awaitable<void> MetadataConnection::writer() {
    auto self = shared_from_this();
    while (!closed_) {
        if (outbox_.empty()) {
            co_await writer_wake_.async_wait(use_nothrow);
            continue;
        }
        sending_.clear();
        sending_.swap(outbox_);
        transport_.cipher.encrypt(sending_);
        auto [ec, n] = co_await transport_.stream->write(sending_);
        if (closed_) co_return;
        if (ec) {
            close("write: " + ec.message());
            co_return;
        }
    }
}

asio::awaitable<void> MetadataConnection::reader() {
    auto self = shared_from_this();
    if (!leftover_.empty()) {
        reader_.feed(leftover_);  // the handshake decrypted it already
        leftover_.clear();
    }
    if (transport_.cipher.is_encrypted()) {
        reader_.set_decryptor([this](std::span<std::uint8_t> bytes) { transport_.cipher.decrypt(bytes); });
    }
    while (!closed_) {
        for (;;) {
            auto item = reader_.next();
            if (!item) {
                close(item.error().message());
                co_return;
            }
            if (std::holds_alternative<wire::NeedMore>(*item)) break;
            if (const auto* message = std::get_if<wire::Message>(&*item)) on_message(*message);
            if (closed_) co_return;
        }
        auto buffer = reader_.prepare(kReadChunk);
        auto [ec, n] = co_await transport_.stream->read_some(buffer);
        if (closed_) co_return;
        if (ec) {
            close(ec == asio::error::eof ? "closed by peer" : "read: " + ec.message());
            co_return;
        }
        reader_.commit(n);
        last_received_ = Clock::now();
    }
}

}  // namespace bt::session
