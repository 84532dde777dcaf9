#pragma once
// What the daemon keeps between runs besides the torrents' metainfo and resume records: each torrent's id,
// where it downloads, whether the user paused it, its choices (files, limits, goals) and dates, and the
// session's lifetime totals. Pure: JSON text in and out; the daemon writes it atomically
// (storage/atomic_file.hpp) to <config dir>/torrents.json.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "rpc/backend.hpp"

namespace bt::daemon {

struct TorrentRecord {
    rpc::TorrentId id = 0;
    std::string hash;    // 40 lower-case hex digits
    std::string magnet;  // the magnet link it was added from; its metainfo file exists once fetched
    std::string download_dir;
    bool paused = false;
    std::int64_t added_date = 0;
    std::int64_t done_date = 0;
    std::vector<int> file_priorities;   // metainfo::FilePriority values; empty: every file normal
    std::int64_t download_limit = 100;  // KB/s, applied while download_limited
    bool download_limited = false;
    std::int64_t upload_limit = 100;
    bool upload_limited = false;
    int bandwidth_priority = 0;
    int seed_ratio_mode = 0;  // 0 the session's, 1 the torrent's, 2 unlimited
    double seed_ratio_limit = 2;
    int seed_idle_mode = 0;
    std::int64_t seed_idle_limit = 30;  // minutes
    int peer_limit = 0;                 // 0: the session's
    bool sequential = false;
    // Payload moved in earlier runs (the session counts only its own).
    std::int64_t downloaded_before = 0;
    std::int64_t uploaded_before = 0;
    std::int64_t corrupt_before = 0;
    // Progress as last known (verified bytes, wanted bytes and what of them is missing), shown until the
    // torrent runs again: a paused torrent's resume record is read only when it starts.
    std::int64_t have_valid = 0;
    std::int64_t size_when_done = 0;
    std::int64_t left_until_done = 0;
};

struct DaemonState {
    rpc::TorrentId next_id = 1;
    std::vector<TorrentRecord> torrents;                 // in queue order
    rpc::TransferTotals cumulative{.session_count = 0};  // every earlier run's, for session-stats
};

std::string encode_state(const DaemonState& state);
// The same text a part at a time (about 64 KiB each): at ten thousand torrents the whole is megabytes.
void encode_state(const DaemonState& state, const std::function<void(std::string_view)>& write);
// The error is one line. Unknown keys are ignored, so a newer daemon's file still loads.
Result<DaemonState, std::string> decode_state(std::string_view text);

}  // namespace bt::daemon
