#include "dht/external_address.hpp"

#include <algorithm>

namespace bt::dht {

namespace {
Endpoint address_only(Endpoint endpoint) {
    endpoint.port = 0;
    return endpoint;
}
}  // namespace

ExternalAddressVote::ExternalAddressVote(std::size_t min_votes, std::size_t max_voters)
    : min_votes_(std::max<std::size_t>(min_votes, 1)), max_voters_(std::max(max_voters, min_votes_)) {}

std::optional<Endpoint> ExternalAddressVote::add(const Endpoint& voter, const Endpoint& seen_as) {
    const Endpoint address = address_only(seen_as);
    const Endpoint voter_address = address_only(voter);
    std::erase_if(votes_, [&](const auto& vote) { return vote.first == voter_address; });
    votes_.emplace_back(voter_address, address);
    if (votes_.size() > max_voters_) votes_.pop_front();
    const auto count = static_cast<std::size_t>(std::count_if(
        votes_.begin(), votes_.end(), [&](const auto& vote) { return vote.second == address; }));
    if (count < min_votes_ || 2 * count <= votes_.size() || believed_ == address) return std::nullopt;
    believed_ = address;
    return address;
}

}  // namespace bt::dht
