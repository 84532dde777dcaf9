#include "dht/peer_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "dht/krpc.hpp"

namespace bt::dht {
namespace {

using namespace std::chrono_literals;

const TimePoint kStart = TimePoint{} + 1h;

InfoHash hash_of(std::uint8_t n) {
    InfoHash h{};
    h[0] = n;
    h[1] = static_cast<std::uint8_t>(n >> 8);
    return h;
}

Endpoint peer(std::uint32_t n) {
    return Endpoint::v4({2, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                         static_cast<std::uint8_t>(n)},
                        static_cast<std::uint16_t>(1000 + n % 50000));
}

TEST(DhtPeerStore, ReturnsAnnouncedPeersOfTheFamily) {
    PeerStore store(10, 10, 30min);
    Rng rng(1);
    store.announce(hash_of(1), peer(1), kStart);
    store.announce(hash_of(1), peer(1), kStart);  // again: one entry
    store.announce(hash_of(1), Endpoint::v6({0x20, 0x01}, 7000), kStart);
    EXPECT_EQ(store.peers(hash_of(1), Endpoint::Family::v4, kStart, rng), std::vector<Endpoint>{peer(1)});
    EXPECT_EQ(store.peers(hash_of(1), Endpoint::Family::v6, kStart, rng).size(), 1u);
    EXPECT_TRUE(store.peers(hash_of(2), Endpoint::Family::v4, kStart, rng).empty());
    EXPECT_EQ(store.peer_count(), 2u);
}

TEST(DhtPeerStore, PeersExpire) {
    PeerStore store(10, 10, 30min);
    Rng rng(1);
    store.announce(hash_of(1), peer(1), kStart);
    store.announce(hash_of(1), peer(2), kStart + 20min);
    EXPECT_EQ(store.peers(hash_of(1), Endpoint::Family::v4, kStart + 31min, rng),
              std::vector<Endpoint>{peer(2)});
    store.expire(kStart + 31min);
    EXPECT_EQ(store.peer_count(), 1u);
    store.expire(kStart + 60min);
    EXPECT_EQ(store.torrent_count(), 0u);
}

TEST(DhtPeerStore, BoundedPerTorrentAndInTorrents) {
    PeerStore store(3, 5, 30min);
    Rng rng(1);
    for (std::uint32_t i = 0; i < 20; ++i) {
        store.announce(hash_of(1), peer(i), kStart + std::chrono::seconds(i));
    }
    EXPECT_EQ(store.peer_count(), 5u);
    const auto kept = store.peers(hash_of(1), Endpoint::Family::v4, kStart + 20s, rng);
    EXPECT_EQ(std::set<Endpoint>(kept.begin(), kept.end()),
              (std::set<Endpoint>{peer(15), peer(16), peer(17), peer(18), peer(19)}));
    for (std::uint8_t t = 2; t < 10; ++t) {
        store.announce(hash_of(t), peer(t), kStart + std::chrono::minutes(t));
    }
    EXPECT_EQ(store.torrent_count(), 3u);
    EXPECT_TRUE(
        store.peers(hash_of(1), Endpoint::Family::v4, kStart + 10min, rng).empty());  // the oldest went
}

TEST(DhtPeerStore, OneAddressHoldsAFewEntriesWhateverPortsItAnnounces) {
    PeerStore store(10, 200, 30min);
    Rng rng(1);
    for (std::uint32_t i = 0; i < 50; ++i) store.announce(hash_of(1), peer(i), kStart);
    auto attacker = peer(1000);
    for (std::uint16_t port = 1; port <= 200; ++port) {
        attacker.port = port;
        store.announce(hash_of(1), attacker, kStart + 1s);
    }
    EXPECT_EQ(store.peer_count(), 50 + kMaxPeersPerAddress);  // the honest 50 stay
    const auto answer = store.peers(hash_of(1), Endpoint::Family::v4, kStart + 2s, rng);
    EXPECT_EQ(std::ranges::count(answer, attacker), 1);  // the last port it announced is among them
}

TEST(DhtPeerStore, AnswersFitOneDatagram) {
    PeerStore store(10, 1000, 30min);
    Rng rng(1);
    for (std::uint32_t i = 0; i < 1000; ++i) store.announce(hash_of(1), peer(i), kStart);
    const auto some = store.peers(hash_of(1), Endpoint::Family::v4, kStart, rng);
    EXPECT_EQ(some.size(), kMaxValuesV4);
    EXPECT_EQ(std::set<Endpoint>(some.begin(), some.end()).size(), some.size());
    const std::vector<NodeInfo> closest(8, NodeInfo{.id = NodeId{}, .endpoint = peer(1)});
    Response response{.id = NodeId{}, .nodes = closest, .values = some, .token = Token(8, 'x')};
    const auto datagram =
        encode(Message{.transaction_id = "abcd", .body = response, .version = "BV01", .ip = peer(1)});
    EXPECT_LE(datagram.size(), 1400u);
    EXPECT_NE(store.peers(hash_of(1), Endpoint::Family::v4, kStart, rng), some);  // random subsets
}

}  // namespace
}  // namespace bt::dht
