#include "swarm/request_queue.hpp"

#include <gtest/gtest.h>

namespace bt::swarm {
namespace {

constexpr std::uint64_t kBlock = kDefaultBlockSize;
constexpr std::uint32_t kNoLimit = 100000;

TEST(RequestQueueTarget, ANewPeerStartsAtTheMinimum) {
    EXPECT_EQ(request_queue_target(0, 0, kNoLimit), kMinRequestQueue);
}

TEST(RequestQueueTarget, BlocksReceivedBeforeTheFirstRateUpdateGrowTheQueue) {
    // Two seconds' worth of what arrived so far: each block received adds two requests.
    EXPECT_EQ(request_queue_target(0, 16 * kBlock, kNoLimit), 32u);
    EXPECT_EQ(request_queue_target(0, 100 * kBlock, kNoLimit), 200u);
}

TEST(RequestQueueTarget, HoldsAboutTwoSecondsOfTheSmoothedRate) {
    EXPECT_EQ(request_queue_target(60 * kBlock, 0, kNoLimit), 120u);
    // The larger of the two rates counts: a slow start of this second does not shrink the queue.
    EXPECT_EQ(request_queue_target(60 * kBlock, 10 * kBlock, kNoLimit), 120u);
    EXPECT_EQ(request_queue_target(60 * kBlock, 90 * kBlock, kNoLimit), 180u);
}

TEST(RequestQueueTarget, BoundedByTheMaximumAndByThePeersOwnLimit) {
    EXPECT_EQ(request_queue_target(1ull << 40, 0, kNoLimit), kMaxRequestQueue);
    EXPECT_EQ(request_queue_target(0, 1ull << 40, kNoLimit), kMaxRequestQueue);
    EXPECT_EQ(request_queue_target(60 * kBlock, 0, 50), 50u);
    // The peer's 'reqq' wins even below our minimum: it drops what goes past it.
    EXPECT_EQ(request_queue_target(0, 0, 4), 4u);
}

TEST(RequestsToSend, FillsAnEmptyQueue) {
    EXPECT_EQ(requests_to_send(16, 0, 1000), 16u);
    EXPECT_EQ(requests_to_send(200, 0, 1000), 200u);
}

TEST(RequestsToSend, TopsUpInBatchesOfAnEighthOfTheQueue) {
    EXPECT_EQ(requests_to_send(160, 141, 1000), 0u);  // 19 missing, batch is 20
    EXPECT_EQ(requests_to_send(160, 140, 1000), 20u);
    EXPECT_EQ(requests_to_send(16, 15, 1000), 0u);
    EXPECT_EQ(requests_to_send(16, 14, 1000), 2u);
    EXPECT_EQ(requests_to_send(4, 3, 1000), 1u);  // a queue under 8 tops up one by one
}

TEST(RequestsToSend, NothingWhenTheQueueIsFull) {
    EXPECT_EQ(requests_to_send(16, 16, 1000), 0u);
    EXPECT_EQ(requests_to_send(16, 40, 1000), 0u);  // the target shrank below what is outstanding
}

TEST(RequestsToSend, TheTorrentsBudgetCaps) {
    EXPECT_EQ(requests_to_send(200, 0, 7), 7u);      // an empty queue takes what the budget allows
    EXPECT_EQ(requests_to_send(200, 100, 30), 30u);  // a batch of at least 25
    EXPECT_EQ(requests_to_send(200, 100, 10), 0u);   // too small a batch: wait for more blocks
    EXPECT_EQ(requests_to_send(200, 0, 0), 0u);
}

}  // namespace
}  // namespace bt::swarm
