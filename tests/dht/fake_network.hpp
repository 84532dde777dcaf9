#pragma once
// An in-process "network" of real dht::Nodes for tests: datagrams from take_outgoing() are delivered at
// once (optionally lost), time is a fake clock, and every node's events are kept. Nodes can be made
// silent (they receive nothing, as if gone).
#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "dht/node.hpp"
#include "dht/rng.hpp"

namespace bt::dht::test {

class FakeNetwork {
  public:
    explicit FakeNetwork(std::uint64_t seed = 1);

    // A public IPv4 address per index (5.0.x.y), and an id derived from it (BEP 42).
    static Endpoint address_of(std::size_t index);
    NodeId id_for(const Endpoint& address);

    Node& add(const Endpoint& address, NodeSettings settings = {});
    Node& node(const Endpoint& address) { return *nodes_.at(address); }
    const std::vector<Endpoint>& addresses() const noexcept { return order_; }

    // Delivers datagrams until none are left (each round hands every node its inbox).
    void pump();
    // Advances the clock by `step` at a time, ticking every node and delivering, for `duration`.
    void run_for(std::chrono::milliseconds duration,
                 std::chrono::milliseconds step = std::chrono::milliseconds(100));
    // A datagram from an address that is not a node (the node's answers to it are counted in sent_to).
    void inject(const Endpoint& from, const Endpoint& to, std::string_view datagram);

    TimePoint now() const noexcept { return now_; }
    void set_silent(const Endpoint& address, bool silent);
    void set_loss(double loss) { loss_ = loss; }

    // Events a node produced so far.
    std::vector<Event>& events(const Endpoint& address) { return events_[address]; }
    // Datagrams sent by anybody so far, and those sent to addresses that are not nodes.
    std::size_t datagrams() const noexcept { return datagrams_; }
    std::vector<std::string>& sent_to(const Endpoint& outsider) { return outsiders_[outsider]; }

  private:
    struct Datagram {
        Endpoint from;
        Endpoint to;
        std::string bytes;
    };
    void collect(const Endpoint& address, std::vector<Datagram>& queue);

    Rng rng_;
    TimePoint now_;
    double loss_ = 0;
    std::map<Endpoint, std::unique_ptr<Node>> nodes_;
    std::vector<Endpoint> order_;
    std::set<Endpoint> silent_;
    std::map<Endpoint, std::vector<Event>> events_;
    std::map<Endpoint, std::vector<std::string>> outsiders_;
    std::size_t datagrams_ = 0;
};

}  // namespace bt::dht::test
