#pragma once
// What the RPC core (rpc/handler.hpp) asks of a torrent session, in Transmission's terms: plain values in,
// plain values out, so the JSON side has no I/O and is unit-tested and fuzzed against a fake. The daemon
// (daemon/session_backend.hpp) implements it over session::Session.
//
// Units are the ones Transmission's RPC uses: rates in bytes per second, speed limits in KB/s (1000 bytes),
// dates in seconds since the epoch (0: never), idle limits in minutes.
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace bt::rpc {

using TorrentId = std::int64_t;

// Transmission's torrent status codes (rpc-version 14 and later).
enum class Status : int {
    stopped = 0,
    check_wait = 1,
    checking = 2,
    download_wait = 3,
    downloading = 4,
    seed_wait = 5,
    seeding = 6
};

// Transmission's torrent error codes.
enum class ErrorKind : int { none = 0, tracker_warning = 1, tracker_error = 2, local_error = 3 };

struct FileView {
    std::string name;  // the path inside the torrent, with the torrent's folder first, '/' separated
    std::int64_t length = 0;
    std::int64_t bytes_completed = 0;
    int priority = 0;  // -1 low, 0 normal, 1 high
    bool wanted = true;
};

struct PeerView {
    std::string address;  // without brackets for IPv6
    std::uint16_t port = 0;
    std::string client_name;
    // How the connection is encrypted: "plaintext", "mse-rc4" or "mse-header-only".
    std::string kind;
    bool incoming = false;
    double progress = 0;  // 0..1: what the peer has
    std::int64_t rate_to_client = 0;
    std::int64_t rate_to_peer = 0;
    bool client_choked = true;
    bool client_interested = false;
    bool peer_choked = true;
    bool peer_interested = false;
};

struct TrackerView {
    int id = 0;
    int tier = 0;
    std::string announce;
    std::string host;  // scheme://host:port, for the web UI's filter
    std::string last_announce_result;
    bool last_announce_succeeded = false;
    std::int64_t last_announce_time = 0;
    std::int64_t next_announce_time = 0;
    int seeder_count = -1;  // -1: unknown
    int leecher_count = -1;
    int download_count = -1;
};

// Which of the costly parts of a TorrentView a request needs.
struct Detail {
    bool files = false;
    bool peers = false;
    bool trackers = false;
    bool magnet = false;  // magnetLink: a string built per torrent
};

struct TorrentView {
    TorrentId id = 0;
    std::string hash;  // 40 lower-case hex digits
    std::string name;
    std::string download_dir;
    Status status = Status::stopped;
    ErrorKind error = ErrorKind::none;
    std::string error_string;
    bool has_metadata = true;
    double metadata_percent = 1;  // 0..1; 1 once the metadata is known
    double recheck_progress = 0;  // 0..1 while checking
    std::int64_t total_size = 0;
    std::int64_t size_when_done = 0;   // bytes of the wanted files' pieces
    std::int64_t left_until_done = 0;  // of those, not verified yet
    std::int64_t have_valid = 0;       // verified bytes
    std::int64_t desired_available = 0;
    std::int64_t downloaded_ever = 0;  // payload
    std::int64_t uploaded_ever = 0;
    std::int64_t corrupt_ever = 0;
    std::int64_t rate_download = 0;
    std::int64_t rate_upload = 0;
    std::int64_t eta = -1;  // seconds; -1 not available, -2 unknown
    int peers_connected = 0;
    int peers_getting_from_us = 0;
    int peers_sending_to_us = 0;
    int webseeds_sending_to_us = 0;
    std::int64_t added_date = 0;
    std::int64_t done_date = 0;
    std::int64_t start_date = 0;
    std::int64_t activity_date = 0;
    std::int64_t seconds_downloading = 0;
    std::int64_t seconds_seeding = 0;
    std::string comment;
    std::string creator;
    std::int64_t date_created = 0;
    bool is_private = false;
    std::int64_t piece_size = 0;
    std::int64_t piece_count = 0;
    std::string magnet_link;  // filled only when asked (Detail::magnet)
    int queue_position = 0;
    bool is_stalled = false;
    bool is_finished = false;  // a seed goal was met and the torrent stopped
    // The torrent's own limits (KB/s), on or off; honors_session_limits is always true for us.
    std::int64_t download_limit = 100;
    bool download_limited = false;
    std::int64_t upload_limit = 100;
    bool upload_limited = false;
    int bandwidth_priority = 0;
    int seed_ratio_mode = 0;  // 0 the session's, 1 the torrent's, 2 unlimited
    double seed_ratio_limit = 2;
    int seed_idle_mode = 0;
    std::int64_t seed_idle_limit = 30;  // minutes
    int peer_limit = 50;
    bool sequential = false;
    // Connected peers by kind of encryption, and connections that failed or closed, by reason.
    int peers_plaintext = 0;
    int peers_mse_rc4 = 0;
    int peers_mse_header = 0;
    std::map<std::string, std::uint32_t> closed_by_reason;
    // When something shown changed last (state, progress, rates, peers): for "recently-active".
    std::int64_t changed_date = 0;
    // Filled only when asked (Detail).
    std::vector<FileView> files;
    std::vector<PeerView> peers;
    std::vector<TrackerView> trackers;
};

// torrent-set: each field that is present changes.
struct TorrentChanges {
    std::vector<int> files_wanted;  // file indexes
    std::vector<int> files_unwanted;
    std::vector<int> priority_high;
    std::vector<int> priority_normal;
    std::vector<int> priority_low;
    std::optional<std::int64_t> download_limit;  // KB/s
    std::optional<bool> download_limited;
    std::optional<std::int64_t> upload_limit;
    std::optional<bool> upload_limited;
    std::optional<int> bandwidth_priority;
    std::optional<int> seed_ratio_mode;
    std::optional<double> seed_ratio_limit;
    std::optional<int> seed_idle_mode;
    std::optional<std::int64_t> seed_idle_limit;
    std::optional<int> peer_limit;
    std::optional<bool> sequential;
};

// torrent-add. Exactly one of metainfo (the .torrent's bytes, already base64-decoded), magnet, or path (a
// .torrent file on the daemon's machine); an http(s) URL is fetched by the daemon first and arrives as
// metainfo.
struct AddRequest {
    std::string metainfo;
    std::string magnet;
    std::string path;
    std::optional<bool> paused;
    std::optional<std::string> download_dir;  // absolute (checked by the RPC core)
    std::vector<int> files_wanted;
    std::vector<int> files_unwanted;
    std::vector<int> priority_high;
    std::vector<int> priority_low;
};

struct AddResult {
    enum class Outcome { added, duplicate, failed };
    Outcome outcome = Outcome::failed;
    TorrentId id = 0;
    std::string name;
    std::string hash;
    std::string error;  // failed: one line ("invalid or corrupt torrent file", ...)
};

// Every session key the RPC reports and may set. Encryption is our policy's name: "require", "prefer",
// "allow" or "disable" (the RPC core maps Transmission's words).
struct SessionView {
    std::string version;
    std::string config_dir;
    std::string download_dir;
    std::int64_t download_dir_free_space = -1;
    int peer_port = 51413;
    int peer_limit_global = 500;
    int peer_limit_per_torrent = 50;
    std::string encryption = "prefer";
    bool dht_enabled = true;
    bool pex_enabled = true;
    bool lpd_enabled = false;
    bool utp_enabled = false;
    bool port_forwarding_enabled = false;
    std::int64_t speed_limit_down = 100;  // KB/s
    bool speed_limit_down_enabled = false;
    std::int64_t speed_limit_up = 100;
    bool speed_limit_up_enabled = false;
    std::int64_t alt_speed_down = 50;
    std::int64_t alt_speed_up = 50;
    bool alt_speed_enabled = false;
    bool alt_speed_time_enabled = false;
    int alt_speed_time_begin = 540;  // minutes after midnight
    int alt_speed_time_end = 1020;
    int alt_speed_time_day = 127;  // bit 0 Sunday ... bit 6 Saturday
    double seed_ratio_limit = 2;
    bool seed_ratio_limited = false;
    std::int64_t idle_seeding_limit = 30;  // minutes
    bool idle_seeding_limit_enabled = false;
    bool download_queue_enabled = true;
    int download_queue_size = 5;
    bool seed_queue_enabled = false;
    int seed_queue_size = 10;
    bool queue_stalled_enabled = true;
    int queue_stalled_minutes = 30;
    bool start_added_torrents = true;
    int cache_size_mb = 4;  // the read cache for uploads (Settings::read_cache_bytes)
    std::string session_id;
    // Handshakes that failed before a torrent was known (incoming), by reason.
    std::map<std::string, std::uint32_t> incoming_failures;
};

// session-set: each field that is present changes.
struct SessionChanges {
    std::optional<std::string> download_dir;
    std::optional<int> peer_port;
    std::optional<int> peer_limit_global;
    std::optional<int> peer_limit_per_torrent;
    std::optional<std::string> encryption;  // our policy's name
    std::optional<std::int64_t> speed_limit_down;
    std::optional<bool> speed_limit_down_enabled;
    std::optional<std::int64_t> speed_limit_up;
    std::optional<bool> speed_limit_up_enabled;
    std::optional<std::int64_t> alt_speed_down;
    std::optional<std::int64_t> alt_speed_up;
    std::optional<bool> alt_speed_enabled;
    std::optional<bool> alt_speed_time_enabled;
    std::optional<int> alt_speed_time_begin;
    std::optional<int> alt_speed_time_end;
    std::optional<int> alt_speed_time_day;
    std::optional<double> seed_ratio_limit;
    std::optional<bool> seed_ratio_limited;
    std::optional<std::int64_t> idle_seeding_limit;
    std::optional<bool> idle_seeding_limit_enabled;
    std::optional<bool> download_queue_enabled;
    std::optional<int> download_queue_size;
    std::optional<bool> seed_queue_enabled;
    std::optional<int> seed_queue_size;
    std::optional<bool> queue_stalled_enabled;
    std::optional<int> queue_stalled_minutes;
    std::optional<bool> start_added_torrents;
    std::optional<int> cache_size_mb;
};

struct TransferTotals {
    std::int64_t uploaded_bytes = 0;
    std::int64_t downloaded_bytes = 0;
    std::int64_t files_added = 0;
    std::int64_t session_count = 1;
    std::int64_t seconds_active = 0;
};

struct SessionStats {
    int torrent_count = 0;
    int active_torrent_count = 0;
    int paused_torrent_count = 0;
    std::int64_t download_speed = 0;
    std::int64_t upload_speed = 0;
    TransferTotals current;
    TransferTotals cumulative;
};

enum class QueueMove { top, up, down, bottom };

class Backend {
  public:
    virtual ~Backend() = default;

    // Every torrent's id, in id order.
    virtual std::vector<TorrentId> ids() const = 0;
    virtual std::optional<TorrentId> find_hash(const std::string& hash) const = 0;
    // Views of the given torrents (unknown ids skipped), in the order given.
    virtual std::vector<TorrentView> torrents(std::span<const TorrentId> ids, Detail detail) const = 0;
    // Torrents removed at or after `since` (seconds since the epoch).
    virtual std::vector<TorrentId> removed_since(std::int64_t since) const = 0;
    // Seconds since the epoch.
    virtual std::int64_t now() const = 0;

    // Unknown ids are skipped. These return before the work is done (a stop announces, a remove deletes
    // files), as Transmission's do.
    virtual void start(std::span<const TorrentId> ids, bool now) = 0;
    virtual void stop(std::span<const TorrentId> ids) = 0;
    virtual void verify(std::span<const TorrentId> ids) = 0;
    virtual void reannounce(std::span<const TorrentId> ids) = 0;
    virtual void remove(std::span<const TorrentId> ids, bool delete_data) = 0;
    // The error is one line, for `result`.
    virtual std::optional<std::string> set(std::span<const TorrentId> ids, const TorrentChanges& changes) = 0;
    virtual std::optional<std::string> set_location(std::span<const TorrentId> ids,
                                                    const std::string& location, bool move) = 0;
    virtual void queue_move(std::span<const TorrentId> ids, QueueMove move) = 0;
    virtual AddResult add(const AddRequest& request) = 0;

    virtual SessionView session() const = 0;
    virtual std::optional<std::string> set_session(const SessionChanges& changes) = 0;
    virtual SessionStats stats() const = 0;
    // Free bytes for the user at `path`, or nullopt (with errno's message in `error`).
    virtual std::optional<std::int64_t> free_space(const std::string& path, std::string& error) const = 0;
    // session-close: the daemon shuts down after answering.
    virtual void close() = 0;
};

}  // namespace bt::rpc
