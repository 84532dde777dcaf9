#pragma once
// How many block requests to keep outstanding at one peer, and when to send more. Pure: the peer layer
// passes its rates and counts and sends what this returns.
//
// The queue holds about two seconds of the peer's transfer, so the pipe never runs dry between round
// trips, within [kMinRequestQueue, kMaxRequestQueue] and never past what the peer says it queues without
// dropping (BEP 10 'reqq'). The rate is the larger of the smoothed one and what arrived so far this second:
// the smoothed rate only moves once a second, and a new peer would otherwise wait at the minimum for a whole
// second (at 16 requests, loopback runs at about 280 MB/s instead of 360).
#include <algorithm>
#include <cstdint>

#include "swarm/block.hpp"

namespace bt::swarm {

inline constexpr std::uint32_t kMinRequestQueue = 16;
inline constexpr std::uint32_t kMaxRequestQueue = 500;

// The number of requests to keep outstanding. Rates in bytes per second; `received_this_second`: block
// bytes received since the last rate update.
constexpr std::uint32_t request_queue_target(std::uint64_t smoothed_rate, std::uint64_t received_this_second,
                                             std::uint32_t peer_limit) noexcept {
    const std::uint64_t rate = std::max(smoothed_rate, received_this_second);
    const auto by_rate =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(rate * 2 / kDefaultBlockSize, kMaxRequestQueue));
    return std::min(std::max(by_rate, kMinRequestQueue), peer_limit);
}

// How many requests to send now, given `in_flight` at the peer and what the torrent's budget still allows.
// Requests go out in batches of an eighth of the queue rather than one per block received: one send carries
// many requests (strace, 1 GiB: 16 K sends of about 4 requests each, every one also running the loopback
// peer's receive path in our time slice). A peer with nothing outstanding always gets what there is.
constexpr std::uint32_t requests_to_send(std::uint32_t target, std::uint32_t in_flight,
                                         std::uint32_t budget) noexcept {
    const std::uint32_t wanted = std::min(in_flight >= target ? 0 : target - in_flight, budget);
    if (in_flight > 0 && wanted < std::max(target / 8, 1u)) return 0;
    return wanted;
}

}  // namespace bt::swarm
