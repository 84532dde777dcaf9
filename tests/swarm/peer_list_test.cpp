#include "swarm/peer_list.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace bt::swarm {
namespace {

using namespace std::chrono_literals;
using TimePoint = PeerList::TimePoint;

const TimePoint kStart = TimePoint{} + 1000s;  // fake clock

Endpoint ep(std::uint8_t last, std::uint16_t port = 6881) {
    return Endpoint::v4({10, 0, 0, last}, port);
}

DialLimits limits(std::size_t connected = 0, bool seeding = false) {
    DialLimits l;
    l.connected = connected;
    l.seeding = seeding;
    return l;
}

TEST(PeerList, ReconnectBackoffDoublesFromFiveSecondsUpToFiveMinutes) {
    EXPECT_EQ(reconnect_backoff(0), 5s);
    EXPECT_EQ(reconnect_backoff(1), 10s);
    EXPECT_EQ(reconnect_backoff(2), 20s);
    EXPECT_EQ(reconnect_backoff(5), 160s);
    EXPECT_EQ(reconnect_backoff(6), 300s);
    EXPECT_EQ(reconnect_backoff(1000), 300s);
}

TEST(PeerList, AddsNewAddressesOnceAndRefusesPortZero) {
    PeerList list;
    EXPECT_EQ(list.add(ep(1), PeerSource::tracker), AddResult::added);
    EXPECT_EQ(list.add(ep(1), PeerSource::tracker), AddResult::known);
    EXPECT_EQ(list.add(ep(2, 0), PeerSource::tracker), AddResult::refused);
    EXPECT_EQ(list.size(), 1u);
    ASSERT_NE(list.find(ep(1)), nullptr);
    EXPECT_TRUE(list.find(ep(1))->has_source(PeerSource::tracker));
    EXPECT_FALSE(list.find(ep(1))->is_given());
}

TEST(PeerList, GivenSourceMarksAKnownAddressGiven) {
    PeerList list;
    list.add(ep(1), PeerSource::tracker);
    EXPECT_EQ(list.add(ep(1), PeerSource::given), AddResult::known);
    EXPECT_TRUE(list.find(ep(1))->is_given());
    EXPECT_TRUE(list.find(ep(1))->has_source(PeerSource::tracker));
}

TEST(PeerList, BatchAddCountsNewAddresses) {
    PeerList list;
    const std::vector<Endpoint> batch{ep(1), ep(2), ep(1), ep(3, 0)};
    EXPECT_EQ(list.add(batch, PeerSource::tracker), 2u);
    EXPECT_EQ(list.size(), 2u);
}

TEST(PeerList, PicksDueAddressesInAddressOrderAndMarksThemConnecting) {
    PeerList list;
    list.add(ep(3), PeerSource::tracker);
    list.add(ep(1), PeerSource::tracker);
    list.add(ep(2), PeerSource::tracker);
    EXPECT_EQ(list.pick_to_dial(kStart, limits()), (std::vector<Endpoint>{ep(1), ep(2), ep(3)}));
    EXPECT_EQ(list.num_connecting(), 3u);
    EXPECT_TRUE(list.find(ep(1))->connecting);
    // Being dialled: not picked again.
    EXPECT_TRUE(list.pick_to_dial(kStart, limits()).empty());
}

TEST(PeerList, WithEncryptedFirstPeersPreferringEncryptionAreDialledBeforeTheRest) {
    PeerList list;
    for (std::uint8_t i = 1; i <= 4; ++i) list.add(ep(i), PeerSource::pex);
    list.mark_prefers_encryption(ep(3));
    list.mark_prefers_encryption(ep(9));  // unknown: ignored
    EXPECT_EQ(list.size(), 4u);
    DialLimits l;
    l.max_half_open = 2;
    l.encrypted_first = true;
    EXPECT_EQ(list.pick_to_dial(kStart, l), (std::vector<Endpoint>{ep(3), ep(1)}));
    PeerList plain_order;
    for (std::uint8_t i = 1; i <= 4; ++i) plain_order.add(ep(i), PeerSource::pex);
    plain_order.mark_prefers_encryption(ep(3));
    l.encrypted_first = false;
    EXPECT_EQ(plain_order.pick_to_dial(kStart, l), (std::vector<Endpoint>{ep(1), ep(2)}));
}

TEST(PeerList, DialsStopAtHalfOpenAndPeerLimits) {
    PeerList list;
    for (std::uint8_t i = 1; i <= 10; ++i) list.add(ep(i), PeerSource::tracker);
    DialLimits l;
    l.max_half_open = 3;
    EXPECT_EQ(list.pick_to_dial(kStart, l).size(), 3u);
    EXPECT_TRUE(list.pick_to_dial(kStart, l).empty());  // 3 still half-open
    list.on_dial_failed(ep(1), kStart);
    EXPECT_EQ(list.pick_to_dial(kStart, l), std::vector<Endpoint>{ep(4)});

    l.max_half_open = 16;
    l.max_peers = 5;
    l.connected = 2;  // 2 + 3 dialling = 5
    EXPECT_TRUE(list.pick_to_dial(kStart, l).empty());
    l.connected = 1;
    EXPECT_EQ(list.pick_to_dial(kStart, l), std::vector<Endpoint>{ep(5)});
}

TEST(PeerList, FailedDialWaitsBackoffThatGrowsWithFailures) {
    PeerList list;
    list.add(ep(1), PeerSource::tracker);
    ASSERT_EQ(list.pick_to_dial(kStart, limits()).size(), 1u);
    list.on_dial_failed(ep(1), kStart);
    EXPECT_EQ(list.num_connecting(), 0u);
    EXPECT_EQ(list.find(ep(1))->failures, 1u);
    EXPECT_TRUE(list.pick_to_dial(kStart + 9s, limits()).empty());
    ASSERT_EQ(list.pick_to_dial(kStart + 10s, limits()).size(), 1u);
    list.on_dial_failed(ep(1), kStart + 10s);
    EXPECT_TRUE(list.pick_to_dial(kStart + 29s, limits()).empty());
    EXPECT_EQ(list.pick_to_dial(kStart + 30s, limits()).size(), 1u);
}

TEST(PeerList, ConnectionResetsFailuresAndCloseRedialsAfterBackoff) {
    PeerList list;
    list.add(ep(1), PeerSource::tracker);
    (void)list.pick_to_dial(kStart, limits());
    list.on_dial_failed(ep(1), kStart);
    (void)list.pick_to_dial(kStart + 10s, limits());
    list.on_connected(ep(1));
    EXPECT_EQ(list.find(ep(1))->failures, 0u);
    EXPECT_TRUE(list.find(ep(1))->connected);
    EXPECT_EQ(list.num_connecting(), 0u);
    EXPECT_TRUE(list.pick_to_dial(kStart + 1000s, limits()).empty());  // connected

    // A close waits the backoff of the failures before it (5 s), then counts as one.
    const auto closed = kStart + 100s;
    list.on_disconnected(ep(1), closed);
    EXPECT_FALSE(list.find(ep(1))->connected);
    EXPECT_EQ(list.find(ep(1))->failures, 1u);
    EXPECT_TRUE(list.pick_to_dial(closed + 4s, limits()).empty());
    EXPECT_EQ(list.pick_to_dial(closed + 5s, limits()).size(), 1u);
}

TEST(PeerList, MakeAllDueEndsEveryBackoffButKeepsTheFailures) {
    PeerList list;
    list.add(ep(1), PeerSource::tracker);
    (void)list.pick_to_dial(kStart, limits());
    list.on_connected(ep(1));
    list.on_disconnected(ep(1), kStart + 1s);  // a seed closed as "both seeds"
    EXPECT_TRUE(list.pick_to_dial(kStart + 2s, limits()).empty());
    list.make_all_due(kStart + 2s);
    EXPECT_EQ(list.pick_to_dial(kStart + 2s, limits()).size(), 1u);
    EXPECT_EQ(list.find(ep(1))->failures, 1u);
}

TEST(PeerList, AConnectionClosedBecauseTheTorrentStoppedIsNoFailureAndDueAtOnce) {
    PeerList list;
    list.add(ep(1), PeerSource::tracker);
    (void)list.pick_to_dial(kStart, limits());
    list.on_connected(ep(1));
    list.on_stopped(ep(1));
    EXPECT_FALSE(list.find(ep(1))->connected);
    EXPECT_EQ(list.find(ep(1))->failures, 0u);
    EXPECT_EQ(list.pick_to_dial(kStart + 1s, limits()).size(), 1u);
    // A dial the stop cut short ends the same way.
    list.on_stopped(ep(1));
    EXPECT_EQ(list.num_connecting(), 0u);
    EXPECT_EQ(list.find(ep(1))->failures, 0u);
    EXPECT_EQ(list.pick_to_dial(kStart + 2s, limits()).size(), 1u);
}

TEST(PeerList, RefusedConnectionEndsTheDialAndWaitsTheFirstBackoff) {
    PeerList list;
    list.add(ep(1), PeerSource::tracker);
    (void)list.pick_to_dial(kStart, limits());
    list.on_dial_refused(ep(1), kStart);
    EXPECT_EQ(list.num_connecting(), 0u);
    EXPECT_EQ(list.find(ep(1))->failures, 0u);
    EXPECT_TRUE(list.pick_to_dial(kStart + 9s, limits()).empty());
    EXPECT_EQ(list.pick_to_dial(kStart + 10s, limits()).size(), 1u);
}

TEST(PeerList, OurOwnAddressIsNeverDialledAgain) {
    PeerList list;
    list.add(ep(1), PeerSource::tracker);
    (void)list.pick_to_dial(kStart, limits());
    list.on_self(ep(1));
    list.on_dial_failed(ep(1), kStart);
    EXPECT_TRUE(list.find(ep(1))->is_self);
    EXPECT_EQ(list.num_connecting(), 0u);
    EXPECT_TRUE(list.pick_to_dial(kStart + 24h, limits()).empty());
}

TEST(PeerList, BannedAddressesAreNotDialled) {
    PeerList list;
    list.add(ep(1), PeerSource::tracker);
    list.add(ep(2), PeerSource::tracker);
    list.ban(ep(1));
    EXPECT_TRUE(list.is_banned(ep(1)));
    EXPECT_FALSE(list.is_banned(ep(2)));
    EXPECT_EQ(list.pick_to_dial(kStart, limits()), std::vector<Endpoint>{ep(2)});
}

TEST(PeerList, BanOfAnUnknownAddressIsRecorded) {
    PeerList list({.max_size = 1});
    list.add(ep(1), PeerSource::tracker);
    list.ban(ep(9, 40000));  // an incoming peer's address
    EXPECT_TRUE(list.is_banned(ep(9, 40000)));
    EXPECT_FALSE(list.is_banned(ep(9)));  // by address and port
}

TEST(PeerList, SeedingDialsOnlyGivenAddresses) {
    PeerList list;
    list.add(ep(1), PeerSource::tracker);
    list.add(ep(2), PeerSource::given);
    EXPECT_EQ(list.pick_to_dial(kStart, limits(0, true)), std::vector<Endpoint>{ep(2)});
    EXPECT_EQ(list.pick_to_dial(kStart, limits(0, false)), std::vector<Endpoint>{ep(1)});
}

TEST(PeerList, SkipPredicateLeavesAddressesUntouched) {
    PeerList list;
    list.add(ep(1), PeerSource::tracker);
    list.add(ep(2), PeerSource::tracker);
    auto picked = list.pick_to_dial(kStart, limits(), [](const Endpoint& e) { return e == ep(1); });
    EXPECT_EQ(picked, std::vector<Endpoint>{ep(2)});
    EXPECT_FALSE(list.find(ep(1))->connecting);
}

TEST(PeerList, RemembersThatPlaintextWorks) {
    PeerList list;
    list.add(ep(1), PeerSource::tracker);
    EXPECT_FALSE(list.plaintext_works(ep(1)));
    list.on_plaintext_worked(ep(1));
    EXPECT_TRUE(list.plaintext_works(ep(1)));
    EXPECT_FALSE(list.plaintext_works(ep(2)));
}

TEST(PeerList, FullListReplacesTheIdleAddressWithMostFailures) {
    PeerList list({.max_size = 3});
    for (std::uint8_t i = 1; i <= 3; ++i) list.add(ep(i), PeerSource::tracker);
    (void)list.pick_to_dial(kStart, limits());
    list.on_dial_failed(ep(1), kStart);
    list.on_dial_failed(ep(2), kStart);
    list.on_dial_failed(ep(3), kStart);
    (void)list.pick_to_dial(kStart + 10s, limits());
    list.on_dial_failed(ep(2), kStart + 10s);  // 2 failures
    list.on_dial_failed(ep(1), kStart + 10s);
    list.on_dial_failed(ep(3), kStart + 10s);
    (void)list.pick_to_dial(kStart + 30s, limits());
    list.on_dial_failed(ep(2), kStart + 30s);  // 3 failures: the worst
    list.on_connected(ep(1));
    list.on_connected(ep(3));
    // ep(1) and ep(3) are connected now (failures 0): only ep(2) can go.
    EXPECT_EQ(list.add(ep(4), PeerSource::tracker), AddResult::added);
    EXPECT_EQ(list.find(ep(2)), nullptr);
    EXPECT_EQ(list.size(), 3u);
    // Nothing has failed now: a new address is dropped.
    EXPECT_EQ(list.add(ep(5), PeerSource::tracker), AddResult::dropped);
    EXPECT_EQ(list.find(ep(5)), nullptr);
}

TEST(PeerList, FullListForgetsTheFirstOfEquallyFailedAddresses) {
    PeerList list({.max_size = 2});
    list.add(ep(2), PeerSource::tracker);
    list.add(ep(1), PeerSource::tracker);
    (void)list.pick_to_dial(kStart, limits());
    list.on_dial_failed(ep(2), kStart);
    list.on_dial_failed(ep(1), kStart);
    EXPECT_EQ(list.add(ep(3), PeerSource::tracker), AddResult::added);
    EXPECT_EQ(list.find(ep(1)), nullptr);
    EXPECT_NE(list.find(ep(2)), nullptr);
}

TEST(PeerList, FullListNeverForgetsBusyBannedSelfOrGivenAddresses) {
    PeerList list({.max_size = 4});
    for (std::uint8_t i = 1; i <= 3; ++i) list.add(ep(i), PeerSource::tracker);
    list.add(ep(4), PeerSource::given);
    (void)list.pick_to_dial(kStart, limits());
    list.on_dial_failed(ep(1), kStart);
    list.on_self(ep(2));
    list.on_dial_failed(ep(2), kStart);
    list.on_dial_failed(ep(3), kStart);
    list.on_dial_failed(ep(4), kStart);
    list.ban(ep(1));
    (void)list.pick_to_dial(kStart + 10s, limits());  // ep(3) and ep(4) dialled again
    EXPECT_TRUE(list.find(ep(3))->connecting);
    EXPECT_EQ(list.add(ep(5), PeerSource::tracker), AddResult::dropped);
    EXPECT_EQ(list.size(), 4u);
}

TEST(PeerList, GivenAddressesAreTakenPastTheBound) {
    PeerList list({.max_size = 1});
    list.add(ep(1), PeerSource::tracker);
    EXPECT_EQ(list.add(ep(2), PeerSource::given), AddResult::added);
    EXPECT_EQ(list.size(), 2u);
}

TEST(PeerList, BatchStopsLookingOnceNothingCanBeForgotten) {
    PeerList list({.max_size = 2});
    list.add(ep(1), PeerSource::tracker);
    list.add(ep(2), PeerSource::tracker);
    (void)list.pick_to_dial(kStart, limits());
    list.on_dial_failed(ep(1), kStart);
    list.on_connected(ep(2));
    const std::vector<Endpoint> batch{ep(3), ep(4), ep(2)};
    EXPECT_EQ(list.add(batch, PeerSource::tracker), 1u);  // ep(3) replaced ep(1); ep(4) dropped
    EXPECT_NE(list.find(ep(3)), nullptr);
    EXPECT_EQ(list.find(ep(4)), nullptr);
}

// A pick_to_dial skip predicate that leaves only `picked`.
std::function<bool(const Endpoint&)> only(std::vector<Endpoint> picked) {
    return [picked](const Endpoint& e) { return std::find(picked.begin(), picked.end(), e) == picked.end(); };
}

// Dials only `endpoints`, `times` times over, and fails each dial.
void fail_dials(PeerList& list, const std::vector<Endpoint>& endpoints, std::uint32_t times, TimePoint& now) {
    for (std::uint32_t i = 0; i < times; ++i) {
        now += kMaxReconnectBackoff;
        ASSERT_EQ(list.pick_to_dial(now, limits(), only(endpoints)).size(), endpoints.size());
        for (const auto& e : endpoints) list.on_dial_failed(e, now);
    }
}

TEST(PeerList, LowerMaxSizeForgetsFailedIdleAddressesMostFailedFirst) {
    PeerList list;
    for (std::uint8_t i = 1; i <= 8; ++i) list.add(ep(i), PeerSource::tracker);
    list.add(ep(9), PeerSource::given);
    TimePoint now = kStart;
    fail_dials(list, {ep(1), ep(2), ep(3), ep(4), ep(5), ep(9)}, 2, now);
    fail_dials(list, {ep(3), ep(4), ep(9)}, 1, now);
    list.ban(ep(4));
    now += kMaxReconnectBackoff;
    (void)list.pick_to_dial(now, limits(), only({ep(5), ep(6), ep(7)}));
    list.on_connected(ep(5));
    // Idle and failed: ep(1) and ep(2) (2 failures), ep(3) (3). Banned: ep(4). Connected: ep(5).
    // Dialled: ep(6) and ep(7). Idle, never failed: ep(8). Given: ep(9).
    list.apply_settings({.max_size = 7});
    EXPECT_EQ(list.size(), 7u);
    EXPECT_EQ(list.find(ep(3)), nullptr);
    EXPECT_EQ(list.find(ep(1)), nullptr) << "the first in address order among equals";
    EXPECT_NE(list.find(ep(2)), nullptr);

    list.apply_settings({.max_size = 1});
    EXPECT_EQ(list.find(ep(2)), nullptr);
    EXPECT_EQ(list.size(), 6u) << "busy, banned, given and never failed addresses stay";
    for (std::uint8_t i = 4; i <= 9; ++i) EXPECT_NE(list.find(ep(i)), nullptr) << int{i};
    EXPECT_EQ(list.num_connecting(), 2u);
}

TEST(PeerList, ListOverALoweredBoundShrinksAsAddressesFail) {
    PeerList list({.max_size = 4});
    for (std::uint8_t i = 1; i <= 4; ++i) list.add(ep(i), PeerSource::tracker);
    list.apply_settings({.max_size = 2});
    EXPECT_EQ(list.size(), 4u) << "nothing has failed yet";
    EXPECT_EQ(list.add(ep(5), PeerSource::tracker), AddResult::dropped);
    TimePoint now = kStart;
    fail_dials(list, {ep(1), ep(2), ep(3), ep(4)}, 1, now);
    // A new address takes the place of as many failed ones as bring the list back to its bound.
    EXPECT_EQ(list.add(ep(5), PeerSource::tracker), AddResult::added);
    EXPECT_EQ(list.size(), 2u);
    EXPECT_NE(list.find(ep(4)), nullptr);
    EXPECT_NE(list.find(ep(5)), nullptr);
}

TEST(PeerList, RaisedMaxSizeTakesMoreAddresses) {
    PeerList list({.max_size = 1});
    list.add(ep(1), PeerSource::tracker);
    EXPECT_EQ(list.add(ep(2), PeerSource::tracker), AddResult::dropped);
    list.apply_settings({.max_size = 2});
    EXPECT_EQ(list.add(ep(2), PeerSource::tracker), AddResult::added);
    EXPECT_EQ(list.size(), 2u);
}

TEST(PeerList, PrivateListStaysPrivateAcrossNewSettings) {
    PeerList list({.is_private = true});
    list.apply_settings({.max_size = 10, .is_private = true});
    EXPECT_EQ(list.add(ep(1), PeerSource::pex), AddResult::refused);
    EXPECT_EQ(list.add(ep(2), PeerSource::tracker), AddResult::added);
}

// BEP 27: a private torrent takes peers only from its trackers and the user.
TEST(PeerList, PrivateTorrentRefusesPexAndDhtAddresses) {
    PeerList list({.is_private = true});
    EXPECT_TRUE(list.is_private());
    EXPECT_EQ(list.add(ep(1), PeerSource::pex), AddResult::refused);
    EXPECT_EQ(list.add(ep(2), PeerSource::dht), AddResult::refused);
    const std::vector<Endpoint> batch{ep(3), ep(4)};
    EXPECT_EQ(list.add(batch, PeerSource::pex), 0u);
    EXPECT_EQ(list.add(ep(5), PeerSource::tracker), AddResult::added);
    EXPECT_EQ(list.add(ep(6), PeerSource::given), AddResult::added);
    EXPECT_EQ(list.add(ep(7), PeerSource::incoming), AddResult::added);
    EXPECT_EQ(list.size(), 3u);
    // A known address is not marked as coming from PEX either.
    EXPECT_EQ(list.add(ep(5), PeerSource::pex), AddResult::refused);
    EXPECT_FALSE(list.find(ep(5))->has_source(PeerSource::pex));
}

TEST(PeerList, PublicTorrentTakesPexAndDhtAddresses) {
    PeerList list;
    EXPECT_EQ(list.add(ep(1), PeerSource::pex), AddResult::added);
    EXPECT_EQ(list.add(ep(2), PeerSource::dht), AddResult::added);
    EXPECT_EQ(list.pick_to_dial(kStart, limits()).size(), 2u);
}

TEST(PeerList, SourceNames) {
    EXPECT_STREQ(source_name(PeerSource::tracker), "tracker");
    EXPECT_STREQ(source_name(PeerSource::given), "given");
    EXPECT_STREQ(source_name(PeerSource::incoming), "incoming");
    EXPECT_STREQ(source_name(PeerSource::pex), "pex");
    EXPECT_STREQ(source_name(PeerSource::dht), "dht");
}

}  // namespace
}  // namespace bt::swarm
