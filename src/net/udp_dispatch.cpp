#include "net/udp_dispatch.hpp"

#include <optional>

#include "tracker/udp_codec.hpp"

namespace bt::net {

UdpDispatchTable::ClaimResult UdpDispatchTable::claim(Owner owner, const Endpoint& from,
                                                      std::uint32_t transaction_id) {
    const Key key{from, transaction_id};
    if (const auto it = by_key_.find(key); it != by_key_.end()) {
        if (it->second == owner) return ClaimResult::claimed;
        ++stats_.claims_refused;
        return ClaimResult::already_claimed;
    }
    const auto previous = by_owner_.find(owner);
    if (previous == by_owner_.end() && by_owner_.size() >= max_claims_) {
        ++stats_.claims_refused;
        return ClaimResult::table_full;
    }
    if (previous != by_owner_.end()) {
        by_key_.erase(previous->second);
        previous->second = key;
    } else {
        by_owner_.emplace(owner, key);
    }
    by_key_.emplace(key, owner);
    return ClaimResult::claimed;
}

void UdpDispatchTable::release(Owner owner) {
    const auto it = by_owner_.find(owner);
    if (it == by_owner_.end()) return;
    by_key_.erase(it->second);
    by_owner_.erase(it);
}

UdpDispatchTable::Route UdpDispatchTable::route(const Endpoint& from, std::span<const std::uint8_t> datagram,
                                                bool oversized) {
    if (oversized) {
        ++stats_.oversized;
        return {Route::To::drop, 0};
    }
    if (const std::optional<std::uint32_t> id = tracker::udp_response_transaction_id(datagram)) {
        if (const auto it = by_key_.find(Key{from, *id}); it != by_key_.end()) {
            ++stats_.claimed;
            return {Route::To::owner, it->second};
        }
    }
    ++stats_.unclaimed;
    return {Route::To::unclaimed, 0};
}

std::vector<UdpDispatchTable::Owner> UdpDispatchTable::owners_at(const Endpoint& to) const {
    std::vector<Owner> owners;
    for (auto it = by_key_.lower_bound(Key{to, 0}); it != by_key_.end() && it->first.from == to; ++it)
        owners.push_back(it->second);
    return owners;
}

}  // namespace bt::net
