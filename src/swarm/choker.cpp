#include "swarm/choker.hpp"

#include <algorithm>
#include <utility>

namespace bt::swarm {

namespace {

bool contains(const std::vector<PeerId>& ids, PeerId id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

Choker::Choker(ChokerSettings settings, std::uint64_t seed) : settings_(settings), rng_(seed) {}

std::uint64_t Choker::random_below(std::uint64_t bound) {
    return rng_() % bound;
}

ChokeDecision Choker::decide(std::span<const PeerStats> peers, bool seeding, TimePoint now) {
    ChokeDecision decision;

    // Regular slots: rank the eligible peers. A random salt per peer breaks the remaining ties.
    struct Ranked {
        const PeerStats* peer;
        std::uint64_t rate;
        std::uint64_t salt;
    };
    std::vector<Ranked> ranked;
    for (const PeerStats& p : peers) {
        if (!p.interested || p.is_seed || (!seeding && p.snubbed)) continue;
        ranked.push_back(Ranked{&p, seeding ? p.upload_rate : p.download_rate, rng_()});
    }
    std::sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
        if (a.rate != b.rate) return a.rate > b.rate;
        if (a.peer->unchoked != b.peer->unchoked) return a.peer->unchoked;
        return a.salt < b.salt;
    });
    const std::size_t regular = std::min<std::size_t>(settings_.regular_slots, ranked.size());
    for (std::size_t i = 0; i < regular; ++i) decision.unchoke.push_back(ranked[i].peer->id);

    // Optimistic slots: keep the ones still valid and not yet due, then refill at random.
    const auto eligible = [&](const PeerStats& p) {
        return p.interested && !p.is_seed && !contains(decision.unchoke, p.id);
    };
    std::vector<PeerId> expired;
    std::vector<Optimistic> kept;
    for (const Optimistic& o : optimistic_) {
        const auto it =
            std::find_if(peers.begin(), peers.end(), [&](const PeerStats& p) { return p.id == o.peer; });
        const bool valid = it != peers.end() && eligible(*it);
        if (valid && now - o.since < settings_.optimistic_interval &&
            kept.size() < settings_.optimistic_slots) {
            kept.push_back(o);
        } else {
            expired.push_back(o.peer);
        }
    }
    optimistic_ = std::move(kept);

    std::vector<PeerId> fresh;     // eligible, not optimistic just before
    std::vector<PeerId> fallback;  // eligible, but its optimistic turn just ended
    for (const PeerStats& p : peers) {
        if (!eligible(p)) continue;
        if (std::any_of(optimistic_.begin(), optimistic_.end(),
                        [&](const Optimistic& o) { return o.peer == p.id; })) {
            continue;
        }
        (contains(expired, p.id) ? fallback : fresh).push_back(p.id);
    }
    while (optimistic_.size() < settings_.optimistic_slots && !(fresh.empty() && fallback.empty())) {
        std::vector<PeerId>& pool = fresh.empty() ? fallback : fresh;
        const std::size_t pick = random_below(pool.size());
        optimistic_.push_back(Optimistic{pool[pick], now});
        pool[pick] = pool.back();
        pool.pop_back();
    }

    for (const Optimistic& o : optimistic_) {
        decision.unchoke.push_back(o.peer);
        decision.optimistic.push_back(o.peer);
    }
    return decision;
}

}  // namespace bt::swarm
