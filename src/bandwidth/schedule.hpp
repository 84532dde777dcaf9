#pragma once
// The weekly schedule of the alternative speed limits ("turtle mode"), as Transmission has it
// (alt-speed-time-begin, alt-speed-time-end, alt-speed-time-day): one range of the day, from `begin` to
// `end` in minutes after local midnight, on the days of a bit mask. No clock is read here: the caller
// passes the local weekday and minute (session.cpp takes them from localtime_r), so a switch of summer
// time is the caller's to see.
//
// A range whose end is not after its begin runs past midnight into the next day: 22:00-06:00 on Friday
// covers Friday 22:00 to Saturday 06:00, and only Friday's bit counts for it (the day the range began),
// so Saturday night is free unless Saturday is chosen too. begin == end is a whole 24 hours from begin,
// as Transmission has it (session-alt-speeds.cc, update_minutes(): an end not after the begin gets a
// day added): 00:00-00:00 is the whole of each chosen day, and 09:00-09:00 on Monday runs to Tuesday 09:00.
// A range on Saturday that runs past midnight ends on Sunday morning (the week wraps round).
#include <cstdint>
#include <optional>

namespace bt::bandwidth {

enum class Weekday : std::uint8_t { sunday, monday, tuesday, wednesday, thursday, friday, saturday };

// Days as Transmission's alt-speed-time-day bits: Sunday = 1, Monday = 2, ... Saturday = 64.
using DayMask = std::uint8_t;
constexpr DayMask day_bit(Weekday day) noexcept {
    return static_cast<DayMask>(1u << static_cast<unsigned>(day));
}
inline constexpr DayMask kNoDays = 0;
inline constexpr DayMask kWeekdays = 62;  // Monday to Friday
inline constexpr DayMask kWeekend = 65;   // Saturday and Sunday
inline constexpr DayMask kEveryDay = 127;

inline constexpr std::uint32_t kMinutesPerDay = 24 * 60;
inline constexpr std::uint32_t kMinutesPerWeek = 7 * kMinutesPerDay;

// A local time to the minute: the weekday and the minutes after midnight (0 to 1439; more counts as 1439).
struct LocalTime {
    Weekday day = Weekday::sunday;
    std::uint32_t minute = 0;
    friend bool operator==(const LocalTime&, const LocalTime&) = default;
};

struct AltSpeedSchedule {
    // Minutes after local midnight, taken modulo a day: 1440 (24:00) is midnight. Transmission's defaults.
    std::uint32_t begin = 9 * 60;
    std::uint32_t end = 17 * 60;
    DayMask days = kEveryDay;  // bits above Saturday's are ignored
    friend bool operator==(const AltSpeedSchedule&, const AltSpeedSchedule&) = default;
};

// Whether the alternative limits are on at `now` by the schedule.
bool is_alt_time(const AltSpeedSchedule& schedule, LocalTime now) noexcept;

// Whole minutes from the start of `now`'s minute to the first minute whose is_alt_time() differs from
// now's (1 to a week), so that the caller sets one timer for it; nullopt when that never happens (no day
// chosen, or every minute of the week covered).
std::optional<std::uint32_t> minutes_until_switch(const AltSpeedSchedule& schedule, LocalTime now) noexcept;

}  // namespace bt::bandwidth
