#pragma once
// The DHT (BEP 5) of a session: the I/O edge around the pure dht::Node. It owns one node per address
// family the session's UDP mux has a socket for (BEP 32: the IPv6 node shares our id), takes the
// datagrams nobody else claimed on that mux (KRPC messages are bencoded dictionaries: they start with
// 'd'), sends what the nodes want sent (a bounded number of sends in flight; more are dropped, as UDP
// would), and wakes the nodes on a timer at the time their tick() asks for.
//
// Bootstrap nodes ("HOST:PORT") are resolved and asked for nodes near our id, again with a backoff while
// the routing table stays empty. The state file keeps our id and the routing table's nodes: loaded at
// start (the saved nodes are pinged, so a restart needs no bootstrap node) and replaced atomically every
// kStateSaveInterval and at stop.
//
// Torrents start lookups through get_peers(); the peers found and the end of the lookup come back through
// the callbacks, on the session's thread, never from inside get_peers() itself.
//
// Runs on the session's io_context (single-threaded). Its coroutines hold the service alive; stop() ends
// them.
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.hpp"
#include "dht/node.hpp"
#include "net/udp_mux.hpp"

namespace bt::session {

struct DhtServiceSettings {
    std::vector<std::string> bootstrap;  // "HOST:PORT", "[v6]:PORT"
    std::string state_file;              // empty: nothing kept between runs
    bool read_only = false;              // BEP 43
};

struct DhtStats {
    std::size_t nodes = 0;  // in the routing tables (every family)
    std::size_t lookups_running = 0;
    std::uint64_t lookups_done = 0;
    std::chrono::milliseconds last_lookup{0};
    std::chrono::milliseconds average_lookup{0};
    std::uint64_t messages_in = 0;
    std::uint64_t messages_out = 0;
    std::uint64_t sends_dropped = 0;  // over kMaxSendsInFlight, or the send failed
};

// Sends waiting for the socket at once; a node that wants more (a burst of lookups, an answer flood) has
// the rest dropped, which the KRPC timeouts then treat like any lost datagram.
inline constexpr std::size_t kMaxSendsInFlight = 256;
inline constexpr auto kStateSaveInterval = std::chrono::minutes(10);
// Bootstrap again while the routing tables stay empty: after 15 s, then twice as long each time, at most
// 5 minutes apart.
inline constexpr auto kFirstRebootstrap = std::chrono::seconds(15);
inline constexpr auto kMaxRebootstrap = std::chrono::minutes(5);

class DhtService : public std::enable_shared_from_this<DhtService> {
  public:
    using Clock = dht::Clock;
    using LookupHandle = std::uint64_t;
    using PeersCallback = std::function<void(const std::vector<Endpoint>& peers)>;
    // What a lookup did, over every family's node.
    struct LookupSummary {
        std::chrono::milliseconds took{};
        std::size_t queries = 0;
        std::size_t responses = 0;
        std::size_t peers = 0;
        std::size_t announced = 0;  // announce_peer queries sent
    };
    using DoneCallback = std::function<void(const LookupSummary& summary)>;

    // Opens the state file (if any), makes the nodes, attaches to `mux` and starts the timer and the
    // bootstrap. `mux` must not be null.
    static std::shared_ptr<DhtService> start(asio::io_context& io, std::shared_ptr<net::UdpMux> mux,
                                             DhtServiceSettings settings, std::uint64_t seed);
    DhtService(asio::io_context& io, DhtServiceSettings settings, std::uint64_t seed);
    ~DhtService();

    // The session's UDP mux was replaced (a new listen port): datagrams come from and go to `mux` now.
    void attach(std::shared_ptr<net::UdpMux> mux);
    // The UDP port of our DHT node for `family` (for the PORT message); nullopt without a socket.
    std::optional<std::uint16_t> port(Endpoint::Family family) const;

    // A get_peers lookup on every node (every family); with `announce_port`, announce_peer to the closest
    // nodes. `on_peers` may be called several times, `on_done` once when every node's lookup ended. nullopt
    // when the nodes run as many lookups as they may (try again later).
    std::optional<LookupHandle> get_peers(const dht::InfoHash& info_hash,
                                          std::optional<std::uint16_t> announce_port, PeersCallback on_peers,
                                          DoneCallback on_done);
    // No more callbacks for this lookup; an unknown or finished handle is ignored.
    void cancel(LookupHandle handle);
    bool is_running(LookupHandle handle) const { return lookups_.contains(handle); }

    // A node to ask for nodes (a peer's PORT message, BEP 5).
    void add_node(const Endpoint& endpoint);

    DhtStats stats() const;
    // Saves the state file, stops the timer and lets go of the mux. The callbacks of running lookups are
    // dropped.
    void stop();

  private:
    struct Lookup {
        PeersCallback on_peers;
        DoneCallback on_done;
        std::map<Endpoint::Family, dht::LookupId> running;  // per node, until its LookupDone
        Clock::time_point started;
        LookupSummary summary{};  // the nodes' figures added up as each ends
    };

    dht::Node* node(Endpoint::Family family);
    void make_nodes(const std::optional<dht::NodeState>& saved);
    bool on_datagram(const Endpoint& from, std::span<const std::uint8_t> datagram);
    // Sends what the nodes queued and hands their events out; the timer is moved up if they need it.
    void flush();
    void handle(Endpoint::Family family, dht::Event& event);
    void send(dht::Outgoing outgoing);
    // The timer fires no later than `at`.
    void wake_by(Clock::time_point at);
    asio::awaitable<void> timer_loop();
    asio::awaitable<void> bootstrap();
    void save_state();

    asio::io_context& io_;
    DhtServiceSettings settings_;
    std::uint64_t seed_;
    std::shared_ptr<net::UdpMux> mux_;
    std::map<Endpoint::Family, dht::Node> nodes_;
    asio::steady_timer timer_;
    Clock::time_point wake_at_ = Clock::time_point::max();
    Clock::time_point next_save_{};
    Clock::time_point next_bootstrap_{};
    Clock::duration bootstrap_backoff_ = kFirstRebootstrap;
    bool bootstrapping_ = false;
    std::atomic<bool> cancel_resolve_{false};
    bool stopped_ = false;
    std::size_t sends_in_flight_ = 0;
    std::uint64_t sends_dropped_ = 0;
    std::map<LookupHandle, Lookup> lookups_;
    // Unique over every service of the process: a torrent's handle from a DHT switched off and on again
    // never names another torrent's lookup.
    static inline LookupHandle next_handle_ = 1;
    std::uint64_t lookups_done_ = 0;
    Clock::duration lookup_time_total_{};
    Clock::duration last_lookup_{};
};

}  // namespace bt::session
