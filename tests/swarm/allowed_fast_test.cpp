// BEP 6's canonical allowed fast set.
#include "swarm/allowed_fast.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace bt::swarm {
namespace {

wire::InfoHashBytes info_hash_of(std::uint8_t byte) {
    wire::InfoHashBytes h{};
    h.fill(byte);
    return h;
}

std::vector<std::uint32_t> values(const std::vector<PieceIndex>& pieces) {
    std::vector<std::uint32_t> out;
    for (const auto p : pieces) out.push_back(p.value);
    return out;
}

// The example results BEP 6 publishes: "7 piece allowed fast set for torrent with 1313 pieces and hex
// infohash aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa for node with IP 80.4.4.200", and the 9 piece one.
TEST(AllowedFastSet, MatchesTheBepVectors) {
    const auto peer = Endpoint::v4({80, 4, 4, 200}, 6881);
    EXPECT_EQ(values(allowed_fast_set(peer, info_hash_of(0xaa), 1313, 7)),
              (std::vector<std::uint32_t>{1059, 431, 808, 1217, 287, 376, 1188}));
    EXPECT_EQ(values(allowed_fast_set(peer, info_hash_of(0xaa), 1313, 9)),
              (std::vector<std::uint32_t>{1059, 431, 808, 1217, 287, 376, 1188, 353, 508}));
}

TEST(AllowedFastSet, DependsOnlyOnTheSlash24AndTheInfoHash) {
    const auto a = allowed_fast_set(Endpoint::v4({80, 4, 4, 200}, 6881), info_hash_of(0xaa), 1313, 7);
    EXPECT_EQ(allowed_fast_set(Endpoint::v4({80, 4, 4, 1}, 51413), info_hash_of(0xaa), 1313, 7), a);
    EXPECT_NE(allowed_fast_set(Endpoint::v4({80, 4, 5, 200}, 6881), info_hash_of(0xaa), 1313, 7), a);
    EXPECT_NE(allowed_fast_set(Endpoint::v4({80, 4, 4, 200}, 6881), info_hash_of(0xab), 1313, 7), a);
}

TEST(AllowedFastSet, IsAPrefixOfALargerSet) {
    // "if two peers offer k pieces fast it will be the same k, and if one offers k+1 it will be the same k
    // plus one more"
    const auto peer = Endpoint::v4({10, 0, 0, 7}, 6881);
    const auto small = allowed_fast_set(peer, info_hash_of(0x11), 500, 10);
    const auto large = allowed_fast_set(peer, info_hash_of(0x11), 500, 11);
    ASSERT_EQ(small.size(), 10u);
    ASSERT_EQ(large.size(), 11u);
    EXPECT_TRUE(std::equal(small.begin(), small.end(), large.begin()));
}

TEST(AllowedFastSet, IndicesAreDistinctAndInRange) {
    // Few pieces for k: many hash words collide and must be skipped.
    const auto set = allowed_fast_set(Endpoint::v4({192, 168, 1, 9}, 1), info_hash_of(0x42), 12, 11);
    ASSERT_EQ(set.size(), 11u);
    std::set<std::uint32_t> distinct;
    for (const auto p : set) {
        EXPECT_LT(p.value, 12u);
        distinct.insert(p.value);
    }
    EXPECT_EQ(distinct.size(), 11u);
}

TEST(AllowedFastSet, EveryPieceWhenKReachesThePieceCount) {
    const auto peer = Endpoint::v4({80, 4, 4, 200}, 6881);
    EXPECT_EQ(values(allowed_fast_set(peer, info_hash_of(0xaa), 4, 10)),
              (std::vector<std::uint32_t>{0, 1, 2, 3}));
    EXPECT_EQ(values(allowed_fast_set(peer, info_hash_of(0xaa), 4, 4)),
              (std::vector<std::uint32_t>{0, 1, 2, 3}));
    EXPECT_TRUE(allowed_fast_set(peer, info_hash_of(0xaa), 4, 0).empty());
    EXPECT_TRUE(allowed_fast_set(peer, info_hash_of(0xaa), 0, 10).empty());
}

TEST(AllowedFastSet, Ipv6UsesTheSlash48) {
    std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0, 0, 0, 1};
    const auto set = allowed_fast_set(Endpoint::v6(a, 6881), info_hash_of(0xaa), 1313, 7);
    EXPECT_EQ(set.size(), 7u);
    auto same_site = a;
    same_site[6] = 0xff;  // another subnet of the same /48
    same_site[15] = 0x99;
    EXPECT_EQ(allowed_fast_set(Endpoint::v6(same_site, 1), info_hash_of(0xaa), 1313, 7), set);
    auto other_site = a;
    other_site[5] = 0x35;
    EXPECT_NE(allowed_fast_set(Endpoint::v6(other_site, 6881), info_hash_of(0xaa), 1313, 7), set);
}

TEST(AllowedFastSet, Ipv4MappedIpv6CountsAsIpv4) {
    const std::array<std::uint8_t, 16> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 80, 4, 4, 200};
    EXPECT_EQ(values(allowed_fast_set(Endpoint::v6(mapped, 6881), info_hash_of(0xaa), 1313, 7)),
              (std::vector<std::uint32_t>{1059, 431, 808, 1217, 287, 376, 1188}));
}

}  // namespace
}  // namespace bt::swarm
