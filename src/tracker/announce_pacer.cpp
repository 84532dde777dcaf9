#include "tracker/announce_pacer.hpp"

#include <algorithm>

namespace bt::tracker {

AnnouncePacer::TimePoint AnnouncePacer::reserve(TimePoint now, std::uint32_t per_second) {
    if (per_second == 0) return now;
    const auto spacing = std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(1)) / per_second;
    // Slots left unused in a quiet spell are not saved up beyond one burst: at most per_second of them
    // (this one and the per_second - 1 before it) may fall at `now`.
    const TimePoint earliest = now - spacing * (per_second - 1);
    const TimePoint slot = next_free_ ? std::max(*next_free_, earliest) : earliest;
    next_free_ = slot + spacing;
    return std::max(slot, now);
}

}  // namespace bt::tracker
