#pragma once
// Fetching a torrent's info dictionary from its peers (BEP 9, ut_metadata), as pure code: which peer to ask
// for which 16 KiB piece, what to make of the pieces that arrive, and the SHA-1 check of the whole against
// the info hash. The connections around it (session::MetadataConnection) send the requests it picks and
// pass on what the peers answer; the time comes in with every call that needs it.
//
// Hostile or broken peers. A peer whose metadata_size is 0 or above the bound is not asked. The size is
// taken from the first peer asked; a peer announcing another one waits until that attempt fails or nobody
// offering that size can be asked any more. A peer that rejects, or leaves a request unanswered for
// kRequestTimeout, is not asked again (the caller may close it: offers() turns false). A data
// message with another total_size, a piece of the wrong length or out of range: the peer is dropped
// (bad_peer); an answer to a request not outstanding with it (late, or of an earlier attempt) is ignored.
// Memory is what arrived so far, never what a peer announced. When the whole fails its hash check, it is not
// known which piece was wrong: with one contributor, that peer is dropped; with several, every later attempt
// takes all its pieces from a single peer, so the next failure names the culprit. Either way the attempt
// starts again, with the size free to change.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "crypto/sha1.hpp"

namespace bt::swarm {

class MetadataFetch {
  public:
    using Clock = std::chrono::steady_clock;
    using PeerKey = std::uint64_t;  // the caller's name for a connection

    // Requests per peer in flight at most, and how long one may stay unanswered before another peer is
    // asked.
    static constexpr std::size_t kRequestsPerPeer = 4;
    static constexpr std::chrono::seconds kRequestTimeout{15};

    MetadataFetch(const crypto::Sha1Digest& info_hash, std::uint64_t max_size);

    // A peer's extended handshake offered ut_metadata with this metadata_size (nullopt: none given). An
    // error (to close it with) when the size is refused.
    std::optional<std::string> add_peer(PeerKey peer, std::optional<std::uint64_t> size);
    // The peer's connection closed: its requests go back.
    void remove_peer(PeerKey peer);
    // Pieces to request from `peer` now (each is then counted as in flight from it).
    std::vector<std::uint32_t> requests_for(PeerKey peer, Clock::time_point now);
    // The peer has no metadata to give (reject): it is not asked again.
    void on_reject(PeerKey peer, std::uint32_t piece);
    // Whether the peer may still give the metadata: it offered a size and did not refuse or go silent.
    bool offers(PeerKey peer) const;

    struct Outcome {
        enum class Kind : std::uint8_t { accepted, bad_peer, hash_failed, complete };
        Kind kind = Kind::accepted;
        std::string reason;         // bad_peer, hash_failed: one line
        std::vector<PeerKey> drop;  // bad_peer, hash_failed: the peers to close
        std::string metadata;       // complete: the info dictionary, its SHA-1 checked
    };
    Outcome on_data(PeerKey peer, std::uint32_t piece, std::uint64_t total_size,
                    std::span<const std::uint8_t> data);

    // Peers that can be asked (they offered ut_metadata with an acceptable size and were not dropped).
    std::size_t usable_peers() const;
    std::uint64_t size() const noexcept { return size_; }  // 0 until an attempt took one
    std::uint32_t pieces_received() const noexcept { return received_; }
    std::uint32_t piece_count() const noexcept { return static_cast<std::uint32_t>(pieces_.size()); }

  private:
    struct Piece {
        std::vector<std::uint8_t> data;  // empty until received
        bool have = false;
        std::optional<PeerKey> asked;  // in flight from this peer
        Clock::time_point asked_at{};
        PeerKey from = 0;
    };
    struct PeerState {
        std::uint64_t size = 0;  // 0: none given
        std::size_t in_flight = 0;
        bool refused = false;  // rejected our request
    };

    void refuse(PeerKey peer);
    void begin_attempt(std::uint64_t size);
    void reset_attempt();
    bool can_ask(const PeerState& state) const;

    crypto::Sha1Digest info_hash_;
    std::uint64_t max_size_;
    std::map<PeerKey, PeerState> peers_;
    std::uint64_t size_ = 0;
    std::vector<Piece> pieces_;
    std::uint32_t received_ = 0;
    bool single_source_ = false;     // after a hash failure with several contributors
    std::optional<PeerKey> source_;  // single_source_: the peer of this attempt
};

}  // namespace bt::swarm
