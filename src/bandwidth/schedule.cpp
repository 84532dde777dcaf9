#include "bandwidth/schedule.hpp"

#include <algorithm>

namespace bt::bandwidth {

namespace {

std::uint32_t minute_of_week(LocalTime t) noexcept {
    const auto day = std::min<std::uint32_t>(static_cast<std::uint32_t>(t.day), 6);
    return day * kMinutesPerDay + std::min(t.minute, kMinutesPerDay - 1);
}

bool has_day(DayMask days, std::uint32_t day) noexcept {
    return (days >> day) & 1u;
}

// Whether a range begun on the minute's day, or one begun the day before and running past midnight,
// covers it.
bool covers(const AltSpeedSchedule& s, std::uint32_t week_minute) noexcept {
    const std::uint32_t day = week_minute / kMinutesPerDay;
    const std::uint32_t minute = week_minute % kMinutesPerDay;
    const std::uint32_t begin = s.begin % kMinutesPerDay;
    const std::uint32_t end = s.end % kMinutesPerDay;
    const bool today = has_day(s.days, day);
    if (begin < end) return today && minute >= begin && minute < end;
    const bool yesterday = has_day(s.days, (day + 6) % 7);
    return (today && minute >= begin) || (yesterday && minute < end);
}

}  // namespace

bool is_alt_time(const AltSpeedSchedule& schedule, LocalTime now) noexcept {
    return covers(schedule, minute_of_week(now));
}

std::optional<std::uint32_t> minutes_until_switch(const AltSpeedSchedule& schedule, LocalTime now) noexcept {
    // A week of minutes at most: cheap enough for a call per switch, and plainly right at every wrap.
    const std::uint32_t start = minute_of_week(now);
    const bool on = covers(schedule, start);
    for (std::uint32_t ahead = 1; ahead <= kMinutesPerWeek; ++ahead) {
        if (covers(schedule, (start + ahead) % kMinutesPerWeek) != on) return ahead;
    }
    return std::nullopt;
}

}  // namespace bt::bandwidth
