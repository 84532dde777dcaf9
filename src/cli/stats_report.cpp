#include "cli/stats_report.hpp"

#include <filesystem>
#include <fstream>

#include "cli/common.hpp"
#include "cli/json_writer.hpp"

namespace bt::cli {

namespace {

void write_counts(JsonWriter& j, std::string_view name, const std::map<std::string, std::uint32_t>& counts) {
    j.key(name);
    j.begin_object();
    for (const auto& [key, count] : counts) {
        j.key(key);
        j.integer(count);
    }
    j.end_object();
}

void write_read_cache(JsonWriter& j, const storage::ReadCacheStats& cache) {
    const auto u64 = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
    j.key("read_cache");
    j.begin_object();
    const std::pair<const char*, std::uint64_t> fields[] = {
        {"budget", cache.budget},         {"bytes", cache.bytes},        {"peak_bytes", cache.peak_bytes},
        {"lines", cache.lines},           {"block_hits", cache.hits},    {"block_misses", cache.misses},
        {"bytes_read", cache.bytes_read}, {"evictions", cache.evictions}};
    for (const auto& [key, value] : fields) {
        j.key(key);
        j.integer(u64(value));
    }
    j.end_object();
}

// Complete as far as the user asked: every piece of the wanted files.
bool is_complete(const session::TorrentStatus& s) {
    return s.num_pieces > 0 && s.pieces_wanted_left == 0;
}

// The fields shared by the totals and each torrent.
void write_status_fields(JsonWriter& j, const session::TorrentStatus& s, std::string_view state) {
    const auto u64 = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
    j.key("complete");
    j.boolean(is_complete(s));
    j.key("state");
    j.string(state);
    j.key("total_size");
    j.integer(s.total_size);
    j.key("wanted_size");
    j.integer(s.wanted_size);
    j.key("wanted_left");
    j.integer(s.wanted_left);
    j.key("pieces");
    j.integer(s.num_pieces);
    j.key("pieces_have");
    j.integer(s.pieces_have);
    j.key("pieces_from_disk");
    j.integer(s.stats.pieces_from_disk);
    j.key("pieces_from_resume");
    j.integer(s.stats.pieces_from_resume);
    j.key("pieces_rechecked");
    j.integer(s.stats.pieces_rechecked);
    j.key("files_rechecked");
    j.integer(s.stats.files_rechecked);
    j.key("pieces_downloaded");
    j.integer(s.stats.pieces_verified);
    j.key("pieces_downloaded_ahead");
    j.integer(s.pieces_downloaded_ahead);
    j.key("hash_failures");
    j.integer(s.stats.hash_failures);
    j.key("payload_downloaded");
    j.integer(u64(s.stats.payload_downloaded));
    j.key("payload_uploaded");
    j.integer(u64(s.stats.payload_uploaded));
    j.key("protocol_downloaded");
    j.integer(u64(s.stats.protocol_downloaded));
    j.key("protocol_uploaded");
    j.integer(u64(s.stats.protocol_uploaded));
    j.key("wasted");
    j.integer(u64(s.stats.wasted));
    j.key("peers_connected_in");
    j.integer(s.stats.peers_connected_in);
    j.key("peers_connected_out");
    j.integer(s.stats.peers_connected_out);
    j.key("peers_banned");
    j.integer(s.stats.peers_banned);
    j.key("peers_known");
    j.integer(s.peers_known);
    write_counts(j, "connections_by_kind", s.stats.connections_by_kind);
    write_counts(j, "connections_closed", s.stats.closed_by_reason);
    if (!s.error.empty()) {
        j.key("error");
        j.string(s.error);
    }
}

// "dht": {"nodes", "lookups_running", "lookups_done", "last_lookup_ms", "average_lookup_ms",
// "messages_in", "messages_out", "sends_dropped"}.
void write_dht(JsonWriter& j, const session::DhtStats& dht) {
    const auto u64 = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
    j.key("dht");
    j.begin_object();
    j.key("nodes");
    j.integer(u64(dht.nodes));
    j.key("lookups_running");
    j.integer(u64(dht.lookups_running));
    j.key("lookups_done");
    j.integer(u64(dht.lookups_done));
    j.key("last_lookup_ms");
    j.integer(dht.last_lookup.count());
    j.key("average_lookup_ms");
    j.integer(dht.average_lookup.count());
    j.key("messages_in");
    j.integer(u64(dht.messages_in));
    j.key("messages_out");
    j.integer(u64(dht.messages_out));
    j.key("sends_dropped");
    j.integer(u64(dht.sends_dropped));
    j.end_object();
}

void write_duration(JsonWriter& j, double seconds) {
    j.key("duration_seconds");
    j.integer(static_cast<std::int64_t>(seconds * 1000) / 1000);
    j.key("duration_ms");
    j.integer(static_cast<std::int64_t>(seconds * 1000));
}

}  // namespace

session::TorrentStatus sum_statuses(const std::vector<TorrentReport>& torrents) {
    session::TorrentStatus sum;
    for (const auto& t : torrents) {
        const auto& s = t.status;
        sum.num_pieces += s.num_pieces;
        sum.pieces_have += s.pieces_have;
        sum.total_size += s.total_size;
        sum.bytes_have += s.bytes_have;
        sum.wanted_size += s.wanted_size;
        sum.wanted_left += s.wanted_left;
        sum.pieces_wanted += s.pieces_wanted;
        sum.pieces_wanted_left += s.pieces_wanted_left;
        sum.files_skipped = sum.files_skipped || s.files_skipped;
        sum.check_bytes_done += s.check_bytes_done;
        sum.download_rate += s.download_rate;
        sum.upload_rate += s.upload_rate;
        sum.peers_connected += s.peers_connected;
        sum.peers_known += s.peers_known;
        sum.seeds_connected += s.seeds_connected;
        sum.peers_plaintext += s.peers_plaintext;
        sum.peers_mse_rc4 += s.peers_mse_rc4;
        sum.peers_mse_header += s.peers_mse_header;
        sum.stats += s.stats;
        if (sum.error.empty()) sum.error = s.error;
    }
    if (!torrents.empty()) sum.state = torrents.front().status.state;
    return sum;
}

std::string state_text(const std::vector<TorrentReport>& torrents) {
    std::string common;
    for (const auto& t : torrents) {
        if (t.status.state == session::TorrentState::error) return "error";
        const std::string name = session::state_name(t.status.state);
        if (common.empty()) common = name;
        if (common != name) common = "mixed";
    }
    return common;
}

std::string stats_json(const std::vector<TorrentReport>& torrents,
                       const std::map<std::string, std::uint32_t>& incoming_failures, double seconds,
                       const std::optional<session::DhtStats>& dht,
                       const std::optional<storage::ReadCacheStats>& read_cache) {
    JsonWriter j;
    j.begin_object();
    write_duration(j, seconds);
    write_status_fields(j, sum_statuses(torrents), state_text(torrents));
    // Incoming connections that failed before their torrent was known (MSE timeouts, garbage, ...).
    write_counts(j, "incoming_handshake_failures", incoming_failures);
    if (dht) write_dht(j, *dht);
    if (read_cache) write_read_cache(j, *read_cache);
    j.key("torrents");
    j.begin_array();
    for (const auto& t : torrents) {
        j.begin_object();
        j.key("name");
        j.string(t.name);
        j.key("info_hash");
        j.string(t.info_hash_hex);
        write_status_fields(j, t.status, session::state_name(t.status.state));
        // The swarm as its trackers count it (announce replies or scrapes), when one said.
        const std::pair<const char*, const std::optional<std::uint32_t>&> swarm[] = {
            {"swarm_seeders", t.status.swarm_seeders},
            {"swarm_leechers", t.status.swarm_leechers},
            {"swarm_downloaded", t.status.swarm_downloaded}};
        for (const auto& [key, value] : swarm) {
            if (!value) continue;
            j.key(key);
            j.integer(*value);
        }
        j.end_object();
    }
    j.end_array();
    j.end_object();
    return j.str();
}

void write_stats_json(const std::string& path, const std::vector<TorrentReport>& torrents,
                      const std::map<std::string, std::uint32_t>& incoming_failures, double seconds,
                      const std::optional<session::DhtStats>& dht,
                      const std::optional<storage::ReadCacheStats>& read_cache) {
    write_json_file(path, stats_json(torrents, incoming_failures, seconds, dht, read_cache));
}

std::string dht_stats_json(const session::DhtStats& dht, double seconds) {
    JsonWriter j;
    j.begin_object();
    write_duration(j, seconds);
    write_dht(j, dht);
    j.end_object();
    return j.str();
}

void write_json_file(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text << '\n';
        if (!out) {
            report_error(path, "cannot write statistics");
            return;
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) report_error(path, ec.message());
}

}  // namespace bt::cli
