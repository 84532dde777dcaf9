#include "core/bounded_map.hpp"

#include <gtest/gtest.h>

namespace bt {
namespace {

TEST(BoundedMap, ForgetsTheOldestKeyPastItsCapacity) {
    BoundedMap<int> bans(3);
    EXPECT_TRUE(bans.try_emplace(1).second);
    EXPECT_TRUE(bans.try_emplace(2).second);
    EXPECT_FALSE(bans.try_emplace(1).second) << "already there: not added again, not moved to the back";
    EXPECT_TRUE(bans.try_emplace(3).second);
    EXPECT_EQ(bans.size(), 3u);
    EXPECT_TRUE(bans.try_emplace(4).second);
    EXPECT_EQ(bans.size(), 3u);
    EXPECT_FALSE(bans.contains(1));
    EXPECT_TRUE(bans.contains(2));
    EXPECT_TRUE(bans.contains(4));
    for (int k = 100; k < 10'000; ++k) bans.try_emplace(k);
    EXPECT_EQ(bans.size(), 3u);
    EXPECT_TRUE(bans.contains(9'999));
    EXPECT_FALSE(bans.contains(4));
}

TEST(BoundedMap, KeepsValuesOfTheKeysItRemembers) {
    BoundedMap<int, unsigned> strikes(2);
    strikes.try_emplace(7).first += 1;
    strikes.try_emplace(7).first += 1;
    EXPECT_EQ(strikes.try_emplace(7).first, 2u);
    strikes.try_emplace(8);
    strikes.try_emplace(9);  // forgets 7
    auto [value, added] = strikes.try_emplace(7);
    EXPECT_TRUE(added);
    EXPECT_EQ(value, 0u) << "a forgotten key starts over";
}

TEST(BoundedMap, SmallerCapacityForgetsTheOldestKeysAtOnce) {
    BoundedMap<int> bans(4);
    for (int k = 1; k <= 4; ++k) bans.try_emplace(k);
    bans.set_capacity(2);
    EXPECT_EQ(bans.size(), 2u);
    EXPECT_FALSE(bans.contains(1));
    EXPECT_FALSE(bans.contains(2));
    EXPECT_TRUE(bans.contains(3));
    EXPECT_TRUE(bans.contains(4));
    bans.try_emplace(5);  // forgets 3
    EXPECT_FALSE(bans.contains(3));
    bans.set_capacity(3);  // larger: keeps what it has, and takes more before forgetting
    bans.try_emplace(6);
    EXPECT_EQ(bans.size(), 3u);
    EXPECT_TRUE(bans.contains(4));
}

}  // namespace
}  // namespace bt
