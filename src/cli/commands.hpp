#pragma once
// The subcommands of `bitveil`, one file each (info_command.cpp, create_command.cpp). Each adds itself
// to the CLI11 app; when the subcommand runs, its exit status is stored in `status`.
#include <cstdint>
#include <string>
#include <string_view>

namespace CLI {
class App;
}

namespace bt::cli {

void add_info_command(CLI::App& app, int& status);
void add_create_command(CLI::App& app, int& status);
void add_download_command(CLI::App& app, int& status);  // download and seed
void add_dht_command(CLI::App& app, int& status);       // a DHT node without torrents
void add_daemon_command(CLI::App& app, int& status);    // a session driven over Transmission's RPC
void add_status_command(CLI::App& app, int& status);    // one line about a running daemon

// Piece lengths `bitveil create` accepts: a power of two in [kMinPieceLength, kMaxPieceLength].
inline constexpr std::int64_t kMinPieceLength = std::int64_t{16} << 10;
inline constexpr std::int64_t kMaxPieceLength = std::int64_t{128} << 20;
// Default rule: the smallest power of two from 16 KiB up to 16 MiB that keeps the piece count at or
// below kTargetMaxPieces (so between about 1000 and 2000 pieces, unless clamped).
inline constexpr std::int64_t kMaxDefaultPieceLength = std::int64_t{16} << 20;
inline constexpr std::int64_t kTargetMaxPieces = 2000;

std::int64_t default_piece_length(std::int64_t total_size) noexcept;
bool is_valid_piece_length(std::int64_t piece_length) noexcept;

// Why `bitveil create` refuses `url` as a tracker, in a few words; empty when bitveil can announce to it:
// http:// or https:// with a host (and a port from 1 to 65535 if any), or udp://host:port. Schemes in lower
// case, as the announcer (net/tracker_client.cpp) reads them.
std::string tracker_url_problem(std::string_view url);

// The largest .torrent `bitveil info` reads.
inline constexpr std::int64_t kMaxTorrentFileBytes = std::int64_t{64} << 20;

}  // namespace bt::cli
