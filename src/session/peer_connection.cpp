#include "session/peer_connection.hpp"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "core/log.hpp"
#include "session/session.hpp"
#include "session/torrent.hpp"
#include "swarm/request_queue.hpp"

namespace bt::session {

// What a misbehaving peer gets.
//
// Banned (PeerConnection::ban: closed, and refused by the whole session from then on: by peer id, and by
// address when we dialled it) for protocol violations that an honest client cannot make by mistake once
// it has the right metainfo (the info-hash matched):
//   - any framing or bounds error from wire::MessageReader: a length prefix above the largest legal
//     frame (e.g. 2^31), a fixed-size message of the wrong size, a BITFIELD of the wrong size, a piece
//     index >= the piece count in HAVE / REQUEST / CANCEL / PIECE / ..., a block length of 0 or above
//     16 KiB (e.g. a 1 MiB REQUEST);
//   - a BITFIELD with spare bits set; a REQUEST reaching past the end of its piece;
//   - a PIECE we never asked for (neither outstanding nor among the last kMaxReleasedRemembered requests
//     we cancelled or dropped, which may still cross on the wire);
//   - (Torrent::strike) data that fails the hash check, at once when the peer sent the whole piece.
// Closed, not banned:
//   - a flood of REQUEST / CANCEL messages (see kRequestFloodBurst): abuse, but a client with a huge
//     pipeline can get there honestly, and reconnecting costs it a handshake;
//   - a REQUEST for a piece we do not have, HAVE_ALL after the first message, read/write errors, timeouts;
//   - handshake failures (random bytes, stalled or garbage MSE, an unknown info-hash): Session and
//     Torrent close them before a peer id is known, bounded by the handshake timeout, MSE's sync bound
//     (628 bytes) and the session's connection budget.
// Whatever a peer sends, what we hold for it stays bounded: one frame in the MessageReader (about 66 KiB),
// max_incoming_requests queued requests, kMaxSendBuffer of queued uploads.

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 64 * 1024;
// Uploads pause while this much is queued for the socket: bounds memory per peer.
constexpr std::size_t kMaxSendBuffer = 1024 * 1024;
constexpr std::size_t kMaxReleasedRemembered = 2048;
// Requests that come to nothing, each costing the peer a token: a REQUEST we drop (we choke the peer, or
// its queue is full) and every CANCEL. An honest peer loses at most one pipeline of requests per choke
// (choke rounds are 10 s apart) and cancels about one pipeline in its endgame; a flood costs thousands a
// second. Bucket size and refill per second, as multiples of Settings::max_incoming_requests:
constexpr std::uint32_t kRequestFloodBurst = 4;
constexpr std::uint32_t kRequestFloodRefillDivisor = 5;  // refill = max_incoming_requests / 5 per second

// True when `peer` has a piece `have` lacks (spare bits are zero in both).
bool has_piece_we_lack(const Bitfield& peer, const Bitfield& have) {
    const auto p = peer.bytes();
    const auto h = have.bytes();
    for (std::size_t i = 0; i < p.size() && i < h.size(); ++i) {
        if ((p[i] & ~h[i]) != 0) return true;
    }
    return false;
}

template <class Vector>
bool erase_block(Vector& blocks, const swarm::Block& block) {
    auto it = std::find(blocks.begin(), blocks.end(), block);
    if (it == blocks.end()) return false;
    blocks.erase(it);
    return true;
}

}  // namespace

PeerConnection::PeerConnection(Torrent& torrent, swarm::PeerId id, net::Transport transport,
                               Endpoint endpoint, Direction direction, const wire::Handshake& remote,
                               std::vector<std::uint8_t> leftover)
    : torrent_(torrent),
      id_(id),
      transport_(std::move(transport)),
      endpoint_(endpoint),
      direction_(direction),
      remote_(remote),
      leftover_(std::move(leftover)),
      reader_(torrent.metainfo().num_pieces()),
      peer_has_(torrent.metainfo().num_pieces()),
      writer_wake_(transport_.socket.get_executor(), Clock::time_point::max()),
      uploader_wake_(transport_.socket.get_executor(), Clock::time_point::max()) {
    const auto now = Clock::now();
    last_receive_ = last_send_ = last_block_ = now;
    request_waste_budget_ = kRequestFloodBurst * torrent.settings().max_incoming_requests;
    torrent.session().on_peer_opened();
}

std::string PeerConnection::client_name() const {
    if (!extensions_.client().empty()) return wire::printable_client_name(extensions_.client());
    // Azureus style "-XX1234-": enough to tell clients apart in logs.
    const auto& p = remote_.peer_id;
    if (p[0] == '-' && p[7] == '-') return std::string(p.begin() + 1, p.begin() + 7);
    return "unknown";
}

std::string PeerConnection::describe() const {
    return endpoint_.to_string() + (direction_ == Direction::incoming ? " in" : " out");
}

void PeerConnection::start() {
    auto self = shared_from_this();
    if (torrent_.session().is_banned(remote_.peer_id, endpoint_)) {
        close("banned");
        return;
    }
    if (torrent_.picker().num_have() > 0) {
        queue(wire::Bitfield{torrent_.picker().have().bytes()});
    }
    if (wire::has_extension_protocol(torrent_.session().reserved_bits()) &&
        wire::has_extension_protocol(remote_.reserved)) {
        send_extension_handshake();
    }
    asio::co_spawn(
        transport_.socket.get_executor(), [self]() { return self->reader(); }, asio::detached);
    asio::co_spawn(
        transport_.socket.get_executor(), [self]() { return self->writer(); }, asio::detached);
    asio::co_spawn(
        transport_.socket.get_executor(), [self]() { return self->uploader(); }, asio::detached);
}

void PeerConnection::close(const std::string& reason) {
    if (closed_) return;
    closed_ = true;
    torrent_.session().on_peer_closed();
    BT_LOG(info, "peer", "{} closed: {}", describe(), reason);
    std::error_code ignored;
    transport_.socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    transport_.socket.close(ignored);
    writer_wake_.cancel();
    uploader_wake_.cancel();
    release_requests();
    if (counted_as_seed_) {
        torrent_.picker().remove_peer_have_all();
    } else {
        (void)torrent_.picker().remove_peer_bitfield(peer_has_);
    }
    incoming_requests_.clear();
    torrent_.on_peer_closed(*this, reason);
}

void PeerConnection::ban(const std::string& reason) {
    if (closed_) return;
    const auto address =
        direction_ == Direction::outgoing ? std::optional<Endpoint>(endpoint_) : std::nullopt;
    if (torrent_.session().ban(remote_.peer_id, address)) ++torrent_.stats().peers_banned;
    BT_LOG(warning, "peer", "{} banned ({}): {}", describe(), client_name(), reason);
    close("banned: " + reason);
}

void PeerConnection::remember_released(const swarm::Block& block) {
    if (released_.size() >= kMaxReleasedRemembered) released_.pop_front();
    released_.push_back(block);
}

bool PeerConnection::waste_request() {
    if (request_waste_budget_ > 0) {
        --request_waste_budget_;
        return true;
    }
    close("request flood");
    return false;
}

void PeerConnection::release_requests() {
    torrent_.picker().on_peer_gone(id_);
    for (const auto& block : outstanding_) remember_released(block);
    outstanding_.clear();
}

void PeerConnection::queue(const wire::Message& message) {
    if (closed_) return;
    wire::encode(message, out_);
    torrent_.stats().protocol_uploaded += wire::encoded_size(message);
    wake_writer();
}

void PeerConnection::wake_writer() {
    writer_wake_.cancel();
}

void PeerConnection::send_have(PieceIndex piece) {
    queue(wire::Have{piece});
    update_interest();
}

void PeerConnection::set_choking(bool choke) {
    if (choke == am_choking_ || closed_) return;
    am_choking_ = choke;
    if (choke) {
        queue(wire::Choke{});
        incoming_requests_.clear();  // BEP 3: a choke discards the peer's pending requests
    } else {
        queue(wire::Unchoke{});
        uploader_wake_.cancel();
    }
}

void PeerConnection::send_cancel(const swarm::Block& block) {
    if (erase_block(outstanding_, block)) {
        queue(wire::Cancel{block.piece, block.begin, block.length});
        remember_released(block);
    }
}

void PeerConnection::update_interest() {
    if (closed_) return;
    const bool want = !torrent_.is_complete() && has_piece_we_lack(peer_has_, torrent_.picker().have());
    if (want == am_interested_) return;
    am_interested_ = want;
    queue(want ? wire::Message{wire::Interested{}} : wire::Message{wire::NotInterested{}});
}

void PeerConnection::request_more() {
    if (closed_ || peer_choking_ || !am_interested_ || torrent_.disk_backlogged()) return;
    // The torrent's budget (Settings::max_requests_in_flight) bounds the memory of pieces in progress
    // however many peers there are; a peer that finds it spent asks again when its next block arrives.
    const auto target =
        swarm::request_queue_target(download_rate_, downloaded_this_tick_, extensions_.request_queue());
    const auto wanted = swarm::requests_to_send(target, static_cast<std::uint32_t>(outstanding_.size()),
                                                torrent_.request_budget());
    if (wanted == 0) return;
    if (outstanding_.empty()) last_block_ = Clock::now();
    const auto blocks = torrent_.picker().pick(id_, peer_has_, wanted);
    for (const auto& block : blocks) {
        outstanding_.push_back(block);
        queue(wire::Request{block.piece, block.begin, block.length});
    }
    if (outstanding_.empty()) update_interest();
}

void PeerConnection::tick(Clock::time_point now) {
    if (closed_) return;
    // Smoothed rates, bytes per second: new = 3/4 old + 1/4 this second.
    download_rate_ = (download_rate_ * 3 + downloaded_this_tick_) / 4;
    upload_rate_ = (upload_rate_ * 3 + uploaded_this_tick_) / 4;
    downloaded_this_tick_ = uploaded_this_tick_ = 0;
    const auto& s = torrent_.settings();
    request_waste_budget_ =
        std::min(request_waste_budget_ + s.max_incoming_requests / kRequestFloodRefillDivisor,
                 kRequestFloodBurst * s.max_incoming_requests);
    if (now - last_receive_ > s.peer_idle_timeout) {
        close("idle timeout");
        return;
    }
    if (!outstanding_.empty() && now - last_block_ > s.request_timeout) {
        // Snubbed: its requests go back to the pool for other peers.
        snubbed_ = true;
        release_requests();
    }
    if (now - last_send_ > s.keep_alive_interval) queue(wire::KeepAlive{});
    request_more();
}

asio::awaitable<void> PeerConnection::writer() {
    auto self = shared_from_this();
    while (!closed_) {
        if (out_.empty()) {
            co_await writer_wake_.async_wait(use_nothrow);
            continue;
        }
        std::swap(out_, sending_);
        transport_.cipher.encrypt(sending_);
        auto [ec, n] = co_await asio::async_write(transport_.socket, asio::buffer(sending_), use_nothrow);
        if (ec) {
            close("write: " + ec.message());
            co_return;
        }
        sending_.clear();
        last_send_ = Clock::now();
        uploader_wake_.cancel();
    }
}

asio::awaitable<void> PeerConnection::uploader() {
    auto self = shared_from_this();
    while (!closed_) {
        if (incoming_requests_.empty() || am_choking_ || out_.size() > kMaxSendBuffer) {
            co_await uploader_wake_.async_wait(use_nothrow);
            continue;
        }
        const swarm::Block block = incoming_requests_.front();
        incoming_requests_.pop_front();
        auto data = co_await torrent_.read_block(block);
        if (closed_) co_return;
        if (!data) {
            close("cannot serve a request: " + data.error());
            co_return;
        }
        if (am_choking_) continue;
        const auto header = wire::encode_piece_header(block.piece, block.begin, block.length);
        out_.insert(out_.end(), header.begin(), header.end());
        out_.insert(out_.end(), data->begin(), data->end());
        torrent_.stats().protocol_uploaded += header.size();
        torrent_.stats().payload_uploaded += block.length;
        uploaded_this_tick_ += block.length;
        wake_writer();
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
    while (!closed_) {
        for (;;) {
            auto item = reader_.next();
            if (!item) {
                ban("protocol error: " + item.error().message());
                co_return;
            }
            if (std::holds_alternative<wire::NeedMore>(*item)) break;
            const auto frame = reader_.last_frame().size();
            if (const auto* message = std::get_if<wire::Message>(&*item)) {
                const auto* piece = std::get_if<wire::Piece>(message);
                torrent_.stats().protocol_downloaded += frame - (piece != nullptr ? piece->block.size() : 0);
                if (!handle(*message)) co_return;
            } else {
                torrent_.stats().protocol_downloaded += frame;  // unknown message id: ignored (BEP 3)
            }
            got_first_message_ = true;
        }
        auto buffer = reader_.prepare(kReadChunk);
        auto [ec, n] = co_await transport_.socket.async_read_some(asio::buffer(buffer.data(), buffer.size()),
                                                                  use_nothrow);
        if (closed_) co_return;
        if (ec) {
            close(ec == asio::error::eof ? "closed by peer" : "read: " + ec.message());
            co_return;
        }
        reader_.commit(n);
        last_receive_ = Clock::now();
    }
}

bool PeerConnection::handle(const wire::Message& message) {
    return std::visit(
        [this](const auto& m) -> bool {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, wire::Bitfield>) {
                return on_bitfield(m);
            } else if constexpr (std::is_same_v<T, wire::Have>) {
                return on_have(m.index);
            } else if constexpr (std::is_same_v<T, wire::HaveAll>) {
                return on_have_all();
            } else if constexpr (std::is_same_v<T, wire::Choke>) {
                on_choked();
            } else if constexpr (std::is_same_v<T, wire::Unchoke>) {
                peer_choking_ = false;
                request_more();
            } else if constexpr (std::is_same_v<T, wire::Interested>) {
                peer_interested_ = true;
                torrent_.on_interest_changed();
            } else if constexpr (std::is_same_v<T, wire::NotInterested>) {
                peer_interested_ = false;
                torrent_.on_interest_changed();
            } else if constexpr (std::is_same_v<T, wire::Request>) {
                return on_request(m);
            } else if constexpr (std::is_same_v<T, wire::Cancel>) {
                return on_cancel(m);
            } else if constexpr (std::is_same_v<T, wire::Piece>) {
                return on_piece(m);
            } else if constexpr (std::is_same_v<T, wire::RejectRequest>) {
                const swarm::Block block{m.index, m.begin, m.length};
                if (erase_block(outstanding_, block)) torrent_.picker().on_request_rejected(id_, block);
                request_more();
            } else if constexpr (std::is_same_v<T, wire::Extended>) {
                return on_extended(m);
            }
            // KeepAlive, HaveNone, Port, SuggestPiece, AllowedFast: nothing to do yet.
            return !closed_;
        },
        message);
}

bool PeerConnection::on_bitfield(const wire::Bitfield& message) {
    auto field = bt::Bitfield::from_bytes(message.bytes, torrent_.metainfo().num_pieces());
    if (!field) {
        ban("invalid bitfield (spare bits set)");
        return false;
    }
    // BEP 3 sends BITFIELD only first, but aria2 sends a fresh one later instead of several HAVEs:
    // accept it and replace what we counted for this peer.
    if (counted_as_seed_) {
        torrent_.picker().remove_peer_have_all();
        counted_as_seed_ = false;
    } else if (got_first_message_) {
        (void)torrent_.picker().remove_peer_bitfield(peer_has_);
    }
    peer_has_ = std::move(*field);
    if (peer_has_.all()) {
        counted_as_seed_ = true;
        torrent_.picker().add_peer_have_all();
    } else {
        (void)torrent_.picker().add_peer_bitfield(peer_has_);
    }
    if (torrent_.is_complete() && peer_has_.all()) {
        close("both seeds");
        return false;
    }
    update_interest();
    request_more();
    return true;
}

bool PeerConnection::on_have_all() {
    if (got_first_message_) {
        close("have-all after the first message");
        return false;
    }
    peer_has_.set_all();
    counted_as_seed_ = true;
    torrent_.picker().add_peer_have_all();
    update_interest();
    request_more();
    return true;
}

bool PeerConnection::on_have(PieceIndex piece) {
    if (peer_has_.test(piece)) return true;
    peer_has_.set(piece);
    if (!counted_as_seed_) (void)torrent_.picker().on_peer_have(piece);
    if (torrent_.is_complete() && peer_has_.all()) {
        close("both seeds");
        return false;
    }
    if (!am_interested_ && !torrent_.picker().has_piece(piece)) update_interest();
    request_more();
    return true;
}

void PeerConnection::on_choked() {
    peer_choking_ = true;
    // Without the fast extension a choke discards our pending requests (BEP 3).
    release_requests();
}

bool PeerConnection::on_request(const wire::Request& request) {
    const std::uint32_t size = torrent_.piece_size(request.index);
    if (request.begin > size || request.length > size - request.begin) {
        BT_LOG(info, "peer", "{}: request {}:{}+{} reaches past the end of the piece ({} bytes)", describe(),
               request.index.value, request.begin, request.length, size);
        ban("request beyond the end of its piece");
        return false;
    }
    if (!torrent_.picker().has_piece(request.index)) {
        BT_LOG(info, "peer", "{}: request for piece {}", describe(), request.index.value);
        close("request for a piece we do not have");
        return false;
    }
    // Choked: it may have crossed our choke on the wire. Full queue: dropped. Either way it costs a token.
    if (am_choking_ || incoming_requests_.size() >= torrent_.settings().max_incoming_requests) {
        return waste_request();
    }
    incoming_requests_.push_back(swarm::Block{request.index, request.begin, request.length});
    uploader_wake_.cancel();
    return true;
}

bool PeerConnection::on_cancel(const wire::Cancel& cancel) {
    erase_block(incoming_requests_, swarm::Block{cancel.index, cancel.begin, cancel.length});
    return waste_request();
}

bool PeerConnection::on_piece(const wire::Piece& piece) {
    const swarm::Block block{piece.index, piece.begin, static_cast<std::uint32_t>(piece.block.size())};
    torrent_.stats().payload_downloaded += block.length;
    downloaded_this_tick_ += block.length;
    const bool was_requested = erase_block(outstanding_, block);
    if (!was_requested && !erase_block(released_, block)) {
        BT_LOG(info, "peer", "{}: unrequested block {}:{}+{}", describe(), block.piece.value, block.begin,
               block.length);
        ban("sent a block we did not request");
        return false;
    }
    if (was_requested) {
        last_block_ = Clock::now();
        snubbed_ = false;
    }
    torrent_.on_block(*this, block, piece.block);
    if (closed_) return false;
    request_more();
    return !closed_;
}

void PeerConnection::send_extension_handshake() {
    wire::ExtensionHandshake ours;  // 'm' stays empty: we do not speak any extension message yet
    ours.client = "bitveil " BT_VERSION;
    if (const auto port = torrent_.session().listen_port(); port != 0) ours.listen_port = port;
    if (const auto reqq = torrent_.settings().max_incoming_requests; reqq > 0) ours.request_queue = reqq;
    ours.your_ip = endpoint_;
    ours.your_ip->port = 0;
    const std::string payload = wire::encode_extension_handshake(ours);
    queue(wire::Extended{wire::kExtendedHandshakeId,
                         {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()}});
}

bool PeerConnection::on_extended(const wire::Extended& message) {
    if (message.id != wire::kExtendedHandshakeId) {
        // Our 'm' assigns no ids, so the peer has no business sending these: skip them.
        BT_LOG(debug, "peer", "{}: ignored extended message id {} ({} bytes)", describe(),
               static_cast<unsigned>(message.id), message.payload.size());
        return true;
    }
    auto handshake = wire::decode_extension_handshake(message.payload);
    if (!handshake) {
        BT_LOG(info, "peer", "{} ({}): {}", describe(), client_name(), handshake.error().message());
        close("invalid extended handshake");
        return false;
    }
    const bool first = !extensions_.has_handshake();
    extensions_.apply(*handshake);
    if (first) {
        BT_LOG(info, "peer", "{}: client {} (extended handshake: reqq {}, {} extensions)", describe(),
               client_name(), extensions_.request_queue(), extensions_.messages().size());
    } else {
        BT_LOG(debug, "peer", "{}: extended handshake update: client {}, reqq {}, {} extensions", describe(),
               client_name(), extensions_.request_queue(), extensions_.messages().size());
    }
    request_more();  // a larger reqq may let more requests out
    return !closed_;
}

}  // namespace bt::session
