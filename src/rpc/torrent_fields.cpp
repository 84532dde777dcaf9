#include "rpc/torrent_fields.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

namespace bt::rpc {
namespace {

using nlohmann::json;
using F = TorrentField;

struct FieldName {
    std::string_view name;
    TorrentField field;
};

// Transmission 3.00's torrent-get names (extras/rpc-spec.txt §3.3), plus fileCount and our extensions.
constexpr std::array<FieldName, 74> kFieldNames{{
    {"activityDate", F::activity_date},
    {"addedDate", F::added_date},
    {"bandwidthPriority", F::bandwidth_priority},
    {"comment", F::comment},
    {"corruptEver", F::corrupt_ever},
    {"creator", F::creator},
    {"dateCreated", F::date_created},
    {"desiredAvailable", F::desired_available},
    {"doneDate", F::done_date},
    {"downloadDir", F::download_dir},
    {"downloadedEver", F::downloaded_ever},
    {"downloadLimit", F::download_limit},
    {"downloadLimited", F::download_limited},
    {"editDate", F::edit_date},
    {"error", F::error},
    {"errorString", F::error_string},
    {"eta", F::eta},
    {"etaIdle", F::eta_idle},
    {"fileCount", F::file_count},
    {"files", F::files},
    {"fileStats", F::file_stats},
    {"hashString", F::hash_string},
    {"haveUnchecked", F::have_unchecked},
    {"haveValid", F::have_valid},
    {"honorsSessionLimits", F::honors_session_limits},
    {"id", F::id},
    {"isFinished", F::is_finished},
    {"isPrivate", F::is_private},
    {"isStalled", F::is_stalled},
    {"labels", F::labels},
    {"leftUntilDone", F::left_until_done},
    {"magnetLink", F::magnet_link},
    {"manualAnnounceTime", F::manual_announce_time},
    {"maxConnectedPeers", F::max_connected_peers},
    {"metadataPercentComplete", F::metadata_percent_complete},
    {"name", F::name},
    {"peer-limit", F::peer_limit},
    {"peers", F::peers},
    {"peersConnected", F::peers_connected},
    {"peersFrom", F::peers_from},
    {"peersGettingFromUs", F::peers_getting_from_us},
    {"peersSendingToUs", F::peers_sending_to_us},
    {"percentDone", F::percent_done},
    {"pieceCount", F::piece_count},
    {"pieceSize", F::piece_size},
    {"pieces", F::pieces},
    {"priorities", F::priorities},
    {"queuePosition", F::queue_position},
    {"rateDownload", F::rate_download},
    {"rateUpload", F::rate_upload},
    {"recheckProgress", F::recheck_progress},
    {"secondsDownloading", F::seconds_downloading},
    {"secondsSeeding", F::seconds_seeding},
    {"seedIdleLimit", F::seed_idle_limit},
    {"seedIdleMode", F::seed_idle_mode},
    {"seedRatioLimit", F::seed_ratio_limit},
    {"seedRatioMode", F::seed_ratio_mode},
    {"sizeWhenDone", F::size_when_done},
    {"startDate", F::start_date},
    {"status", F::status},
    {"totalSize", F::total_size},
    {"torrentFile", F::torrent_file},
    {"trackers", F::trackers},
    {"trackerStats", F::tracker_stats},
    {"uploadedEver", F::uploaded_ever},
    {"uploadLimit", F::upload_limit},
    {"uploadLimited", F::upload_limited},
    {"uploadRatio", F::upload_ratio},
    {"wanted", F::wanted},
    {"webseeds", F::webseeds},
    {"webseedsSendingToUs", F::webseeds_sending_to_us},
    {"bitveil-peers-by-kind", F::bitveil_peers_by_kind},
    {"bitveil-handshake-failures", F::bitveil_handshake_failures},
    {"bitveil-sequential", F::bitveil_sequential},
}};

// The table is indexed by the enum, so a name is found by value without a search.
constexpr bool table_follows_enum() {
    for (std::size_t i = 0; i < kFieldNames.size(); ++i) {
        if (static_cast<std::size_t>(kFieldNames[i].field) != i) return false;
    }
    return true;
}
static_assert(table_follows_enum());
static_assert(kFieldNames.size() == static_cast<std::size_t>(F::bitveil_sequential) + 1);

void add_detail(TorrentField field, Detail& detail) {
    switch (field) {
        case F::files:
        case F::file_stats:
        case F::file_count:
        case F::priorities:
        case F::wanted:
            detail.files = true;
            break;
        case F::peers:
        case F::peers_from:
            detail.peers = true;
            break;
        case F::trackers:
        case F::tracker_stats:
            detail.trackers = true;
            break;
        default:
            break;
    }
}

json files_json(const TorrentView& t) {
    json out = json::array();
    for (const auto& file : t.files) {
        out.push_back(
            {{"bytesCompleted", file.bytes_completed}, {"length", file.length}, {"name", file.name}});
    }
    return out;
}

json file_stats_json(const TorrentView& t) {
    json out = json::array();
    for (const auto& file : t.files) {
        // fileStats.wanted is a boolean in 3.00; only the top-level `wanted` list is 0/1.
        out.push_back(
            {{"bytesCompleted", file.bytes_completed}, {"priority", file.priority}, {"wanted", file.wanted}});
    }
    return out;
}

// Transmission's peer flags, as the web UI's and transmission-remote's peer lists show them.
std::string flag_string(const PeerView& peer) {
    std::string flags;
    const bool downloading = peer.client_interested && !peer.client_choked;
    const bool uploading = peer.peer_interested && !peer.peer_choked;
    if (downloading) {
        flags += 'D';
    } else if (peer.client_interested) {
        flags += 'd';
    }
    if (uploading) {
        flags += 'U';
    } else if (peer.peer_interested) {
        flags += 'u';
    }
    if (!peer.client_choked && !peer.client_interested) flags += 'K';
    if (!peer.peer_choked && !peer.peer_interested) flags += '?';
    if (peer.kind == "mse-rc4") flags += 'E';
    if (peer.incoming) flags += 'I';
    return flags;
}

json peers_json(const TorrentView& t) {
    json out = json::array();
    for (const auto& peer : t.peers) {
        out.push_back({
            {"address", peer.address},
            {"port", peer.port},
            {"clientName", peer.client_name},
            {"progress", peer.progress},
            {"rateToClient", peer.rate_to_client},
            {"rateToPeer", peer.rate_to_peer},
            // Transmission's isEncrypted means RC4 on the payload; header-only MSE leaves it in the clear.
            {"isEncrypted", peer.kind == "mse-rc4"},
            {"isIncoming", peer.incoming},
            {"isUTP", false},
            {"flagStr", flag_string(peer)},
            {"clientIsChoked", peer.client_choked},
            {"clientIsInterested", peer.client_interested},
            {"peerIsChoked", peer.peer_choked},
            {"peerIsInterested", peer.peer_interested},
            {"isDownloadingFrom", peer.client_interested && !peer.client_choked},
            {"isUploadingTo", peer.peer_interested && !peer.peer_choked},
            {"bitveil-kind", peer.kind},
        });
    }
    return out;
}

// Where peers came from is not tracked; incoming is the one source a PeerView shows.
json peers_from_json(const TorrentView& t) {
    const auto incoming =
        std::count_if(t.peers.begin(), t.peers.end(), [](const PeerView& p) { return p.incoming; });
    return {{"fromCache", 0}, {"fromDht", 0}, {"fromIncoming", incoming}, {"fromLpd", 0},
            {"fromLtep", 0},  {"fromPex", 0}, {"fromTracker", 0}};
}

json trackers_json(const TorrentView& t) {
    json out = json::array();
    for (const auto& tracker : t.trackers) {
        out.push_back({{"announce", tracker.announce},
                       {"id", tracker.id},
                       {"scrape", scrape_url(tracker.announce)},
                       {"tier", tracker.tier}});
    }
    return out;
}

json tracker_stats_json(const TorrentView& t) {
    // Transmission's announceState: 0 inactive, 1 waiting (for the next announce).
    const int announce_state = t.status == Status::stopped ? 0 : 1;
    json out = json::array();
    for (const auto& tracker : t.trackers) {
        out.push_back({
            {"announce", tracker.announce},
            {"announceState", announce_state},
            {"downloadCount", tracker.download_count},
            {"hasAnnounced", tracker.last_announce_time > 0},
            {"hasScraped", false},
            {"host", tracker.host},
            {"id", tracker.id},
            {"isBackup", false},
            {"lastAnnouncePeerCount", 0},
            {"lastAnnounceResult", tracker.last_announce_result},
            {"lastAnnounceStartTime", tracker.last_announce_time},
            {"lastAnnounceSucceeded", tracker.last_announce_succeeded},
            {"lastAnnounceTime", tracker.last_announce_time},
            {"lastAnnounceTimedOut", false},
            {"lastScrapeResult", ""},
            {"lastScrapeStartTime", 0},
            {"lastScrapeSucceeded", false},
            {"lastScrapeTime", 0},
            {"lastScrapeTimedOut", false},
            {"leecherCount", tracker.leecher_count},
            {"nextAnnounceTime", tracker.next_announce_time},
            {"nextScrapeTime", 0},
            {"scrape", scrape_url(tracker.announce)},
            {"scrapeState", 0},
            {"seederCount", tracker.seeder_count},
            {"tier", tracker.tier},
        });
    }
    return out;
}

json priorities_json(const TorrentView& t) {
    json out = json::array();
    for (const auto& file : t.files) out.push_back(file.priority);
    return out;
}

json wanted_json(const TorrentView& t) {
    json out = json::array();
    for (const auto& file : t.files) out.push_back(file.wanted ? 1 : 0);  // 0/1 ints, as 3.00 sends
    return out;
}

}  // namespace

json reason_counts_json(const std::map<std::string, std::uint32_t>& counts) {
    json out = json::object();
    for (const auto& [reason, count] : counts) out[reason] = count;
    return out;
}

double percent_done(const TorrentView& t) {
    if (t.size_when_done <= 0) return t.has_metadata ? 1.0 : 0.0;
    const auto done = t.size_when_done - std::clamp<std::int64_t>(t.left_until_done, 0, t.size_when_done);
    return static_cast<double>(done) / static_cast<double>(t.size_when_done);
}

double upload_ratio(const TorrentView& t) {
    // As tr_torrentStat: against what was downloaded or, for a torrent that started complete, what it has.
    const auto base = t.downloaded_ever > 0 ? t.downloaded_ever : t.have_valid;
    if (base > 0) return static_cast<double>(t.uploaded_ever) / static_cast<double>(base);
    return t.uploaded_ever > 0 ? -2.0 : -1.0;
}

std::string scrape_url(std::string_view announce) {
    const auto slash = announce.rfind('/');
    if (slash == std::string_view::npos) return {};
    constexpr std::string_view kAnnounce = "announce";
    if (announce.substr(slash + 1, kAnnounce.size()) != kAnnounce) return {};
    std::string scrape(announce.substr(0, slash + 1));
    scrape += "scrape";
    scrape += announce.substr(slash + 1 + kAnnounce.size());
    return scrape;
}

TorrentFields resolve_torrent_fields(const json& names) {
    TorrentFields resolved;
    if (!names.is_array()) return resolved;
    std::array<bool, kFieldNames.size()> seen{};
    for (const auto& name : names) {
        if (!name.is_string()) continue;
        const auto& text = name.get_ref<const std::string&>();
        const auto it = std::find_if(kFieldNames.begin(), kFieldNames.end(),
                                     [&text](const FieldName& entry) { return entry.name == text; });
        if (it == kFieldNames.end()) continue;
        const auto index = static_cast<std::size_t>(it->field);
        if (std::exchange(seen[index], true)) continue;
        resolved.fields.push_back(it->field);
        add_detail(it->field, resolved.detail);
    }
    return resolved;
}

std::string_view torrent_field_name(TorrentField field) {
    return kFieldNames[static_cast<std::size_t>(field)].name;
}

json torrent_field_value(TorrentField field, const TorrentView& t) {
    switch (field) {
        case F::activity_date:
            return t.activity_date;
        case F::added_date:
            return t.added_date;
        case F::bandwidth_priority:
            return t.bandwidth_priority;
        case F::comment:
            return t.comment;
        case F::corrupt_ever:
            return t.corrupt_ever;
        case F::creator:
            return t.creator;
        case F::date_created:
            return t.date_created;
        case F::desired_available:
            return t.desired_available;
        case F::done_date:
            return t.done_date;
        case F::download_dir:
            return t.download_dir;
        case F::downloaded_ever:
            return t.downloaded_ever;
        case F::download_limit:
            return t.download_limit;
        case F::download_limited:
            return t.download_limited;
        case F::edit_date:
            return 0;
        case F::error:
            return static_cast<int>(t.error);
        case F::error_string:
            return t.error_string;
        case F::eta:
            return t.eta;
        case F::eta_idle:
            return -1;
        case F::file_count:
            return t.files.size();
        case F::files:
            return files_json(t);
        case F::file_stats:
            return file_stats_json(t);
        case F::hash_string:
            return t.hash;
        case F::have_unchecked:
            return 0;  // pieces are verified as they arrive
        case F::have_valid:
            return t.have_valid;
        case F::honors_session_limits:
            return true;
        case F::id:
            return t.id;
        case F::is_finished:
            return t.is_finished;
        case F::is_private:
            return t.is_private;
        case F::is_stalled:
            return t.is_stalled;
        case F::labels:
            return json::array();
        case F::left_until_done:
            return t.left_until_done;
        case F::magnet_link:
            return t.magnet_link;
        case F::manual_announce_time:
            return 0;
        case F::max_connected_peers:
            return t.peer_limit;
        case F::metadata_percent_complete:
            return t.has_metadata ? 1.0 : t.metadata_percent;
        case F::name:
            return t.name;
        case F::peer_limit:
            return t.peer_limit;
        case F::peers:
            return peers_json(t);
        case F::peers_connected:
            return t.peers_connected;
        case F::peers_from:
            return peers_from_json(t);
        case F::peers_getting_from_us:
            return t.peers_getting_from_us;
        case F::peers_sending_to_us:
            return t.peers_sending_to_us;
        case F::percent_done:
            return percent_done(t);
        case F::piece_count:
            return t.piece_count;
        case F::piece_size:
            return t.piece_size;
        case F::pieces:
            return "";  // the base64 bitfield: optional for the clients we serve
        case F::priorities:
            return priorities_json(t);
        case F::queue_position:
            return t.queue_position;
        case F::rate_download:
            return t.rate_download;
        case F::rate_upload:
            return t.rate_upload;
        case F::recheck_progress:
            return t.recheck_progress;
        case F::seconds_downloading:
            return t.seconds_downloading;
        case F::seconds_seeding:
            return t.seconds_seeding;
        case F::seed_idle_limit:
            return t.seed_idle_limit;
        case F::seed_idle_mode:
            return t.seed_idle_mode;
        case F::seed_ratio_limit:
            return t.seed_ratio_limit;
        case F::seed_ratio_mode:
            return t.seed_ratio_mode;
        case F::size_when_done:
            return t.size_when_done;
        case F::start_date:
            return t.start_date;
        case F::status:
            return static_cast<int>(t.status);
        case F::total_size:
            return t.total_size;
        case F::torrent_file:
            return "";
        case F::trackers:
            return trackers_json(t);
        case F::tracker_stats:
            return tracker_stats_json(t);
        case F::uploaded_ever:
            return t.uploaded_ever;
        case F::upload_limit:
            return t.upload_limit;
        case F::upload_limited:
            return t.upload_limited;
        case F::upload_ratio:
            return upload_ratio(t);
        case F::wanted:
            return wanted_json(t);
        case F::webseeds:
            return json::array();
        case F::webseeds_sending_to_us:
            return t.webseeds_sending_to_us;
        case F::bitveil_peers_by_kind:
            return {{"plaintext", t.peers_plaintext},
                    {"mse-rc4", t.peers_mse_rc4},
                    {"mse-header-only", t.peers_mse_header}};
        case F::bitveil_handshake_failures:
            return reason_counts_json(t.closed_by_reason);
        case F::bitveil_sequential:
            return t.sequential;
    }
    return nullptr;
}

json torrents_as_objects(const TorrentFields& fields, std::span<const TorrentView> torrents) {
    // Keys go in sorted, so each lands at the end of the object's map (an O(1) hinted insert).
    std::vector<std::pair<std::string, TorrentField>> sorted;
    sorted.reserve(fields.fields.size());
    for (const auto field : fields.fields) sorted.emplace_back(torrent_field_name(field), field);
    std::sort(sorted.begin(), sorted.end());
    json out = json::array();
    auto& rows = out.get_ref<json::array_t&>();
    rows.reserve(torrents.size());
    for (const auto& torrent : torrents) {
        json row = json::object();
        auto& object = row.get_ref<json::object_t&>();
        for (const auto& [name, field] : sorted)
            object.emplace_hint(object.end(), name, torrent_field_value(field, torrent));
        rows.push_back(std::move(row));
    }
    return out;
}

json torrents_as_table(const TorrentFields& fields, std::span<const TorrentView> torrents) {
    json out = json::array();
    auto& rows = out.get_ref<json::array_t&>();
    rows.reserve(torrents.size() + 1);
    json names = json::array();
    for (const auto field : fields.fields) names.push_back(torrent_field_name(field));
    rows.push_back(std::move(names));
    for (const auto& torrent : torrents) {
        json row = json::array();
        auto& values = row.get_ref<json::array_t&>();
        values.reserve(fields.fields.size());
        for (const auto field : fields.fields) values.push_back(torrent_field_value(field, torrent));
        rows.push_back(std::move(row));
    }
    return out;
}

}  // namespace bt::rpc
