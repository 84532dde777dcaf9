#pragma once
// RFC 4648 base64: torrent-add's `metainfo`, and HTTP Basic credentials (RFC 7617). transmission-remote and
// the web UI send the standard alphabet with padding; line breaks and spaces (from tools that wrap at 76
// columns) are skipped. Anything else (another character, a missing or misplaced '=', leftover bits) is
// refused rather than guessed at.
#include <optional>
#include <string>
#include <string_view>

namespace bt {

std::optional<std::string> decode_base64(std::string_view text);
// The standard alphabet with padding, no line breaks.
std::string encode_base64(std::string_view bytes);

}  // namespace bt
