#include "swarm/pex.hpp"

#include <set>

namespace bt::swarm {

std::optional<wire::PexMessage> PexState::next(const std::vector<wire::PexPeer>& connected,
                                               Clock::time_point now) {
    if (last_sent_ && now - *last_sent_ < kInterval) return std::nullopt;
    wire::PexMessage message;
    std::set<Endpoint> current;
    std::size_t added_v4 = 0, added_v6 = 0;
    for (const auto& peer : connected) {
        current.insert(peer.endpoint);
        const auto told = told_.find(peer.endpoint);
        if (told != told_.end() && told->second == peer.flags) continue;
        auto& count = peer.endpoint.is_v4() ? added_v4 : added_v6;
        if (count >= wire::kMaxPexEntries) continue;  // next time
        ++count;
        message.added.push_back(peer);
    }
    std::size_t dropped_v4 = 0, dropped_v6 = 0;
    std::vector<Endpoint> gone;
    for (const auto& [endpoint, flags] : told_) {
        if (current.count(endpoint) != 0) continue;
        auto& count = endpoint.is_v4() ? dropped_v4 : dropped_v6;
        if (count >= wire::kMaxPexEntries) continue;
        ++count;
        gone.push_back(endpoint);
    }
    if (message.added.empty() && gone.empty()) return std::nullopt;
    for (const auto& peer : message.added) told_[peer.endpoint] = peer.flags;
    for (const auto& endpoint : gone) told_.erase(endpoint);
    message.dropped = std::move(gone);
    last_sent_ = now;
    return message;
}

bool PexState::accept(Clock::time_point now) {
    if (last_received_ && now - *last_received_ < kMinReceiveGap) return false;
    last_received_ = now;
    return true;
}

}  // namespace bt::swarm
