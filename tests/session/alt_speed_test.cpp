// Session's alternative speed limits: switching them swaps the session channels' limits at once, the
// schedule decides when enabled, and a switch by hand holds until the schedule's next one. The schedules
// here are true or false all week, so the tests do not depend on the local time they run at.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include "session/session.hpp"

namespace bt::session {
namespace {

constexpr std::uint64_t kKiB = 1024;

Settings limited() {
    Settings settings;
    settings.dht = false;
    settings.download_limit = 1024 * kKiB;
    settings.upload_limit = 0;
    settings.alt_download_limit = 100 * kKiB;
    settings.alt_upload_limit = 50 * kKiB;
    return settings;
}

using Limits = std::pair<std::uint64_t, std::uint64_t>;  // download, upload

Limits limits(Session& s) {
    return {s.rate_limiter().limit(s.download_channel()), s.rate_limiter().limit(s.upload_channel())};
}

const Limits kNormal{1024 * kKiB, 0};
const Limits kAlt{100 * kKiB, 50 * kKiB};

constexpr bandwidth::AltSpeedSchedule kAlways{0, 0, bandwidth::kEveryDay};  // 24 hours from midnight
constexpr bandwidth::AltSpeedSchedule kNever{9 * 60, 17 * 60, bandwidth::kNoDays};

TEST(SessionAltSpeed, SwitchingSwapsTheSessionLimitsAtOnce) {
    asio::io_context io;
    Session s(io, limited());
    EXPECT_FALSE(s.alt_speed_enabled());
    EXPECT_EQ(limits(s), kNormal);
    s.set_alt_speed_enabled(true);
    EXPECT_TRUE(s.alt_speed_enabled());
    EXPECT_EQ(limits(s), kAlt);
    s.set_alt_speed_limits(200 * kKiB, 0);  // applies at once while on
    EXPECT_EQ(limits(s), (Limits{200 * kKiB, 0}));
    s.set_alt_speed_enabled(false);
    EXPECT_EQ(limits(s), kNormal);
    s.set_alt_speed_limits(300 * kKiB, 10 * kKiB);  // kept for the next switch
    EXPECT_EQ(limits(s), kNormal);
    s.set_alt_speed_enabled(true);
    EXPECT_EQ(limits(s), (Limits{300 * kKiB, 10 * kKiB}));
}

TEST(SessionAltSpeed, StartsWithTheAltLimitsWhenEnabledInTheSettings) {
    asio::io_context io;
    auto settings = limited();
    settings.alt_speed_enabled = true;
    Session s(io, settings);
    EXPECT_TRUE(s.alt_speed_enabled());
    EXPECT_EQ(limits(s), kAlt);
}

TEST(SessionAltSpeed, TheScheduleDecidesWhenEnabledAndAHandSwitchHoldsUntilItsNext) {
    asio::io_context io;
    auto settings = limited();
    settings.alt_speed_schedule_enabled = true;
    settings.alt_speed_schedule = kAlways;
    Session s(io, settings);
    EXPECT_TRUE(s.alt_speed_enabled());
    EXPECT_EQ(limits(s), kAlt);

    s.set_alt_speed_enabled(false);  // by hand: this schedule never switches again, so it holds
    EXPECT_FALSE(s.alt_speed_enabled());
    EXPECT_EQ(limits(s), kNormal);

    s.set_alt_speed_schedule(true, kAlways);  // set again: its state for now applies
    EXPECT_TRUE(s.alt_speed_enabled());
    s.set_alt_speed_schedule(true, kNever);
    EXPECT_FALSE(s.alt_speed_enabled());
    EXPECT_EQ(limits(s), kNormal);
    s.set_alt_speed_enabled(true);
    s.set_alt_speed_schedule(false, kNever);  // off: the mode stays as it is
    EXPECT_TRUE(s.alt_speed_enabled());
    EXPECT_EQ(s.settings().alt_speed_schedule, kNever);
    EXPECT_FALSE(s.settings().alt_speed_schedule_enabled);
}

TEST(SessionAltSpeed, ApplySettingsSwitchesAndSchedules) {
    asio::io_context io;
    Session s(io, limited());
    auto settings = s.settings();
    settings.alt_speed_enabled = true;
    ASSERT_TRUE(s.apply_settings(settings));
    EXPECT_EQ(limits(s), kAlt);
    settings.alt_speed_schedule_enabled = true;
    settings.alt_speed_schedule = kNever;
    ASSERT_TRUE(s.apply_settings(settings));
    EXPECT_FALSE(s.alt_speed_enabled());  // the new schedule's state for now
    EXPECT_EQ(limits(s), kNormal);
}

}  // namespace
}  // namespace bt::session
