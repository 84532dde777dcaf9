#include "cli/alt_speed_options.hpp"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "cli/suggest.hpp"
#include "cli/text.hpp"
#include "cli/validators.hpp"

namespace bt::cli {

namespace {

using bandwidth::DayMask;

constexpr std::array<std::string_view, 7> kShortDays = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr std::array<std::string_view, 7> kLongDays = {"sunday",   "monday", "tuesday", "wednesday",
                                                       "thursday", "friday", "saturday"};

constexpr std::string_view kSpaces = " \t";

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(kSpaces);
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(kSpaces) - first + 1);
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string shown(std::string_view text) {
    constexpr std::size_t kMax = 40;
    return "'" + std::string(text.size() <= kMax ? text : text.substr(0, kMax)) +
           (text.size() <= kMax ? "'" : "...'");
}

// The day's number (Sunday 0 ... Saturday 6), from its short or long name.
std::optional<unsigned> day_number(std::string_view name) {
    for (unsigned d = 0; d < 7; ++d) {
        if (name == kShortDays[d] || name == kLongDays[d]) return d;
    }
    return std::nullopt;
}

Result<DayMask, std::string> parse_day_item(std::string_view item) {
    const std::string word = lower(item);
    if (word == "daily") return bandwidth::kEveryDay;
    if (word == "weekdays") return bandwidth::kWeekdays;
    if (word == "weekend") return bandwidth::kWeekend;
    if (auto d = day_number(word)) return static_cast<DayMask>(1u << *d);
    if (const auto dash = word.find('-'); dash != std::string::npos) {
        const auto first = day_number(word.substr(0, dash));
        const auto last = day_number(word.substr(dash + 1));
        if (first && last) {
            DayMask days = 0;
            for (unsigned d = *first;; d = (d + 1) % 7) {  // fri-mon wraps round the week
                days = static_cast<DayMask>(days | (1u << d));
                if (d == *last) break;
            }
            return days;
        }
    }
    std::vector<std::string> names(kShortDays.begin(), kShortDays.end());
    names.insert(names.end(), {"weekdays", "weekend", "daily"});
    return fail(fmt::format(
        "expected days as mon ... sun, a range such as mon-fri, weekdays, weekend or daily, not {}{}",
        shown(item), did_you_mean(closest_names(word, names))));
}

// Minutes after midnight from H:MM or HH:MM, 00:00 to 24:00.
std::optional<std::uint32_t> parse_time(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 2 || text.size() != colon + 3)
        return std::nullopt;
    const auto digits = [](std::string_view s) {
        return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    const auto hours_text = text.substr(0, colon);
    const auto minutes_text = text.substr(colon + 1);
    if (!digits(hours_text) || !digits(minutes_text)) return std::nullopt;
    const auto number = [](std::string_view s) {
        std::uint32_t n = 0;
        for (const char c : s) n = n * 10 + static_cast<std::uint32_t>(c - '0');
        return n;
    };
    const auto hours = number(hours_text);
    const auto minutes = number(minutes_text);
    if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) return std::nullopt;
    return hours * 60 + minutes;
}

std::string hh_mm(std::uint32_t minutes) {
    return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60);
}

}  // namespace

Result<bandwidth::AltSpeedSchedule, std::string> parse_alt_speed_schedule(std::string_view spec) {
    const auto text = trim(spec);
    const auto shape_error = [&] {
        return fmt::format("expected [DAYS] HH:MM-HH:MM such as 'mon-fri 09:00-17:00', not {}", shown(spec));
    };
    if (text.empty()) return fail(shape_error());
    const auto split = text.find_last_of(kSpaces);
    const auto days_text = split == std::string_view::npos ? std::string_view{} : trim(text.substr(0, split));
    const auto range = split == std::string_view::npos ? text : text.substr(split + 1);

    bandwidth::AltSpeedSchedule schedule;
    schedule.days = days_text.empty() ? bandwidth::kEveryDay : bandwidth::kNoDays;
    std::size_t start = 0;
    while (!days_text.empty()) {
        const auto comma = days_text.find(',', start);
        const auto item =
            trim(days_text.substr(start, comma == std::string_view::npos ? comma : comma - start));
        auto days = parse_day_item(item);
        if (!days) return fail(days.error());
        schedule.days = static_cast<DayMask>(schedule.days | *days);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }

    const auto dash = range.find('-');
    if (dash == std::string_view::npos || range.find(':') == std::string_view::npos)
        return fail(shape_error());
    const auto begin_text = range.substr(0, dash);
    const auto end_text = range.substr(dash + 1);
    const auto begin = parse_time(begin_text);
    if (!begin || *begin == bandwidth::kMinutesPerDay) {
        return fail(fmt::format("expected a begin time from 00:00 to 23:59, not {}", shown(begin_text)));
    }
    const auto end = parse_time(end_text);
    if (!end) return fail(fmt::format("expected an end time from 00:00 to 24:00, not {}", shown(end_text)));
    if (*end == *begin) {  // 00:00-24:00 is not refused: its end is written 24:00
        return fail(
            fmt::format("expected a range that ends at another time than it begins, not {} (a whole day is "
                        "00:00-24:00)",
                        shown(hh_mm(*begin) + "-" + hh_mm(*end))));
    }
    schedule.begin = *begin;
    schedule.end = *end % bandwidth::kMinutesPerDay;
    return schedule;
}

void add_alt_speed_options(CLI::App* cmd, AltSpeedOptions& o) {
    cmd->add_option(
           "--alt-download-limit", o.download_limit,
           "while the alternative limits are on (--alt-speed, --alt-speed-schedule): download at most "
           "RATE over all torrents instead of --download-limit (default 50K, as Transmission's "
           "turtle mode; 0: no limit)")
        ->check(byte_rate());
    cmd->add_option("--alt-upload-limit", o.upload_limit,
                    "while the alternative limits are on: upload at most RATE instead of --upload-limit "
                    "(default 50K; 0: no limit)")
        ->check(byte_rate());
    auto* on = cmd->add_flag("--alt-speed", o.on, "start with the alternative limits on");
    cmd->add_option("--alt-speed-schedule", o.schedule,
                    "alternative limits on these days and hours, local time, as '[DAYS] HH:MM-HH:MM': DAYS "
                    "like mon-fri, sat,sun, weekdays, weekend or daily (the default); 22:00-06:00 runs past "
                    "midnight, 00:00-24:00 is the whole day; the schedule decides the start too")
        ->check(alt_speed_schedule());
    on->excludes(cmd->get_option("--alt-speed-schedule"));
}

Result<void, AltSpeedOptionError> apply_alt_speed_options(const AltSpeedOptions& o,
                                                          session::Settings& settings) {
    const bool used = o.on || o.schedule;
    if (!used && (o.download_limit || o.upload_limit)) {
        return fail(
            AltSpeedOptionError{o.download_limit ? "--alt-download-limit" : "--alt-upload-limit",
                                "applies only while the alternative limits are on: add --alt-speed or "
                                "--alt-speed-schedule"});
    }
    if (o.download_limit)
        settings.alt_download_limit = static_cast<std::uint64_t>(parse_size(*o.download_limit).value_or(0));
    if (o.upload_limit)
        settings.alt_upload_limit = static_cast<std::uint64_t>(parse_size(*o.upload_limit).value_or(0));
    settings.alt_speed_enabled = o.on;
    settings.alt_speed_schedule_enabled = false;
    if (o.schedule) {
        auto schedule = parse_alt_speed_schedule(*o.schedule);
        if (!schedule) return fail(AltSpeedOptionError{"--alt-speed-schedule", schedule.error()});
        settings.alt_speed_schedule_enabled = true;
        settings.alt_speed_schedule = *schedule;
    }
    return {};
}

}  // namespace bt::cli
