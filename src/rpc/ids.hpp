#pragma once
// The `ids` argument: omitted (every torrent), an id, a 40-hex info-hash, a list of both, or
// "recently-active" (changed within the last minute, plus the ids removed in that minute: without them the
// web UI never drops a removed row). Unknown ids and hashes are skipped, as Transmission does.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "rpc/arguments.hpp"
#include "rpc/backend.hpp"

namespace bt::rpc {

// Transmission's RECENTLY_ACTIVE_SECONDS.
inline constexpr std::int64_t kRecentlyActiveSeconds = 60;

struct Selection {
    std::vector<TorrentId> ids;
    bool recently_active = false;
    std::vector<TorrentId> removed;  // only for "recently-active"
    // For "recently-active" the views were needed to choose; torrent-get reuses them when it needs no Detail.
    std::optional<std::vector<TorrentView>> views;
};

// nullopt (with the error in `args`) when `ids` has a type no client sends.
std::optional<Selection> select_torrents(ArgumentReader& args, const Backend& backend);

// The lower-case hash if `text` is 40 hex digits, in either case.
std::optional<std::string> normalize_hash(std::string_view text);

}  // namespace bt::rpc
