#include "dht/peer_store.hpp"

#include <algorithm>

namespace bt::dht {

PeerStore::PeerStore(std::size_t max_torrents, std::size_t max_peers, std::chrono::nanoseconds ttl)
    : max_torrents_(std::max<std::size_t>(max_torrents, 1)),
      max_peers_(std::max<std::size_t>(max_peers, 1)),
      ttl_(ttl) {}

void PeerStore::announce(const InfoHash& info_hash, const Endpoint& peer, TimePoint now) {
    auto it = torrents_.find(info_hash);
    if (it == torrents_.end()) {
        if (torrents_.size() >= max_torrents_) {
            const auto oldest = std::min_element(
                torrents_.begin(), torrents_.end(),
                [](const auto& a, const auto& b) { return a.second.last_announce < b.second.last_announce; });
            torrents_.erase(oldest);
        }
        it = torrents_.emplace(info_hash, Torrent{}).first;
    }
    Torrent& torrent = it->second;
    torrent.last_announce = now;
    auto& peers = torrent.peers;
    std::erase_if(peers, [&](const Announced& a) { return a.peer == peer; });
    // A few entries per address (several clients behind one NAT), the oldest going first: one host
    // announcing many ports cannot push every other peer out.
    const auto same_host = [&](const Announced& a) {
        return a.peer.family == peer.family && a.peer.address == peer.address;
    };
    if (static_cast<std::size_t>(std::ranges::count_if(peers, same_host)) >= kMaxPeersPerAddress) {
        peers.erase(std::ranges::find_if(peers, same_host));
    }
    if (peers.size() >= max_peers_) peers.erase(peers.begin());  // kept oldest first
    peers.push_back(Announced{peer, now});
}

std::vector<Endpoint> PeerStore::peers(const InfoHash& info_hash, Endpoint::Family family, TimePoint now,
                                       Rng& rng) const {
    std::vector<Endpoint> out;
    const auto it = torrents_.find(info_hash);
    if (it == torrents_.end()) return out;
    for (const auto& announced : it->second.peers) {
        if (announced.peer.family == family && now - announced.at < ttl_) out.push_back(announced.peer);
    }
    const std::size_t limit = family == Endpoint::Family::v4 ? kMaxValuesV4 : kMaxValuesV6;
    if (out.size() > limit) {
        // A partial Fisher-Yates shuffle: the first `limit` are a uniform random subset.
        for (std::size_t i = 0; i < limit; ++i) std::swap(out[i], out[i + rng.below(out.size() - i)]);
        out.resize(limit);
    }
    return out;
}

void PeerStore::expire(TimePoint now) {
    for (auto it = torrents_.begin(); it != torrents_.end();) {
        std::erase_if(it->second.peers, [&](const Announced& a) { return now - a.at >= ttl_; });
        it = it->second.peers.empty() ? torrents_.erase(it) : std::next(it);
    }
}

std::size_t PeerStore::peer_count() const noexcept {
    std::size_t n = 0;
    for (const auto& [hash, torrent] : torrents_) n += torrent.peers.size();
    return n;
}

}  // namespace bt::dht
