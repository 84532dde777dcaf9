#include "cli/alt_speed_options.hpp"

#include <gtest/gtest.h>

#include "cli/validators.hpp"

namespace bt::cli {
namespace {

using bandwidth::AltSpeedSchedule;
using bandwidth::day_bit;
using bandwidth::Weekday;

AltSpeedSchedule parsed(std::string_view spec) {
    auto schedule = parse_alt_speed_schedule(spec);
    EXPECT_TRUE(schedule) << spec << ": " << (schedule ? "" : schedule.error());
    return schedule ? *schedule : AltSpeedSchedule{};
}

std::string error(std::string_view spec) {
    auto schedule = parse_alt_speed_schedule(spec);
    EXPECT_FALSE(schedule) << spec;
    return schedule ? "" : schedule.error();
}

TEST(AltSpeedScheduleSpec, ReadsDaysAndHours) {
    EXPECT_EQ(parsed("mon-fri 09:00-17:00"), (AltSpeedSchedule{9 * 60, 17 * 60, bandwidth::kWeekdays}));
    EXPECT_EQ(parsed("weekdays 9:00-17:30"), (AltSpeedSchedule{9 * 60, 17 * 60 + 30, bandwidth::kWeekdays}));
    EXPECT_EQ(parsed("sat,sun 00:00-24:00"), (AltSpeedSchedule{0, 0, bandwidth::kWeekend}));
    EXPECT_EQ(parsed("weekend 00:00-24:00"), (AltSpeedSchedule{0, 0, bandwidth::kWeekend}));
    EXPECT_EQ(parsed("01:00-07:00"), (AltSpeedSchedule{60, 7 * 60, bandwidth::kEveryDay}));
    EXPECT_EQ(parsed("daily 22:00-06:00"), (AltSpeedSchedule{22 * 60, 6 * 60, bandwidth::kEveryDay}));
    EXPECT_EQ(parsed("  Monday, WED ,fri   18:00-23:59 "),
              (AltSpeedSchedule{
                  18 * 60, 23 * 60 + 59,
                  static_cast<bandwidth::DayMask>(day_bit(Weekday::monday) | day_bit(Weekday::wednesday) |
                                                  day_bit(Weekday::friday))}));
    // A range of days wraps round the week; lists and ranges mix.
    EXPECT_EQ(parsed("fri-mon 20:00-23:00").days, day_bit(Weekday::friday) | day_bit(Weekday::saturday) |
                                                      day_bit(Weekday::sunday) | day_bit(Weekday::monday));
    EXPECT_EQ(parsed("sun,tue-wed 20:00-23:00").days,
              day_bit(Weekday::sunday) | day_bit(Weekday::tuesday) | day_bit(Weekday::wednesday));
    EXPECT_EQ(parsed("sat 22:00-24:00"), (AltSpeedSchedule{22 * 60, 0, day_bit(Weekday::saturday)}));
}

TEST(AltSpeedScheduleSpec, SaysWhatIsWrong) {
    EXPECT_EQ(error(""), "expected [DAYS] HH:MM-HH:MM such as 'mon-fri 09:00-17:00', not ''");
    EXPECT_EQ(error("mon-fri"), "expected [DAYS] HH:MM-HH:MM such as 'mon-fri 09:00-17:00', not 'mon-fri'");
    EXPECT_EQ(error("mon-fri 9-17"),
              "expected [DAYS] HH:MM-HH:MM such as 'mon-fri 09:00-17:00', not 'mon-fri 9-17'");
    EXPECT_EQ(
        error("tues 09:00-17:00"),
        "expected days as mon ... sun, a range such as mon-fri, weekdays, weekend or daily, not 'tues' (did "
        "you mean 'tue'?)");
    EXPECT_EQ(error("mon,,fri 09:00-17:00"),
              "expected days as mon ... sun, a range such as mon-fri, weekdays, weekend or daily, not ''");
    EXPECT_EQ(error("mon 25:00-17:00"), "expected a begin time from 00:00 to 23:59, not '25:00'");
    EXPECT_EQ(error("mon 24:00-06:00"), "expected a begin time from 00:00 to 23:59, not '24:00'");
    EXPECT_EQ(error("mon 09:00-17:60"), "expected an end time from 00:00 to 24:00, not '17:60'");
    EXPECT_EQ(error("mon 09:00-24:01"), "expected an end time from 00:00 to 24:00, not '24:01'");
    EXPECT_EQ(error("mon 09:00-17:00-18:00"), "expected an end time from 00:00 to 24:00, not '17:00-18:00'");
    EXPECT_EQ(error("mon 9:00-09:00"),
              "expected a range that ends at another time than it begins, not '09:00-09:00' (a whole day is "
              "00:00-24:00)");
    EXPECT_NE(error("mon 00:00-00:00"), "");
    for (const char* bad : {"mon 9:0-17:00", "mon 123:00-17:00", "mon 09:00 -17:00", "mon wed 09:00-17:00",
                            "mon-xyz 09:00-17:00", "mon 0x:00-17:00", "mon -09:00-17:00"}) {
        EXPECT_NE(error(bad), "") << bad;
    }
}

TEST(AltSpeedScheduleSpec, TheValidatorNamesTheProblem) {
    std::string good = "mon-fri 09:00-17:00";
    EXPECT_EQ(alt_speed_schedule()(good), "");
    std::string bad = "mon 09:00-09:00";
    EXPECT_NE(alt_speed_schedule()(bad).find("a whole day is 00:00-24:00"), std::string::npos);
}

TEST(AltSpeedOptions, FillTheSettings) {
    session::Settings settings;
    AltSpeedOptions o;
    ASSERT_TRUE(apply_alt_speed_options(o, settings));
    EXPECT_FALSE(settings.alt_speed_enabled);
    EXPECT_FALSE(settings.alt_speed_schedule_enabled);
    EXPECT_EQ(settings.alt_download_limit, 50u * 1024);  // Transmission's default

    o.on = true;
    o.download_limit = "200K";
    o.upload_limit = "0";
    ASSERT_TRUE(apply_alt_speed_options(o, settings));
    EXPECT_TRUE(settings.alt_speed_enabled);
    EXPECT_EQ(settings.alt_download_limit, 200u * 1024);
    EXPECT_EQ(settings.alt_upload_limit, 0u);

    o.on = false;
    o.schedule = "weekend 00:00-24:00";
    ASSERT_TRUE(apply_alt_speed_options(o, settings));
    EXPECT_FALSE(settings.alt_speed_enabled);
    EXPECT_TRUE(settings.alt_speed_schedule_enabled);
    EXPECT_EQ(settings.alt_speed_schedule, (AltSpeedSchedule{0, 0, bandwidth::kWeekend}));
}

TEST(AltSpeedOptions, ALimitThatWouldNeverApplyIsAnError) {
    session::Settings settings;
    AltSpeedOptions o;
    o.upload_limit = "100K";
    const auto result = apply_alt_speed_options(o, settings);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().subject, "--alt-upload-limit");
    EXPECT_EQ(result.error().message,
              "applies only while the alternative limits are on: add --alt-speed or --alt-speed-schedule");
}

}  // namespace
}  // namespace bt::cli
