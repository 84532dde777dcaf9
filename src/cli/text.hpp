#pragma once
// Text helpers shared by the subcommands: sizes and dates. Terminal-safe strings and UTF-8 checks are
// bt::printable and bt::utf8_sequence_length (core/printable.hpp), included here for every subcommand.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/printable.hpp"

namespace bt::cli {

// "0 B", "1023 B", "1.0 KiB", "1.5 MiB", "16.0 GiB" (binary units, one decimal).
std::string human_size(std::int64_t bytes);

// A byte count: digits with an optional binary suffix K/KiB, M/MiB, G/GiB (case-insensitive), e.g.
// "16384", "16K", "1MiB". nullopt when malformed, negative or overflowing.
std::optional<std::int64_t> parse_size(std::string_view text);

// "2024-03-01 12:34:56 UTC"; nullopt when the value is outside what the C library can convert.
std::optional<std::string> format_utc(std::int64_t seconds_since_epoch);

}  // namespace bt::cli
