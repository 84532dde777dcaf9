// Peer exchange (BEP 11) for a torrent: each connected peer that enabled ut_pex hears of our other peers
// (swarm::PexState decides what and when), and the peers it tells us of go to the peer list as source pex,
// to be dialled like any other. Private torrents (BEP 27) take no part: they never offer ut_pex, and the
// peer list refuses pex addresses for them.
#include "core/log.hpp"
#include "session/session.hpp"
#include "session/torrent.hpp"
#include "wire/ut_pex.hpp"

namespace bt::session {

namespace {

// The address a peer listens on, as others can dial it, with its BEP 11 flags; nullopt when unknown (it
// dialled us and did not give its port).
std::optional<wire::PexPeer> advertised(const PeerConnection& peer) {
    wire::PexPeer out;
    out.endpoint = peer.endpoint();
    if (peer.direction() == Direction::incoming) {
        const auto& port = peer.session().extensions().listen_port();
        if (!port || *port == 0) return std::nullopt;
        out.endpoint.port = *port;
    } else {
        out.flags |= wire::kPexReachable;
    }
    if (peer.kind() != net::ConnectionKind::plaintext) out.flags |= wire::kPexPrefersEncryption;
    if (peer.session().is_seed()) out.flags |= wire::kPexSeed;
    return out;
}

}  // namespace

void Torrent::exchange_peers(Clock::time_point now) {
    if (!metainfo_ || metainfo_->is_private || peers_.empty()) return;
    std::vector<std::pair<const PeerConnection*, wire::PexPeer>> all;
    for (const auto& peer : peers_) {
        if (peer->is_closed()) continue;
        if (auto a = advertised(*peer)) all.emplace_back(peer.get(), *a);
    }
    std::vector<wire::PexPeer> others;
    for (const auto& peer : peers_) {
        if (peer->is_closed() || !peer->session().extensions().message_id(wire::kPexExtensionName)) continue;
        others.clear();
        for (const auto& [who, entry] : all) {
            if (who != peer.get()) others.push_back(entry);
        }
        if (auto message = peer->pex().next(others, now)) {
            const std::string payload = wire::encode_pex_message(*message);
            peer->session().send_extension(
                wire::kPexExtensionName,
                {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()});
        }
    }
}

void Torrent::on_pex_message(swarm::PeerSession& session, std::span<const std::uint8_t> payload) {
    const auto it =
        std::find_if(peers_.begin(), peers_.end(), [&](const auto& p) { return &p->session() == &session; });
    if (it == peers_.end() || metainfo_->is_private) return;
    auto& peer = **it;
    if (!peer.pex().accept(Clock::now())) {
        BT_LOG(debug, "peer", "{}: ut_pex message ignored: less than a minute after the last",
               peer.describe());
        return;
    }
    auto message = wire::decode_pex_message(payload);
    if (!message) {
        // A malformed message costs the peer its word, not the connection (libtorrent does the same).
        BT_LOG(info, "peer", "{}: {}", peer.describe(), message.error());
        return;
    }
    std::vector<Endpoint> learned;
    for (const auto& added : message->added) {
        // Our own listening address is found out at the first dial (the peer id is ours) and never tried
        // again.
        learned.push_back(added.endpoint);
    }
    const auto taken = peer_list_.add(learned, swarm::PeerSource::pex);
    for (const auto& added : message->added) {
        if (added.flags & wire::kPexPrefersEncryption)
            peer_list_.mark_prefers_encryption(added.endpoint);  // known only
    }
    BT_LOG(info, "peer", "{}: ut_pex: {} added ({} new), {} dropped", peer.describe(), message->added.size(),
           taken, message->dropped.size());
    connect_more();
}

}  // namespace bt::session
