// Many real Nodes on the in-process FakeNetwork: bootstrap, get_peers with announce, lookups with silent
// nodes, read-only nodes (BEP 43) and lossy links.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "dht/fake_network.hpp"
#include "dht/routing_table.hpp"

namespace bt::dht {
namespace {

using namespace std::chrono_literals;
using test::FakeNetwork;

const InfoHash kInfoHash = [] {
    InfoHash h{};
    for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint8_t>(0xa0 + i);
    return h;
}();

// Builds `count` nodes that all bootstrap from the first, and lets them settle.
void bootstrap(FakeNetwork& net, std::size_t count,
               const std::function<NodeSettings(std::size_t)>& settings_of = {}) {
    for (std::size_t i = 0; i < count; ++i)
        net.add(FakeNetwork::address_of(i), settings_of ? settings_of(i) : NodeSettings{});
    for (std::size_t i = 1; i < count; ++i) {
        net.node(FakeNetwork::address_of(i)).add_node(FakeNetwork::address_of(0), net.now());
        net.pump();
    }
    net.run_for(3min, 500ms);
}

template <class T>
std::vector<T> events_of(FakeNetwork& net, const Endpoint& address) {
    std::vector<T> found;
    for (const auto& event : net.events(address)) {
        if (const auto* e = std::get_if<T>(&event)) found.push_back(*e);
    }
    return found;
}

// Runs until `address` reports the end of `lookup` (or 60 s of simulated time pass).
std::optional<LookupDone> wait_done(FakeNetwork& net, const Endpoint& address, LookupId lookup) {
    for (int i = 0; i < 600; ++i) {
        for (const auto& done : events_of<LookupDone>(net, address)) {
            if (done.lookup == lookup) return done;
        }
        net.run_for(100ms);
    }
    return std::nullopt;
}

std::set<Endpoint> peers_found(FakeNetwork& net, const Endpoint& address, LookupId lookup) {
    std::set<Endpoint> peers;
    for (const auto& found : events_of<PeersFound>(net, address)) {
        if (found.lookup == lookup) peers.insert(found.peers.begin(), found.peers.end());
    }
    return peers;
}

TEST(DhtNetwork, BootstrapFillsTablesBoundedly) {
    FakeNetwork net(11);
    bootstrap(net, 120);
    for (const auto& address : net.addresses()) {
        const auto stats = net.node(address).stats();
        EXPECT_GE(stats.nodes, 8u) << address.to_string();
        EXPECT_LE(stats.nodes, stats.buckets * 8);
        EXPECT_LE(stats.replacement_nodes, stats.buckets * 8);
        EXPECT_LE(stats.queries_in_flight, NodeSettings{}.max_queries_in_flight);
        // Tables hold only real nodes, never the node itself.
        for (const auto& node : net.node(address).save().nodes) {
            EXPECT_NE(node.endpoint, address);
            EXPECT_EQ(net.node(node.endpoint).id(), node.id);
        }
    }
}

TEST(DhtNetwork, AnnouncedPeerIsFoundByAnotherNode) {
    FakeNetwork net(12);
    bootstrap(net, 100);
    const Endpoint announcer = FakeNetwork::address_of(17);
    const Endpoint seeker = FakeNetwork::address_of(83);

    const auto before = net.datagrams();
    const auto announce = net.node(announcer).get_peers(kInfoHash, 7000, net.now());
    ASSERT_TRUE(announce);
    net.pump();
    const auto announced = wait_done(net, announcer, *announce);
    ASSERT_TRUE(announced);
    EXPECT_GT(announced->responses, 0u);
    EXPECT_GT(announced->announced, 0u);
    EXPECT_LE(announced->announced, 8u);
    EXPECT_EQ(announced->peers, 0u);
    // A lookup in a 100-node network takes a few dozen queries, not a flood.
    EXPECT_LE(announced->queries, 60u);
    EXPECT_LT(net.datagrams() - before, 2000u);

    const auto lookup = net.node(seeker).get_peers(kInfoHash, std::nullopt, net.now());
    ASSERT_TRUE(lookup);
    net.pump();
    const auto done = wait_done(net, seeker, *lookup);
    ASSERT_TRUE(done);
    Endpoint expected = announcer;
    expected.port = 7000;
    EXPECT_TRUE(peers_found(net, seeker, *lookup).contains(expected));
    EXPECT_EQ(done->peers, 1u);
    EXPECT_EQ(done->announced, 0u);
    std::size_t stored = 0;
    for (const auto& address : net.addresses()) stored += net.node(address).stats().stored_peers;
    EXPECT_EQ(stored, announced->announced);
}

TEST(DhtNetwork, ImpliedPortAnnouncesTheSourcePort) {
    FakeNetwork net(13);
    bootstrap(net, 40);
    const Endpoint announcer = FakeNetwork::address_of(5);
    const auto announce = net.node(announcer).get_peers(kInfoHash, 0, net.now());
    ASSERT_TRUE(announce);
    net.pump();
    ASSERT_TRUE(wait_done(net, announcer, *announce));
    const Endpoint seeker = FakeNetwork::address_of(30);
    const auto lookup = net.node(seeker).get_peers(kInfoHash, std::nullopt, net.now());
    net.pump();
    ASSERT_TRUE(wait_done(net, seeker, *lookup));
    EXPECT_TRUE(peers_found(net, seeker, *lookup).contains(announcer));  // port 6881, the UDP source port
}

TEST(DhtNetwork, LookupsEndDespiteSilentNodes) {
    FakeNetwork net(14);
    bootstrap(net, 80);
    for (std::size_t i = 40; i < 60; ++i) net.set_silent(FakeNetwork::address_of(i), true);
    const Endpoint announcer = FakeNetwork::address_of(3);
    const auto announce = net.node(announcer).get_peers(kInfoHash, 7001, net.now());
    net.pump();
    const auto done = wait_done(net, announcer, *announce);
    ASSERT_TRUE(done);
    EXPECT_GT(done->announced, 0u);
    std::uint64_t timeouts = 0;
    for (const auto& address : net.addresses()) timeouts += net.node(address).stats().timeouts;
    EXPECT_GT(timeouts, 0u);
    const Endpoint seeker = FakeNetwork::address_of(70);
    const auto lookup = net.node(seeker).get_peers(kInfoHash, std::nullopt, net.now());
    net.pump();
    ASSERT_TRUE(wait_done(net, seeker, *lookup));
    Endpoint expected = announcer;
    expected.port = 7001;
    EXPECT_TRUE(peers_found(net, seeker, *lookup).contains(expected));
}

TEST(DhtNetwork, WorksOverALossyNetwork) {
    FakeNetwork net(15);
    net.set_loss(0.1);
    bootstrap(net, 60);
    const Endpoint announcer = FakeNetwork::address_of(9);
    const auto announce = net.node(announcer).get_peers(kInfoHash, 7002, net.now());
    net.pump();
    ASSERT_TRUE(wait_done(net, announcer, *announce));
    const Endpoint seeker = FakeNetwork::address_of(50);
    const auto lookup = net.node(seeker).get_peers(kInfoHash, std::nullopt, net.now());
    net.pump();
    const auto done = wait_done(net, seeker, *lookup);
    ASSERT_TRUE(done);
    EXPECT_EQ(done->peers, 1u);
}

TEST(DhtNetwork, ReadOnlyNodesNeverEnterTables) {
    FakeNetwork net(16);
    const auto read_only = [](std::size_t i) { return i % 5 == 4; };
    bootstrap(net, 60, [&](std::size_t i) {
        NodeSettings settings;
        settings.read_only = read_only(i);
        return settings;
    });
    for (const auto& address : net.addresses()) {
        for (const auto& node : net.node(address).save().nodes) {
            EXPECT_FALSE(read_only(node.endpoint.address[3]))
                << node.endpoint.to_string() << " in " << address.to_string();
        }
    }
    // Read-only nodes still use the DHT: one announces, another finds it.
    const Endpoint announcer = FakeNetwork::address_of(4);
    const auto announce = net.node(announcer).get_peers(kInfoHash, 7003, net.now());
    net.pump();
    const auto announced = wait_done(net, announcer, *announce);
    ASSERT_TRUE(announced);
    EXPECT_GT(announced->announced, 0u);
    EXPECT_GE(net.node(announcer).stats().nodes, 8u);
    EXPECT_EQ(net.node(announcer).stats().queries_answered, 0u);
    const Endpoint seeker = FakeNetwork::address_of(9);
    const auto lookup = net.node(seeker).get_peers(kInfoHash, std::nullopt, net.now());
    net.pump();
    ASSERT_TRUE(wait_done(net, seeker, *lookup));
    Endpoint expected = announcer;
    expected.port = 7003;
    EXPECT_TRUE(peers_found(net, seeker, *lookup).contains(expected));
}

TEST(DhtNetwork, SavedStateRestoresATable) {
    FakeNetwork net(17);
    bootstrap(net, 40);
    const Endpoint old_address = FakeNetwork::address_of(7);
    const auto saved = decode_state(encode_state(net.node(old_address).save()));
    ASSERT_TRUE(saved);
    EXPECT_GE(saved->nodes.size(), 8u);
    // The same node restarted elsewhere (no bootstrap): the saved nodes are pinged and answer.
    const Endpoint restarted = FakeNetwork::address_of(200);
    Node& node = net.add(restarted);
    node.restore(*saved, net.now());
    net.pump();
    EXPECT_EQ(node.stats().nodes + node.stats().replacement_nodes, saved->nodes.size());
    EXPECT_GE(node.stats().nodes, 8u);
}

}  // namespace
}  // namespace bt::dht
