#include "rpc/session_fields.hpp"

#include <array>
#include <utility>

#include "rpc/torrent_fields.hpp"

namespace bt::rpc {
namespace {

using nlohmann::json;

constexpr std::int64_t kMaxSpeed = std::int64_t{1} << 40;  // KB/s: refuses only nonsense
constexpr int kMinutesPerDay = 24 * 60;
constexpr int kMaxCacheMegabytes = 1 << 16;  // 64 GiB: refuses only nonsense

json units_json() {
    // 3.00's units: speeds and sizes in powers of 1000, memory in powers of 1024.
    return {{"speed-units", {"kB/s", "MB/s", "GB/s", "TB/s"}}, {"speed-bytes", 1000},
            {"size-units", {"kB", "MB", "GB", "TB"}},          {"size-bytes", 1000},
            {"memory-units", {"KiB", "MiB", "GiB", "TiB"}},    {"memory-bytes", 1024}};
}

json transfer_totals_json(const TransferTotals& totals) {
    return {{"uploadedBytes", totals.uploaded_bytes},
            {"downloadedBytes", totals.downloaded_bytes},
            {"filesAdded", totals.files_added},
            {"sessionCount", totals.session_count},
            {"secondsActive", totals.seconds_active}};
}

}  // namespace

std::string_view transmission_encryption(std::string_view policy) {
    if (policy == "require") return "required";
    if (policy == "prefer") return "preferred";
    return "tolerated";  // allow, and disable: Transmission has no word for never encrypting
}

std::optional<std::string> encryption_policy(std::string_view word) {
    if (word == "required" || word == "require") return "require";
    if (word == "preferred" || word == "prefer") return "prefer";
    if (word == "tolerated" || word == "allow") return "allow";
    if (word == "disable") return "disable";
    return std::nullopt;
}

json session_json(const SessionView& s, const json* fields) {
    json out = {
        {"alt-speed-down", s.alt_speed_down},
        {"alt-speed-enabled", s.alt_speed_enabled},
        {"alt-speed-time-begin", s.alt_speed_time_begin},
        {"alt-speed-time-day", s.alt_speed_time_day},
        {"alt-speed-time-enabled", s.alt_speed_time_enabled},
        {"alt-speed-time-end", s.alt_speed_time_end},
        {"alt-speed-up", s.alt_speed_up},
        {"blocklist-enabled", false},
        {"blocklist-size", 0},  // a number: the 3.00 web UI formats it and stops at start-up without it
        {"blocklist-url", ""},
        {"cache-size-mb", s.cache_size_mb},
        {"config-dir", s.config_dir},
        {"dht-enabled", s.dht_enabled},
        {"download-dir", s.download_dir},
        {"download-dir-free-space", s.download_dir_free_space},
        {"download-queue-enabled", s.download_queue_enabled},
        {"download-queue-size", s.download_queue_size},
        {"encryption", transmission_encryption(s.encryption)},
        {"idle-seeding-limit", s.idle_seeding_limit},
        {"idle-seeding-limit-enabled", s.idle_seeding_limit_enabled},
        {"incomplete-dir", ""},
        {"incomplete-dir-enabled", false},
        {"lpd-enabled", s.lpd_enabled},
        {"peer-limit-global", s.peer_limit_global},
        {"peer-limit-per-torrent", s.peer_limit_per_torrent},
        {"peer-port", s.peer_port},
        {"peer-port-random-on-start", false},
        {"pex-enabled", s.pex_enabled},
        {"port-forwarding-enabled", s.port_forwarding_enabled},
        {"queue-stalled-enabled", s.queue_stalled_enabled},
        {"queue-stalled-minutes", s.queue_stalled_minutes},
        {"rename-partial-files", false},
        {"rpc-version", kRpcVersion},
        {"rpc-version-minimum", kRpcVersionMinimum},
        {"script-torrent-done-enabled", false},
        {"script-torrent-done-filename", ""},
        {"seed-queue-enabled", s.seed_queue_enabled},
        {"seed-queue-size", s.seed_queue_size},
        {"seedRatioLimit", s.seed_ratio_limit},
        {"seedRatioLimited", s.seed_ratio_limited},
        {"session-id", s.session_id},
        {"speed-limit-down", s.speed_limit_down},
        {"speed-limit-down-enabled", s.speed_limit_down_enabled},
        {"speed-limit-up", s.speed_limit_up},
        {"speed-limit-up-enabled", s.speed_limit_up_enabled},
        {"start-added-torrents", s.start_added_torrents},
        {"trash-original-torrent-files", false},
        {"units", units_json()},
        {"utp-enabled", s.utp_enabled},
        {"version", s.version},
        {"bitveil-encryption", s.encryption},
        {"bitveil-handshake-failures", reason_counts_json(s.incoming_failures)},
    };
    if (fields == nullptr || !fields->is_array()) return out;
    json filtered = json::object();
    for (const auto& name : *fields) {
        if (!name.is_string()) continue;
        const auto it = out.find(name.get_ref<const std::string&>());
        if (it != out.end()) filtered[it.key()] = *it;
    }
    return filtered;
}

json session_stats_json(const SessionStats& stats) {
    return {{"activeTorrentCount", stats.active_torrent_count},
            {"downloadSpeed", stats.download_speed},
            {"pausedTorrentCount", stats.paused_torrent_count},
            {"torrentCount", stats.torrent_count},
            {"uploadSpeed", stats.upload_speed},
            {"current-stats", transfer_totals_json(stats.current)},
            {"cumulative-stats", transfer_totals_json(stats.cumulative)}};
}

SessionChanges read_session_changes(ArgumentReader& args, const SessionView& current) {
    const std::array<std::pair<std::string_view, bool>, 11> fixed_switches{{
        {"dht-enabled", current.dht_enabled},
        {"pex-enabled", current.pex_enabled},
        {"lpd-enabled", current.lpd_enabled},
        {"utp-enabled", current.utp_enabled},
        {"port-forwarding-enabled", current.port_forwarding_enabled},
        {"blocklist-enabled", false},
        {"incomplete-dir-enabled", false},
        {"rename-partial-files", false},
        {"peer-port-random-on-start", false},
        {"script-torrent-done-enabled", false},
        {"trash-original-torrent-files", false},
    }};
    for (const auto& [key, value] : fixed_switches) {
        const auto asked = args.boolean(key);
        if (asked && *asked != value) args.fail(std::string(key) + " cannot be changed over RPC");
    }
    SessionChanges c;
    c.download_dir = args.string("download-dir");
    if (c.download_dir && (c.download_dir->empty() || c.download_dir->front() != '/'))
        args.fail("download directory path is not absolute");
    c.peer_port = args.integer<int>("peer-port", 0, 65535);
    c.peer_limit_global = args.integer<int>("peer-limit-global", 0);
    c.peer_limit_per_torrent = args.integer<int>("peer-limit-per-torrent", 0);
    if (const auto word = args.string("encryption")) {
        c.encryption = encryption_policy(*word);
        if (!c.encryption)
            args.fail("invalid argument 'encryption': \"" + *word +
                      "\" is not required, preferred, tolerated, require, prefer, allow or disable");
    }
    c.speed_limit_down = args.integer<std::int64_t>("speed-limit-down", 0, kMaxSpeed);
    c.speed_limit_down_enabled = args.boolean("speed-limit-down-enabled");
    c.speed_limit_up = args.integer<std::int64_t>("speed-limit-up", 0, kMaxSpeed);
    c.speed_limit_up_enabled = args.boolean("speed-limit-up-enabled");
    c.alt_speed_down = args.integer<std::int64_t>("alt-speed-down", 0, kMaxSpeed);
    c.alt_speed_up = args.integer<std::int64_t>("alt-speed-up", 0, kMaxSpeed);
    c.alt_speed_enabled = args.boolean("alt-speed-enabled");
    c.alt_speed_time_enabled = args.boolean("alt-speed-time-enabled");
    c.alt_speed_time_begin = args.integer<int>("alt-speed-time-begin", 0, kMinutesPerDay - 1);
    c.alt_speed_time_end = args.integer<int>("alt-speed-time-end", 0, kMinutesPerDay - 1);
    c.alt_speed_time_day = args.integer<int>("alt-speed-time-day", 0, 127);
    c.seed_ratio_limit = args.real("seedRatioLimit", 0, 1e9);
    c.seed_ratio_limited = args.boolean("seedRatioLimited");
    c.idle_seeding_limit = args.integer<std::int64_t>("idle-seeding-limit", 0, kMaxSpeed);
    c.idle_seeding_limit_enabled = args.boolean("idle-seeding-limit-enabled");
    c.download_queue_enabled = args.boolean("download-queue-enabled");
    c.download_queue_size = args.integer<int>("download-queue-size", 0);
    c.seed_queue_enabled = args.boolean("seed-queue-enabled");
    c.seed_queue_size = args.integer<int>("seed-queue-size", 0);
    c.queue_stalled_enabled = args.boolean("queue-stalled-enabled");
    c.queue_stalled_minutes = args.integer<int>("queue-stalled-minutes", 0);
    c.start_added_torrents = args.boolean("start-added-torrents");
    c.cache_size_mb = args.integer<int>("cache-size-mb", 0, kMaxCacheMegabytes);
    return c;
}

}  // namespace bt::rpc
