#pragma once
// BEP 6's allowed fast set: the pieces a peer may download from us while we choke it. The set is computed
// by the BEP's canonical algorithm, so it depends only on the peer's network, the torrent and its size k:
// two clients that offer k pieces offer the same k, and a peer cannot collect more sets by taking more
// addresses in the same network.
//
//   x = 0xFFFFFF00 & ip           (the /24 the peer's IPv4 address is in, 4 bytes)
//   x.append(infohash)
//   while |a| < k:
//     x = SHA1(x)
//     for each of the 5 big-endian 32-bit words y of x, while |a| < k:
//       index = y % num_pieces; if index not in a: add index to a
//
// IPv6, which the BEP does not cover: the /48 prefix (16 bytes, the rest zeroed) takes the place of the
// /24, a site's network as the /24 is for IPv4. (libtorrent hashes the whole address, IPv4 and IPv6
// alike; the set is the sender's to choose, the receiver only uses what it is sent.) An IPv4-mapped IPv6
// address (::ffff:a.b.c.d) counts as its IPv4 address.
//
// k >= num_pieces: every piece, in order (as libtorrent sends then); the loop above would never end.
#include <cstdint>
#include <vector>

#include "core/endpoint.hpp"
#include "core/ids.hpp"
#include "wire/handshake.hpp"

namespace bt::swarm {

std::vector<PieceIndex> allowed_fast_set(const Endpoint& peer, const wire::InfoHashBytes& info_hash,
                                         std::uint32_t num_pieces, std::uint32_t k);

}  // namespace bt::swarm
