#pragma once
// Connection ids of UDP trackers (BEP 15), kept between announces so that an announce within a minute of
// the previous one skips the connect round trip. BEP 15: "A client can use a connection ID until one
// minute after it has received it." Pure: the caller passes `now`; no locking (the I/O layer adds it).
#include <chrono>
#include <cstddef>
#include <map>
#include <optional>

#include "core/endpoint.hpp"
#include "tracker/udp_transaction.hpp"

namespace bt::tracker {

class UdpConnectionCache {
  public:
    using TimePoint = std::chrono::steady_clock::time_point;

    // `lifetime`: how long an id stays usable after it was obtained. `max_entries` bounds the memory: when
    // full, expired entries go first, then the oldest one.
    explicit UdpConnectionCache(std::chrono::seconds lifetime = std::chrono::seconds(60),
                                std::size_t max_entries = 256);

    // The id obtained from `tracker` (its resolved address) if it is still valid at `now`.
    [[nodiscard]] std::optional<UdpConnection> find(const Endpoint& tracker, TimePoint now) const;
    // Remembers (or replaces) the id for `tracker`; an id that is already expired at `now` is not kept.
    void store(const Endpoint& tracker, const UdpConnection& connection, TimePoint now);
    // Drops the id for `tracker`, e.g. after a request that used it failed.
    void forget(const Endpoint& tracker);

    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

  private:
    bool valid(const UdpConnection& connection, TimePoint now) const;

    std::chrono::seconds lifetime_;
    std::size_t max_entries_;
    std::map<Endpoint, UdpConnection> entries_;
};

}  // namespace bt::tracker
