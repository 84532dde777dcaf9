#pragma once
// Checks for option declarations, with bitveil's wording in their errors. CLI11's own say "Value abc not
// in range 0 to 65535" for a word and print 1.8e308 in full; these say what is expected and what was
// given, e.g. "--port: expected a whole number from 0 to 65535, not '70000'". The help shows the same
// descriptions as CLI11's ("INT in [0 - 65535]", "POSITIVE", "{a,b}").
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace bt::cli {

// A whole number (digits, an optional '-') from `min` to `max`.
CLI::Validator whole_number(std::int64_t min, std::int64_t max);

// A whole number of at least 0.
CLI::Validator non_negative_whole_number();

// A finite number above 0 (1, 0.5, 2e3).
CLI::Validator positive_number();

// One of `names`, exactly; a near miss comes with a suggestion ("requre": did you mean 'require'?).
CLI::Validator one_of(std::vector<std::string> names);

// A piece length for `bitveil create`: a size (parse_size: 262144, 256K, 4MiB) that is a power of two from
// kMinPieceLength to kMaxPieceLength.
CLI::Validator piece_size();

// A rate in bytes per second as parse_size reads it (500K, 2M: K is 1,024 bytes, as aria2 counts), at
// least 1K, or 0 for no limit.
CLI::Validator byte_rate();
// An amount of memory: 512K, 8M (0 allowed).
CLI::Validator byte_size();

// An alternative speed schedule, "[DAYS] HH:MM-HH:MM" (parse_alt_speed_schedule, alt_speed_options.hpp).
CLI::Validator alt_speed_schedule();

// Anything but the empty string, which no file or link can be: "expected <what>, not ''".
CLI::Validator not_empty(std::string what);
// File numbers as `bitveil info` shows them: "1,3-5" (metainfo::parse_file_numbers).
CLI::Validator file_numbers();

}  // namespace bt::cli
