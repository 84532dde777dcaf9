#pragma once
// The peers other nodes announced to us (BEP 5 announce_peer), served back in get_peers answers.
// Bounded: at most max_torrents info hashes (a new one evicts the one announced to least recently) and
// max_peers per info hash (a new peer evicts the oldest announcement); entries expire after the ttl.
#include <chrono>
#include <cstddef>
#include <map>
#include <vector>

#include "core/endpoint.hpp"
#include "dht/krpc.hpp"
#include "dht/rng.hpp"
#include "dht/time.hpp"

namespace bt::dht {

// Peers per get_peers answer, so that it fits one datagram (~1,400 bytes) beside the K closest nodes the
// answer carries too (8 x 26 bytes in "nodes", 8 x 38 in "nodes6"): a v4 "values" entry costs 8 bytes
// ("6:" + 6), a v6 one 21 ("18:" + 18).
inline constexpr std::size_t kMaxValuesV4 = 100;
inline constexpr std::size_t kMaxValuesV6 = 40;
// Ports kept per address and torrent.
inline constexpr std::size_t kMaxPeersPerAddress = 4;

class PeerStore {
  public:
    PeerStore(std::size_t max_torrents, std::size_t max_peers, std::chrono::nanoseconds ttl);

    void announce(const InfoHash& info_hash, const Endpoint& peer, TimePoint now);
    // A random subset of the live peers of `family` (at most kMaxValuesV4 or kMaxValuesV6).
    std::vector<Endpoint> peers(const InfoHash& info_hash, Endpoint::Family family, TimePoint now,
                                Rng& rng) const;
    // Forgets expired announcements and torrents left without any.
    void expire(TimePoint now);

    std::size_t torrent_count() const noexcept { return torrents_.size(); }
    std::size_t peer_count() const noexcept;

  private:
    struct Announced {
        Endpoint peer;
        TimePoint at;
    };
    struct Torrent {
        std::vector<Announced> peers;  // at most max_peers_
        TimePoint last_announce{};
    };

    std::size_t max_torrents_;
    std::size_t max_peers_;
    std::chrono::nanoseconds ttl_;
    std::map<InfoHash, Torrent> torrents_;  // at most max_torrents_
};

}  // namespace bt::dht
