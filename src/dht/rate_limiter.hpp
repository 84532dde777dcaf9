#pragma once
// Query rate limits: a token bucket per source IP address (any port) and one for everybody. A query over
// either limit is dropped (and counted by the caller), never queued. Each bucket holds one second's worth
// of queries, so short bursts pass. At most max_tracked addresses are remembered (the oldest is forgotten
// first), so a flood from many addresses costs bounded memory; the price is that such a flood lets the
// oldest address start over with a full bucket.
#include <cstddef>
#include <cstdint>

#include "core/bounded_map.hpp"
#include "core/endpoint.hpp"
#include "dht/time.hpp"

namespace bt::dht {

class RateLimiter {
  public:
    RateLimiter(std::uint32_t per_address_per_second, std::uint32_t global_per_second,
                std::size_t max_tracked);

    // Whether a query from `source` may be answered now; it is counted when it may.
    bool allow(const Endpoint& source, TimePoint now);
    std::size_t tracked_addresses() const noexcept { return per_address_.size(); }

  private:
    struct Bucket {
        std::uint64_t milli_tokens = 0;  // 1000 per query
        TimePoint refilled{};
        bool started = false;
    };
    static void refill(Bucket& bucket, std::uint32_t per_second, TimePoint now);

    std::uint32_t per_address_rate_;
    std::uint32_t global_rate_;
    Bucket global_;
    BoundedMap<Endpoint, Bucket> per_address_;  // keyed by address with port 0
};

}  // namespace bt::dht
