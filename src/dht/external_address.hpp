#pragma once
// BEP 42: which address the other nodes see us at, from the "ip" fields of their answers. One vote per
// voter address (its latest), at most max_voters remembered (the oldest forgotten first); an address is
// believed once at least min_votes voters name it and they are a majority of the remembered votes.
#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

#include "core/endpoint.hpp"

namespace bt::dht {

class ExternalAddressVote {
  public:
    ExternalAddressVote(std::size_t min_votes, std::size_t max_voters);

    // `voter` says it sees us at `seen_as` (ports are ignored). Returns the address when this vote makes
    // a new one believed.
    std::optional<Endpoint> add(const Endpoint& voter, const Endpoint& seen_as);
    const std::optional<Endpoint>& believed() const noexcept { return believed_; }

  private:
    std::size_t min_votes_;
    std::size_t max_voters_;
    std::deque<std::pair<Endpoint, Endpoint>> votes_;  // (voter, address), oldest first; at most max_voters_
    std::optional<Endpoint> believed_;
};

}  // namespace bt::dht
