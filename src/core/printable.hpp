#pragma once
// Text that others control - a torrent's name and file names, a peer's id and client name, a tracker's
// messages - made safe to show on a terminal or in a log line. Such bytes must not be able to move the
// cursor, recolour or clear the screen, set the window title, or start a line that looks like one of ours.
#include <cstddef>
#include <string>
#include <string_view>

namespace bt {

// Length of the well-formed UTF-8 sequence starting at text[pos] (1-4), or 0 when the byte there does not
// start one: a stray continuation byte, a truncated sequence, an overlong form, a UTF-16 surrogate
// (U+D800..U+DFFF) or a code point above U+10FFFF (RFC 3629).
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) noexcept;

// `text` with every character that is valid UTF-8 and not a control character kept as it is, and every
// other byte written as \xNN (two lowercase hex digits): the C0 controls (ESC, CR, LF, NUL, ...), DEL,
// the C1 controls U+0080..U+009F (CSI among them), and bytes that are not part of valid UTF-8. So
// "\x1b[2J" prints as the six characters \x1b[2J. A backslash itself is kept, so the escaping is not
// reversible: it is for reading, not for parsing back.
// With `max_bytes`, at most that many bytes of `text` are shown (never half a character), followed by
// "..." when some were left out.
std::string printable(std::string_view text, std::size_t max_bytes = std::string_view::npos);

}  // namespace bt
