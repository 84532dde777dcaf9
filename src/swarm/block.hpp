#pragma once
// Small value types shared by the piece picker, the choker and the peer layer.
#include <cstdint>

#include "core/ids.hpp"

namespace bt::swarm {

// A local handle for one peer connection, chosen by the caller (not the 20-byte BitTorrent peer id).
using PeerId = StrongId<struct SwarmPeerTag>;

// Clients commonly refuse REQUESTs longer than 16 KiB (BEP 3: "All current implementations use 2^14
// (16 kiB), and close connections which request an amount greater than that.").
inline constexpr std::uint32_t kDefaultBlockSize = 16 * 1024;

// One block as it travels in REQUEST / PIECE / CANCEL: piece index, byte offset within the piece, length.
struct Block {
    PieceIndex piece;
    std::uint32_t begin = 0;
    std::uint32_t length = 0;
    friend constexpr bool operator==(const Block&, const Block&) = default;
};

}  // namespace bt::swarm
