// A torrent added without its metadata (a magnet link): connections that fetch the info dictionary from the
// peers (metadata_connection.hpp), what to ask of whom (swarm::MetadataFetch), and the hand-over to an
// ordinary run once it is complete and checked against the info hash.
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include "core/log.hpp"
#include "core/printable.hpp"
#include "session/session.hpp"
#include "session/torrent.hpp"

namespace bt::session {

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr auto kMetadataTick = std::chrono::seconds(1);
// A peer that has not offered the metadata this long after connecting (it has none either, or refused, or
// went silent) gives its slot to another: the peer list dials it again after a backoff.
constexpr auto kMetadataGrace = std::chrono::seconds(30);

}  // namespace

void Torrent::add_metadata_connection(net::Transport transport, Endpoint endpoint, Direction direction,
                                      const wire::Handshake& remote, std::vector<std::uint8_t> leftover) {
    std::string refusal;
    if (is_banned(endpoint) || session_.is_banned(remote.peer_id, endpoint)) {
        refusal = "banned";
    } else if (metadata_peers_.size() >= settings().max_peers) {
        refusal = "too many peers";
    } else if (!wire::has_extension_protocol(remote.reserved)) {
        refusal = "no extension protocol: cannot give the metadata";
    }
    if (!refusal.empty()) {
        transport.stream->close();
        BT_LOG(info, "peer", "{} {}: {}", endpoint.to_string(),
               direction == Direction::incoming ? "in" : "out", refusal);
        if (direction == Direction::outgoing) peer_list_.on_dial_refused(endpoint, Clock::now());
        return;
    }
    auto peer = std::make_shared<MetadataConnection>(*this, next_metadata_key_++, std::move(transport),
                                                     endpoint, direction, remote, std::move(leftover));
    metadata_peers_.push_back(peer);
    if (direction == Direction::outgoing) peer_list_.on_connected(endpoint);
    BT_LOG(info, "peer", "{}: connected for the metadata ({})", peer->describe(),
           net::kind_name(peer->kind()));
    peer->start();
}

asio::awaitable<void> Torrent::metadata_loop(std::uint64_t run) {
    while (is_current(run) && !has_metadata()) {
        const auto now = Clock::now();
        for (const auto& peer : std::vector(metadata_peers_)) {
            request_metadata(*peer, now);  // first: it notices requests left unanswered
            if (now - peer->last_received() > settings().peer_idle_timeout) {
                peer->close("idle");
            } else if (now - peer->connected_at() > kMetadataGrace &&
                       !(metadata_fetch_ && metadata_fetch_->offers(peer->key()))) {
                peer->close("it does not give the metadata");
            }
        }
        connect_more();
        tick_timer_.expires_after(kMetadataTick);
        co_await tick_timer_.async_wait(use_nothrow);
    }
}

void Torrent::request_metadata(MetadataConnection& peer, Clock::time_point now) {
    if (!metadata_fetch_ || peer.is_closed()) return;
    peer.request(metadata_fetch_->requests_for(peer.key(), now));
}

void Torrent::on_metadata_offer(MetadataConnection& peer, std::optional<std::uint64_t> size,
                                std::optional<std::uint16_t> listen_port) {
    if (has_metadata()) return;
    // A peer that dialled us can be dialled back at its listening port once the metadata is in.
    if (peer.direction() == Direction::incoming && listen_port && *listen_port != 0) {
        Endpoint listening = peer.endpoint();
        listening.port = *listen_port;
        peer_list_.add({listening}, swarm::PeerSource::incoming);
    }
    if (!metadata_fetch_)
        metadata_fetch_ = std::make_unique<swarm::MetadataFetch>(info_hash_, settings().max_metadata_size);
    if (auto refused = metadata_fetch_->add_peer(peer.key(), size)) {
        peer.close(*refused);
        return;
    }
    request_metadata(peer, Clock::now());
}

void Torrent::on_metadata_message(MetadataConnection& peer, const wire::MetadataMessage& message) {
    if (!metadata_fetch_ || has_metadata()) return;
    const auto now = Clock::now();
    if (message.type == wire::MetadataMessageType::reject) {
        metadata_fetch_->on_reject(peer.key(), message.piece);
        for (const auto& other : std::vector(metadata_peers_)) request_metadata(*other, now);
        return;
    }
    if (message.type != wire::MetadataMessageType::data) return;  // unknown types are ignored (BEP 9)
    auto outcome = metadata_fetch_->on_data(peer.key(), message.piece, *message.total_size, message.data);
    using Kind = swarm::MetadataFetch::Outcome::Kind;
    switch (outcome.kind) {
        case Kind::accepted:
            request_metadata(peer, now);
            return;
        case Kind::complete:
            on_metadata_complete(std::move(outcome.metadata));
            return;
        case Kind::bad_peer:
        case Kind::hash_failed:
            BT_LOG(warning, "peer", "{}: {}", peer.describe(), outcome.reason);
            for (const auto key : outcome.drop) {
                for (const auto& other : std::vector(metadata_peers_)) {
                    if (other->key() != key) continue;
                    // By address when we dialled it, and by peer id either way: a liar that connects to us
                    // again is refused too.
                    const auto address = other->direction() == Direction::outgoing
                                             ? std::optional<Endpoint>(other->endpoint())
                                             : std::nullopt;
                    if (address) peer_list_.ban(*address);
                    session_.ban(other->peer_id(), address);
                    other->close(outcome.reason);
                }
            }
            for (const auto& other : std::vector(metadata_peers_)) request_metadata(*other, now);
            return;
    }
}

void Torrent::on_metadata_peer_closed(MetadataConnection& peer, const std::string& reason) {
    const auto it = std::find_if(metadata_peers_.begin(), metadata_peers_.end(),
                                 [&](const auto& p) { return p.get() == &peer; });
    if (it == metadata_peers_.end()) return;
    const auto keep = *it;  // alive until this returns
    metadata_peers_.erase(it);
    if (metadata_fetch_) metadata_fetch_->remove_peer(peer.key());
    BT_LOG(info, "peer", "{} closed: {}", peer.describe(), reason);
    if (peer.direction() == Direction::outgoing) {
        // Closed by us because the metadata is in (or the torrent stopped): due again at once.
        if (has_metadata() || stopping_ || state_ == TorrentState::error)
            peer_list_.on_stopped(peer.endpoint());
        else
            peer_list_.on_disconnected(peer.endpoint(), Clock::now());
    }
}

void Torrent::close_metadata_peers(const std::string& reason) {
    for (const auto& peer : std::vector(metadata_peers_)) peer->close(reason);
}

void Torrent::on_metadata_complete(std::string info_bytes) {
    auto parsed = metainfo::parse_info(info_bytes);
    if (!parsed) {
        // Its SHA-1 is the info hash, so the torrent itself is broken: nobody can give a better one.
        close_metadata_peers("metadata unusable");
        metadata_fetch_.reset();
        stop_with_error("the torrent's metadata is unusable: " + parsed.error().message());
        return;
    }
    parsed->trackers = announcer_.tiers();
    const std::size_t from = metadata_peers_.size();
    if (auto set = set_metadata(std::move(*parsed)); !set) {
        stop_with_error(set.error());
        return;
    }
    BT_LOG(info, "torrent", "{}: metadata complete ({} bytes, {} peers connected for it)", printable(name()),
           info_bytes.size(), from);
    metadata_fetch_.reset();
    close_metadata_peers("metadata received: reconnecting as a peer");
}

}  // namespace bt::session
