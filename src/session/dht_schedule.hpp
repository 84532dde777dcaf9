#pragma once
// When a torrent asks the DHT for peers again (and announces itself again). Pure.
//
// BEP 5 nodes keep an announced peer for 30 minutes (libtorrent, Transmission) and accept a write token
// for about 10: a lookup every 15 minutes keeps us listed, with a fresh token each time. A torrent with
// few known peers (a magnet link nobody else told us of) asks sooner: 5 s after its last lookup, then
// twice as long each time, up to 5 minutes, so that a swarm that is just forming is found quickly
// without a lookup every few seconds for hours.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace bt::session {

inline constexpr std::chrono::seconds kDhtReannounceInterval{15 * 60};
inline constexpr std::chrono::seconds kDhtFirstRetry{5};
inline constexpr std::chrono::seconds kDhtMaxRetry{5 * 60};
// The DHT ran as many lookups as it may (many torrents at once): the next try.
inline constexpr std::chrono::seconds kDhtBusyRetry{10};
// Fewer known peers than this: the next lookup comes early.
inline constexpr std::size_t kDhtFewPeers = 10;

// The wait after a lookup, given the peers the torrent knows now and the early lookups made in a row
// before this one. A seed dials nobody (leechers dial it), so only its announce needs renewing.
constexpr std::chrono::seconds dht_lookup_delay(std::size_t peers_known, std::uint32_t early_rounds,
                                                bool seeding) noexcept {
    if (seeding || peers_known >= kDhtFewPeers) return kDhtReannounceInterval;
    const auto shift = std::min<std::uint32_t>(early_rounds, 16);  // past the cap long before any overflow
    return std::min(kDhtFirstRetry * (std::int64_t{1} << shift), kDhtMaxRetry);
}

}  // namespace bt::session
