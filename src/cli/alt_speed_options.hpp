#pragma once
// The alternative speed limits ("turtle mode", as Transmission's alt-speed-*) on the command line of
// `download` and `seed`: --alt-download-limit, --alt-upload-limit, --alt-speed (on from the start) and
// --alt-speed-schedule (on by local time).
//
// A schedule is "[DAYS] HH:MM-HH:MM", Transmission's one range of the day on chosen days:
//   DAYS  a comma-separated list of days (mon ... sun, or monday ... sunday), ranges of days (mon-fri;
//         fri-mon wraps round the week to Monday), weekdays, weekend or daily; left out: daily.
//   times 24-hour local time, H:MM or HH:MM; the end may be 24:00 (midnight). An end before the begin
//         runs past midnight and counts as the day it began on ('fri 22:00-06:00' is Friday night to
//         Saturday 06:00). A begin equal to the end is refused (Transmission would read it as 24 hours
//         from the begin): a whole day is 00:00-24:00.
#include <optional>
#include <string>
#include <string_view>

#include "bandwidth/schedule.hpp"
#include "core/result.hpp"
#include "session/settings.hpp"

namespace CLI {
class App;
}

namespace bt::cli {

struct AltSpeedOptions {
    std::optional<std::string> download_limit;  // --alt-download-limit RATE
    std::optional<std::string> upload_limit;    // --alt-upload-limit RATE
    bool on = false;                            // --alt-speed
    std::optional<std::string> schedule;        // --alt-speed-schedule SPEC
};

// Adds the options to `cmd` (after --download-limit and --upload-limit, so that they show beside them).
void add_alt_speed_options(CLI::App* cmd, AltSpeedOptions& options);

struct AltSpeedOptionError {
    std::string subject;  // "--alt-download-limit"
    std::string message;
};

// Fills the alt_* fields of `settings`. A limit given with neither --alt-speed nor a schedule would never
// apply: that is an error rather than a silent no-op.
Result<void, AltSpeedOptionError> apply_alt_speed_options(const AltSpeedOptions& options,
                                                          session::Settings& settings);

// Reads a schedule (grammar above). The error is one line without the option's name, in the validators'
// style: "expected ..., not '...'".
Result<bandwidth::AltSpeedSchedule, std::string> parse_alt_speed_schedule(std::string_view spec);

}  // namespace bt::cli
