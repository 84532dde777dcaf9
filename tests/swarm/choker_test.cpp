#include "swarm/choker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string_view>
#include <vector>

namespace bt::swarm {
namespace {

using namespace std::chrono_literals;
using TimePoint = Choker::TimePoint;

const TimePoint kStart = TimePoint{} + 1000s;  // fake clock

// A tiny DSL: one character per peer, peer ids 0, 1, 2, ... in order.
//   'i' interested, '.' not interested, 's' interested but snubbed, 'S' a seed (claims interest)
// Rates are given separately, one per peer, in KiB/s.
std::vector<PeerStats> peers(std::string_view states, const std::vector<std::uint64_t>& download_kib = {},
                             const std::vector<std::uint64_t>& upload_kib = {}) {
    std::vector<PeerStats> out;
    for (std::uint32_t i = 0; i < states.size(); ++i) {
        PeerStats p;
        p.id = PeerId{i};
        p.interested = states[i] != '.';
        p.snubbed = states[i] == 's';
        p.is_seed = states[i] == 'S';
        if (i < download_kib.size()) p.download_rate = download_kib[i] * 1024;
        if (i < upload_kib.size()) p.upload_rate = upload_kib[i] * 1024;
        out.push_back(p);
    }
    return out;
}

std::set<std::uint32_t> ids(const std::vector<PeerId>& v) {
    std::set<std::uint32_t> out;
    for (PeerId p : v) out.insert(p.value);
    return out;
}

// The regular part of a decision: unchoke minus optimistic.
std::set<std::uint32_t> regular(const ChokeDecision& d) {
    auto all = ids(d.unchoke);
    for (PeerId p : d.optimistic) all.erase(p.value);
    return all;
}

// Marks the peers of the decision as unchoked for the next round, as the caller would.
void remember_unchoked(std::vector<PeerStats>& ps, const ChokeDecision& d) {
    for (PeerStats& p : ps) p.unchoked = ids(d.unchoke).count(p.id.value) == 1;
}

TEST(Choker, FillsRegularSlotsAndOneOptimisticSlot) {
    Choker choker;
    const auto ps = peers("iiiiiiiiii", {10, 20, 30, 40, 50, 60, 70, 80, 90, 100});
    const auto d = choker.decide(ps, false, kStart);
    EXPECT_EQ(d.unchoke.size(), 5u);
    ASSERT_EQ(d.optimistic.size(), 1u);
    EXPECT_EQ(regular(d), (std::set<std::uint32_t>{6, 7, 8, 9}));
    EXPECT_EQ(ids(d.unchoke).size(), 5u) << "no peer twice";
    EXPECT_EQ(regular(d).count(d.optimistic[0].value), 0u);
}

TEST(Choker, SlotCountsAreConfigurable) {
    struct Case {
        std::uint32_t regular_slots;
        std::uint32_t optimistic_slots;
        std::string_view states;
        std::size_t expected_regular;
        std::size_t expected_optimistic;
    };
    // clang-format off
    const Case cases[] = {
        {4, 1, "iiiiiiii", 4, 1},
        {2, 2, "iiiiiiii", 2, 2},
        {0, 1, "iiii",     0, 1},
        {8, 0, "iiii",     4, 0},
        {4, 1, "iii",      3, 0},  // fewer interested peers than slots: nobody left to be optimistic
        {4, 1, "iiiii",    4, 1},
        {4, 1, "",         0, 0},
        {4, 1, "....",     0, 0},
    };
    // clang-format on
    for (const Case& c : cases) {
        Choker choker({.regular_slots = c.regular_slots, .optimistic_slots = c.optimistic_slots}, 7);
        const auto d = choker.decide(peers(c.states), false, kStart);
        EXPECT_EQ(regular(d).size(), c.expected_regular) << c.states << " " << c.regular_slots;
        EXPECT_EQ(d.optimistic.size(), c.expected_optimistic) << c.states << " " << c.optimistic_slots;
    }
}

TEST(Choker, LeechingRanksByDownloadRateFromThePeer) {
    Choker choker({.regular_slots = 3, .optimistic_slots = 0}, 1);
    const auto ps = peers("iiiiii", {5, 500, 50, 0, 400, 300}, {999, 0, 0, 999, 0, 0});
    EXPECT_EQ(regular(choker.decide(ps, false, kStart)), (std::set<std::uint32_t>{1, 4, 5}));
}

TEST(Choker, SeedingRanksByUploadRateToThePeer) {
    Choker choker({.regular_slots = 3, .optimistic_slots = 0}, 1);
    const auto ps = peers("iiiiii", {999, 0, 0, 999, 0, 999}, {5, 500, 50, 0, 400, 300});
    EXPECT_EQ(regular(choker.decide(ps, true, kStart)), (std::set<std::uint32_t>{1, 4, 5}));
}

TEST(Choker, UninterestedPeersAndSeedsStayChoked) {
    Choker choker({.regular_slots = 4, .optimistic_slots = 1}, 1);
    const auto ps = peers(".S.i.S", {900, 900, 900, 1, 900, 900});
    const auto d = choker.decide(ps, false, kStart);
    EXPECT_EQ(ids(d.unchoke), (std::set<std::uint32_t>{3}));
    EXPECT_TRUE(d.optimistic.empty());
}

TEST(Choker, SnubbedPeersGetNoRegularSlotWhileLeeching) {
    Choker choker({.regular_slots = 2, .optimistic_slots = 0}, 1);
    const auto ps = peers("siis", {900, 10, 20, 800});
    EXPECT_EQ(regular(choker.decide(ps, false, kStart)), (std::set<std::uint32_t>{1, 2}));
    // Seeding: snubbing (about what they send us) does not matter; the upload rate does.
    const auto seeding = peers("siis", {}, {900, 10, 20, 800});
    EXPECT_EQ(regular(choker.decide(seeding, true, kStart)), (std::set<std::uint32_t>{0, 3}));
}

TEST(Choker, SnubbedPeerMayStillBeUnchokedOptimistically) {
    Choker choker({.regular_slots = 2, .optimistic_slots = 1}, 1);
    const auto ps = peers("iis", {10, 20, 900});
    const auto d = choker.decide(ps, false, kStart);
    EXPECT_EQ(regular(d), (std::set<std::uint32_t>{0, 1}));
    EXPECT_EQ(ids(d.optimistic), (std::set<std::uint32_t>{2}));
}

TEST(Choker, TiesKeepCurrentlyUnchokedPeers) {
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
        Choker choker({.regular_slots = 2, .optimistic_slots = 0}, seed);
        auto ps = peers("iiiii");  // all rates equal
        ps[1].unchoked = true;
        ps[3].unchoked = true;
        EXPECT_EQ(regular(choker.decide(ps, false, kStart)), (std::set<std::uint32_t>{1, 3})) << seed;
    }
}

TEST(Choker, OptimisticSlotRotatesEveryThirtySeconds) {
    Choker choker({.regular_slots = 2, .optimistic_slots = 1, .optimistic_interval = 30s}, 3);
    auto ps = peers("iiiiiiii", {100, 90, 0, 0, 0, 0, 0, 0});
    auto d = choker.decide(ps, false, kStart);
    ASSERT_EQ(d.optimistic.size(), 1u);
    std::vector<std::uint32_t> history{d.optimistic[0].value};
    TimePoint now = kStart;
    for (int round = 1; round <= 30; ++round) {
        remember_unchoked(ps, d);
        now += 10s;  // the caller's 10-second cadence
        d = choker.decide(ps, false, now);
        EXPECT_EQ(regular(d), (std::set<std::uint32_t>{0, 1}));
        ASSERT_EQ(d.optimistic.size(), 1u);
        const std::uint32_t current = d.optimistic[0].value;
        EXPECT_GE(current, 2u) << "the optimistic peer is never a regular one";
        if (round % 3 == 0) {
            EXPECT_NE(current, history.back()) << "rotated after 30 s, round " << round;
        } else {
            EXPECT_EQ(current, history.back()) << "kept until 30 s have passed, round " << round;
        }
        history.push_back(current);
    }
    EXPECT_GE(std::set<std::uint32_t>(history.begin(), history.end()).size(), 4u)
        << "rotation reaches many peers";
}

TEST(Choker, OptimisticPeerIsReplacedAtOnceWhenItLosesInterest) {
    Choker choker({.regular_slots = 1, .optimistic_slots = 1}, 5);
    auto ps = peers("iiii", {100});
    auto d = choker.decide(ps, false, kStart);
    ASSERT_EQ(d.optimistic.size(), 1u);
    const PeerId first = d.optimistic[0];
    ps[first.value].interested = false;
    d = choker.decide(ps, false, kStart + 10s);
    ASSERT_EQ(d.optimistic.size(), 1u);
    EXPECT_NE(d.optimistic[0], first);
    EXPECT_EQ(ids(d.unchoke).count(first.value), 0u);
}

TEST(Choker, OptimisticPeerThatEarnsARegularSlotFreesTheOptimisticSlot) {
    Choker choker({.regular_slots = 1, .optimistic_slots = 1}, 5);
    auto ps = peers("iiii", {100});
    auto d = choker.decide(ps, false, kStart);
    ASSERT_EQ(d.optimistic.size(), 1u);
    const PeerId lucky = d.optimistic[0];
    ps[lucky.value].download_rate = 1000 * 1024;  // it reciprocated
    d = choker.decide(ps, false, kStart + 10s);
    EXPECT_EQ(regular(d), (std::set<std::uint32_t>{lucky.value}));
    ASSERT_EQ(d.optimistic.size(), 1u);
    EXPECT_NE(d.optimistic[0], lucky);
}

TEST(Choker, OnlyCandidateKeepsTheOptimisticSlotAcrossRotations) {
    Choker choker({.regular_slots = 1, .optimistic_slots = 1}, 5);
    const auto ps = peers("ii", {100, 0});
    for (int round = 0; round < 6; ++round) {
        const auto d = choker.decide(ps, false, kStart + std::chrono::seconds(10 * round));
        EXPECT_EQ(ids(d.optimistic), (std::set<std::uint32_t>{1})) << round;
    }
}

TEST(Choker, NewSettingsApplyFromTheNextDecision) {
    Choker choker({.regular_slots = 4, .optimistic_slots = 2, .optimistic_interval = 30s}, 9);
    auto ps = peers("iiiiiiiiii", {100, 90, 80, 70});
    auto d = choker.decide(ps, false, kStart);
    ASSERT_EQ(d.optimistic.size(), 2u);
    const auto first_optimistic = ids(d.optimistic);
    remember_unchoked(ps, d);

    choker.apply_settings({.regular_slots = 1, .optimistic_slots = 1, .optimistic_interval = 30s});
    d = choker.decide(ps, false, kStart + 10s);
    EXPECT_EQ(regular(d), (std::set<std::uint32_t>{0}));
    ASSERT_EQ(d.optimistic.size(), 1u);
    EXPECT_EQ(first_optimistic.count(d.optimistic[0].value), 1u) << "one of the slots kept, not yet due";
    const PeerId kept = d.optimistic[0];
    remember_unchoked(ps, d);

    // A shorter interval counts from when the slot was given: 20 s ago, so it rotates now.
    choker.apply_settings({.regular_slots = 1, .optimistic_slots = 1, .optimistic_interval = 15s});
    d = choker.decide(ps, false, kStart + 20s);
    ASSERT_EQ(d.optimistic.size(), 1u);
    EXPECT_NE(d.optimistic[0], kept);
}

TEST(Choker, SameSeedSameDecisions) {
    const auto ps = peers("iiiiiiiiiiii");
    Choker one({}, 42);
    Choker two({}, 42);
    for (int round = 0; round < 10; ++round) {
        const TimePoint now = kStart + std::chrono::seconds(10 * round);
        const auto a = one.decide(ps, false, now);
        const auto b = two.decide(ps, false, now);
        EXPECT_EQ(a.unchoke, b.unchoke);
        EXPECT_EQ(a.optimistic, b.optimistic);
    }
}

}  // namespace
}  // namespace bt::swarm
