#include "dht/external_address.hpp"

#include <gtest/gtest.h>

namespace bt::dht {
namespace {

Endpoint voter(std::uint8_t n) {
    return Endpoint::v4({8, 0, 0, n}, 6881);
}
const Endpoint kUs = Endpoint::v4({7, 7, 7, 7}, 1234);
const Endpoint kLie = Endpoint::v4({6, 6, 6, 6}, 1);

TEST(DhtExternalAddress, BelievedAfterEnoughDistinctVoters) {
    ExternalAddressVote votes(3, 16);
    EXPECT_FALSE(votes.add(voter(1), kUs));
    EXPECT_FALSE(votes.add(voter(1), kUs));                         // the same voter again: still one vote
    EXPECT_FALSE(votes.add(Endpoint::v4({8, 0, 0, 1}, 999), kUs));  // another port of the same voter
    EXPECT_FALSE(votes.add(voter(2), kUs));
    const auto agreed = votes.add(voter(3), kUs);
    ASSERT_TRUE(agreed);
    EXPECT_EQ(*agreed, Endpoint::v4({7, 7, 7, 7}, 0));
    EXPECT_FALSE(votes.add(voter(4), kUs));  // already believed: reported once
}

TEST(DhtExternalAddress, NeedsAMajority) {
    ExternalAddressVote votes(2, 16);
    votes.add(voter(1), kLie);
    votes.add(voter(2), kLie);                                                    // believed
    for (std::uint8_t i = 3; i < 5; ++i) EXPECT_FALSE(votes.add(voter(i), kUs));  // 2 of 4: not a majority
    EXPECT_TRUE(votes.add(voter(5), kUs));
    EXPECT_EQ(votes.believed(), Endpoint::v4({7, 7, 7, 7}, 0));
}

TEST(DhtExternalAddress, RemembersABoundedNumberOfVoters) {
    ExternalAddressVote votes(3, 4);
    for (std::uint8_t i = 0; i < 100; ++i) votes.add(voter(i), i < 96 ? kLie : kUs);
    EXPECT_EQ(votes.believed(), Endpoint::v4({7, 7, 7, 7}, 0));  // the last 4 voters outvote the forgotten
}

}  // namespace
}  // namespace bt::dht
