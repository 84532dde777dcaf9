#pragma once
// Choker: tit-for-tat unchoking (BEP 3 "Choking and optimistic unchoking"). Pure: the caller passes the
// peers' current numbers and `now`, and calls decide() every 10 seconds; it returns whom to unchoke.
//
// Regular slots go to interested peers ranked by what they give us: the rate we download from them
// while we are leeching, or the rate we upload to them while we are seeding (they can use it best).
// Snubbed peers (no block from them for a while although we asked) get no regular slot while leeching.
// Ties keep currently unchoked peers first (no flapping), then a random order.
// Optimistic slots go to random interested peers outside the regular slots. Each keeps its slot for
// `optimistic_interval` (30 s) and is then replaced, by a different peer when there is one. One that
// leaves, loses interest or earns a regular slot is replaced at once.
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "core/small_rng.hpp"
#include "swarm/block.hpp"

namespace bt::swarm {

struct PeerStats {
    PeerId id;
    bool interested = false;          // the peer wants something we have
    bool unchoked = false;            // we unchoke it now (keeps ties stable)
    bool snubbed = false;             // leeching: it has not delivered a requested block for a while
    bool is_seed = false;             // it has every piece: never needs to be unchoked
    std::uint64_t download_rate = 0;  // bytes/s we receive from it
    std::uint64_t upload_rate = 0;    // bytes/s we send to it
};

struct ChokerSettings {
    std::uint32_t regular_slots = 4;
    std::uint32_t optimistic_slots = 1;
    std::chrono::seconds optimistic_interval{30};

    bool operator==(const ChokerSettings&) const = default;
};

struct ChokeDecision {
    std::vector<PeerId> unchoke;     // every peer to unchoke, regular slots first; choke all others
    std::vector<PeerId> optimistic;  // the optimistic part of `unchoke`
};

class Choker {
  public:
    using TimePoint = std::chrono::steady_clock::time_point;

    explicit Choker(ChokerSettings settings = {}, std::uint64_t seed = 0);

    // Ranks `peers` (each id at most once) and rotates the optimistic slots when they are due.
    ChokeDecision decide(std::span<const PeerStats> peers, bool seeding, TimePoint now);
    // From the next decide() on. Optimistic slots beyond the new count end then; the others keep their
    // start time and end once the new optimistic_interval has passed since it.
    void apply_settings(const ChokerSettings& settings) noexcept { settings_ = settings; }

  private:
    struct Optimistic {
        PeerId peer;
        TimePoint since;
    };

    std::uint64_t random_below(std::uint64_t bound);

    ChokerSettings settings_;
    SmallRng rng_;
    std::vector<Optimistic> optimistic_;
};

}  // namespace bt::swarm
