#include "tracker/udp_connection_cache.hpp"

#include <gtest/gtest.h>

namespace bt::tracker {
namespace {

using namespace std::chrono_literals;
using TimePoint = UdpConnectionCache::TimePoint;

const TimePoint kT0 = TimePoint{} + 1000h;

Endpoint tracker_at(std::uint8_t last, std::uint16_t port = 6969) {
    return Endpoint::v4({10, 0, 0, last}, port);
}

TEST(UdpConnectionCache, ReturnsAnIdForOneMinuteThenForgetsIt) {
    UdpConnectionCache cache;
    cache.store(tracker_at(1), {0xabc, kT0}, kT0);
    ASSERT_TRUE(cache.find(tracker_at(1), kT0 + 59s));
    EXPECT_EQ(cache.find(tracker_at(1), kT0 + 59s)->id, 0xabcu);
    EXPECT_FALSE(cache.find(tracker_at(1), kT0 + 60s));
}

TEST(UdpConnectionCache, KeysOnAddressAndPort) {
    UdpConnectionCache cache;
    cache.store(tracker_at(1, 6969), {1, kT0}, kT0);
    EXPECT_FALSE(cache.find(tracker_at(1, 6970), kT0));
    EXPECT_FALSE(cache.find(tracker_at(2, 6969), kT0));
    EXPECT_FALSE(cache.find(Endpoint::v6({}, 6969), kT0));
}

TEST(UdpConnectionCache, ANewerIdReplacesTheOldOne) {
    UdpConnectionCache cache;
    cache.store(tracker_at(1), {1, kT0}, kT0);
    cache.store(tracker_at(1), {2, kT0 + 50s}, kT0 + 50s);
    ASSERT_TRUE(cache.find(tracker_at(1), kT0 + 100s));
    EXPECT_EQ(cache.find(tracker_at(1), kT0 + 100s)->id, 2u);
    EXPECT_EQ(cache.size(), 1u);
}

TEST(UdpConnectionCache, ForgetDropsTheId) {
    UdpConnectionCache cache;
    cache.store(tracker_at(1), {1, kT0}, kT0);
    cache.forget(tracker_at(1));
    EXPECT_FALSE(cache.find(tracker_at(1), kT0));
    cache.forget(tracker_at(9));  // unknown: nothing happens
    EXPECT_EQ(cache.size(), 0u);
}

TEST(UdpConnectionCache, DoesNotKeepAnExpiredIdOrOneFromTheFuture) {
    UdpConnectionCache cache;
    cache.store(tracker_at(1), {1, kT0}, kT0 + 61s);
    EXPECT_EQ(cache.size(), 0u);
    cache.store(tracker_at(2), {2, kT0 + 10s}, kT0);
    EXPECT_FALSE(cache.find(tracker_at(2), kT0));  // obtained after `now`: not trusted
}

TEST(UdpConnectionCache, StaysBoundedDroppingExpiredThenOldest) {
    UdpConnectionCache cache(60s, 3);
    cache.store(tracker_at(1), {1, kT0}, kT0);
    cache.store(tracker_at(2), {2, kT0 + 30s}, kT0 + 30s);
    cache.store(tracker_at(3), {3, kT0 + 40s}, kT0 + 40s);
    // At +65 s the first has expired: it goes, the others stay.
    cache.store(tracker_at(4), {4, kT0 + 65s}, kT0 + 65s);
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_TRUE(cache.find(tracker_at(2), kT0 + 65s));
    // Full of valid ids: the oldest (2) makes room.
    cache.store(tracker_at(5), {5, kT0 + 70s}, kT0 + 70s);
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_FALSE(cache.find(tracker_at(2), kT0 + 70s));
    EXPECT_TRUE(cache.find(tracker_at(3), kT0 + 70s));
    EXPECT_TRUE(cache.find(tracker_at(4), kT0 + 70s));
    EXPECT_TRUE(cache.find(tracker_at(5), kT0 + 70s));
}

}  // namespace
}  // namespace bt::tracker
