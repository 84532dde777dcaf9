#include "tracker/announce_pacer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>

namespace bt::tracker {
namespace {

using namespace std::chrono_literals;
using TimePoint = AnnouncePacer::TimePoint;

const TimePoint kStart = TimePoint{} + 1000s;  // fake clock

TEST(AnnouncePacer, OneSecondsWorthGoesAtOnce) {
    AnnouncePacer pacer;
    for (int i = 0; i < 20; ++i) EXPECT_EQ(pacer.reserve(kStart, 20), kStart) << i;
    EXPECT_EQ(pacer.reserve(kStart, 20), kStart + 50ms);
    EXPECT_EQ(pacer.reserve(kStart, 20), kStart + 100ms);
}

TEST(AnnouncePacer, TenThousandAtOnceAreSpreadEvenly) {
    AnnouncePacer pacer;
    std::map<std::int64_t, int> per_second;
    TimePoint last = kStart;
    for (int i = 0; i < 10'000; ++i) {
        const auto at = pacer.reserve(kStart, 20);
        EXPECT_GE(at, last);
        last = at;
        ++per_second[std::chrono::duration_cast<std::chrono::seconds>(at - kStart).count()];
    }
    // 20 at once, then one every 50 ms: the last 499 s later; no second after the first gets more than 20.
    EXPECT_EQ(last, kStart + 499s);
    EXPECT_EQ(per_second[0], 20 + 19);
    for (const auto& [second, count] : per_second) {
        if (second > 0) {
            EXPECT_LE(count, 20) << second;
        }
    }
    EXPECT_EQ(per_second.size(), 500u);
}

TEST(AnnouncePacer, AQuietSpellGivesOneBurstBackNotMore) {
    AnnouncePacer pacer;
    for (int i = 0; i < 40; ++i) pacer.reserve(kStart, 10);  // busy until kStart + 4 s
    const auto later = kStart + 60s;
    for (int i = 0; i < 10; ++i) EXPECT_EQ(pacer.reserve(later, 10), later) << i;
    EXPECT_EQ(pacer.reserve(later, 10), later + 100ms);
}

TEST(AnnouncePacer, AnAnnounceAfterTheQueueHasDrainedGoesAtOnce) {
    AnnouncePacer pacer;
    for (int i = 0; i < 30; ++i) pacer.reserve(kStart, 10);  // the last at kStart + 2 s
    EXPECT_EQ(pacer.reserve(kStart + 1s, 10), kStart + 2s + 100ms);
    EXPECT_EQ(pacer.reserve(kStart + 10s, 10), kStart + 10s);
}

TEST(AnnouncePacer, ZeroMeansNoPacing) {
    AnnouncePacer pacer;
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(pacer.reserve(kStart, 0), kStart);
}

TEST(AnnouncePacer, ARateChangeKeepsTheSlotPromisedAndSpacesTheNextOnesAnew) {
    AnnouncePacer pacer;
    EXPECT_EQ(pacer.reserve(kStart, 1), kStart);
    EXPECT_EQ(pacer.reserve(kStart, 1), kStart + 1s);
    EXPECT_EQ(pacer.reserve(kStart, 4), kStart + 2s);
    EXPECT_EQ(pacer.reserve(kStart, 4), kStart + 2s + 250ms);
}

}  // namespace
}  // namespace bt::tracker
