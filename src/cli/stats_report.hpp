#pragma once
// The --stats-json report of `bitveil download` / `seed`: totals over every torrent of the session at the
// top level (so a one-torrent run reads the same as before), then one object per torrent.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "session/dht_service.hpp"
#include "session/torrent.hpp"
#include "storage/read_cache.hpp"

namespace bt::cli {

struct TorrentReport {
    std::string name;
    std::string info_hash_hex;
    session::TorrentStatus status;
};

// The status of several torrents as one: sizes, pieces and counters summed; the state is the common
// state, or "error" when any failed, or "mixed".
session::TorrentStatus sum_statuses(const std::vector<TorrentReport>& torrents);
std::string state_text(const std::vector<TorrentReport>& torrents);

// The JSON document (written atomically by write_stats_json). `dht`: the session's DHT, when it ran;
// `read_cache`: the session's read cache for uploads.
std::string stats_json(const std::vector<TorrentReport>& torrents,
                       const std::map<std::string, std::uint32_t>& incoming_failures, double seconds,
                       const std::optional<session::DhtStats>& dht = std::nullopt,
                       const std::optional<storage::ReadCacheStats>& read_cache = std::nullopt);
// Writes stats_json() to `path` through a temporary file; a failure is reported on stderr.
void write_stats_json(const std::string& path, const std::vector<TorrentReport>& torrents,
                      const std::map<std::string, std::uint32_t>& incoming_failures, double seconds,
                      const std::optional<session::DhtStats>& dht = std::nullopt,
                      const std::optional<storage::ReadCacheStats>& read_cache = std::nullopt);

// The report of `bitveil dht`: the run's duration and the "dht" object of stats_json.
std::string dht_stats_json(const session::DhtStats& dht, double seconds);
// Replaces `path` with `text` and a newline through a temporary file; a failure is reported on stderr.
void write_json_file(const std::string& path, const std::string& text);

}  // namespace bt::cli
