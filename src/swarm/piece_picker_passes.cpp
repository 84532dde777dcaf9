// PiecePicker's picking passes (see the pick order in piece_picker.hpp); the bookkeeping they read is in
// piece_picker.cpp.
#include <algorithm>

#include "swarm/piece_picker.hpp"

namespace bt::swarm {

namespace {

bool contains(const std::array<PeerId, kMaxRequestersPerBlock>& peers, std::uint8_t count, PeerId peer) {
    return std::find(peers.begin(), peers.begin() + count, peer) != peers.begin() + count;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Picking

std::uint64_t PiecePicker::random_below(std::uint64_t bound) {
    // mt19937_64's output sequence is fixed by the standard (unlike std distributions), so picks are
    // reproducible for a seed on every platform. The modulo bias is negligible for our bounds.
    return rng_() % bound;
}

bool PiecePicker::is_new_candidate(std::uint32_t piece, const Bitfield& peer_has) const noexcept {
    return download_of_[piece] == kNone && peer_has.test(PieceIndex{piece}) &&
           (pick_level_ == kAnyLevel || level_[piece] == pick_level_);
}

void PiecePicker::take_free_blocks(Download& d, PeerId peer, std::uint32_t max_blocks,
                                   std::vector<Block>& out) {
    for (std::uint32_t i = 0; i < d.blocks.size() && d.free > 0 && out.size() < max_blocks; ++i) {
        const BlockState& b = d.blocks[i];
        if (b.received || b.num_requesters != 0) continue;
        add_request(d, i, peer);
        out.push_back(Block{d.piece, i * block_size_, block_length(d.piece, i)});
    }
}

void PiecePicker::pick_partials(PartialPass pass, PeerId peer, const Bitfield& peer_has,
                                std::uint32_t max_blocks, std::vector<Block>& out) {
    for (Download& d : downloads_) {
        if (out.size() >= max_blocks) return;
        if (d.free == 0 || !wanted_.test(d.piece) || !peer_has.test(d.piece)) continue;
        const bool own =
            d.last_picker == peer || std::any_of(d.peers.begin(), d.peers.end(),
                                                 [peer](const PeerCount& c) { return c.peer == peer; });
        const bool match = pass == PartialPass::own        ? own
                           : pass == PartialPass::orphaned ? !own && d.peers.empty()
                                                           : !own && !d.peers.empty();
        if (match) take_free_blocks(d, peer, max_blocks, out);
    }
}

void PiecePicker::pick_preferred(std::span<const PieceIndex> preferred, PeerId peer, const Bitfield& peer_has,
                                 std::uint32_t max_blocks, std::vector<Block>& out) {
    for (const PieceIndex piece : preferred) {
        if (out.size() >= max_blocks) return;
        if (piece.value >= num_pieces_ || have_.test(piece) || !wanted_.test(piece) ||
            !peer_has.test(piece)) {
            continue;
        }
        const std::uint32_t index = download_of_[piece.value];
        take_free_blocks(index == kNone ? start_download(piece.value) : downloads_[index], peer, max_blocks,
                         out);
    }
}

void PiecePicker::pick_new_random(PeerId peer, const Bitfield& peer_has, std::uint32_t max_blocks,
                                  std::vector<Block>& out) {
    const std::size_t n = order_.size();
    if (n == 0) return;
    const std::size_t start = random_below(n);
    for (std::size_t k = 0; k < n && out.size() < max_blocks; ++k) {
        const std::uint32_t piece = order_[(start + k) % n];
        if (!is_new_candidate(piece, peer_has)) continue;
        take_free_blocks(start_download(piece), peer, max_blocks, out);
    }
}

void PiecePicker::pick_new_rarest(PeerId peer, const Bitfield& peer_has, std::uint32_t max_blocks,
                                  std::vector<Block>& out) {
    // Buckets in rising availability. Inside a bucket: continue the run of the last piece started while
    // its successor is equally rare, else start a new run at a random candidate.
    for (std::size_t a = 0; a + 1 < bucket_start_.size() && out.size() < max_blocks; ++a) {
        const std::uint32_t first = bucket_start_[a];
        const std::uint32_t size = bucket_start_[a + 1] - first;
        if (size == 0) continue;
        while (out.size() < max_blocks) {
            std::uint32_t piece = next_in_run_;
            if (piece >= num_pieces_ || position_[piece] == kNone || availability_[piece] != a ||
                !is_new_candidate(piece, peer_has)) {
                piece = kNone;
                const std::uint64_t start = random_below(size);
                for (std::uint32_t k = 0; k < size; ++k) {
                    const std::uint32_t candidate = order_[first + (start + k) % size];
                    if (is_new_candidate(candidate, peer_has)) {
                        piece = candidate;
                        break;
                    }
                }
                if (piece == kNone) break;  // nothing more in this bucket for this peer
            }
            next_in_run_ = piece + 1;
            take_free_blocks(start_download(piece), peer, max_blocks, out);
        }
    }
}

void PiecePicker::pick_new_in_order(PeerId peer, const Bitfield& peer_has, std::uint32_t max_blocks,
                                    std::vector<Block>& out) {
    while (first_missing_ < num_pieces_ && have_.test(PieceIndex{first_missing_})) ++first_missing_;
    for (std::uint32_t piece = first_missing_; piece < num_pieces_ && out.size() < max_blocks; ++piece) {
        if (position_[piece] == kNone || !is_new_candidate(piece, peer_has))
            continue;  // had, unwanted, started
        take_free_blocks(start_download(piece), peer, max_blocks, out);
    }
}

void PiecePicker::pick_end_game(PeerId peer, const Bitfield& peer_has, std::uint32_t max_blocks,
                                std::vector<Block>& out) {
    // Blocks with the fewest requesters first, never one this peer already has outstanding.
    for (std::uint32_t requesters = 1; requesters < end_game_max_requesters_; ++requesters) {
        for (Download& d : downloads_) {
            if (!wanted_.test(d.piece) || !peer_has.test(d.piece)) continue;
            for (std::uint32_t i = 0; i < d.blocks.size(); ++i) {
                if (out.size() >= max_blocks) return;
                const BlockState& b = d.blocks[i];
                if (b.received || b.num_requesters != requesters ||
                    contains(b.requesters, b.num_requesters, peer)) {
                    continue;
                }
                add_request(d, i, peer);
                out.push_back(Block{d.piece, i * block_size_, block_length(d.piece, i)});
            }
        }
    }
}

std::vector<Block> PiecePicker::pick(PeerId peer, const Bitfield& peer_has, std::uint32_t max_blocks,
                                     std::span<const PieceIndex> preferred) {
    std::vector<Block> out;
    if (max_blocks == 0 || peer_has.size() != num_pieces_ || peer_has.none() || is_finished()) return out;
    if (free_blocks_ == 0) {
        pick_end_game(peer, peer_has, max_blocks, out);
        return out;
    }
    pick_partials(PartialPass::own, peer, peer_has, max_blocks, out);
    pick_preferred(preferred, peer, peer_has, max_blocks, out);
    pick_preferred(priority_, peer, peer_has, max_blocks, out);
    pick_partials(PartialPass::orphaned, peer, peer_has, max_blocks, out);
    // With one level among the missing pieces (the usual case) the passes need not look at levels.
    const auto levels = std::count_if(missing_at_level_.begin() + 1, missing_at_level_.end(),
                                      [](std::uint32_t n) { return n > 0; });
    for (std::uint8_t level = kLevels - 1; level > kNotWanted && out.size() < max_blocks; --level) {
        if (missing_at_level_[level] == 0) continue;
        pick_level_ = levels > 1 ? level : kAnyLevel;
        pick_new(peer, peer_has, max_blocks, out);
        if (levels <= 1) break;
    }
    pick_level_ = kAnyLevel;
    pick_partials(PartialPass::others, peer, peer_has, max_blocks, out);
    return out;
}

void PiecePicker::pick_new(PeerId peer, const Bitfield& peer_has, std::uint32_t max_blocks,
                           std::vector<Block>& out) {
    if (sequential_) {
        pick_new_in_order(peer, peer_has, max_blocks, out);
    } else if (num_have() < random_first_pieces_) {
        pick_new_random(peer, peer_has, max_blocks, out);
    } else {
        pick_new_rarest(peer, peer_has, max_blocks, out);
    }
}

}  // namespace bt::swarm
