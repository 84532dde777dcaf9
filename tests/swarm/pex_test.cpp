#include "swarm/pex.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace bt::swarm {
namespace {

using Clock = PexState::Clock;

wire::PexPeer peer(std::uint8_t last, std::uint8_t flags = 0) {
    return {Endpoint::v4({10, 0, 0, last}, 6881), flags};
}

TEST(PexState, TheFirstMessageListsEveryPeerThenOnlyChangesAtMostOnceAMinute) {
    PexState pex;
    const auto t0 = Clock::now();
    EXPECT_FALSE(pex.next({}, t0)) << "nothing to say";
    auto first = pex.next({peer(1), peer(2)}, t0);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->added, (std::vector<wire::PexPeer>{peer(1), peer(2)}));
    EXPECT_TRUE(first->dropped.empty());
    EXPECT_FALSE(pex.next({peer(2), peer(3)}, t0 + std::chrono::seconds(59))) << "within the minute";
    auto second = pex.next({peer(2), peer(3)}, t0 + PexState::kInterval);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->added, (std::vector<wire::PexPeer>{peer(3)}));
    EXPECT_EQ(second->dropped, (std::vector<Endpoint>{peer(1).endpoint}));
    EXPECT_FALSE(pex.next({peer(2), peer(3)}, t0 + 3 * PexState::kInterval)) << "no change, no message";
    auto flags = pex.next({peer(2, wire::kPexSeed), peer(3)}, t0 + 4 * PexState::kInterval);
    ASSERT_TRUE(flags) << "a peer that became a seed is told again";
    EXPECT_EQ(flags->added, (std::vector<wire::PexPeer>{peer(2, wire::kPexSeed)}));
}

TEST(PexState, PeersBeyondFiftyWaitForTheNextMessage) {
    PexState pex;
    std::vector<wire::PexPeer> many;
    for (int i = 0; i < 70; ++i) many.push_back(peer(static_cast<std::uint8_t>(i)));
    const auto t0 = Clock::now();
    auto first = pex.next(many, t0);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->added.size(), wire::kMaxPexEntries);
    auto rest = pex.next(many, t0 + PexState::kInterval);
    ASSERT_TRUE(rest);
    EXPECT_EQ(rest->added.size(), 20u);
}

TEST(PexState, MessagesCloserThanAMinuteAreNotTaken) {
    PexState pex;
    const auto t0 = Clock::now();
    EXPECT_TRUE(pex.accept(t0));
    for (int i = 1; i < 100; ++i) EXPECT_FALSE(pex.accept(t0 + std::chrono::milliseconds(i * 100)));
    EXPECT_TRUE(pex.accept(t0 + PexState::kMinReceiveGap));
}

}  // namespace
}  // namespace bt::swarm
