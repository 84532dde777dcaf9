#pragma once
// Who gets a datagram that arrived on the session's UDP socket (net::UdpMux): the pure half of the mux, no
// socket and no clock, so it is tested directly.
//
// UDP tracker transactions claim their replies by (tracker address, transaction id). BEP 15: every reply
// starts with "int32_t action" then "int32_t transaction_id", so bytes 4-7 route it. Anything no claim
// matches (a late or spoofed reply, a DHT message: KRPC, BEP 5, is a bencoded dictionary and starts with
// 'd', later uTP) is "unclaimed": the mux hands it to the handler registered for it, or drops it. A
// datagram larger than the receive buffer is dropped whatever it holds (it was truncated).
//
// Bounded: at most max_claims claims at once; each owner (one transaction) holds one claim, and a new claim
// replaces its previous one (a BEP 15 exchange draws a new transaction id for each request).
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "core/endpoint.hpp"

namespace bt::net {

inline constexpr std::size_t kDefaultMaxUdpClaims = 1024;

struct UdpDispatchStats {
    std::uint64_t claimed = 0;         // routed to the owner of a claim
    std::uint64_t unclaimed = 0;       // matched no claim (too short to carry an id, or nobody waits for it)
    std::uint64_t oversized = 0;       // larger than the receive buffer: dropped
    std::uint64_t claims_refused = 0;  // the table was full, or another owner held the pair
};

class UdpDispatchTable {
  public:
    using Owner = std::uint64_t;
    enum class ClaimResult : std::uint8_t { claimed, table_full, already_claimed };
    struct Route {
        enum class To : std::uint8_t { owner, unclaimed, drop };
        To to = To::drop;
        Owner owner = 0;  // for To::owner
        friend bool operator==(const Route&, const Route&) = default;
    };

    explicit UdpDispatchTable(std::size_t max_claims = kDefaultMaxUdpClaims) : max_claims_(max_claims) {}

    // Datagrams from `from` whose bytes 4-7 hold `transaction_id` (big-endian) go to `owner`, in place of
    // the owner's previous claim. Refused, leaving the table as it was, when another owner holds that pair
    // or when max_claims owners hold one already.
    ClaimResult claim(Owner owner, const Endpoint& from, std::uint32_t transaction_id);
    // Drops the owner's claim, if any.
    void release(Owner owner);

    // Where a datagram goes. `oversized`: it did not fit the receive buffer (the bytes are a truncated
    // prefix).
    Route route(const Endpoint& from, std::span<const std::uint8_t> datagram, bool oversized);

    // The owners whose claim names `to`: told when the network reports `to` unreachable (ICMP).
    [[nodiscard]] std::vector<Owner> owners_at(const Endpoint& to) const;

    [[nodiscard]] std::size_t size() const noexcept { return by_owner_.size(); }
    [[nodiscard]] const UdpDispatchStats& stats() const noexcept { return stats_; }

  private:
    struct Key {
        Endpoint from;
        std::uint32_t transaction_id = 0;
        friend auto operator<=>(const Key&, const Key&) = default;
    };

    std::size_t max_claims_;
    std::map<Key, Owner> by_key_;
    std::map<Owner, Key> by_owner_;
    UdpDispatchStats stats_;
};

}  // namespace bt::net
