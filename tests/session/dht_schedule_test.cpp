#include "session/dht_schedule.hpp"

#include <gtest/gtest.h>

namespace bt::session {
namespace {

using std::chrono::seconds;

TEST(DhtSchedule, AWellKnownSwarmIsAskedAgainEveryFifteenMinutesBeforeItsTokensAndEntriesExpire) {
    EXPECT_EQ(dht_lookup_delay(kDhtFewPeers, 0, false), seconds(15 * 60));
    EXPECT_EQ(dht_lookup_delay(500, 7, false), seconds(15 * 60));
}

TEST(DhtSchedule, ASeedOnlyRenewsItsAnnounceHoweverFewPeersItKnows) {
    EXPECT_EQ(dht_lookup_delay(0, 0, true), seconds(15 * 60));
}

TEST(DhtSchedule, FewPeersAskAgainSoonerWithADoublingBackoffUpToFiveMinutes) {
    EXPECT_EQ(dht_lookup_delay(0, 0, false), seconds(5));
    EXPECT_EQ(dht_lookup_delay(0, 1, false), seconds(10));
    EXPECT_EQ(dht_lookup_delay(kDhtFewPeers - 1, 2, false), seconds(20));
    EXPECT_EQ(dht_lookup_delay(0, 5, false), seconds(160));
    EXPECT_EQ(dht_lookup_delay(0, 6, false), seconds(300));
    EXPECT_EQ(dht_lookup_delay(0, 1000, false), seconds(300));  // no overflow however long it goes on
}

}  // namespace
}  // namespace bt::session
