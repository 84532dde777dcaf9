#pragma once
// What every subcommand shares: exit statuses and the one-line error report.
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace bt::cli {

// Exit statuses of bitveil (listed in `bitveil --help`).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // an I/O error while doing the work (read, write)
inline constexpr int kExitInvalid =
    2;  // invalid input or usage: bad torrent/magnet, bad option, refused overwrite

// Prints "bitveil: <subject>: <message>" (or "bitveil: <message>" for an empty subject) as one line
// on stderr; control characters and invalid UTF-8 are escaped.
void report_error(std::string_view subject, std::string_view message);

// Reads a whole .torrent file, refusing files above kMaxTorrentFileBytes. The error is one line.
Result<std::string, std::string> read_torrent_file(const std::string& path);

inline constexpr std::string_view kVersion = BT_VERSION;  // from project(VERSION) in CMakeLists.txt

}  // namespace bt::cli
