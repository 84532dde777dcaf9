#include "bandwidth/schedule.hpp"

#include <gtest/gtest.h>

#include <bitset>
#include <random>

namespace bt::bandwidth {
namespace {

constexpr std::uint32_t hm(std::uint32_t hours, std::uint32_t minutes) {
    return hours * 60 + minutes;
}

LocalTime at(Weekday day, std::uint32_t hours, std::uint32_t minutes) {
    return LocalTime{day, hm(hours, minutes)};
}

constexpr AltSpeedSchedule schedule(std::uint32_t begin, std::uint32_t end, DayMask days) {
    return AltSpeedSchedule{begin, end, days};
}

using enum Weekday;

TEST(AltSpeedSchedule, DayMasksAreTransmissions) {
    EXPECT_EQ(day_bit(sunday), 1);
    EXPECT_EQ(day_bit(monday), 2);
    EXPECT_EQ(day_bit(saturday), 64);
    EXPECT_EQ(kWeekdays,
              day_bit(monday) | day_bit(tuesday) | day_bit(wednesday) | day_bit(thursday) | day_bit(friday));
    EXPECT_EQ(kWeekend, day_bit(saturday) | day_bit(sunday));
    EXPECT_EQ(kEveryDay, kWeekdays | kWeekend);
    EXPECT_EQ(AltSpeedSchedule{}, schedule(hm(9, 0), hm(17, 0), kEveryDay));  // Transmission's defaults
}

TEST(AltSpeedSchedule, DaytimeRangeOnChosenDaysOnly) {
    const auto office = schedule(hm(9, 0), hm(17, 0), kWeekdays);
    EXPECT_FALSE(is_alt_time(office, at(monday, 8, 59)));
    EXPECT_TRUE(is_alt_time(office, at(monday, 9, 0)));
    EXPECT_TRUE(is_alt_time(office, at(friday, 16, 59)));
    EXPECT_FALSE(is_alt_time(office, at(friday, 17, 0)));  // the end is not in the range
    EXPECT_FALSE(is_alt_time(office, at(saturday, 10, 0)));
    EXPECT_FALSE(is_alt_time(office, at(sunday, 12, 0)));
}

TEST(AltSpeedSchedule, RangePastMidnightCountsTheDayItBegan) {
    const auto friday_night = schedule(hm(22, 0), hm(6, 0), day_bit(friday));
    EXPECT_FALSE(is_alt_time(friday_night, at(friday, 21, 59)));
    EXPECT_TRUE(is_alt_time(friday_night, at(friday, 22, 0)));
    EXPECT_TRUE(is_alt_time(friday_night, at(friday, 23, 59)));
    EXPECT_TRUE(is_alt_time(friday_night, at(saturday, 0, 0)));  // Saturday is not chosen: Friday's range
    EXPECT_TRUE(is_alt_time(friday_night, at(saturday, 5, 59)));
    EXPECT_FALSE(is_alt_time(friday_night, at(saturday, 6, 0)));
    EXPECT_FALSE(is_alt_time(friday_night, at(saturday, 22, 0)));  // Saturday's own range: not chosen
    EXPECT_FALSE(is_alt_time(friday_night, at(friday, 5, 0)));     // Thursday's range: not chosen
}

TEST(AltSpeedSchedule, SaturdayNightRunsIntoSunday) {
    const auto late = schedule(hm(23, 0), hm(1, 0), day_bit(saturday));
    EXPECT_TRUE(is_alt_time(late, at(saturday, 23, 30)));
    EXPECT_TRUE(is_alt_time(late, at(sunday, 0, 30)));  // the week wraps round
    EXPECT_FALSE(is_alt_time(late, at(sunday, 1, 0)));
    EXPECT_FALSE(is_alt_time(late, at(sunday, 23, 30)));
}

TEST(AltSpeedSchedule, BeginEqualToEndIsTwentyFourHoursFromBegin) {
    const auto monday_whole = schedule(0, 0, day_bit(monday));
    EXPECT_FALSE(is_alt_time(monday_whole, at(sunday, 23, 59)));
    EXPECT_TRUE(is_alt_time(monday_whole, at(monday, 0, 0)));
    EXPECT_TRUE(is_alt_time(monday_whole, at(monday, 23, 59)));
    EXPECT_FALSE(is_alt_time(monday_whole, at(tuesday, 0, 0)));

    const auto from_nine = schedule(hm(9, 0), hm(9, 0), day_bit(monday));
    EXPECT_FALSE(is_alt_time(from_nine, at(monday, 8, 59)));
    EXPECT_TRUE(is_alt_time(from_nine, at(monday, 9, 0)));
    EXPECT_TRUE(is_alt_time(from_nine, at(tuesday, 8, 59)));
    EXPECT_FALSE(is_alt_time(from_nine, at(tuesday, 9, 0)));
}

TEST(AltSpeedSchedule, MinutesAreTakenModuloADay) {
    // 24:00 as an end is midnight: 22:00-24:00 stays within the day.
    const auto evening = schedule(hm(22, 0), hm(24, 0), day_bit(saturday));
    EXPECT_TRUE(is_alt_time(evening, at(saturday, 23, 59)));
    EXPECT_FALSE(is_alt_time(evening, at(sunday, 0, 0)));
    // A minute past the day (a leap second's 23:59:60 is still minute 1439) counts as the last one.
    EXPECT_TRUE(is_alt_time(evening, LocalTime{saturday, 5000}));
}

TEST(AltSpeedSchedule, NoDayNeverSwitches) {
    const auto never = schedule(hm(9, 0), hm(17, 0), kNoDays);
    EXPECT_FALSE(is_alt_time(never, at(wednesday, 12, 0)));
    EXPECT_EQ(minutes_until_switch(never, at(wednesday, 12, 0)), std::nullopt);
}

TEST(AltSpeedSchedule, WholeWeekNeverSwitches) {
    for (const auto begin : {hm(0, 0), hm(13, 37)}) {
        const auto always = schedule(begin, begin, kEveryDay);
        EXPECT_TRUE(is_alt_time(always, at(thursday, 3, 0)));
        EXPECT_EQ(minutes_until_switch(always, at(thursday, 3, 0)), std::nullopt);
    }
}

TEST(AltSpeedSchedule, MinutesUntilSwitch) {
    const auto office = schedule(hm(9, 0), hm(17, 0), kWeekdays);
    EXPECT_EQ(minutes_until_switch(office, at(monday, 8, 0)), 60u);
    EXPECT_EQ(minutes_until_switch(office, at(monday, 8, 59)), 1u);
    EXPECT_EQ(minutes_until_switch(office, at(monday, 9, 0)), hm(8, 0));
    EXPECT_EQ(minutes_until_switch(office, at(wednesday, 16, 59)), 1u);
    // Friday 17:00 to Monday 09:00, over the weekend.
    EXPECT_EQ(minutes_until_switch(office, at(friday, 17, 0)), 2 * kMinutesPerDay + hm(16, 0));
    // Saturday to Monday wraps the week.
    EXPECT_EQ(minutes_until_switch(office, at(saturday, 12, 0)), kMinutesPerDay + hm(21, 0));
}

TEST(AltSpeedSchedule, MinutesUntilSwitchAcrossMidnight) {
    const auto friday_night = schedule(hm(22, 0), hm(6, 0), day_bit(friday));
    EXPECT_EQ(minutes_until_switch(friday_night, at(friday, 23, 30)), hm(6, 30));  // to Saturday 06:00
    EXPECT_EQ(minutes_until_switch(friday_night, at(saturday, 6, 0)), 6 * kMinutesPerDay + hm(16, 0));
    // Every night: Friday's range ends at 06:00 and Saturday's begins at 22:00, no switch at midnight.
    const auto nightly = schedule(hm(22, 0), hm(6, 0), kEveryDay);
    EXPECT_EQ(minutes_until_switch(nightly, at(friday, 23, 30)), hm(6, 30));
    EXPECT_EQ(minutes_until_switch(nightly, at(monday, 6, 0)), hm(16, 0));
    // Two chosen days back to back with a whole-day range: one stretch of 48 hours.
    const auto weekend = schedule(0, 0, kWeekend);
    EXPECT_EQ(minutes_until_switch(weekend, at(saturday, 0, 0)), 2 * kMinutesPerDay);
    EXPECT_EQ(minutes_until_switch(weekend, at(sunday, 23, 59)), 1u);
}

// Transmission's own way (session-alt-speeds.cc, update_minutes()): a bit per minute of the week, set for
// [begin, end) on each chosen day, an end not after the begin getting a day added, wrapping at the week.
std::bitset<kMinutesPerWeek> transmission_minutes(const AltSpeedSchedule& s) {
    std::bitset<kMinutesPerWeek> minutes;
    for (std::uint32_t day = 0; day < 7; ++day) {
        if (((s.days >> day) & 1u) == 0) continue;
        const std::uint32_t begin = s.begin;
        const std::uint32_t end = s.end > s.begin ? s.end : s.end + kMinutesPerDay;
        for (auto i = begin; i < end; ++i) minutes.set((i + day * kMinutesPerDay) % kMinutesPerWeek);
    }
    return minutes;
}

TEST(AltSpeedSchedule, AgreesWithTransmissionsMinuteMapEverywhere) {
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::uint32_t> minute(0, kMinutesPerDay - 1);
    std::uniform_int_distribution<std::uint32_t> mask(0, kEveryDay);
    std::vector<AltSpeedSchedule> schedules = {{0, 0, kEveryDay},    {0, 0, kNoDays}, {1439, 0, kWeekend},
                                               {0, 1439, kWeekdays}, {600, 600, 1},   {1380, 60, 64}};
    for (int i = 0; i < 60; ++i) {
        const auto begin = minute(rng);
        schedules.push_back({begin, i % 10 == 0 ? begin : minute(rng), static_cast<DayMask>(mask(rng))});
    }
    for (const auto& s : schedules) {
        const auto expected = transmission_minutes(s);
        for (std::uint32_t w = 0; w < kMinutesPerWeek; ++w) {
            const LocalTime t{static_cast<Weekday>(w / kMinutesPerDay), w % kMinutesPerDay};
            ASSERT_EQ(is_alt_time(s, t), expected.test(w))
                << "begin " << s.begin << " end " << s.end << " days " << int(s.days) << " minute " << w;
        }
        // The next switch is where the minute map first changes, looking ahead from a few points.
        for (std::uint32_t w = 0; w < kMinutesPerWeek; w += 997) {
            const LocalTime t{static_cast<Weekday>(w / kMinutesPerDay), w % kMinutesPerDay};
            std::optional<std::uint32_t> want;
            for (std::uint32_t k = 1; k <= kMinutesPerWeek && !want; ++k) {
                if (expected.test((w + k) % kMinutesPerWeek) != expected.test(w)) want = k;
            }
            ASSERT_EQ(minutes_until_switch(s, t), want) << "begin " << s.begin << " end " << s.end;
        }
    }
}

}  // namespace
}  // namespace bt::bandwidth
