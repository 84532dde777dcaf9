#pragma once
// The Kademlia routing table (BEP 5): buckets of at most K nodes, where only the bucket that covers our own
// id splits (a vector of buckets, libtorrent style: bucket i holds the nodes sharing exactly i leading bits
// with us, the last bucket those sharing at least as many). Each bucket keeps a replacement cache of at most
// K nodes that answered while it was full. Bounded by construction: 160 buckets x (K live + K replacements).
//
// Node states (BEP 5): good when it answered within the last 15 minutes (or answered once and queried us
// within the last 15 minutes), bad after kMaxTimeouts consecutive unanswered queries, questionable
// otherwise. A bad node is replaced by the newest node of its bucket's replacement cache.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "dht/krpc.hpp"
#include "dht/rng.hpp"
#include "dht/time.hpp"

namespace bt::dht {

inline constexpr std::chrono::minutes kNodeGoodFor{15};
inline constexpr std::uint32_t kMaxTimeouts = 2;

enum class NodeStatus : std::uint8_t { good, questionable, bad };

struct RoutingEntry {
    NodeInfo node{};
    TimePoint last_response{};        // TimePoint{}: never answered
    TimePoint last_query_received{};  // when it last queried us
    TimePoint last_ping{};            // when we last pinged it because it was questionable
    std::uint32_t timeouts = 0;       // consecutive queries it left unanswered
};

enum class Placement : std::uint8_t { live, replacement, rejected };

class RoutingTable {
  public:
    RoutingTable(const NodeId& self, std::size_t bucket_size, TimePoint now);

    const NodeId& self() const noexcept { return self_; }
    NodeStatus status(const RoutingEntry& entry, TimePoint now) const noexcept;

    // A node answered one of our queries: it is refreshed, added, or put in its bucket's replacement cache.
    // Rejected: our own id, or an id or address the table holds under another address or id (one entry per
    // id and per address; a node that is not good gives its address up to a new id).
    Placement on_answer(const NodeInfo& node, TimePoint now);
    // A node queried us: refreshes it when it is in the table (it never adds: it has not answered yet).
    void on_query(const NodeInfo& node, TimePoint now);
    // A query to the node went unanswered; bad nodes are replaced from the replacement cache.
    void on_timeout(const NodeInfo& node, TimePoint now);

    // Whether a node that answers with this id would get a place in the table (live or replacement),
    // i.e. whether it is worth pinging.
    bool would_accept(const NodeId& id, const Endpoint& endpoint) const;
    const RoutingEntry* find(const NodeId& id) const;

    // Up to `count` good or questionable nodes closest to `target` that pass `keep`, closest first.
    std::vector<NodeInfo> closest(const NodeId& target, std::size_t count,
                                  const std::function<bool(const NodeInfo&)>& keep = {}) const;
    // Buckets with no activity for `refresh` (BEP 5: they get a find_node lookup for a random id in them).
    std::vector<std::size_t> stale_buckets(TimePoint now, std::chrono::nanoseconds refresh) const;
    NodeId random_id_in_bucket(std::size_t index, Rng& rng) const;
    // A lookup for the bucket started: it is not stale again before another `refresh`.
    void touch_bucket(std::size_t index, TimePoint now);
    // Questionable nodes not pinged within `retry`, at most `max`; they are stamped as pinged now.
    std::vector<NodeInfo> take_nodes_to_ping(TimePoint now, std::chrono::nanoseconds retry, std::size_t max);

    // Live entries (good, questionable and bad), bucket by bucket.
    std::vector<RoutingEntry> entries() const;
    std::size_t size(TimePoint now) const;  // good and questionable
    std::size_t replacement_count() const;
    std::size_t bucket_count() const noexcept { return buckets_.size(); }

  private:
    struct Bucket {
        std::vector<RoutingEntry> live;          // at most K
        std::vector<RoutingEntry> replacements;  // at most K, oldest first
        TimePoint last_changed{};
    };

    std::size_t bucket_index(const NodeId& id) const noexcept;
    bool can_split(std::size_t index) const noexcept;
    void split_last();
    RoutingEntry* find_live(const NodeId& id);
    // Removes whatever entry (live or replacement) holds `endpoint`; false when a good node holds it.
    bool free_endpoint(const Endpoint& endpoint, const NodeId& new_id, TimePoint now);

    NodeId self_;
    std::size_t bucket_size_;
    std::vector<Bucket> buckets_;  // at most kNodeIdBits
};

}  // namespace bt::dht
