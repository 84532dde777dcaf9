#pragma once
// A DHT node (BEP 5), as pure code: datagrams and the time in, datagrams to send and events out. No socket,
// no clock of its own, no resolver; the session's DhtService (session/dht_service.hpp) is its I/O edge and
// the KRPC fuzz target drives it directly.
//
// It owns the routing table (dht/routing_table.hpp), the write tokens (dht/tokens.hpp), the peers other
// nodes announced to us (dht/peer_store.hpp), the queries in flight, and the lookups (dht/lookup.hpp).
// Everything is bounded: see NodeSettings.
//
// Usage: feed every KRPC datagram to receive(), call tick() no later than the time it returns, and after
// each call send what take_outgoing() gives and handle what take_events() gives.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/endpoint.hpp"
#include "dht/krpc.hpp"
#include "dht/time.hpp"

namespace bt::dht {

struct NodeSettings {
    std::size_t bucket_size = 8;         // K (BEP 5)
    std::size_t lookup_parallelism = 3;  // queries in flight per lookup (alpha)
    // A query unanswered this long counts as failed for its lookup (another node is asked), and for the
    // routing table.
    std::chrono::milliseconds query_timeout{3000};
    std::chrono::seconds token_rotation{300};  // a token is accepted for two rotations
    std::chrono::minutes bucket_refresh{15};   // a bucket without activity this long is refreshed
    std::chrono::minutes peer_ttl{30};         // an announced peer is forgotten after this
    std::size_t max_stored_torrents = 2000;    // info hashes in the peer store
    std::size_t max_peers_per_torrent = 200;   // peers per info hash in the peer store
    std::size_t max_queries_in_flight = 512;   // over all lookups and pings; more wait or are dropped
    std::size_t max_lookups = 64;              // lookups running at once; more are refused
    // Queries answered per second from one address, and from everybody; the rest are dropped, not queued.
    std::uint32_t max_queries_per_second_per_address = 20;
    std::uint32_t max_queries_per_second = 1000;
    std::size_t max_rate_tracked_addresses = 4096;
    // BEP 43: we send "ro": 1, answer no query, and are not put in others' tables.
    bool read_only = false;
    // Nodes on loopback and local networks are taken into the table only when the node that tells us
    // about them (or that sends us a query) is on such a network too: a public node cannot make us query
    // this machine or the LAN.
    // BEP 42: enforce node ids derived from addresses for nodes whose address is public.
    bool enforce_node_id = true;
    std::string version = "BV01";  // "v": two letters then two bytes of version
};

using LookupId = std::uint64_t;

// Peers found by a get_peers lookup, as they arrive (there may be several events per lookup).
struct PeersFound {
    LookupId lookup = 0;
    InfoHash info_hash{};
    std::vector<Endpoint> peers;
};
// A lookup ended: the closest nodes that answered were asked (and announced to, when asked).
struct LookupDone {
    LookupId lookup = 0;
    InfoHash info_hash{};
    std::chrono::milliseconds duration{};
    std::size_t queries = 0;    // get_peers or find_node queries sent
    std::size_t responses = 0;  // answers received
    std::size_t peers = 0;      // distinct peers found
    std::size_t announced = 0;  // announce_peer queries sent
};
// Our node id changed (BEP 42: the external address became known and the old id did not fit it).
struct NodeIdChanged {
    NodeId id{};
};
using Event = std::variant<PeersFound, LookupDone, NodeIdChanged>;

struct Outgoing {
    Endpoint to;
    std::string datagram;
};

struct NodeStats {
    std::size_t nodes = 0;              // in the routing table (good and questionable)
    std::size_t replacement_nodes = 0;  // waiting in bucket replacement caches
    std::size_t buckets = 0;
    std::size_t stored_torrents = 0;  // info hashes in the peer store
    std::size_t stored_peers = 0;
    std::size_t queries_in_flight = 0;
    std::size_t lookups_running = 0;
    std::uint64_t lookups_done = 0;
    std::uint64_t messages_in = 0;
    std::uint64_t messages_out = 0;
    std::uint64_t queries_answered = 0;
    std::uint64_t dropped_malformed = 0;  // undecodable datagrams
    std::uint64_t dropped_rate = 0;       // queries over a rate limit
    std::uint64_t bad_tokens = 0;         // announce_peer refused for its token
    std::uint64_t timeouts = 0;
};

// What is kept between runs: our id and the nodes of the routing table.
struct NodeState {
    NodeId id{};
    std::vector<NodeInfo> nodes;  // v4 and v6
};
// Bencoded {"id": 20 bytes, "nodes": compact v4, "nodes6": compact v6}; nullopt for anything malformed.
std::string encode_state(const NodeState& state);
std::optional<NodeState> decode_state(std::string_view bytes);

class Node {
  public:
    // `family`: the address family this node serves (one node per UDP socket; BEP 32 runs a second node
    // for IPv6 with the same id). `seed` drives transaction ids, tokens' secrets and random choices.
    Node(NodeSettings settings, NodeId id, Endpoint::Family family, std::uint64_t seed, TimePoint now);
    ~Node();
    Node(Node&&) noexcept;
    Node& operator=(Node&&) noexcept;

    // A datagram from `from` that may be KRPC (anything else is counted and dropped).
    void receive(const Endpoint& from, std::string_view datagram, TimePoint now);
    // Timeouts, refreshes, token rotation, lookups' next queries, pings of questionable nodes. Returns when
    // it wants to be called next.
    TimePoint tick(TimePoint now);

    // Asks `endpoint` for nodes near our id (find_node); it enters the table when it answers. For bootstrap
    // nodes, saved nodes and BEP 5 PORT messages.
    void add_node(const Endpoint& endpoint, TimePoint now);
    // Restores saved nodes: each is pinged and enters the table when it answers.
    void restore(const NodeState& state, TimePoint now);
    NodeState save() const;

    // An iterative get_peers lookup for `info_hash`; with `announce_port`, announce_peer to the closest
    // nodes that gave a token (port 0: implied_port, BEP 5). nullopt when max_lookups run already.
    std::optional<LookupId> get_peers(const InfoHash& info_hash, std::optional<std::uint16_t> announce_port,
                                      TimePoint now);
    // Stops a lookup (no more events for it).
    void cancel(LookupId lookup);

    // The address other nodes see us at (from a majority of "ip" fields, or set by the caller); BEP 42
    // may change our id when it is known.
    void set_external_address(const Endpoint& address, TimePoint now);

    std::vector<Outgoing> take_outgoing();
    std::vector<Event> take_events();

    const NodeId& id() const noexcept;
    NodeStats stats() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bt::dht
