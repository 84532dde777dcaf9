#pragma once
// Text helpers shared by the request and response parsers: the pieces of RFC 9110/9112 syntax both
// sides of a connection read the same way.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bt::http::detail {

// A chunk-size line ("1a2b;name=value"): more is not a real peer.
inline constexpr std::size_t kMaxChunkLine = 1024;

// Without the spaces and tabs around it (RFC 9110 optional whitespace).
std::string_view trim(std::string_view s);
std::string lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
// The peer's text in an error line: printable, short, quoted.
std::string quoted(std::string_view s);
// RFC 9110 token characters (methods, header names).
bool is_token(std::string_view s);
// Up to 18 decimal digits, nothing else.
std::optional<std::uint64_t> parse_decimal(std::string_view s);
// A Content-Length value: one length, or a list of the same length repeated ("5, 5", RFC 9112 section 6.3).
std::optional<std::uint64_t> parse_content_length(std::string_view value);
// The size of a chunk-size line (extensions after ';' ignored): hex digits, at most 15.
std::optional<std::uint64_t> parse_chunk_size(std::string_view line);

// Calls f(item) for each trimmed, lower-cased, non-empty item of "a, b ,c" (RFC 9110 section 5.6.1).
template <typename F>
void for_each_item(std::string_view list, F&& f) {
    while (!list.empty()) {
        const std::size_t comma = std::min(list.find(','), list.size());
        if (const auto item = trim(list.substr(0, comma)); !item.empty()) f(lower(item));
        list.remove_prefix(std::min(comma + 1, list.size()));
    }
}

// The next line of `text` without its LF and an optional CR before it; advances `text`.
std::string_view next_line(std::string_view& text);
// Where the head ends in `s` (just past its empty line), searching from `from`; npos if not yet.
std::size_t end_of_head(std::string_view s, std::size_t from);

}  // namespace bt::http::detail
