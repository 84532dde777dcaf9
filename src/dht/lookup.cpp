#include "dht/lookup.hpp"

#include <algorithm>

#include "dht/node_id.hpp"

namespace bt::dht {

Lookup::Lookup(const Params& params) : params_(params) {
    params_.bucket_size = std::max<std::size_t>(params_.bucket_size, 1);
    params_.parallelism = std::max<std::size_t>(params_.parallelism, 1);
    params_.max_candidates = std::max(params_.max_candidates, params_.bucket_size);
}

Lookup::Candidate* Lookup::find(const Endpoint& endpoint) {
    const auto it = std::find_if(candidates_.begin(), candidates_.end(),
                                 [&](const Candidate& c) { return c.node.endpoint == endpoint; });
    return it == candidates_.end() ? nullptr : &*it;
}

void Lookup::add_candidates(const std::vector<NodeInfo>& nodes) {
    const auto by_distance = [&](const Candidate& a, const NodeId& id) {
        return closer(params_.target, a.node.id, id);
    };
    for (const auto& node : nodes) {
        const bool known = std::any_of(candidates_.begin(), candidates_.end(), [&](const Candidate& c) {
            return c.node.id == node.id || c.node.endpoint == node.endpoint;
        });
        if (known) continue;
        const auto at = std::lower_bound(candidates_.begin(), candidates_.end(), node.id, by_distance);
        candidates_.insert(at, Candidate{.node = node});
    }
    // Drop the farthest candidates not in flight (a query in flight keeps its entry until it ends).
    for (auto i = candidates_.size(); i > 0 && candidates_.size() > params_.max_candidates; --i) {
        if (candidates_[i - 1].state != State::in_flight)
            candidates_.erase(candidates_.begin() + static_cast<std::ptrdiff_t>(i - 1));
    }
}

std::vector<NodeInfo> Lookup::take_next(std::size_t slots) {
    std::vector<NodeInfo> next;
    if (done()) return next;
    for (auto& candidate : candidates_) {
        if (in_flight_ >= params_.parallelism || next.size() >= slots || queries_ >= kMaxQueriesPerLookup)
            break;
        if (candidate.state != State::fresh) continue;
        candidate.state = State::in_flight;
        ++in_flight_;
        ++queries_;
        next.push_back(candidate.node);
    }
    return next;
}

bool Lookup::on_answer(const Endpoint& from, const NodeId& id, const Response& response,
                       std::vector<Endpoint>& new_peers) {
    Candidate* candidate = find(from);
    if (candidate == nullptr || candidate->state != State::in_flight) return false;
    --in_flight_;
    if (candidate->node.id != id) {
        candidate->state = State::failed;
        return false;
    }
    candidate->state = State::answered;
    candidate->token = response.token;
    ++answers_;
    if (response.values) {
        for (const auto& peer : *response.values) {
            if (peers_seen_.size() >= kMaxPeersPerLookup) break;
            if (peers_seen_.insert(peer).second) new_peers.push_back(peer);
        }
    }
    return true;
}

void Lookup::on_failure(const Endpoint& to) {
    Candidate* candidate = find(to);
    if (candidate == nullptr || candidate->state != State::in_flight) return;
    --in_flight_;
    candidate->state = State::failed;
}

bool Lookup::done() const {
    if (queries_ >= kMaxQueriesPerLookup && in_flight_ == 0) return true;
    std::size_t answered = 0;
    for (const auto& candidate : candidates_) {
        if (candidate.state == State::failed) continue;
        if (candidate.state != State::answered) return false;  // closer than the K-th answer: still to hear
        if (++answered == params_.bucket_size) return true;
    }
    return true;
}

std::vector<std::pair<NodeInfo, Token>> Lookup::announce_targets() const {
    std::vector<std::pair<NodeInfo, Token>> targets;
    for (const auto& candidate : candidates_) {
        if (targets.size() >= params_.bucket_size) break;
        if (candidate.state == State::answered && candidate.token)
            targets.emplace_back(candidate.node, *candidate.token);
    }
    return targets;
}

}  // namespace bt::dht
