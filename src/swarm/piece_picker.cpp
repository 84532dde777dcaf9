#include "swarm/piece_picker.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "core/error_category.hpp"

namespace bt::swarm {

namespace {

const char* describe(PickerErrc e) noexcept {
    switch (e) {
        case PickerErrc::invalid_geometry:
            return "piece count, piece length and total size do not fit";
        case PickerErrc::invalid_config:
            return "picker setting out of range";
        case PickerErrc::bitfield_size_mismatch:
            return "bitfield size is not the piece count";
        case PickerErrc::piece_out_of_range:
            return "piece index out of range";
    }
    return nullptr;
}

std::error_code error(PickerErrc e) {
    return make_error_code(e);
}

bool contains(const std::array<PeerId, kMaxRequestersPerBlock>& peers, std::uint8_t count, PeerId peer) {
    return std::find(peers.begin(), peers.begin() + count, peer) != peers.begin() + count;
}

}  // namespace

const std::error_category& picker_category() noexcept {
    static const ErrorCategory<PickerErrc> category("bt.swarm.picker", describe, "unknown picker error");
    return category;
}

std::error_code make_error_code(PickerErrc e) noexcept {
    return {static_cast<int>(e), picker_category()};
}

// ---------------------------------------------------------------------------------------------------
// Construction and geometry

Result<PiecePicker> PiecePicker::create(const PickerConfig& config) {
    if (config.num_pieces == 0 || config.piece_length == 0 || config.block_size == 0 ||
        config.total_size == 0) {
        return fail(error(PickerErrc::invalid_geometry));
    }
    const std::uint64_t needed_pieces =
        config.total_size / config.piece_length + (config.total_size % config.piece_length != 0 ? 1 : 0);
    if (needed_pieces != config.num_pieces) return fail(error(PickerErrc::invalid_geometry));
    const std::uint64_t blocks_per_piece =
        (std::uint64_t{config.piece_length} + config.block_size - 1) / config.block_size;
    if (blocks_per_piece > kMaxBlocksPerPiece) return fail(error(PickerErrc::invalid_geometry));
    if (config.end_game_max_requesters == 0 || config.end_game_max_requesters > kMaxRequestersPerBlock) {
        return fail(error(PickerErrc::invalid_config));
    }

    PiecePicker p;
    const std::uint32_t n = config.num_pieces;
    p.num_pieces_ = n;
    p.piece_length_ = config.piece_length;
    p.last_piece_size_ =
        static_cast<std::uint32_t>(config.total_size - std::uint64_t{n - 1} * config.piece_length);
    p.block_size_ = config.block_size;
    p.random_first_pieces_ = config.random_first_pieces;
    p.end_game_max_requesters_ = config.end_game_max_requesters;
    p.rng_.seed(config.seed);
    p.have_ = Bitfield(n);
    p.wanted_ = Bitfield(n, true);
    p.num_wanted_missing_ = n;
    p.wanted_bytes_missing_ = config.total_size;
    p.wanted_bytes_ = config.total_size;
    p.level_.assign(n, kNormal);
    p.missing_at_level_[kNormal] = n;
    p.free_blocks_ = std::uint64_t{n - 1} * blocks_per_piece + p.blocks_in_piece(PieceIndex{n - 1});
    p.availability_.assign(n, 0);
    p.order_.resize(n);
    p.position_.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) p.order_[i] = p.position_[i] = i;
    p.bucket_start_ = {0, n};  // one bucket: availability 0 holds every piece
    p.download_of_.assign(n, kNone);
    return p;
}

std::uint32_t PiecePicker::piece_size(PieceIndex piece) const noexcept {
    if (piece.value >= num_pieces_) return 0;
    return piece.value + 1 == num_pieces_ ? last_piece_size_ : piece_length_;
}

std::uint32_t PiecePicker::blocks_in_piece(PieceIndex piece) const noexcept {
    const std::uint64_t size = piece_size(piece);
    return static_cast<std::uint32_t>((size + block_size_ - 1) / block_size_);
}

std::uint32_t PiecePicker::block_length(PieceIndex piece, std::uint32_t block_index) const noexcept {
    const std::uint64_t size = piece_size(piece);
    const std::uint64_t begin = std::uint64_t{block_index} * block_size_;
    if (begin >= size) return 0;
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(block_size_, size - begin));
}

std::uint32_t PiecePicker::block_index_of(const Block& block) const noexcept {
    if (block.piece.value >= num_pieces_ || block.begin % block_size_ != 0) return kNone;
    const std::uint32_t index = block.begin / block_size_;
    const std::uint32_t length = block_length(block.piece, index);
    if (length == 0 || length != block.length) return kNone;
    return index;
}

bool PiecePicker::is_finished() const noexcept {
    return num_wanted_missing_ == 0;
}

// ---------------------------------------------------------------------------------------------------
// Availability buckets

void PiecePicker::ensure_bucket(std::uint32_t availability) {
    // Bucket a exists when bucket_start_ has at least a + 2 entries; new buckets start empty at the end.
    while (bucket_start_.size() < std::size_t{availability} + 2) {
        bucket_start_.push_back(static_cast<std::uint32_t>(order_.size()));
    }
}

void PiecePicker::swap_positions(std::uint32_t i, std::uint32_t j) noexcept {
    std::swap(order_[i], order_[j]);
    position_[order_[i]] = i;
    position_[order_[j]] = j;
}

void PiecePicker::increment(std::uint32_t piece) {
    const std::uint32_t a = availability_[piece]++;
    if (position_[piece] == kNone) return;
    ensure_bucket(a + 1);
    // Move to the last slot of bucket a, then shrink bucket a by one: the piece now opens bucket a + 1.
    swap_positions(position_[piece], bucket_start_[a + 1] - 1);
    --bucket_start_[a + 1];
}

void PiecePicker::decrement(std::uint32_t piece) noexcept {
    if (availability_[piece] == 0) return;  // caller removed more than it added; stay at zero
    const std::uint32_t a = availability_[piece]--;
    if (position_[piece] == kNone) return;
    // Move to the first slot of bucket a, then grow bucket a - 1 over it.
    swap_positions(position_[piece], bucket_start_[a]);
    ++bucket_start_[a];
}

void PiecePicker::insert_candidate(std::uint32_t piece) {
    if (position_[piece] != kNone) return;
    const std::uint32_t a = availability_[piece];
    ensure_bucket(a);
    const auto last_bucket = static_cast<std::uint32_t>(bucket_start_.size() - 2);
    order_.push_back(piece);
    position_[piece] = static_cast<std::uint32_t>(order_.size() - 1);
    bucket_start_.back() = static_cast<std::uint32_t>(order_.size());
    // The piece is the last element of the last bucket; walk it down, one swap per bucket.
    for (std::uint32_t b = last_bucket; b > a; --b) {
        swap_positions(position_[piece], bucket_start_[b]);
        ++bucket_start_[b];
    }
}

void PiecePicker::remove_candidate(std::uint32_t piece) noexcept {
    if (position_[piece] == kNone) return;
    const std::uint32_t a = availability_[piece];
    const auto num_buckets = static_cast<std::uint32_t>(bucket_start_.size() - 1);
    // Walk the piece up to the very end of the array, one swap per bucket, then drop it.
    for (std::uint32_t b = a; b < num_buckets; ++b) {
        swap_positions(position_[piece], bucket_start_[b + 1] - 1);
        --bucket_start_[b + 1];
    }
    order_.pop_back();
    position_[piece] = kNone;
}

Result<void> PiecePicker::add_peer_bitfield(const Bitfield& has) {
    if (has.size() != num_pieces_) return fail(error(PickerErrc::bitfield_size_mismatch));
    const auto bytes = has.bytes();
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (bytes[i] == 0) continue;
        for (std::uint32_t bit = 0; bit < 8; ++bit) {
            if ((bytes[i] & (0x80u >> bit)) != 0) increment(static_cast<std::uint32_t>(i * 8 + bit));
        }
    }
    return {};
}

Result<void> PiecePicker::remove_peer_bitfield(const Bitfield& has) {
    if (has.size() != num_pieces_) return fail(error(PickerErrc::bitfield_size_mismatch));
    const auto bytes = has.bytes();
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (bytes[i] == 0) continue;
        for (std::uint32_t bit = 0; bit < 8; ++bit) {
            if ((bytes[i] & (0x80u >> bit)) != 0) decrement(static_cast<std::uint32_t>(i * 8 + bit));
        }
    }
    return {};
}

Result<void> PiecePicker::on_peer_have(PieceIndex piece) {
    if (piece.value >= num_pieces_) return fail(error(PickerErrc::piece_out_of_range));
    increment(piece.value);
    return {};
}

void PiecePicker::add_peer_have_all() noexcept {
    ++seeds_;
}

void PiecePicker::remove_peer_have_all() noexcept {
    if (seeds_ > 0) --seeds_;
}

std::uint32_t PiecePicker::availability(PieceIndex piece) const noexcept {
    if (piece.value >= num_pieces_) return 0;
    return availability_[piece.value] + seeds_;
}

// ---------------------------------------------------------------------------------------------------
// Our pieces

std::uint32_t PiecePicker::free_blocks_of(std::uint32_t piece) const noexcept {
    const std::uint32_t d = download_of_[piece];
    return d == kNone ? blocks_in_piece(PieceIndex{piece}) : downloads_[d].free;
}

void PiecePicker::set_piece_wanted(PieceIndex piece, bool wanted) noexcept {
    if (piece.value >= num_pieces_) return;
    const std::uint8_t level = level_[piece.value];
    set_piece_priority(piece, wanted ? (level == kNotWanted ? kNormal : level) : kNotWanted);
}

std::uint8_t PiecePicker::piece_priority(PieceIndex piece) const noexcept {
    return piece.value < num_pieces_ ? level_[piece.value] : kNotWanted;
}

void PiecePicker::set_piece_priority(PieceIndex piece, std::uint8_t level) noexcept {
    level = std::min<std::uint8_t>(level, kLevels - 1);
    if (piece.value >= num_pieces_ || level_[piece.value] == level) return;
    const std::uint8_t old = level_[piece.value];
    level_[piece.value] = level;
    const bool missing = !have_.test(piece);
    if (missing) {
        --missing_at_level_[old];
        ++missing_at_level_[level];
    }
    const bool wanted = level != kNotWanted;
    if (wanted_.test(piece) == wanted) return;
    if (wanted) {
        wanted_.set(piece);
        wanted_bytes_ += piece_size(piece);
    } else {
        wanted_.reset(piece);
        wanted_bytes_ -= piece_size(piece);
    }
    if (!missing) return;
    const std::uint32_t free = free_blocks_of(piece.value);
    if (wanted) {
        free_blocks_ += free;
        ++num_wanted_missing_;
        wanted_bytes_missing_ += piece_size(piece);
        insert_candidate(piece.value);
    } else {
        free_blocks_ -= free;
        --num_wanted_missing_;
        wanted_bytes_missing_ -= piece_size(piece);
        remove_candidate(piece.value);
    }
}

void PiecePicker::on_piece_verified(PieceIndex piece) {
    if (piece.value >= num_pieces_ || have_.test(piece)) return;
    --missing_at_level_[level_[piece.value]];
    if (wanted_.test(piece)) {
        free_blocks_ -= free_blocks_of(piece.value);
        --num_wanted_missing_;
        wanted_bytes_missing_ -= piece_size(piece);
    }
    while (first_missing_ < num_pieces_ && have_.test(PieceIndex{first_missing_})) ++first_missing_;
    if (download_of_[piece.value] != kNone) {
        const std::uint32_t index = download_of_[piece.value];
        if (piece.value >= first_missing_ + downloads_.size()) ++downloaded_ahead_;
        for (const BlockState& b : downloads_[index].blocks) {
            if (b.received) release_held(b.contributor);
        }
        erase_download(index);
    }
    have_.set(piece);
    remove_candidate(piece.value);
}

std::vector<PeerId> PiecePicker::on_piece_failed(PieceIndex piece) {
    std::vector<PeerId> contributors;
    if (piece.value >= num_pieces_ || download_of_[piece.value] == kNone) return contributors;
    const std::uint32_t index = download_of_[piece.value];
    Download& d = downloads_[index];
    std::uint32_t reset = 0;
    for (BlockState& b : d.blocks) {
        if (!b.received) continue;
        if (std::find(contributors.begin(), contributors.end(), b.contributor) == contributors.end()) {
            contributors.push_back(b.contributor);
        }
        release_held(b.contributor);
        b = BlockState{};
        ++reset;
    }
    d.received -= reset;
    d.free += reset;
    d.last_picker.reset();
    if (wanted_.test(piece)) free_blocks_ += reset;
    drop_download_if_idle(index);
    return contributors;
}

// ---------------------------------------------------------------------------------------------------
// Downloads and requests

PiecePicker::Download& PiecePicker::start_download(std::uint32_t piece) {
    Download d;
    d.piece = PieceIndex{piece};
    d.blocks.resize(blocks_in_piece(d.piece));
    d.free = static_cast<std::uint32_t>(d.blocks.size());
    download_of_[piece] = static_cast<std::uint32_t>(downloads_.size());
    downloads_.push_back(std::move(d));
    return downloads_.back();
}

void PiecePicker::erase_download(std::uint32_t index) noexcept {
    download_of_[downloads_[index].piece.value] = kNone;
    if (index + 1 != downloads_.size()) {
        downloads_[index] = std::move(downloads_.back());
        download_of_[downloads_[index].piece.value] = index;
    }
    downloads_.pop_back();
}

void PiecePicker::release_held(PeerId contributor) noexcept {
    auto it = held_blocks_.find(contributor.value);
    if (it != held_blocks_.end() && --it->second == 0) held_blocks_.erase(it);
}

void PiecePicker::drop_download_if_idle(std::uint32_t index) noexcept {
    const Download& d = downloads_[index];
    if (d.requested == 0 && d.received == 0) erase_download(index);
}

void PiecePicker::count_outstanding(Download& d, PeerId peer, int delta) {
    auto it =
        std::find_if(d.peers.begin(), d.peers.end(), [peer](const PeerCount& c) { return c.peer == peer; });
    if (delta > 0) {
        if (it == d.peers.end()) {
            d.peers.push_back(PeerCount{peer, 1});
        } else {
            ++it->outstanding;
        }
        return;
    }
    if (it == d.peers.end()) return;
    if (--it->outstanding == 0) {
        *it = d.peers.back();
        d.peers.pop_back();
    }
}

void PiecePicker::add_request(Download& d, std::uint32_t block_index, PeerId peer) {
    BlockState& b = d.blocks[block_index];
    if (b.num_requesters == 0) {
        --d.free;
        ++d.requested;
        if (wanted_.test(d.piece)) --free_blocks_;
    }
    b.requesters[b.num_requesters++] = peer;
    count_outstanding(d, peer, +1);
    d.last_picker = peer;
}

bool PiecePicker::release(PeerId peer, const Block& block) {
    const std::uint32_t i = block_index_of(block);
    if (i == kNone || download_of_[block.piece.value] == kNone) return false;
    const std::uint32_t index = download_of_[block.piece.value];
    Download& d = downloads_[index];
    BlockState& b = d.blocks[i];
    if (b.received) return false;
    const auto end = b.requesters.begin() + b.num_requesters;
    const auto it = std::find(b.requesters.begin(), end, peer);
    if (it == end) return false;
    *it = *(end - 1);
    --b.num_requesters;
    count_outstanding(d, peer, -1);
    if (b.num_requesters == 0) {
        --d.requested;
        ++d.free;
        if (wanted_.test(d.piece)) ++free_blocks_;
        drop_download_if_idle(index);
    }
    return true;
}

std::size_t PiecePicker::on_peer_gone(PeerId peer) {
    std::size_t released = 0;
    for (auto index = static_cast<std::uint32_t>(downloads_.size()); index-- > 0;) {
        Download& d = downloads_[index];
        if (d.last_picker == peer) d.last_picker.reset();
        const auto it = std::find_if(d.peers.begin(), d.peers.end(),
                                     [peer](const PeerCount& c) { return c.peer == peer; });
        if (it == d.peers.end()) continue;
        *it = d.peers.back();
        d.peers.pop_back();
        for (BlockState& b : d.blocks) {
            if (b.received) continue;
            const auto end = b.requesters.begin() + b.num_requesters;
            const auto found = std::find(b.requesters.begin(), end, peer);
            if (found == end) continue;
            *found = *(end - 1);
            --b.num_requesters;
            ++released;
            if (b.num_requesters == 0) {
                --d.requested;
                ++d.free;
                if (wanted_.test(d.piece)) ++free_blocks_;
            }
        }
        drop_download_if_idle(index);  // may move the last download here: already visited
    }
    return released;
}

BlockReceived PiecePicker::on_block_received(PeerId peer, const Block& block) {
    BlockReceived result;
    const std::uint32_t i = block_index_of(block);
    if (i == kNone) return result;  // invalid
    if (have_.test(block.piece)) {
        result.status = BlockStatus::already_have;
        return result;
    }
    result.status = BlockStatus::unexpected;
    if (download_of_[block.piece.value] == kNone) return result;
    Download& d = downloads_[download_of_[block.piece.value]];
    BlockState& b = d.blocks[i];
    const bool requested_by_peer = contains(b.requesters, b.num_requesters, peer);
    if (b.received) {
        if (requested_by_peer) result.status = BlockStatus::duplicate;
        return result;
    }
    if (!requested_by_peer) return result;

    // Accept. The requesters stay recorded, so a late copy from one of them reads as a duplicate.
    result.status = BlockStatus::accepted;
    b.received = true;
    b.contributor = peer;
    ++held_blocks_[peer.value];
    --d.requested;
    ++d.received;
    for (std::uint8_t r = 0; r < b.num_requesters; ++r) {
        count_outstanding(d, b.requesters[r], -1);
        if (b.requesters[r] != peer) result.cancel.push_back(b.requesters[r]);
    }
    result.piece_complete = d.received == d.blocks.size();
    return result;
}

// ---------------------------------------------------------------------------------------------------
// Self-check

bool PiecePicker::check_invariants() const {
    // Candidate array: exactly the wanted, missing pieces, sorted by availability into the buckets.
    if (bucket_start_.empty() || bucket_start_.front() != 0 || bucket_start_.back() != order_.size())
        return false;
    for (std::size_t a = 0; a + 1 < bucket_start_.size(); ++a) {
        if (bucket_start_[a] > bucket_start_[a + 1]) return false;
        for (std::uint32_t k = bucket_start_[a]; k < bucket_start_[a + 1]; ++k) {
            if (availability_[order_[k]] != a || position_[order_[k]] != k) return false;
        }
    }
    std::uint32_t candidates = 0;
    std::uint64_t free = 0;
    std::uint64_t bytes = 0;
    std::uint64_t wanted_bytes = 0;
    std::array<std::uint32_t, kLevels> at_level{};
    for (std::uint32_t p = 0; p < num_pieces_; ++p) {
        const bool candidate = wanted_.test(PieceIndex{p}) && !have_.test(PieceIndex{p});
        if (candidate != (position_[p] != kNone)) return false;
        if (wanted_.test(PieceIndex{p}) != (level_[p] != kNotWanted)) return false;
        if (!have_.test(PieceIndex{p})) ++at_level[level_[p]];
        if (wanted_.test(PieceIndex{p})) wanted_bytes += piece_size(PieceIndex{p});
        if (candidate) {
            ++candidates;
            free += free_blocks_of(p);
            bytes += piece_size(PieceIndex{p});
        }
        if (download_of_[p] != kNone &&
            (download_of_[p] >= downloads_.size() || downloads_[download_of_[p]].piece.value != p)) {
            return false;
        }
        if (have_.test(PieceIndex{p}) && download_of_[p] != kNone) return false;
    }
    if (candidates != order_.size() || candidates != num_wanted_missing_ || free != free_blocks_ ||
        bytes != wanted_bytes_missing_ || wanted_bytes != wanted_bytes_ || at_level != missing_at_level_) {
        return false;
    }
    // Downloads: block counts and per-peer outstanding counts agree with the blocks.
    std::unordered_map<std::uint32_t, std::uint32_t> held;
    for (const Download& d : downloads_) {
        if (d.blocks.size() != blocks_in_piece(d.piece)) return false;
        std::uint32_t f = 0, r = 0, got = 0;
        std::vector<PeerCount> counts;
        for (const BlockState& b : d.blocks) {
            if (b.received) {
                ++got;
                ++held[b.contributor.value];
                continue;
            }
            if (b.num_requesters == 0) {
                ++f;
                continue;
            }
            ++r;
            for (std::uint8_t k = 0; k < b.num_requesters; ++k) {
                auto it = std::find_if(counts.begin(), counts.end(),
                                       [&](const PeerCount& c) { return c.peer == b.requesters[k]; });
                if (it == counts.end()) {
                    counts.push_back(PeerCount{b.requesters[k], 1});
                } else {
                    ++it->outstanding;
                }
            }
        }
        if (f != d.free || r != d.requested || got != d.received) return false;
        if (counts.size() != d.peers.size()) return false;
        for (const PeerCount& c : counts) {
            auto it = std::find_if(d.peers.begin(), d.peers.end(),
                                   [&](const PeerCount& e) { return e.peer == c.peer; });
            if (it == d.peers.end() || it->outstanding != c.outstanding) return false;
        }
        if (r == 0 && got == 0) return false;  // idle downloads are dropped
    }
    return held == held_blocks_;
}

}  // namespace bt::swarm
