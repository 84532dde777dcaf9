#pragma once
// Text helpers shared by the subcommands: UTF-8 checks, terminal-safe strings, sizes and dates.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bt::cli {

// Length of the well-formed UTF-8 sequence starting at text[pos] (1-4), or 0 when the byte there
// does not start one: a stray continuation byte, a truncated sequence, an overlong form, a UTF-16
// surrogate (U+D800..U+DFFF) or a code point above U+10FFFF.
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) noexcept;

// `text` made safe to print on a terminal: valid UTF-8 is kept, control characters (C0, DEL) and
// bytes that are not valid UTF-8 become \xNN, so a torrent cannot send escape sequences.
std::string printable(std::string_view text);

// "0 B", "1023 B", "1.0 KiB", "1.5 MiB", "16.0 GiB" (binary units, one decimal).
std::string human_size(std::int64_t bytes);

// A byte count: digits with an optional binary suffix K/KiB, M/MiB, G/GiB (case-insensitive), e.g.
// "16384", "16K", "1MiB". nullopt when malformed, negative or overflowing.
std::optional<std::int64_t> parse_size(std::string_view text);

// "2024-03-01 12:34:56 UTC"; nullopt when the value is outside what the C library can convert.
std::optional<std::string> format_utc(std::int64_t seconds_since_epoch);

}  // namespace bt::cli
