#include "session/seed_goals.hpp"

#include <gtest/gtest.h>

namespace bt::session {
namespace {

using namespace std::chrono_literals;

SeedGoals seeding(std::optional<double> ratio, std::optional<std::chrono::seconds> time,
                  std::optional<std::chrono::seconds> idle) {
    SeedGoals goals;
    goals.seed = true;
    goals.ratio = ratio;
    goals.time = time;
    goals.idle = idle;
    return goals;
}

SeedProgress progress(std::uint64_t uploaded, std::chrono::seconds seeding, std::chrono::seconds idle) {
    return SeedProgress{uploaded, 1000, seeding, idle};
}

TEST(SeedGoals, WithoutSeedingNoGoalApplies) {
    SeedGoals goals;
    goals.ratio = 0.0;
    EXPECT_FALSE(seed_goal_reached(goals, progress(5000, 99999s, 99999s)));
}

TEST(SeedGoals, SeedingWithoutGoalsGoesOnForever) {
    const auto goals = seeding({}, {}, {});
    EXPECT_FALSE(seed_goal_reached(goals, progress(1'000'000, 1'000'000s, 1'000'000s)));
}

TEST(SeedGoals, RatioIsUploadedOverSize) {
    const auto goals = seeding(2.0, {}, {});
    EXPECT_FALSE(seed_goal_reached(goals, progress(1999, 0s, 0s)));
    EXPECT_TRUE(seed_goal_reached(goals, progress(2000, 0s, 0s)));
}

TEST(SeedGoals, SeedingTimeAndIdleTime) {
    const auto timed = seeding({}, 60s, {});
    EXPECT_FALSE(seed_goal_reached(timed, progress(0, 59s, 59s)));
    EXPECT_TRUE(seed_goal_reached(timed, progress(0, 60s, 0s)));
    const auto idle = seeding({}, {}, 30s);
    EXPECT_FALSE(seed_goal_reached(idle, progress(0, 100s, 29s)));
    EXPECT_TRUE(seed_goal_reached(idle, progress(0, 100s, 30s)));
}

TEST(SeedGoals, TheFirstGoalMetEndsSeeding) {
    const auto goals = seeding(10.0, 3600s, {});
    EXPECT_TRUE(seed_goal_reached(goals, progress(10'000, 1s, 0s)));
    EXPECT_TRUE(seed_goal_reached(goals, progress(0, 3600s, 0s)));
    EXPECT_FALSE(seed_goal_reached(goals, progress(9'999, 3599s, 0s)));
}

TEST(SeedGoals, TimeUntilAGoalIsTheNearestTimeOrIdleGoal) {
    EXPECT_EQ(time_until_seed_goal(SeedGoals{}, progress(0, 10s, 10s)), std::nullopt);  // not seeding
    EXPECT_EQ(time_until_seed_goal(seeding(std::nullopt, std::nullopt, std::nullopt), progress(0, 10s, 10s)),
              std::nullopt);
    EXPECT_EQ(time_until_seed_goal(seeding(2.0, std::nullopt, std::nullopt), progress(0, 10s, 10s)),
              std::nullopt);  // a ratio needs uploads, not time
    EXPECT_EQ(time_until_seed_goal(seeding(std::nullopt, 60s, std::nullopt), progress(0, 10s, 10s)), 50s);
    EXPECT_EQ(time_until_seed_goal(seeding(std::nullopt, 60s, 30s), progress(0, 10s, 5s)), 25s);
    EXPECT_EQ(time_until_seed_goal(seeding(std::nullopt, 60s, 300s), progress(0, 70s, 5s)), 0s);  // met
}

}  // namespace
}  // namespace bt::session
