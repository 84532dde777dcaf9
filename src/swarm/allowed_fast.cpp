#include "swarm/allowed_fast.hpp"

#include <algorithm>
#include <array>

#include "crypto/sha1.hpp"

namespace bt::swarm {

namespace {

// The network part of the address the set is computed from (see the header).
std::vector<std::uint8_t> network_of(const Endpoint& peer) {
    const auto& a = peer.address;
    const bool mapped_v4 = peer.is_v6() &&
                           std::all_of(a.begin(), a.begin() + 10, [](auto b) { return b == 0; }) &&
                           a[10] == 0xff && a[11] == 0xff;
    if (peer.is_v4() || mapped_v4) {
        const std::size_t at = peer.is_v4() ? 0 : 12;
        return {a[at], a[at + 1], a[at + 2], 0};
    }
    std::vector<std::uint8_t> x(a.begin(), a.end());
    std::fill(x.begin() + 6, x.end(), std::uint8_t{0});  // the /48
    return x;
}

}  // namespace

std::vector<PieceIndex> allowed_fast_set(const Endpoint& peer, const wire::InfoHashBytes& info_hash,
                                         std::uint32_t num_pieces, std::uint32_t k) {
    std::vector<PieceIndex> set;
    if (k == 0 || num_pieces == 0) return set;
    if (k >= num_pieces) {
        set.reserve(num_pieces);
        for (std::uint32_t i = 0; i < num_pieces; ++i) set.push_back(PieceIndex{i});
        return set;
    }
    set.reserve(k);
    std::vector<std::uint8_t> x = network_of(peer);
    x.insert(x.end(), info_hash.begin(), info_hash.end());
    crypto::Sha1Digest digest = crypto::sha1(x);
    for (;;) {
        for (std::size_t i = 0; i < digest.size() && set.size() < k; i += 4) {
            const std::uint32_t y = (std::uint32_t{digest[i]} << 24) | (std::uint32_t{digest[i + 1]} << 16) |
                                    (std::uint32_t{digest[i + 2]} << 8) | std::uint32_t{digest[i + 3]};
            const PieceIndex index{y % num_pieces};
            if (std::find(set.begin(), set.end(), index) == set.end()) set.push_back(index);
        }
        if (set.size() >= k) return set;
        digest = crypto::sha1(digest);
    }
}

}  // namespace bt::swarm
