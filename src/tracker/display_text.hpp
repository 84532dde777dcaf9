#pragma once
// Text a tracker sends (a failure reason, a warning, a UDP error message) made safe to print on one log
// line: a hostile tracker must not be able to inject newlines, terminal escape sequences or megabytes of
// text into our output.
#include <cstddef>
#include <string>
#include <string_view>

namespace bt::tracker {

inline constexpr std::size_t kMaxDisplayTextBytes = 200;

// Trailing NULs (UDP trackers pad) and surrounding spaces are dropped, then the rest goes through
// bt::printable (core/printable.hpp): valid UTF-8 printable characters are kept, control characters (C0,
// DEL, C1) and bytes that are not part of a valid UTF-8 sequence become "\xNN"; text longer than
// `max_bytes` (counted before escaping) is cut at a character boundary and ends in "...".
std::string display_text(std::string_view text, std::size_t max_bytes = kMaxDisplayTextBytes);

}  // namespace bt::tracker
