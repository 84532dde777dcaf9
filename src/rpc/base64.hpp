#pragma once
// RFC 4648 base64 for torrent-add's `metainfo`. transmission-remote and the web UI send the standard
// alphabet with padding; line breaks and spaces (from tools that wrap at 76 columns) are skipped. Anything
// else (another character, a missing or misplaced '=', leftover bits) is refused rather than guessed at.
#include <optional>
#include <string>
#include <string_view>

namespace bt::rpc {

std::optional<std::string> decode_base64(std::string_view text);

}  // namespace bt::rpc
