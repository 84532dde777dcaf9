#include "bandwidth/allocator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace bt::bandwidth {

namespace {

double burst_cap(std::uint64_t limit) {
    return static_cast<double>(limit) * std::chrono::duration<double>(kBurstWindow).count();
}

// Water-filling stops after this many rounds: each round either satisfies a request or drains a channel,
// so a few rounds hand out nearly everything; a remainder waits for the next tick.
constexpr int kMaxRounds = 8;

}  // namespace

ChannelId Allocator::add_channel(std::uint64_t bytes_per_second) {
    const auto id = next_channel_++;
    channels_[id].limit = bytes_per_second;
    return id;
}

void Allocator::set_limit(ChannelId channel, std::uint64_t bytes_per_second) {
    if (auto* c = find(channel)) {
        c->limit = bytes_per_second;
        c->quota = std::min(c->quota, burst_cap(bytes_per_second));
    }
}

void Allocator::remove_channel(ChannelId channel) {
    channels_.erase(channel);
    for (auto& [id, request] : waiting_) std::erase(request.channels, channel);
}

std::uint64_t Allocator::limit(ChannelId channel) const {
    const auto it = channels_.find(channel);
    return it == channels_.end() ? 0 : it->second.limit;
}

Allocator::Channel* Allocator::find(ChannelId id) {
    const auto it = channels_.find(id);
    return it == channels_.end() ? nullptr : &it->second;
}

std::vector<ChannelId> Allocator::limited(std::span<const ChannelId> channels) const {
    std::vector<ChannelId> out;
    for (const auto id : channels.first(std::min(channels.size(), kMaxChannelsPerRequest))) {
        const auto it = channels_.find(id);
        if (it != channels_.end() && it->second.limit > 0 && std::ranges::find(out, id) == out.end())
            out.push_back(id);
    }
    return out;
}

std::variant<std::uint64_t, RequestId> Allocator::request(std::span<const ChannelId> channels,
                                                          std::uint64_t wanted) {
    wanted = std::max<std::uint64_t>(wanted, 1);
    auto through = limited(channels);
    if (through.empty()) return wanted;

    // Straight through when every channel has quota, taking no more than an even share of it with the
    // requests waiting there (they wait on another, emptier channel): the smallest share bounds it.
    double available = std::numeric_limits<double>::max();
    for (const auto id : through) {
        const auto& c = channels_.at(id);
        available = std::min(available, c.quota / double(c.waiting + 1));
    }
    if (available >= 1) {
        const auto granted = std::min<std::uint64_t>(wanted, static_cast<std::uint64_t>(available));
        for (const auto id : through) channels_.at(id).quota -= static_cast<double>(granted);
        return granted;
    }
    for (const auto id : through) ++channels_.at(id).waiting;
    const auto id = RequestId{next_request_++};
    waiting_.emplace(id, Request{std::move(through), wanted, 0});
    return id;
}

void Allocator::cancel(RequestId request) {
    const auto it = waiting_.find(request);
    if (it == waiting_.end()) return;
    for (const auto id : it->second.channels) {
        if (auto* c = find(id)) --c->waiting;
    }
    refund(it->second.channels, it->second.assigned);
    waiting_.erase(it);
}

void Allocator::refund(std::span<const ChannelId> channels, std::uint64_t bytes) {
    for (const auto id : limited(channels)) {
        auto& c = channels_.at(id);
        c.quota = std::min(c.quota + static_cast<double>(bytes), burst_cap(c.limit));
    }
}

void Allocator::distribute() {
    for (int round = 0; round < kMaxRounds; ++round) {
        // Each channel's even share among the requests on it that still want more.
        std::map<ChannelId, std::size_t> hungry;
        for (const auto& [id, request] : waiting_) {
            if (request.assigned >= request.wanted) continue;
            for (const auto channel : request.channels) ++hungry[channel];
        }
        if (hungry.empty()) return;
        std::map<ChannelId, double> share;
        for (const auto& [channel, count] : hungry) {
            const auto& c = channels_.at(channel);
            share[channel] = c.limit == 0 ? std::numeric_limits<double>::max() : c.quota / double(count);
        }
        const auto hand_out = [&](const auto& take_of) {
            bool moved = false;
            for (auto& [id, request] : waiting_) {
                if (request.assigned >= request.wanted) continue;
                double take = static_cast<double>(request.wanted - request.assigned);
                for (const auto channel : request.channels) take = std::min(take, take_of(channel));
                const auto bytes = static_cast<std::uint64_t>(take);
                if (bytes == 0) continue;
                request.assigned += bytes;
                for (const auto channel : request.channels) {
                    auto& c = channels_.at(channel);
                    if (c.limit > 0) c.quota -= static_cast<double>(bytes);
                }
                moved = true;
            }
            return moved;
        };
        if (hand_out([&](ChannelId channel) { return share.at(channel); })) continue;
        // Every even share is below a byte (more waiters than bytes of quota): the oldest requests take
        // what there is, whole, and the others come first at later ticks, instead of nobody moving.
        if (!hand_out([&](ChannelId channel) {
                const auto& c = channels_.at(channel);
                return c.limit == 0 ? std::numeric_limits<double>::max() : std::floor(c.quota);
            })) {
            return;
        }
    }
}

std::vector<Grant> Allocator::tick(std::chrono::nanoseconds elapsed) {
    const double seconds = std::chrono::duration<double>(elapsed).count();
    for (auto& [id, c] : channels_) {
        if (c.limit > 0) c.quota = std::min(c.quota + double(c.limit) * seconds, burst_cap(c.limit));
    }
    distribute();
    std::vector<Grant> grants;
    for (auto it = waiting_.begin(); it != waiting_.end();) {
        auto& request = it->second;
        // A request whose channels all became unlimited moves everything it asked for.
        const bool unlimited = std::ranges::none_of(request.channels, [&](ChannelId id) {
            const auto* c = find(id);
            return c != nullptr && c->limit > 0;
        });
        if (unlimited) request.assigned = request.wanted;
        if (request.assigned == 0) {
            ++it;
            continue;
        }
        for (const auto id : request.channels) {
            if (auto* c = find(id)) --c->waiting;
        }
        grants.push_back({it->first, request.assigned});
        it = waiting_.erase(it);
    }
    return grants;
}

}  // namespace bt::bandwidth
