#pragma once
// PiecePicker: which blocks to request from which peer. Pure: no I/O, no clock, its own seeded RNG.
//
// It tracks, per piece: availability (how many connected peers have it), whether we have it
// (verified) and whether we want it; and, for pieces being downloaded, per block: free / requested
// (by which peers) / received (from which peer). The caller owns each peer's bitfield and passes it
// to pick(); the picker only keeps the availability counts derived from them.
//
// Each piece has a priority level (set_piece_priority, from the files it holds: metainfo/file_priority.hpp):
// 0 is not wanted, never picked; among new pieces, those of the highest level the peer can give come first,
// in the order below, then the next level. Partial pieces are finished whatever their level above 0; a
// partial piece that became unwanted keeps its blocks (bounded by the pieces in flight then) until it is
// wanted again.
//
// Pick order for one peer (only pieces the peer has, that we want and do not have):
//   1. free blocks of partial pieces this peer is already working on ("whole pieces from one peer");
//   2. free blocks of the pieces the caller prefers, in its order (the peer's SUGGEST_PIECEs, BEP 6),
//      partial or new;
//   3. free blocks of the priority pieces (set_priority_pieces: each file's first and last pieces, for a
//      preview), in their order, partial or new;
//   4. free blocks of partial pieces nobody is working on any more (their requests were returned);
//   5. a new piece: in sequential order (set_sequential), the lowest-numbered one; otherwise chosen at
//      random while we have fewer than `random_first_pieces` pieces (a first complete piece quickly, so
//      we have something to trade), then rarest first. Among pieces of equal availability, the piece after
//      the last one started if it is one of them (runs of consecutive pieces: they complete in file order
//      and reach the disk as long sequential writes), else one at random (so peers still spread over the
//      torrent);
//   6. free blocks of partial pieces other peers are working on (only when 1-5 found nothing more).
// A block is handed to one peer at a time, except in end-game: once every missing block of every
// wanted piece is requested, a block may be requested from up to `end_game_max_requesters` peers, and
// on_block_received() names the other peers that must be sent a CANCEL.
//
// Complexity (N pieces, K = highest availability seen, P = pieces being downloaded, B = blocks per piece):
//   - Candidate pieces are kept in one array sorted by availability, split into buckets
//     (availability 0, 1, 2, ...). An availability change moves a piece to the edge of the neighbouring
//     bucket by one swap: on_peer_have O(1), add/remove_peer_bitfield O(N / 8 + pieces set),
//     add/remove_peer_have_all O(1) (seeds are counted apart: they shift every piece by the same amount).
//   - on_piece_verified and set_piece_wanted move a piece into or out of the array: O(K).
//   - pick: O(P * B_scanned) for partial pieces, plus the rarest-first scans (one per run started), which
//     stop at the first candidate. It visits pieces the peer lacks or that are already partial, so a peer
//     that has only the most common pieces makes it O(N) in the worst case. Random-first scans are O(N) worst
//     case too but happen only for the first few pieces. End-game picks are O(P * B).
//   - on_block_received, on_request_rejected / timed_out: O(1) plus O(requesters of the block + peers
//     working on the piece). on_peer_gone: O(P) plus O(B) for each piece that peer was working on.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "core/bitfield.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "core/small_rng.hpp"
#include "swarm/block.hpp"

namespace bt::swarm {

enum class PickerErrc {
    invalid_geometry = 1,    // piece count, piece length, total size and block size do not fit together
    invalid_config,          // a setting is out of its allowed range
    bitfield_size_mismatch,  // a peer bitfield whose size is not the piece count
    piece_out_of_range,
};
const std::error_category& picker_category() noexcept;
std::error_code make_error_code(PickerErrc e) noexcept;

// Upper bound for the number of peers a block may be requested from at once (end-game).
inline constexpr std::uint32_t kMaxRequestersPerBlock = 4;
// Refuse geometries whose pieces would need more blocks than this (each partial piece allocates per block).
inline constexpr std::uint32_t kMaxBlocksPerPiece = 1u << 17;

struct PickerConfig {
    std::uint32_t num_pieces = 0;
    std::uint32_t piece_length = 0;  // every piece but the last
    std::uint64_t total_size = 0;    // the last piece is total_size - (num_pieces - 1) * piece_length
    std::uint32_t block_size = kDefaultBlockSize;
    std::uint32_t random_first_pieces = 4;      // pick new pieces at random until we have this many
    std::uint32_t end_game_max_requesters = 2;  // 1..kMaxRequestersPerBlock; 1 disables duplicates
    std::uint64_t seed = 0;                     // for the picker's own RNG (tie-breaks, random first pieces)
};

enum class BlockStatus : std::uint8_t {
    accepted,      // requested from this peer and still needed: store it
    duplicate,     // requested from this peer, but another peer delivered it first (end-game): drop it
    already_have,  // the piece is already verified: drop it (may be a late end-game copy; cannot tell)
    unexpected,    // never requested from this peer (or the request was returned): drop; caller may penalise
    invalid,       // piece out of range, offset not on a block boundary, or wrong length
};

struct BlockReceived {
    BlockStatus status = BlockStatus::invalid;
    bool piece_complete = false;  // every block of the piece received: hash it, then verified / failed
    std::vector<PeerId> cancel;   // other peers with this block outstanding: send them CANCEL
    bool expected() const noexcept {
        return status == BlockStatus::accepted || status == BlockStatus::duplicate;
    }
};

class PiecePicker {
  public:
    static Result<PiecePicker> create(const PickerConfig& config);

    // Geometry.
    std::uint32_t num_pieces() const noexcept { return num_pieces_; }
    std::uint32_t block_size() const noexcept { return block_size_; }
    std::uint32_t piece_size(PieceIndex piece) const noexcept;       // 0 when out of range
    std::uint32_t blocks_in_piece(PieceIndex piece) const noexcept;  // 0 when out of range
    std::uint32_t block_length(PieceIndex piece, std::uint32_t block_index) const noexcept;  // 0 if none

    // Availability. The caller reports what each connected peer has; a bitfield must be removed with the
    // same content it was counted with (HAVEs included), e.g. when the peer disconnects.
    Result<void> add_peer_bitfield(const Bitfield& has);
    Result<void> remove_peer_bitfield(const Bitfield& has);
    Result<void> on_peer_have(PieceIndex piece);
    void add_peer_have_all() noexcept;     // HAVE ALL (BEP 6) or a full bitfield, in O(1)
    void remove_peer_have_all() noexcept;  // undoes add_peer_have_all
    std::uint32_t availability(PieceIndex piece) const noexcept;

    // Our pieces.
    const Bitfield& have() const noexcept { return have_; }  // verified pieces, for our BITFIELD message
    bool has_piece(PieceIndex piece) const noexcept { return have_.test(piece); }
    std::uint32_t num_have() const noexcept { return have_.count(); }
    // Priority levels: 0 not wanted (never picked), 1 low, 2 normal, 3 high. Every piece is normal at first.
    static constexpr std::uint8_t kNotWanted = 0;
    static constexpr std::uint8_t kNormal = 2;
    static constexpr std::uint8_t kLevels = 4;
    void set_piece_priority(PieceIndex piece, std::uint8_t level) noexcept;
    std::uint8_t piece_priority(PieceIndex piece) const noexcept;
    // Wanted pieces keep their level (normal when they had none); unwanted ones get level 0.
    void set_piece_wanted(PieceIndex piece, bool wanted) noexcept;
    // New pieces in ascending order instead of rarest first (a download played while it arrives). Pieces
    // already in flight complete in whatever order their blocks arrive; end-game is unchanged.
    void set_sequential(bool sequential) noexcept { sequential_ = sequential; }
    bool is_sequential() const noexcept { return sequential_; }
    // Pieces taken before any other new piece, in this order (pick order, step 3). Out-of-range ones are
    // ignored.
    void set_priority_pieces(std::vector<PieceIndex> pieces) { priority_ = std::move(pieces); }
    // Downloaded pieces verified further ahead than the pieces in flight explain: at or beyond the lowest
    // missing piece plus the number of pieces being downloaded. 0 for a sequential download whose peers
    // have every piece; most pieces of a rarest-first one. (Pieces found on disk are not counted.)
    std::uint64_t downloaded_ahead() const noexcept { return downloaded_ahead_; }
    bool is_wanted(PieceIndex piece) const noexcept { return wanted_.test(piece); }
    const Bitfield& wanted() const noexcept { return wanted_; }
    // Bytes of the wanted pieces, verified or not.
    std::uint64_t wanted_bytes() const noexcept { return wanted_bytes_; }
    bool is_finished() const noexcept;  // every wanted piece verified
    std::uint32_t num_wanted_missing() const noexcept { return num_wanted_missing_; }
    // Bytes of the wanted pieces not verified yet (the whole pieces, also their bytes in unwanted files).
    std::uint64_t wanted_bytes_missing() const noexcept { return wanted_bytes_missing_; }
    // Every missing block of every wanted piece is requested or received (and something is missing).
    bool is_end_game() const noexcept { return free_blocks_ == 0 && !is_finished(); }
    std::size_t num_partial_pieces() const noexcept { return downloads_.size(); }

    // Up to max_blocks blocks to request from `peer`, which has the pieces in `peer_has`; they are marked
    // requested by that peer. Empty when the bitfield size is wrong or nothing fits. `preferred`: pieces to
    // take before partial pieces of others and new pieces (step 2 of the pick order), when the peer has
    // them and we want them; O(size) more per pick.
    std::vector<Block> pick(PeerId peer, const Bitfield& peer_has, std::uint32_t max_blocks,
                            std::span<const PieceIndex> preferred = {});

    // A PIECE message arrived.
    BlockReceived on_block_received(PeerId peer, const Block& block);
    // The caller hashed a complete piece (or found it on disk): it is ours now.
    void on_piece_verified(PieceIndex piece);
    // The hash did not match: every received block goes back to free. Returns the distinct peers that
    // delivered blocks of the piece, so the caller can suspect or ban them.
    std::vector<PeerId> on_piece_failed(PieceIndex piece);
    // A request given out by pick() will not be answered: the block goes back to the pool (unless other
    // peers still have it outstanding). Both return false when that peer had no such request.
    bool on_request_rejected(PeerId peer, const Block& block) { return release(peer, block); }
    bool on_request_timed_out(PeerId peer, const Block& block) { return release(peer, block); }
    // The peer disconnected: all its outstanding requests go back to the pool. Returns how many.
    // (Its availability is removed separately, with remove_peer_bitfield / remove_peer_have_all.)
    std::size_t on_peer_gone(PeerId peer);
    // True while blocks received from `peer` sit in pieces not yet verified or failed: on_piece_failed would
    // still name it. O(1).
    bool holds_blocks_from(PeerId peer) const noexcept { return held_blocks_.contains(peer.value); }

    // Self-check of the internal bookkeeping, for tests. O(N + P * B).
    bool check_invariants() const;

  private:
    static constexpr std::uint32_t kNone = 0xffffffffu;

    struct BlockState {
        std::array<PeerId, kMaxRequestersPerBlock> requesters{};  // outstanding requests (kept once received)
        std::uint8_t num_requesters = 0;
        bool received = false;
        PeerId contributor{};  // valid when received
    };
    struct PeerCount {
        PeerId peer;
        std::uint32_t outstanding = 0;
    };
    struct Download {
        PieceIndex piece;
        std::uint32_t free = 0;       // blocks neither requested nor received
        std::uint32_t requested = 0;  // blocks requested, not received
        std::uint32_t received = 0;
        std::optional<PeerId> last_picker;  // the peer most recently handed blocks of this piece
        std::vector<BlockState> blocks;
        std::vector<PeerCount> peers;  // peers with outstanding requests here, with how many
    };
    enum class PartialPass : std::uint8_t { own, orphaned, others };

    PiecePicker() = default;

    // Availability-sorted candidate array.
    void ensure_bucket(std::uint32_t availability);
    void swap_positions(std::uint32_t i, std::uint32_t j) noexcept;
    void increment(std::uint32_t piece);
    void decrement(std::uint32_t piece) noexcept;
    void insert_candidate(std::uint32_t piece);
    void remove_candidate(std::uint32_t piece) noexcept;

    // Downloads.
    Download& start_download(std::uint32_t piece);
    void erase_download(std::uint32_t index) noexcept;
    void release_held(PeerId contributor) noexcept;
    void drop_download_if_idle(std::uint32_t index) noexcept;
    std::uint32_t free_blocks_of(std::uint32_t piece) const noexcept;
    void add_request(Download& d, std::uint32_t block_index, PeerId peer);
    static void count_outstanding(Download& d, PeerId peer, int delta);
    bool release(PeerId peer, const Block& block);
    // Index of the block in its piece, or kNone if `block` is not exactly one of the piece's blocks.
    std::uint32_t block_index_of(const Block& block) const noexcept;

    // Picking passes; each appends to `out` until it holds max_blocks.
    void take_free_blocks(Download& d, PeerId peer, std::uint32_t max_blocks, std::vector<Block>& out);
    void pick_partials(PartialPass pass, PeerId peer, const Bitfield& peer_has, std::uint32_t max_blocks,
                       std::vector<Block>& out);
    void pick_preferred(std::span<const PieceIndex> preferred, PeerId peer, const Bitfield& peer_has,
                        std::uint32_t max_blocks, std::vector<Block>& out);
    void pick_new_random(PeerId peer, const Bitfield& peer_has, std::uint32_t max_blocks,
                         std::vector<Block>& out);
    void pick_new_rarest(PeerId peer, const Bitfield& peer_has, std::uint32_t max_blocks,
                         std::vector<Block>& out);
    void pick_new_in_order(PeerId peer, const Bitfield& peer_has, std::uint32_t max_blocks,
                           std::vector<Block>& out);
    void pick_end_game(PeerId peer, const Bitfield& peer_has, std::uint32_t max_blocks,
                       std::vector<Block>& out);
    // A piece nobody works on that the peer has, at the level being picked (pick_level_).
    bool is_new_candidate(std::uint32_t piece, const Bitfield& peer_has) const noexcept;
    // The new-piece pass (sequential, random first or rarest first) for the level in pick_level_.
    void pick_new(PeerId peer, const Bitfield& peer_has, std::uint32_t max_blocks, std::vector<Block>& out);
    std::uint64_t random_below(std::uint64_t bound);

    std::uint32_t num_pieces_ = 0;
    std::uint32_t piece_length_ = 0;
    std::uint32_t last_piece_size_ = 0;
    std::uint32_t block_size_ = kDefaultBlockSize;
    std::uint32_t random_first_pieces_ = 0;
    std::uint32_t next_in_run_ = kNone;  // the piece after the last one started by rarest-first
    std::uint32_t end_game_max_requesters_ = 1;
    bool sequential_ = false;
    std::uint32_t first_missing_ = 0;  // no piece below it is still missing
    std::uint64_t downloaded_ahead_ = 0;
    std::vector<PieceIndex> priority_;
    SmallRng rng_;

    Bitfield have_;
    Bitfield wanted_;
    std::uint32_t num_wanted_missing_ = 0;  // wanted pieces not yet verified
    std::uint64_t wanted_bytes_missing_ = 0;
    std::uint64_t wanted_bytes_ = 0;
    std::vector<std::uint8_t> level_;                        // per piece: its priority level
    std::array<std::uint32_t, kLevels> missing_at_level_{};  // wanted, missing pieces per level
    static constexpr std::uint8_t kAnyLevel = 0xff;
    std::uint8_t pick_level_ = kAnyLevel;  // during pick(): the level new pieces are taken from
    std::uint64_t free_blocks_ = 0;        // free blocks over all wanted, missing pieces
    std::uint32_t seeds_ = 0;              // peers counted through add_peer_have_all

    std::vector<std::uint32_t> availability_;  // per piece, not counting seeds_
    // Candidates (wanted, missing) sorted by availability; bucket a is [bucket_start_[a],
    // bucket_start_[a+1]), and the last entry of bucket_start_ is order_.size().
    std::vector<std::uint32_t> order_;
    std::vector<std::uint32_t> position_;  // per piece: index in order_, or kNone
    std::vector<std::uint32_t> bucket_start_;

    std::vector<std::uint32_t> download_of_;  // per piece: index in downloads_, or kNone
    std::vector<Download> downloads_;
    // Per contributing peer: its received blocks in downloads_ (no entry at zero).
    std::unordered_map<std::uint32_t, std::uint32_t> held_blocks_;
};

}  // namespace bt::swarm

template <>
struct std::is_error_code_enum<bt::swarm::PickerErrc> : std::true_type {};
