#pragma once
// An iterative Kademlia lookup (BEP 5 get_peers or find_node) as pure state: the node feeds it answers and
// failures, and asks it whom to query next. Candidates are kept sorted by distance to the target (at most
// max_candidates, the farthest dropped first); at most `parallelism` queries are in flight, closest first.
// It ends when the K closest candidates that did not fail have all answered, or after kMaxQueries queries.
// Tokens are kept per responder for the announce phase, and get_peers values are returned once each.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "core/endpoint.hpp"
#include "dht/krpc.hpp"

namespace bt::dht {

enum class LookupKind : std::uint8_t { find_node, get_peers };

// Bounds per lookup: the messages it may send, and the distinct peers it remembers (to report each once).
inline constexpr std::size_t kMaxQueriesPerLookup = 256;
inline constexpr std::size_t kMaxPeersPerLookup = 1000;

class Lookup {
  public:
    struct Params {
        LookupKind kind = LookupKind::get_peers;
        NodeId target{};
        std::size_t bucket_size = 8;  // K: how many of the closest must answer
        std::size_t parallelism = 3;  // queries in flight at once
        std::size_t max_candidates = 100;
    };
    explicit Lookup(const Params& params);

    LookupKind kind() const noexcept { return params_.kind; }
    const NodeId& target() const noexcept { return params_.target; }

    // New candidates (nodes already known by id or address are skipped).
    void add_candidates(const std::vector<NodeInfo>& nodes);
    // The next nodes to query, closest first, within the parallelism and at most `slots`; they are in
    // flight from now on.
    std::vector<NodeInfo> take_next(std::size_t slots);
    // `from` answered as `id`. False when it was not a query in flight or answered with another id than the
    // one it was known by (then it counts as failed). `new_peers` gets the values not reported before.
    bool on_answer(const Endpoint& from, const NodeId& id, const Response& response,
                   std::vector<Endpoint>& new_peers);
    // A query in flight to `to` timed out or was answered with an error: its slot is free.
    void on_failure(const Endpoint& to);

    bool done() const;
    // The K closest nodes that answered with a token, closest first (the announce_peer targets).
    std::vector<std::pair<NodeInfo, Token>> announce_targets() const;

    std::size_t in_flight() const noexcept { return in_flight_; }
    std::size_t queries() const noexcept { return queries_; }
    std::size_t answers() const noexcept { return answers_; }
    std::size_t peers_found() const noexcept { return peers_seen_.size(); }

  private:
    enum class State : std::uint8_t { fresh, in_flight, answered, failed };
    struct Candidate {
        NodeInfo node{};
        State state = State::fresh;
        std::optional<Token> token{};
    };
    Candidate* find(const Endpoint& endpoint);

    Params params_;
    std::vector<Candidate> candidates_;  // closest first; at most max_candidates + parallelism
    std::size_t in_flight_ = 0;
    std::size_t queries_ = 0;
    std::size_t answers_ = 0;
    std::set<Endpoint> peers_seen_;  // at most kMaxPeersPerLookup
};

}  // namespace bt::dht
