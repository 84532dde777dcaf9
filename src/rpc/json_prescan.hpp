#pragma once
// A pass over a request body before any DOM is built: nlohmann's parser turns a 16 MiB `[[[…` into
// hundreds of MB of nested values, so nesting and the number of values are bounded first, in O(1) memory.
// Everything else (syntax, UTF-8) is left to the parser.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace bt::rpc {

inline constexpr std::size_t kMaxJsonDepth = 64;
// Values a request may hold: far above any real request (the files of a large torrent), and it keeps the
// DOM of a hostile one to tens of MB.
inline constexpr std::size_t kMaxJsonValues = 1'000'000;

// nullopt when the body is within both limits; otherwise why not, for the error result.
std::optional<std::string> prescan_json(std::string_view body);

}  // namespace bt::rpc
