#pragma once
// "Did you mean ...?" for a mistyped subcommand or option: pure functions over strings, so they can be
// tested without a command line.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bt::cli {

// The optimal string alignment distance: the fewest insertions, deletions, substitutions and swaps of
// two neighbouring characters that turn `a` into `b` (bytes, case-sensitive). "dowload" -> "download"
// is 1, "dwonload" -> "download" is 1, "" -> "abc" is 3.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The valid names closest to `word` (a subcommand, or an option such as "--seed-tme" or "-p"), best
// first and at most three; empty when nothing is close enough to be a likely typo.
// - "-x" (one dash, one letter) suggests the long options that start with that letter: "-p" ->
//   "--piece-size", "--private" (letters are too short for edit distances to mean anything).
// - A word of at least three characters (dashes not counted) that starts exactly one name suggests it:
//   "--seed-r" -> "--seed-ratio".
// - Otherwise the names at the smallest edit distance, if that distance is at most a third of the
//   word's length (at least 1, dashes not counted): "dowload" -> "download", "--seed-tme" ->
//   "--seed-time", "bogus" -> nothing.
// A "=value" after an option's name is ignored ("--seed-tme=5" is "--seed-tme").
std::vector<std::string> closest_names(std::string_view word, const std::vector<std::string>& names);

// " (did you mean 'a'?)", " (did you mean 'a' or 'b'?)", " (did you mean 'a', 'b' or 'c'?)"; "" for none.
std::string did_you_mean(const std::vector<std::string>& suggestions);

}  // namespace bt::cli
