#include "dht/lookup.hpp"

#include <gtest/gtest.h>

#include "dht/node_id.hpp"

namespace bt::dht {
namespace {

Endpoint address(std::uint32_t n) {
    return Endpoint::v4({4, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                         static_cast<std::uint8_t>(n)},
                        6881);
}

class LookupTest : public ::testing::Test {
  protected:
    Rng rng{9};
    NodeId target = random_id(rng);
    std::uint32_t next_address = 1;

    // A node sharing `bits` leading bits with the target (more bits: closer).
    NodeInfo node_at(std::size_t bits) {
        return NodeInfo{random_id_near(target, bits, true, rng), address(next_address++)};
    }

    Lookup make(LookupKind kind = LookupKind::get_peers, std::size_t max_candidates = 100) {
        return Lookup({.kind = kind,
                       .target = target,
                       .bucket_size = 3,
                       .parallelism = 2,
                       .max_candidates = max_candidates});
    }

    static Response answer(const NodeInfo& from, std::vector<NodeInfo> nodes = {},
                           std::optional<Token> token = Token("tk")) {
        return Response{.id = from.id, .nodes = std::move(nodes), .token = std::move(token)};
    }
};

TEST_F(LookupTest, QueriesClosestFirstWithinTheParallelism) {
    Lookup lookup = make();
    const NodeInfo far = node_at(1);
    const NodeInfo mid = node_at(5);
    const NodeInfo near = node_at(10);
    lookup.add_candidates({far, near, mid});
    const auto first = lookup.take_next(100);
    ASSERT_EQ(first.size(), 2u);
    EXPECT_EQ(first[0], near);
    EXPECT_EQ(first[1], mid);
    EXPECT_TRUE(lookup.take_next(100).empty());  // two in flight already
    lookup.on_failure(near.endpoint);            // a timeout frees its slot
    EXPECT_EQ(lookup.take_next(100), std::vector<NodeInfo>{far});
}

TEST_F(LookupTest, WalksTowardsTheTargetAndEndsWhenTheKClosestAnswered) {
    Lookup lookup = make();
    const NodeInfo a = node_at(1);
    lookup.add_candidates({a});
    ASSERT_EQ(lookup.take_next(10).size(), 1u);
    std::vector<Endpoint> peers;
    const NodeInfo b = node_at(8);
    const NodeInfo c = node_at(9);
    const NodeInfo d = node_at(12);
    ASSERT_TRUE(lookup.on_answer(a.endpoint, a.id, answer(a), peers));
    lookup.add_candidates({b, c, d, a});
    EXPECT_FALSE(lookup.done());
    const auto next = lookup.take_next(10);
    ASSERT_EQ(next.size(), 2u);
    EXPECT_EQ(next[0], d);
    EXPECT_EQ(next[1], c);
    ASSERT_TRUE(lookup.on_answer(d.endpoint, d.id, answer(d), peers));
    ASSERT_TRUE(lookup.on_answer(c.endpoint, c.id, answer(c), peers));
    EXPECT_FALSE(lookup.done());  // b is closer than a and not asked yet
    EXPECT_EQ(lookup.take_next(10), std::vector<NodeInfo>{b});
    ASSERT_TRUE(lookup.on_answer(b.endpoint, b.id, answer(b), peers));
    EXPECT_TRUE(lookup.done());
    EXPECT_EQ(lookup.queries(), 4u);
    EXPECT_EQ(lookup.answers(), 4u);
    const auto targets = lookup.announce_targets();
    ASSERT_EQ(targets.size(), 3u);  // K = 3 closest
    EXPECT_EQ(targets[0].first, d);
    EXPECT_EQ(targets[2].first, b);
}

TEST_F(LookupTest, FailedNodesAreSkippedForTheEnd) {
    Lookup lookup = make();
    const NodeInfo silent = node_at(20);
    const NodeInfo a = node_at(3);
    lookup.add_candidates({silent, a});
    ASSERT_EQ(lookup.take_next(10).size(), 2u);
    std::vector<Endpoint> peers;
    ASSERT_TRUE(lookup.on_answer(a.endpoint, a.id, answer(a), peers));
    EXPECT_FALSE(lookup.done());  // the closest is still in flight
    lookup.on_failure(silent.endpoint);
    EXPECT_TRUE(lookup.done());
    EXPECT_EQ(lookup.announce_targets().size(), 1u);
}

TEST_F(LookupTest, AnAnswerUnderAnotherIdCountsAsFailed) {
    Lookup lookup = make();
    const NodeInfo a = node_at(3);
    lookup.add_candidates({a});
    lookup.take_next(10);
    std::vector<Endpoint> peers;
    EXPECT_FALSE(lookup.on_answer(a.endpoint, node_at(19).id, answer(a), peers));
    EXPECT_TRUE(lookup.done());
    EXPECT_EQ(lookup.answers(), 0u);
    // Nor is an answer from a node that was not asked accepted.
    EXPECT_FALSE(lookup.on_answer(address(999), a.id, answer(a), peers));
}

TEST_F(LookupTest, ReportsEachPeerOnce) {
    Lookup lookup = make();
    const NodeInfo a = node_at(3);
    const NodeInfo b = node_at(4);
    lookup.add_candidates({a, b});
    lookup.take_next(10);
    Response with_values = answer(a);
    with_values.values = std::vector<Endpoint>{address(100), address(101)};
    std::vector<Endpoint> peers;
    lookup.on_answer(a.endpoint, a.id, with_values, peers);
    EXPECT_EQ(peers.size(), 2u);
    with_values.id = b.id;
    with_values.values->push_back(address(102));
    std::vector<Endpoint> more;
    lookup.on_answer(b.endpoint, b.id, with_values, more);
    EXPECT_EQ(more, std::vector<Endpoint>{address(102)});
    EXPECT_EQ(lookup.peers_found(), 3u);
}

TEST_F(LookupTest, CandidatesAreBoundedAndQueriesCapped) {
    Lookup lookup = make(LookupKind::find_node, 10);
    std::vector<NodeInfo> many;
    for (int i = 0; i < 100; ++i) many.push_back(node_at(static_cast<std::size_t>(i % 50)));
    lookup.add_candidates(many);
    std::size_t sent = 0;
    for (int round = 0; round < 1000 && !lookup.done(); ++round) {
        for (const auto& node : lookup.take_next(10)) {
            ++sent;
            lookup.on_failure(node.endpoint);
        }
        lookup.add_candidates(
            {node_at(static_cast<std::size_t>(round % 60)), node_at(static_cast<std::size_t>(round % 70))});
    }
    EXPECT_TRUE(lookup.done());
    EXPECT_LE(sent, kMaxQueriesPerLookup);
}

}  // namespace
}  // namespace bt::dht
