#pragma once
// torrent-get's fields. Names are resolved once per request into TorrentField values, so building 2,000 rows
// is one switch per cell. Values follow Transmission 3.00: integers are JSON integers (3.00 clients drop a
// row that has 5.0 where an int belongs); only uploadRatio, percentDone, recheckProgress,
// metadataPercentComplete, seedRatioLimit and peers[].progress are reals.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>
#include <vector>

#include "rpc/backend.hpp"

namespace bt::rpc {

enum class TorrentField : std::uint8_t {
    activity_date,
    added_date,
    bandwidth_priority,
    comment,
    corrupt_ever,
    creator,
    date_created,
    desired_available,
    done_date,
    download_dir,
    downloaded_ever,
    download_limit,
    download_limited,
    edit_date,
    error,
    error_string,
    eta,
    eta_idle,
    file_count,
    files,
    file_stats,
    hash_string,
    have_unchecked,
    have_valid,
    honors_session_limits,
    id,
    is_finished,
    is_private,
    is_stalled,
    labels,
    left_until_done,
    magnet_link,
    manual_announce_time,
    max_connected_peers,
    metadata_percent_complete,
    name,
    peer_limit,
    peers,
    peers_connected,
    peers_from,
    peers_getting_from_us,
    peers_sending_to_us,
    percent_done,
    piece_count,
    piece_size,
    pieces,
    priorities,
    queue_position,
    rate_download,
    rate_upload,
    recheck_progress,
    seconds_downloading,
    seconds_seeding,
    seed_idle_limit,
    seed_idle_mode,
    seed_ratio_limit,
    seed_ratio_mode,
    size_when_done,
    start_date,
    status,
    total_size,
    torrent_file,
    trackers,
    tracker_stats,
    uploaded_ever,
    upload_limit,
    upload_limited,
    upload_ratio,
    wanted,
    webseeds,
    webseeds_sending_to_us,
    // Extensions.
    bitveil_peers_by_kind,
    bitveil_handshake_failures,
    bitveil_sequential,
};

struct TorrentFields {
    std::vector<TorrentField> fields;  // in the order asked, each once
    Detail detail;                     // what the backend must fill for them
};

// `names` is the request's `fields` array; names we do not know and non-strings are skipped.
TorrentFields resolve_torrent_fields(const nlohmann::json& names);

std::string_view torrent_field_name(TorrentField field);
nlohmann::json torrent_field_value(TorrentField field, const TorrentView& torrent);

// torrent-get's `torrents`: one object per torrent, or with format "table" the names first, then one array
// of values per torrent.
nlohmann::json torrents_as_objects(const TorrentFields& fields, std::span<const TorrentView> torrents);
nlohmann::json torrents_as_table(const TorrentFields& fields, std::span<const TorrentView> torrents);

// {reason: count}, for the bitveil-handshake-failures of a torrent and of the session.
nlohmann::json reason_counts_json(const std::map<std::string, std::uint32_t>& counts);

// Transmission's derived numbers, exposed for tests.
double percent_done(const TorrentView& torrent);
double upload_ratio(const TorrentView& torrent);  // -1 nothing to compare with, -2 infinite
// The scrape URL by the usual convention (the last path part starting with "announce"), or "".
std::string scrape_url(std::string_view announce);

}  // namespace bt::rpc
