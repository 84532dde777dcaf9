#include "tracker/announcer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace bt::tracker {
namespace {

using namespace std::chrono_literals;
using TimePoint = Announcer::TimePoint;
using Tiers = std::vector<std::vector<std::string>>;

const TimePoint kStart = TimePoint{} + 1000s;  // fake clock

AnnounceResponse reply(std::chrono::seconds interval = 1800s,
                       std::optional<std::chrono::seconds> min_interval = std::nullopt) {
    AnnounceResponse r;
    r.interval = interval;
    r.min_interval = min_interval;
    return r;
}

NextAnnounce due(const Announcer& a) {
    auto next = a.next_deadline();
    EXPECT_TRUE(next.has_value());
    return next.value_or(NextAnnounce{});
}

TEST(Announcer, NoTrackersMeansNoAnnounce) {
    Announcer a(Tiers{});
    EXPECT_FALSE(a.next_deadline());
    Announcer empty_tiers(Tiers{{}, {}});
    EXPECT_FALSE(empty_tiers.next_deadline());
    EXPECT_FALSE(empty_tiers.on_stop(kStart));
}

TEST(Announcer, StartsAtOnceWithStarted) {
    Announcer a(Tiers{{"http://a/announce"}});
    const auto next = due(a);
    EXPECT_EQ(next.url, "http://a/announce");
    EXPECT_EQ(next.event, Event::started);
    EXPECT_LE(next.at, kStart);
}

TEST(Announcer, SuccessWaitsTheIntervalWithNoEvent) {
    Announcer a(Tiers{{"http://a"}});
    a.on_success(due(a), reply(900s), kStart);
    EXPECT_TRUE(a.started_announced());
    EXPECT_EQ(a.interval(), 900s);
    EXPECT_EQ(due(a), (NextAnnounce{"http://a", Event::none, kStart + 900s}));
    a.on_success(due(a), reply(600s), kStart + 900s);
    EXPECT_EQ(due(a), (NextAnnounce{"http://a", Event::none, kStart + 1500s}));
}

TEST(Announcer, AnnounceNowBringsTheNextRoundForwardButNotWhileStopping) {
    Announcer a(Tiers{{"http://a/announce"}});
    a.on_success(due(a), reply(1800s), kStart);
    EXPECT_EQ(due(a).at, kStart + 1800s);
    a.announce_now(kStart + 10s);
    EXPECT_EQ(due(a).at, kStart + 10s);
    EXPECT_EQ(due(a).event, Event::none);
    a.announce_now(kStart + 20s);  // already due earlier: stays
    EXPECT_EQ(due(a).at, kStart + 10s);
    ASSERT_TRUE(a.on_stop(kStart + 30s));
    a.announce_now(kStart + 5s);
    EXPECT_EQ(due(a).at, kStart + 30s);
    EXPECT_EQ(due(a).event, Event::stopped);
}

TEST(Announcer, MinIntervalLengthensTheWait) {
    Announcer a(Tiers{{"http://a"}});
    a.on_success(due(a), reply(120s, 600s), kStart);
    EXPECT_EQ(a.interval(), 600s);
    EXPECT_EQ(due(a).at, kStart + 600s);
    a.on_success(due(a), reply(900s, 60s), kStart + 600s);
    EXPECT_EQ(a.interval(), 900s);
}

TEST(Announcer, FailedRoundsRetryAfter30sDoublingTo30Minutes) {
    Announcer a(Tiers{{"http://a"}});
    auto now = kStart;
    const std::vector<std::chrono::seconds> waits{30s, 60s, 120s, 240s, 480s, 960s, 1800s, 1800s};
    for (const auto wait : waits) {
        a.on_failure(due(a), now);
        const auto next = due(a);
        EXPECT_EQ(next.event, Event::started);  // still owed
        EXPECT_EQ(next.at, now + wait);
        now = next.at;
    }
    // A success resets the retry.
    a.on_success(due(a), reply(300s), now);
    now += 300s;
    a.on_failure(due(a), now);
    EXPECT_EQ(due(a), (NextAnnounce{"http://a", Event::none, now + 30s}));
}

TEST(Announcer, TriesTrackersOfATierInOrderAndMovesTheOneThatAnswersToTheFront) {
    Announcer a(Tiers{{"http://a", "http://b", "http://c"}});
    a.on_failure(due(a), kStart);
    EXPECT_EQ(due(a), (NextAnnounce{"http://b", Event::started, kStart}));
    a.on_failure(due(a), kStart + 1s);
    EXPECT_EQ(due(a), (NextAnnounce{"http://c", Event::started, kStart + 1s}));
    a.on_success(due(a), reply(600s), kStart + 2s);
    EXPECT_EQ(a.tiers(), (Tiers{{"http://c", "http://a", "http://b"}}));
    EXPECT_EQ(due(a), (NextAnnounce{"http://c", Event::none, kStart + 602s}));
    // c fails next time: a, then b.
    a.on_failure(due(a), kStart + 602s);
    EXPECT_EQ(due(a).url, "http://a");
    a.on_success(due(a), reply(600s), kStart + 603s);
    EXPECT_EQ(a.tiers(), (Tiers{{"http://a", "http://c", "http://b"}}));
}

TEST(Announcer, TiersAreTriedInOrderAndNeverReordered) {
    Announcer a(Tiers{{"http://a1", "http://a2"}, {"http://b1"}, {}, {"http://c1"}});
    a.on_failure(due(a), kStart);
    a.on_failure(due(a), kStart);
    EXPECT_EQ(due(a).url, "http://b1");
    a.on_failure(due(a), kStart);
    EXPECT_EQ(due(a).url, "http://c1");
    a.on_success(due(a), reply(), kStart);
    EXPECT_EQ(a.tiers(), (Tiers{{"http://a1", "http://a2"}, {"http://b1"}, {"http://c1"}}));
    // The next round starts again at the first tier.
    EXPECT_EQ(due(a).url, "http://a1");
}

TEST(Announcer, RoundFailsAfterEveryTrackerOfEveryTier) {
    Announcer a(Tiers{{"http://a"}, {"http://b"}});
    a.on_failure(due(a), kStart);
    EXPECT_EQ(due(a).at, kStart);
    a.on_failure(due(a), kStart + 5s);
    EXPECT_EQ(due(a), (NextAnnounce{"http://a", Event::started, kStart + 35s}));
}

TEST(Announcer, KeepsTheTrackerId) {
    Announcer a(Tiers{{"http://a"}});
    EXPECT_FALSE(a.tracker_id());
    auto r = reply();
    r.tracker_id = "xyz";
    a.on_success(due(a), r, kStart);
    EXPECT_EQ(a.tracker_id(), "xyz");
    a.on_success(due(a), reply(), kStart + 1800s);  // a reply without one keeps it
    EXPECT_EQ(a.tracker_id(), "xyz");
}

TEST(Announcer, CompletedIsDueAtOnceAndSentOnce) {
    Announcer a(Tiers{{"http://a"}});
    a.on_success(due(a), reply(1800s), kStart);
    a.on_completed(kStart + 10s);
    EXPECT_EQ(due(a), (NextAnnounce{"http://a", Event::completed, kStart + 10s}));
    a.on_success(due(a), reply(1800s), kStart + 11s);
    EXPECT_EQ(due(a), (NextAnnounce{"http://a", Event::none, kStart + 1811s}));
    a.on_completed(kStart + 20s);  // never twice
    EXPECT_EQ(due(a), (NextAnnounce{"http://a", Event::none, kStart + 1811s}));
}

TEST(Announcer, CompletedWaitsForStarted) {
    Announcer a(Tiers{{"http://a"}});
    a.on_failure(due(a), kStart);  // 'started' failed: retry in 30 s
    a.on_completed(kStart + 10s);  // ends the wait, but 'started' comes first
    EXPECT_EQ(due(a), (NextAnnounce{"http://a", Event::started, kStart + 10s}));
    a.on_success(due(a), reply(), kStart + 11s);
    EXPECT_EQ(due(a), (NextAnnounce{"http://a", Event::completed, kStart + 11s}));
}

TEST(Announcer, CompletionDuringARoundIsAnnouncedWhenTheRoundSucceeds) {
    Announcer a(Tiers{{"http://a", "http://b"}});
    a.on_success(due(a), reply(), kStart);
    const auto sent = due(a);  // 'none', in flight
    ASSERT_EQ(sent.event, Event::none);
    a.on_completed(kStart + 1800s);
    a.on_failure(sent, kStart + 1801s);
    // The round keeps the event it started with.
    EXPECT_EQ(due(a), (NextAnnounce{"http://b", Event::none, kStart + 1801s}));
    a.on_success(due(a), reply(), kStart + 1802s);
    EXPECT_EQ(due(a), (NextAnnounce{"http://b", Event::completed, kStart + 1802s}));
}

// Before, a failed 'completed' round was retried at once, again and again, with no wait.
TEST(Announcer, FailedCompletedIsRetriedAfterTheBackoff) {
    Announcer a(Tiers{{"http://a"}});
    a.on_success(due(a), reply(), kStart);
    a.on_completed(kStart + 5s);
    a.on_failure(due(a), kStart + 6s);
    EXPECT_EQ(due(a), (NextAnnounce{"http://a", Event::completed, kStart + 36s}));
    a.on_failure(due(a), kStart + 36s);
    EXPECT_EQ(due(a), (NextAnnounce{"http://a", Event::completed, kStart + 96s}));
}

TEST(Announcer, StoppedOnlyAfterStarted) {
    Announcer a(Tiers{{"http://a"}});
    EXPECT_FALSE(a.on_stop(kStart));
    EXPECT_FALSE(a.next_deadline());
}

TEST(Announcer, StoppedRoundTriesEachTrackerOnceThenEnds) {
    Announcer a(Tiers{{"http://a", "http://b"}, {"http://c"}});
    a.on_success(due(a), reply(), kStart);
    EXPECT_TRUE(a.on_stop(kStart + 100s));
    EXPECT_EQ(due(a), (NextAnnounce{"http://a", Event::stopped, kStart + 100s}));
    a.on_failure(due(a), kStart + 101s);
    EXPECT_EQ(due(a), (NextAnnounce{"http://b", Event::stopped, kStart + 101s}));
    a.on_failure(due(a), kStart + 102s);
    EXPECT_EQ(due(a).url, "http://c");
    a.on_failure(due(a), kStart + 103s);
    EXPECT_FALSE(a.next_deadline());
}

TEST(Announcer, StoppedEndsAfterOneTrackerTookIt) {
    Announcer a(Tiers{{"http://a"}});
    a.on_success(due(a), reply(), kStart);
    auto r = reply();
    r.tracker_id = "t";
    a.on_success(due(a), r, kStart + 10s);
    ASSERT_TRUE(a.on_stop(kStart + 20s));
    a.on_success(due(a), reply(), kStart + 21s);
    EXPECT_FALSE(a.next_deadline());
    EXPECT_EQ(a.tracker_id(), "t");
}

TEST(Announcer, StopDuringAFailingRoundStartsAtTheFirstTracker) {
    Announcer a(Tiers{{"http://a", "http://b"}});
    a.on_success(due(a), reply(), kStart);
    a.on_failure(due(a), kStart + 1800s);  // 'b' is next in this round
    ASSERT_TRUE(a.on_stop(kStart + 1801s));
    EXPECT_EQ(due(a), (NextAnnounce{"http://a", Event::stopped, kStart + 1801s}));
    a.on_completed(kStart + 1802s);  // ignored once stopping
    EXPECT_EQ(due(a).event, Event::stopped);
}

}  // namespace
}  // namespace bt::tracker
