#include "dht/routing_table.hpp"

#include <gtest/gtest.h>

#include <set>

#include "dht/node_id.hpp"

namespace bt::dht {
namespace {

using namespace std::chrono_literals;

const TimePoint kStart = TimePoint{} + 1h;

Endpoint address(std::uint32_t n) {
    return Endpoint::v4({1, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                         static_cast<std::uint8_t>(n)},
                        6881);
}

class RoutingTableTest : public ::testing::Test {
  protected:
    Rng rng{42};
    NodeId self = random_id(rng);
    RoutingTable table{self, 8, kStart};
    std::uint32_t next_address = 1;

    NodeInfo node_sharing(std::size_t prefix_bits) {
        return NodeInfo{random_id_near(self, prefix_bits, true, rng), address(next_address++)};
    }
};

TEST_F(RoutingTableTest, AddsAnsweringNodesAndNeverItself) {
    EXPECT_EQ(table.on_answer(NodeInfo{self, address(99)}, kStart), Placement::rejected);
    const NodeInfo node = node_sharing(0);
    EXPECT_EQ(table.on_answer(node, kStart), Placement::live);
    EXPECT_EQ(table.size(kStart), 1u);
    ASSERT_NE(table.find(node.id), nullptr);
    EXPECT_EQ(table.status(*table.find(node.id), kStart), NodeStatus::good);
}

TEST_F(RoutingTableTest, OneEntryPerIdAndPerAddress) {
    const NodeInfo node = node_sharing(3);
    ASSERT_EQ(table.on_answer(node, kStart), Placement::live);
    // The same id from another address is refused (the table keeps where it found it)...
    EXPECT_EQ(table.on_answer(NodeInfo{node.id, address(500)}, kStart), Placement::rejected);
    // ...and so is another id at a good node's address.
    EXPECT_EQ(table.on_answer(NodeInfo{random_id_near(self, 3, true, rng), node.endpoint}, kStart),
              Placement::rejected);
    EXPECT_EQ(table.size(kStart), 1u);
    // Once it is no longer good, a new id may take the address over.
    const TimePoint later = kStart + kNodeGoodFor + 1s;
    const NodeInfo successor{random_id_near(self, 3, true, rng), node.endpoint};
    EXPECT_EQ(table.on_answer(successor, later), Placement::live);
    EXPECT_EQ(table.find(node.id), nullptr);
    EXPECT_NE(table.find(successor.id), nullptr);
}

TEST_F(RoutingTableTest, FullFarBucketFillsTheReplacementCacheBoundedByK) {
    // Bucket 0 (ids differing in the first bit) splits off once the table has to split; then it is full.
    for (int i = 0; i < 8; ++i) ASSERT_EQ(table.on_answer(node_sharing(0), kStart), Placement::live);
    for (int i = 0; i < 8; ++i) ASSERT_EQ(table.on_answer(node_sharing(5), kStart), Placement::live);
    EXPECT_GE(table.bucket_count(), 2u);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(table.on_answer(node_sharing(0), kStart), Placement::replacement);
    EXPECT_EQ(table.replacement_count(), 8u);
    EXPECT_EQ(table.size(kStart), 16u);
}

TEST_F(RoutingTableTest, SplitsOnlyTheBucketHoldingOurId) {
    for (std::size_t bits = 0; bits < 40; ++bits) {
        for (int i = 0; i < 8; ++i) table.on_answer(node_sharing(bits), kStart);
    }
    EXPECT_EQ(table.size(kStart), 40u * 8u);
    EXPECT_LE(table.bucket_count(), 41u);
    const auto closest = table.closest(self, 8);
    ASSERT_EQ(closest.size(), 8u);
    for (const auto& node : closest) EXPECT_GE(common_prefix_length(self, node.id), 39u);
}

TEST_F(RoutingTableTest, StaysBoundedWhateverIsAdded) {
    for (int i = 0; i < 5000; ++i) table.on_answer(NodeInfo{random_id(rng), address(next_address++)}, kStart);
    for (std::size_t bits = 0; bits < 160; ++bits) table.on_answer(node_sharing(bits), kStart);
    EXPECT_LE(table.bucket_count(), kNodeIdBits);
    EXPECT_LE(table.size(kStart), table.bucket_count() * 8);
    EXPECT_LE(table.replacement_count(), table.bucket_count() * 8);
    std::set<Endpoint> endpoints;
    std::set<NodeId> ids;
    for (const auto& entry : table.entries()) {
        EXPECT_TRUE(endpoints.insert(entry.node.endpoint).second);
        EXPECT_TRUE(ids.insert(entry.node.id).second);
    }
}

TEST_F(RoutingTableTest, NodesTurnQuestionableThenBadAndAreReplaced) {
    std::vector<NodeInfo> far;
    for (int i = 0; i < 8; ++i) far.push_back(node_sharing(0));
    for (int i = 0; i < 8; ++i) table.on_answer(node_sharing(4), kStart);  // forces the split
    for (const auto& node : far) table.on_answer(node, kStart);
    const NodeInfo waiting = node_sharing(0);
    ASSERT_EQ(table.on_answer(waiting, kStart), Placement::replacement);

    const TimePoint later = kStart + kNodeGoodFor + 1s;
    EXPECT_EQ(table.status(*table.find(far[0].id), later), NodeStatus::questionable);
    const auto to_ping = table.take_nodes_to_ping(later, 60s, 100);
    EXPECT_EQ(to_ping.size(), table.entries().size());                    // all questionable now
    EXPECT_TRUE(table.take_nodes_to_ping(later + 1s, 60s, 100).empty());  // not again before the retry

    table.on_timeout(far[0], later);
    EXPECT_NE(table.find(far[0].id), nullptr);  // one timeout: still there
    table.on_timeout(far[0], later);
    EXPECT_EQ(table.find(far[0].id), nullptr);  // bad: replaced by the waiting node
    EXPECT_NE(table.find(waiting.id), nullptr);
    EXPECT_EQ(table.replacement_count(), 0u);
}

TEST_F(RoutingTableTest, AnAnswerMakesANodeGoodAgain) {
    const NodeInfo node = node_sharing(2);
    table.on_answer(node, kStart);
    table.on_timeout(node, kStart + 1s);
    const TimePoint later = kStart + kNodeGoodFor + 1s;
    table.on_answer(node, later);
    EXPECT_EQ(table.status(*table.find(node.id), later), NodeStatus::good);
    EXPECT_EQ(table.find(node.id)->timeouts, 0u);
}

TEST_F(RoutingTableTest, QueriesKeepAnsweringNodesGood) {
    const NodeInfo node = node_sharing(2);
    table.on_answer(node, kStart);
    const TimePoint later = kStart + kNodeGoodFor + 1s;
    table.on_query(node, later);
    EXPECT_EQ(table.status(*table.find(node.id), later), NodeStatus::good);
    table.on_query(node_sharing(2), later);  // unknown: not added
    EXPECT_EQ(table.size(later), 1u);
}

TEST_F(RoutingTableTest, ClosestSortsByDistanceAndFilters) {
    std::vector<NodeInfo> nodes;
    for (int i = 0; i < 30; ++i) {
        nodes.push_back(NodeInfo{random_id(rng), address(next_address++)});
        table.on_answer(nodes.back(), kStart);
    }
    const NodeId target = random_id(rng);
    const auto closest = table.closest(target, 5);
    ASSERT_EQ(closest.size(), 5u);
    for (std::size_t i = 1; i < closest.size(); ++i)
        EXPECT_FALSE(closer(target, closest[i].id, closest[i - 1].id));
    const auto none = table.closest(target, 5, [](const NodeInfo&) { return false; });
    EXPECT_TRUE(none.empty());
}

TEST_F(RoutingTableTest, StaleBucketsAndRandomIdsInThem) {
    for (int i = 0; i < 8; ++i) table.on_answer(node_sharing(0), kStart);
    for (int i = 0; i < 8; ++i) table.on_answer(node_sharing(3), kStart);
    EXPECT_TRUE(table.stale_buckets(kStart + 1min, 15min).empty());
    const auto stale = table.stale_buckets(kStart + 16min, 15min);
    EXPECT_EQ(stale.size(), table.bucket_count());
    const NodeId in_first = table.random_id_in_bucket(0, rng);
    EXPECT_EQ(common_prefix_length(self, in_first), 0u);
    table.touch_bucket(0, kStart + 16min);
    EXPECT_EQ(table.stale_buckets(kStart + 16min, 15min).size(), table.bucket_count() - 1);
}

TEST_F(RoutingTableTest, WouldAcceptOnlyWhatGetsALiveSlot) {
    for (int i = 0; i < 8; ++i) table.on_answer(node_sharing(0), kStart);
    for (int i = 0; i < 8; ++i) table.on_answer(node_sharing(6), kStart);
    const NodeInfo far = node_sharing(0);
    EXPECT_FALSE(table.would_accept(far.id, far.endpoint));  // bucket 0 is full of good nodes
    const NodeInfo near = node_sharing(40);
    EXPECT_TRUE(table.would_accept(near.id, near.endpoint));  // our own bucket splits
    EXPECT_FALSE(table.would_accept(self, address(7777)));
}

}  // namespace
}  // namespace bt::dht
