#pragma once
// AnnouncePacer: spaces a session's announces over time. Thousands of torrents that start together (a
// daemon restarting with ten thousand seeds) would otherwise all announce in the same second: a burst that
// trackers throttle or ban, and that repeats at every interval since the tracker gives them all the same
// one. Pure: the caller passes `now` and the rate, and sends its announce at the time reserve() returns.
//
// One second's worth of announces (`per_second`) may go at once after a quiet spell; beyond that, one
// every 1/per_second seconds, in the order reserved.
#include <chrono>
#include <cstdint>
#include <optional>

namespace bt::tracker {

class AnnouncePacer {
  public:
    using Clock = std::chrono::steady_clock;
    using TimePoint = Clock::time_point;

    // Reserves the time for an announce due at `now`: `now` itself, or the first later slot free at
    // `per_second` announces a second (0: no pacing, always `now`).
    TimePoint reserve(TimePoint now, std::uint32_t per_second);

  private:
    std::optional<TimePoint> next_free_;  // the slot after the last one reserved
};

}  // namespace bt::tracker
